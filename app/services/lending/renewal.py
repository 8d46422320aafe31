"""无还本续贷 (renewal without repaying principal, 借新还旧, issue 17): a maker-checker operation.

An officer proposes it at maturity (`loan.renew`), an approver or branch manager of the branch checks it
(`loan.renew_approve`); `_execute` runs it in the checker's transaction. The rules are app/domain/renewal.py's (a
business-purpose product, the maturity window, class 正常, no overdue in the period, a fresh strategy pass, interest and
penalty already paid in cash). What it does, with no core-banking call:

- a new loan on the same line, card, product and spread, for the old loan's outstanding principal, over the term the
  maker chose, at today's LPR of that term's tenor plus the spread; its own schedule, summing to its principal;
- two balanced ledger transactions through the portfolio account `renewal_transfer` (nets to zero): Dr the new loan's
  principal / Cr transfer, and Dr transfer / Cr the old loan's principal; the old loan is settled;
- the line's use is unchanged (the new principal takes the place of the old);
- the new loan keeps the old loan's class (the renewal alone changes nothing), and a `LoanRenewal` row links the two
  loans both ways (reports flag renewed loans by it).

Guarantees: 借新还旧 needs each guarantor's agreement, so every guarantor of the loan (the other members of the
borrower's 联保 groups) first signs a guarantee contract for the new loan (`sign_renewal_guarantee`: a PDF signed with a
one-time certificate in their name and sealed by the member bank, in their e-archive) for the outstanding principal and
at least the term asked. Until all have, the proposal — and, at check time, the execution — is refused naming them;
the execution links each contract to the new loan (`GuaranteeRenewal.new_loan`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from app.clock import now_utc
from app.domain.classification import LoanClass
from app.domain.error_codes import CommonCode, LendingCode
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.ledger import Account, Posting
from app.domain.lpr import Tenor
from app.domain.maker_checker import CommandKind, CommandStatus, Effect, Figure, MakerCheckerPolicy
from app.domain.money import Money, percent_str
from app.domain.permissions import Action
from app.domain.renewal import DEFAULT_POLICY, RenewalPolicy, check_renewal
from app.domain.schedule import Schedule, build_schedule
from app.domain.schedule.dates import add_months
from app.domain.vocabulary import ActorType, InstallmentStatus, LedgerKind, LoanStatus
from app.models import Bank, Branch, CreditLine, Customer, GuaranteeMember, GuaranteeRenewal, Installment, Loan, LoanRenewal, PendingCommand, Product, \
    RiskStrategyDecision
from app.services import audit
from app.services.actor import SYSTEM, Actor
from app.services.contracts.document import yuan_in_words
from app.services.contracts.signed_text import archive_signed_text, sign_text_document
from app.services.contracts.signing import SigningKit
from app.services.guarantees import guarantees_of_loan, witness_name
from app.services.lending import ledger
from app.services.lending.access import can_access
from app.services.lending.queries import loan_label, loan_named_in, loan_subject
from app.services.lending.pricing import rate_for
from app.services.lending.products import conventions_for
from app.services.lending.repricing import first_repricing_date
from app.services.maker_checker.registry import Operation, Params
from app.services.permissions import require


@dataclass(frozen=True, slots=True)
class Plan:
    """What a renewal does (computed for the preview and again at execution)."""

    balance_fen: int  # the old loan's outstanding principal = the new loan's principal
    term_months: int
    tenor: Tenor
    rate_ppm: int
    schedule: Schedule
    open_rows: tuple[Installment, ...]  # the old loan's unpaid rows (principal only is left on them)
    guarantors: tuple[str, ...]
    guarantee_contracts: tuple[UUID, ...]  # each guarantor's contract for the new loan (GuaranteeRenewal ids)



def _policy(params: Params) -> RenewalPolicy:
    days = {k: int(params[k]) for k in ("window_days", "clean_months", "strategy_days") if k in params}
    return RenewalPolicy(**days, **({"business_tz": str(params["business_tz"])} if "business_tz" in params else {}))


async def _late_in_period(loan: Loan, today: date, months: int) -> int:
    """Installments due in the last `months` months that were paid after their due date or are unpaid past it."""
    rows = await Installment.filter(loan_id=loan.id, due_on__gte=add_months(today, -months), due_on__lt=today)
    late = [i for i in rows if (i.paid_on is not None and i.paid_on > i.due_on) or i.status != InstallmentStatus.PAID]
    return len(late) + (1 if loan.days_past_due and not late else 0)


async def _plan(loan: Loan, params: Params, today: date) -> Plan:
    if await LoanRenewal.exists(old_loan_id=loan.id):
        raise Conflict("该借据已办理无还本续贷", code=CommonCode.ALREADY_DONE, field="loan_id")
    if loan.status != LoanStatus.ACTIVE:
        raise Conflict("借据不在贷款状态（已结清或已核销），不能续贷", code=LendingCode.LOAN_CLOSED, field="loan_id")
    if loan.debit_in_flight:
        raise Conflict("自动扣款处理中，请稍后再申请续贷", code=LendingCode.DEBIT_IN_FLIGHT, field="loan_id")
    policy = _policy(params)
    product = await Product.get(id=loan.product_id)
    rows = [i for i in await Installment.filter(loan_id=loan.id).order_by("number") if i.status != InstallmentStatus.PAID]
    owed = loan.accrued_interest_fen + sum(
        i.interest_fen - i.paid_interest_fen + i.penalty_fen - i.paid_penalty_fen + i.compound_fen - i.paid_compound_fen
        for i in rows if i.due_on <= today
    )
    strategy = await RiskStrategyDecision.filter(customer_id=loan.customer_id, product_code=product.code).order_by("-decided_at").first()
    check_renewal(
        renewable=product.renewable, method=loan.method, today=today, maturity_on=loan.maturity_on, classification=loan.classification,
        late_in_period=await _late_in_period(loan, today, policy.clean_months),
        strategy=strategy.decision if strategy else None,
        strategy_on=strategy.decided_at.astimezone(ZoneInfo(policy.business_tz)).date() if strategy else None, owed_interest_fen=owed, policy=policy,
    )
    balance = loan.outstanding_principal_fen
    if balance <= 0 or balance != sum(i.principal_fen - i.paid_principal_fen for i in rows):
        raise Conflict("借据余额与还款计划不一致，请联系运维核对后再申请", code=CommonCode.WRONG_STATUS, field="loan_id")
    term = params.get("term_months")
    line = await CreditLine.get(id=loan.credit_line_id)
    longest = min(product.max_term_months, line.max_term_months)
    if isinstance(term, bool) or not isinstance(term, int) or not product.min_term_months <= term <= longest:
        raise ValidationError(f"续贷期限应为 {product.min_term_months} 到 {longest} 个月", code=LendingCode.INVALID_TERM, field="term_months")
    tenor, rate = await rate_for(term_months=term, spread_bp=loan.spread_bp, on=today)
    schedule = build_schedule(balance, rate, term, loan.method, today, None, conventions_for(product))
    signed = await _guarantors_signed(loan, term)
    return Plan(balance, term, tenor, rate, schedule, tuple(rows), tuple(name for _, name in signed), tuple(cid for cid, _ in signed))


def _effect(title: str, loan: Loan, plan: Plan) -> Effect:
    rows = plan.schedule.installments
    figures = (
        Figure("旧借据本金余额", plan.balance_fen, 0),
        Figure("新借据本金", 0, plan.balance_fen),
        Figure("资金划转", 0, 0),
        Figure("到期日", loan.maturity_on.isoformat(), rows[-1].due_on.isoformat(), money=False),
        Figure("期限（月）", str(loan.term_months), str(plan.term_months), money=False),
        Figure("执行年利率", f"{percent_str(loan.annual_rate_ppm)}%", f"{percent_str(plan.rate_ppm)}%", money=False),
        Figure("新借据应还利息", 0, sum(r.interest_fen for r in rows)),
        Figure("五级分类", LoanClass(loan.classification).label, LoanClass(loan.classification).label, money=False),
    )
    notes = ["借新还旧：新借据本金归还旧借据本金，不经核心系统划转资金；旧借据利息、罚息已以现金结清，不计入新借据",
             "续贷本身不改变五级分类；新旧借据互相关联，报表中标注为续贷"]
    if plan.guarantors:
        notes.append(f"保证人 {'、'.join(plan.guarantors)} 已为新借据重新签订保证合同（借新还旧保证合同），续贷执行后与新借据关联")
    else:
        notes.append("借据暂无保证人记录")
    return Effect(title, figures, tuple(notes))


async def _preview(params: Params, today: date) -> Effect:
    loan = await loan_named_in(params)
    plan = await _plan(loan, params, today)
    return _effect(f"无还本续贷 {plan.term_months} 个月 {await loan_label(loan)}", loan, plan)


async def _execute(actor: Actor, params: Params, today: date) -> dict[str, Any]:
    old = await loan_named_in(params, lock=True)
    plan = await _plan(old, params, today)
    product = await Product.get(id=old.product_id)
    rows = plan.schedule.installments
    stamp = now_utc()
    new = await Loan.create(
        credit_line_id=old.credit_line_id, customer_id=old.customer_id, product_id=old.product_id, branch_id=old.branch_id, card_id=old.card_id,
        principal_fen=plan.balance_fen, annual_rate_ppm=plan.rate_ppm, lpr_tenor=plan.tenor, spread_bp=old.spread_bp, method=old.method,
        term_months=plan.term_months, start_on=today, first_due_on=rows[0].due_on, maturity_on=rows[-1].due_on,
        outstanding_principal_fen=plan.balance_fen, next_repricing_on=first_repricing_date(product, today), status=LoanStatus.ACTIVE,
        classification=old.classification,
    )
    await Installment.bulk_create(
        [Installment(loan_id=new.id, number=r.number, due_on=r.due_on, principal_fen=r.principal_fen, interest_fen=r.interest_fen) for r in rows],
        batch_size=200,
    )
    await ledger.post(kind=LedgerKind.RENEWAL, business_on=today, loan_id=new.id, memo="无还本续贷：新借据放款归还旧借据本金，不划转资金",
                      postings=[Posting(Account.LOAN_PRINCIPAL, debit_fen=plan.balance_fen), Posting(Account.RENEWAL_TRANSFER, credit_fen=plan.balance_fen)])
    await ledger.post(kind=LedgerKind.RENEWAL, business_on=today, loan_id=old.id, memo="无还本续贷：本金由新借据归还（借新还旧）",
                      postings=[Posting(Account.RENEWAL_TRANSFER, debit_fen=plan.balance_fen), Posting(Account.LOAN_PRINCIPAL, credit_fen=plan.balance_fen)])
    for row in plan.open_rows:  # principal repaid by the new loan; interest not yet accrued is not charged (the old loan ends today)
        interest = row.interest_fen if row.due_on <= today else row.paid_interest_fen
        await Installment.filter(id=row.id).update(paid_principal_fen=row.principal_fen, interest_fen=interest, status=InstallmentStatus.PAID,
                                                   paid_on=today, updated_at=stamp)
    await Loan.filter(id=old.id).update(outstanding_principal_fen=0, overdue_principal_fen=0, status=LoanStatus.SETTLED, settled_on=today,
                                        days_past_due=0, updated_at=stamp)
    if plan.guarantee_contracts:
        await GuaranteeRenewal.filter(id__in=list(plan.guarantee_contracts), new_loan_id__isnull=True).update(new_loan_id=new.id)
    command_id = params.get("command_id")
    command = await PendingCommand.get_or_none(id=command_id) if command_id else None
    checker_id = actor.id if actor.type == ActorType.OFFICER else None
    record = await LoanRenewal.create(
        old_loan_id=old.id, new_loan_id=new.id, business_on=today, principal_fen=plan.balance_fen, term_months=plan.term_months,
        old_maturity_on=old.maturity_on, new_maturity_on=new.maturity_on, new_rate_ppm=plan.rate_ppm, command=command,
        maker_id=params.get("maker_id"), checker_id=checker_id,
    )
    await audit.record(actor, "loan.renew", "loan", old.id, before={"outstanding_principal_fen": plan.balance_fen},
                       after={"new_loan": str(new.id), "principal_fen": plan.balance_fen, "term_months": plan.term_months,
                              "rate_ppm": plan.rate_ppm, "renewal": str(record.id), "guaranteeContracts": [str(c) for c in plan.guarantee_contracts]})
    return {"renewal_id": str(record.id), "new_loan_id": str(new.id), "new_maturity_on": new.maturity_on.isoformat()}


OPERATION = Operation(CommandKind.RENEWAL, Action.LOAN_RENEW, Action.LOAN_RENEW_APPROVE, loan_subject, _preview, _execute)


async def propose_renewal(
    *, actor: Actor, loan_id: UUID, term_months: int, reason: str, today: date, now: datetime, policy: MakerCheckerPolicy,
    renewal: RenewalPolicy = DEFAULT_POLICY,
) -> PendingCommand:
    """An officer proposes renewing the loan for `term_months` (the borrower's application, at maturity): a pending
    command a checker of the branch approves. Asked again while one is pending for the loan, it returns that one."""
    from app.services.maker_checker.commands import propose

    for pending in await PendingCommand.filter(kind=CommandKind.RENEWAL, status=CommandStatus.PENDING, expires_at__gt=now):
        if pending.params.get("loan_id") == str(loan_id) and pending.maker_id == actor.id:
            return pending
    params = {"loan_id": str(loan_id), "term_months": term_months, "window_days": renewal.window_days, "clean_months": renewal.clean_months,
              "strategy_days": renewal.strategy_days, "business_tz": renewal.business_tz, "maker_id": str(actor.id)}
    return await propose(actor=actor, kind=CommandKind.RENEWAL, params=params, reason=reason, today=today, now=now, policy=policy)


async def renewal_links(*, actor: Actor, loan_id: UUID) -> tuple[LoanRenewal | None, LoanRenewal | None]:
    """(the renewal that created this loan, the renewal that repaid it), for its page; (None, None) out of scope."""
    loan = await Loan.get_or_none(id=loan_id)
    if loan is None or not can_access(actor, customer_id=loan.customer_id, branch_id=loan.branch_id):
        return None, None
    return await LoanRenewal.get_or_none(new_loan_id=loan_id), await LoanRenewal.get_or_none(old_loan_id=loan_id)


# --- the guarantors sign again for the new loan ------------------------------------------------------------------

RENEWAL_CONTRACT_TITLE = "借新还旧保证合同"


def renewal_contract_lines(*, bank_name: str, contract_no: str, loan_label: str, loan_id: UUID, borrower: str, guarantor: str, group_contract_no: str,
                           principal_fen: int, term_months: int, on: date, witness: str = "") -> tuple[str, ...]:
    """The guarantee contract a guarantor signs for the new loan of a renewal, line by line (its text's hash is kept)."""
    return (
        f"合同编号：{contract_no}",
        f"贷款人（债权人）：{bank_name}",
        f"借款人：{borrower}",
        f"保证人：{guarantor}（联保保证合同 {group_contract_no}）",
        f"原借据：{loan_label}（借据编号 {str(loan_id).upper()}）",
        f"第一条 保证人知悉并同意借款人以无还本续贷（借新还旧）方式办理续贷：新借据本金 {Money(principal_fen).format_yuan()}"
        f"（{yuan_in_words(principal_fen)}）用于归还原借据本金，期限不超过 {term_months} 个月。",
        "第二条 保证人对新借据项下的本金、利息、罚息、复利及实现债权的费用承担连带责任保证，保证期间为新借据履行期限届满之日起三年。",
        "第三条 本合同仅适用于上述一笔续贷；续贷未办理的，本合同不发生效力。",
        f"签订日期：{on.year}年{on.month}月{on.day}日" + (f"　见证客户经理：{witness}" if witness else ""),
    )


async def _open_renewal_contracts(loan: Loan) -> dict[UUID, GuaranteeRenewal]:
    """Each guarantor's latest contract for this loan's renewal, not yet used by one."""
    rows = await GuaranteeRenewal.filter(old_loan_id=loan.id, new_loan_id__isnull=True).order_by("created_at")
    return {r.member_id: r for r in rows}


async def sign_renewal_guarantee(*, actor: Actor, loan_id: UUID, member_id: UUID, term_months: int, now: datetime, kit: SigningKit) -> GuaranteeRenewal:
    """A guarantor signs the guarantee contract for the new loan of this loan's renewal (借新还旧 needs the guarantor's
    agreement), before it is proposed: a PDF signed with a one-time certificate in their name and sealed by the member
    bank, in their e-archive. Idempotent: the same guarantor and term, not yet used by a renewal, returns the one signed."""
    loan = await Loan.get_or_none(id=loan_id)
    if loan is None or not can_access(actor, customer_id=loan.customer_id, branch_id=loan.branch_id) or actor.type != ActorType.OFFICER:
        raise NotFound("借据不存在", field="loan_id")
    require(actor, Action.LOAN_RENEW, branch_id=loan.branch_id)
    if loan.status != LoanStatus.ACTIVE:
        raise Conflict("借据不在贷款状态（已结清或已核销），不能续贷", code=LendingCode.LOAN_CLOSED, field="loan_id")
    if isinstance(term_months, bool) or not isinstance(term_months, int) or not 1 <= term_months <= 60:
        raise ValidationError("续贷期限应为 1 到 60 个月", code=LendingCode.INVALID_TERM, field="term_months")
    member = next((m for m in await guarantees_of_loan(SYSTEM, loan.id) if m.id == member_id), None)
    if member is None:
        raise ValidationError("该保证人不为这笔借据提供保证", code=CommonCode.INVALID, field="member_id")
    same = (await _open_renewal_contracts(loan)).get(member.id)
    if same is not None and same.term_months == term_months and same.principal_fen == loan.outstanding_principal_fen:
        return same
    borrower = await Customer.get(id=loan.customer_id)
    bank = await Bank.get(id=(await Branch.get(id=loan.branch_id)).bank_id)
    witness = await witness_name(actor)
    contract_no = f"XD{now.strftime('%Y%m%d')}{uuid4().hex[:12].upper()}"
    fields = {"bank_name": bank.legal_name or bank.name, "contract_no": contract_no, "loan_label": await loan_label(loan), "loan_id": loan.id,
              "borrower": f"{borrower.name}（身份证 {borrower.id_number_masked}）",
              "guarantor": f"{member.customer.name}（身份证 {member.customer.id_number_masked}）", "group_contract_no": member.contract_no,
              "principal_fen": loan.outstanding_principal_fen, "term_months": term_months, "on": now.date(), "witness": witness}
    lines = renewal_contract_lines(**fields)
    signed = await sign_text_document(
        kit=kit, title=RENEWAL_CONTRACT_TITLE, lines=lines, signer_name=member.customer.name, signer_label="保证人", witness=witness or "—",
        reason=f"保证人签署借新还旧保证合同 {contract_no}", seal_reason="贷款人电子合同专用章", bank=bank, now=now,
    )
    text = "\n".join((RENEWAL_CONTRACT_TITLE, *lines)) + "\n"
    async with in_transaction():
        await Loan.select_for_update().get(id=loan.id)  # a second tap waits, then finds the first
        same = (await _open_renewal_contracts(loan)).get(member.id)
        if same is not None and same.term_months == term_months and same.principal_fen == loan.outstanding_principal_fen:
            return same
        doc = await archive_signed_text(signed, customer_id=member.customer_id, title=f"{RENEWAL_CONTRACT_TITLE} {contract_no}", actor=actor)
        record = await GuaranteeRenewal.create(
            old_loan_id=loan.id, member_id=member.id, term_months=term_months, principal_fen=loan.outstanding_principal_fen, contract_no=contract_no,
            text_sha256=hashlib.sha256(text.encode()).hexdigest(), document=doc, signed_at=now, witnessed_by_id=actor.id,
        )
        await audit.record(actor, "loan.renewal_guarantee", "loan", loan.id, after={
            "member": str(member.id), "termMonths": term_months, "contract": str(record.id), "contractNo": contract_no, "documentId": str(doc.id),
            "sha256": signed.sha256, "padesLevel": signed.pades_level,
        })
    return record


async def renewal_guarantees_of(*, actor: Actor, loan_id: UUID) -> list[tuple[GuaranteeMember, GuaranteeRenewal | None]]:
    """The loan's guarantors and the contract each signed for its renewal (None: not yet), for the loan page."""
    loan = await Loan.get_or_none(id=loan_id)
    if loan is None or not can_access(actor, customer_id=loan.customer_id, branch_id=loan.branch_id):
        return []
    signed = await _open_renewal_contracts(loan)
    return [(m, signed.get(m.id)) for m in await guarantees_of_loan(SYSTEM, loan.id)]


async def _guarantors_signed(loan: Loan, term_months: int) -> tuple[tuple[UUID, str], ...]:
    """Every guarantor must have signed the guarantee contract for the new loan (at least `term_months`, for the current
    principal); refused with their names if not. Returns (contract id, guarantor name) of each."""
    members = await guarantees_of_loan(SYSTEM, loan.id)
    signed = await _open_renewal_contracts(loan)
    missing = [m.customer.name for m in members
               if m.id not in signed or signed[m.id].term_months < term_months or signed[m.id].principal_fen != loan.outstanding_principal_fen]
    if missing:
        raise ValidationError(f"保证人{'、'.join(missing)}尚未为续贷的新借据（{term_months} 个月）签订保证合同，请先在借据页签订",
                              code=CommonCode.WRONG_STATUS, field="term_months")
    return tuple((signed[m.id].id, m.customer.name) for m in members)

"""Loan extension (展期, issue 17): a maker-checker operation.

An officer proposes it before maturity (`loan.extend`), an approver or branch manager of the branch checks it
(`loan.extend_approve`); `_execute` runs it in the checker's transaction. The rules (limits of 贷款通则 art. 12, the
new due dates, the rebuilt schedule) are app/domain/extension.py's; here: the rate of the new total term (LPR tenor),
the rows rewritten, the loan's maturity, term, rate and tenor, the extension record, the restructuring floor when the
borrower is in financial difficulty, the provincial outbox and the audit. No money moves and nothing is posted: the
current period's interest is kept, so the books are unchanged. docs/lending.md has the worked example.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from app.domain import lpr
from app.domain.classification import FloorKind, LoanClass, observation_ends, worst
from app.domain.error_codes import CommonCode, LendingCode
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.extension import DEFAULT_POLICY, ExtensionPolicy, check_extension, extension_dates, rebuild
from app.domain.maker_checker import CommandKind, Effect, Figure, MakerCheckerPolicy
from app.domain.money import Money, percent_str
from app.domain.permissions import Action
from app.domain.schedule.dates import add_months
from app.domain.schedule.rows import Installment as Row
from app.domain.vocabulary import ActorType, ExtensionApplicationStatus, InstallmentStatus, LoanStatus, OutboxKind
from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from app.clock import now_utc
from app.models import Bank, Branch, Customer, ExtensionApplication, GuaranteeMember, GuarantorConsent, Installment, Loan, LoanClassChange, LoanExtension, LoanRisk, \
    PendingCommand, Product
from app.services import audit
from app.services.actor import SYSTEM, Actor
from app.services.contracts.signed_text import archive_signed_text, sign_text_document
from app.services.contracts.signing import SigningKit
from app.services.guarantees import guarantees_of_loan, witness_name
from app.services.lending.classification import policy_in_force
from app.services.lending.access import can_access
from app.services.lending.queries import loan_label, loan_named_in, loan_subject
from app.services.lending.pricing import rate_for
from app.services.lending.products import conventions_for
from app.services.maker_checker.registry import Operation, Params
from app.services.outbox import customer_hash, enqueue_outbox, institution
from app.services.permissions import require


@dataclass(frozen=True, slots=True)
class Plan:
    """What an extension does to one loan (computed for the preview and again at execution)."""

    months: int
    original_term_months: int
    old_maturity_on: date
    new_maturity_on: date
    old_rate_ppm: int
    new_rate_ppm: int
    old_tenor: lpr.Tenor
    new_tenor: lpr.Tenor
    balance_fen: int
    old_rows: tuple[Installment, ...]  # the unpaid rows from the current period on
    new_rows: tuple[Row, ...]
    restructured: bool
    class_before: LoanClass
    class_after: LoanClass
    observation_until: date | None
    guarantors: tuple[tuple[str, date], ...] = ()  # each guarantor's name and the date of their written consent



async def _plan(loan: Loan, params: Params, today: date) -> Plan:
    if loan.status != LoanStatus.ACTIVE:
        raise Conflict("借据不在贷款状态（已结清或已核销），不能展期", code=LendingCode.LOAN_CLOSED, field="loan_id")
    if loan.debit_in_flight:
        raise Conflict("自动扣款处理中，请稍后再申请展期", code=LendingCode.DEBIT_IN_FLIGHT, field="loan_id")
    months = params.get("months")
    previous = await LoanExtension.filter(loan_id=loan.id).order_by("business_on")
    original = previous[0].original_term_months if previous else loan.term_months
    rows = await Installment.filter(loan_id=loan.id).order_by("number")
    unpaid_due = [i for i in rows if i.due_on <= today and i.status != InstallmentStatus.PAID]
    overdue = loan.overdue_principal_fen + loan.overdue_interest_fen + loan.penalty_fen + loan.compound_fen
    overdue += sum(i.principal_fen + i.interest_fen - i.paid_principal_fen - i.paid_interest_fen for i in unpaid_due)
    check_extension(
        months=months, original_term_months=original, extended_months=sum(e.months for e in previous), times_extended=len(previous),
        method=loan.method, today=today, maturity_on=loan.maturity_on, overdue_fen=overdue,
        policy=ExtensionPolicy(max_times=int(params.get("max_times", DEFAULT_POLICY.max_times))),
    )
    future = [i for i in rows if i.due_on > today and i.status != InstallmentStatus.PAID]
    if any(i.paid_principal_fen or i.paid_interest_fen for i in future):
        raise ValidationError("本期已部分还款，请于本期还款日后再申请展期", code=CommonCode.WRONG_STATUS, field="loan_id")
    balance = sum(i.principal_fen for i in future)
    if balance != loan.outstanding_principal_fen:
        raise Conflict("借据余额与还款计划不一致，请联系运维核对后再申请", code=CommonCode.WRONG_STATUS, field="loan_id")
    total = loan.term_months + months
    old_tenor = lpr.Tenor(loan.lpr_tenor)
    new_tenor = lpr.tenor_for_term(total)
    new_rate = loan.annual_rate_ppm
    if new_tenor != old_tenor:  # the rate follows the new total term: the latest LPR of its tenor + the contract's spread
        new_tenor, new_rate = await rate_for(term_months=total, spread_bp=loan.spread_bp, on=today)
    day = loan.start_on.day if loan.first_due_on == add_months(loan.start_on, 1) else loan.first_due_on.day
    dates = [i.due_on for i in future] + list(extension_dates(loan.first_due_on, loan.term_months, months, day))
    product = await Product.get(id=loan.product_id)
    new_rows = rebuild(balance, new_rate, loan.method, dates, current_interest_fen=future[0].interest_fen, first_number=future[0].number,
                       conventions=conventions_for(product))
    guarantors = await _consents_for(loan, months)
    restructured = bool(params.get("restructured"))
    class_before = LoanClass(loan.classification)
    class_after = worst([class_before, LoanClass.SPECIAL_MENTION]) if restructured else class_before
    until = observation_ends(today, [r.due_on for r in new_rows], await policy_in_force()) if restructured else None
    return Plan(months, original, loan.maturity_on, new_rows[-1].due_on, loan.annual_rate_ppm, new_rate, old_tenor, new_tenor, balance,
                tuple(future), tuple(new_rows), restructured, class_before, class_after, until, guarantors)


async def _open_consents(loan: Loan) -> dict[UUID, GuarantorConsent]:
    """Each guarantor's latest consent given since the loan's last extension (a consent covers one extension)."""
    last = await LoanExtension.filter(loan_id=loan.id).order_by("-created_at").first()
    query = GuarantorConsent.filter(loan_id=loan.id)
    if last is not None:
        query = query.filter(created_at__gt=last.created_at)
    return {c.member_id: c for c in await query.order_by("created_at")}


async def _consents_for(loan: Loan, months: int) -> tuple[tuple[str, date], ...]:
    """Every guarantor of the loan must have consented in writing to at least `months`; refused with their names if not."""
    members = await guarantees_of_loan(SYSTEM, loan.id)
    consents = await _open_consents(loan)
    missing = [m.customer.name for m in members if m.id not in consents or consents[m.id].months < months]
    if missing:
        raise ValidationError(f"保证人{'、'.join(missing)}尚未书面同意本次展期（{months} 个月），请先在借据页登记保证人同意书",
                              code=CommonCode.WRONG_STATUS, field="months")
    return tuple((m.customer.name, consents[m.id].signed_at.date()) for m in members)


CONSENT_TITLE = "保证人同意展期书"


def consent_lines(*, loan_label: str, loan_id: UUID, bank_name: str, borrower: str, guarantor: str, contract_no: str, months: int,
                  maturity_on: date, on: date, witness: str = "") -> tuple[str, ...]:
    """The consent a guarantor signs, line by line: the PDF's text (the text's hash is kept with the record)."""
    return (
        f"贷款人（债权人）：{bank_name}",
        f"借据：{loan_label}（借据编号 {str(loan_id).upper()}）",
        f"借款人：{borrower}",
        f"保证人：{guarantor}（联保保证合同 {contract_no}）",
        f"本人知悉借款人申请展期，同意该笔借款展期不超过 {months} 个月（原到期日 {maturity_on.isoformat()}），"
        "并同意按原保证合同继续承担连带责任保证，保证期间自展期后的到期日起算。",
        "本同意书仅适用于本次展期；此后再次展期或借新还旧，须另行取得本人书面同意。",
        f"签署日期：{on.year}年{on.month}月{on.day}日" + (f"　见证客户经理：{witness}" if witness else ""),
    )


def consent_text(**fields: Any) -> str:
    """The consent's text as hashed into the record."""
    return "\n".join((CONSENT_TITLE, *consent_lines(**fields))) + "\n"


async def record_consent(*, actor: Actor, loan_id: UUID, member_id: UUID, months: int, now: datetime, kit: SigningKit) -> GuarantorConsent:
    """A guarantor's written consent to an extension of up to `months` (the borrower's application, before the extension is
    proposed), witnessed by the officer: a PDF signed with a one-time certificate in the guarantor's name and sealed by the
    member bank (PAdES), in the guarantor's e-archive and linked from the record. Audited; bad input records nothing.
    Idempotent: while the guarantor's consent to the same months is open (no extension since), recording it again returns it."""
    loan = await Loan.get_or_none(id=loan_id)
    if loan is None or not can_access(actor, customer_id=loan.customer_id, branch_id=loan.branch_id) or actor.type != ActorType.OFFICER:
        raise NotFound("借据不存在", field="loan_id")
    require(actor, Action.LOAN_EXTEND, branch_id=loan.branch_id)
    if loan.status != LoanStatus.ACTIVE:
        raise Conflict("借据不在贷款状态（已结清或已核销），不能展期", code=LendingCode.LOAN_CLOSED, field="loan_id")
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 36:
        raise ValidationError("同意展期期限应为 1 到 36 个月", code=LendingCode.INVALID_TERM, field="months")
    member = next((m for m in await guarantees_of_loan(SYSTEM, loan.id) if m.id == member_id), None)
    if member is None:
        raise ValidationError("该保证人不为这笔借据提供保证", code=CommonCode.INVALID, field="member_id")
    same = (await _open_consents(loan)).get(member.id)
    if same is not None and same.months == months and same.document_id is not None:
        return same
    borrower = await Customer.get(id=loan.customer_id)
    bank = await Bank.get(id=(await Branch.get(id=loan.branch_id)).bank_id)  # the lender: the loan's member bank
    witness = await witness_name(actor)
    fields = {"loan_label": await loan_label(loan), "loan_id": loan.id, "bank_name": bank.legal_name or bank.name, "borrower": borrower.name,
              "guarantor": f"{member.customer.name}（身份证 {member.customer.id_number_masked}）", "contract_no": member.contract_no,
              "months": months, "maturity_on": loan.maturity_on, "on": now.date(), "witness": witness}
    signed = await sign_text_document(
        kit=kit, title=CONSENT_TITLE, lines=consent_lines(**fields), signer_name=member.customer.name, signer_label="保证人",
        witness=witness or "—", reason=f"保证人同意借款展期不超过 {months} 个月", seal_reason="贷款人电子合同专用章", bank=bank, now=now,
    )
    async with in_transaction():
        await Loan.select_for_update().get(id=loan.id)  # one consent at a time per loan: a second tap finds the first
        same = (await _open_consents(loan)).get(member.id)
        if same is not None and same.months == months and same.document_id is not None:
            return same
        doc = await archive_signed_text(signed, customer_id=member.customer_id, title=f"{CONSENT_TITLE}（{months} 个月，{member.contract_no}）", actor=actor)
        consent = await GuarantorConsent.create(loan_id=loan.id, member_id=member.id, months=months, signed_at=now, document=doc,
                                                text_sha256=hashlib.sha256(consent_text(**fields).encode()).hexdigest(), witnessed_by_id=actor.id)
        await audit.record(actor, "loan.extension_consent", "loan", loan.id, after={
            "member": str(member.id), "months": months, "consent": str(consent.id), "documentId": str(doc.id), "sha256": signed.sha256,
            "signerSerial": signed.signer_serial, "padesLevel": signed.pades_level,
        })
    return consent


async def consents_of(*, actor: Actor, loan_id: UUID) -> list[tuple[GuaranteeMember, GuarantorConsent | None]]:
    """The loan's guarantors and the consent each gave since the last extension (None: not yet), for the loan page."""
    loan = await Loan.get_or_none(id=loan_id)
    if loan is None or not can_access(actor, customer_id=loan.customer_id, branch_id=loan.branch_id):
        return []
    consents = await _open_consents(loan)
    return [(m, consents.get(m.id)) for m in await guarantees_of_loan(SYSTEM, loan.id)]


def _effect(title: str, plan: Plan) -> Effect:
    figures = [
        Figure("到期日", plan.old_maturity_on.isoformat(), plan.new_maturity_on.isoformat(), money=False),
        Figure("展期期限（月）", "—", str(plan.months), money=False),
        Figure("LPR 期限档次", plan.old_tenor.label, plan.new_tenor.label, money=False),
        Figure("执行年利率", f"{percent_str(plan.old_rate_ppm)}%", f"{percent_str(plan.new_rate_ppm)}%", money=False),
        Figure("剩余期数", str(len(plan.old_rows)), str(len(plan.new_rows)), money=False),
        Figure("剩余本金", plan.balance_fen, plan.balance_fen),
        Figure("剩余应还利息", sum(i.interest_fen for i in plan.old_rows), sum(r.interest_fen for r in plan.new_rows)),
        Figure("本期应还", plan.old_rows[0].principal_fen + plan.old_rows[0].interest_fen, plan.new_rows[0].payment_fen),
    ]
    notes = ["展期自原到期日起算；本期利息不变，剩余本金按新利率在本期及以后各期重新摊还；不发生资金划转，不记账",
             "展期信息报送省联社"]
    if plan.new_tenor != plan.old_tenor:
        notes.append(f"展期后总期限对应{plan.new_tenor.label} LPR，执行利率按最新报价加合同点差重定")
    if plan.restructured:
        figures.append(Figure("五级分类", plan.class_before.label, plan.class_after.label, money=False))
        notes.append(f"借款人财务困难，按重组贷款管理：分类不优于关注，观察期至 {plan.observation_until.isoformat() if plan.observation_until else '—'}")
    if plan.guarantors:
        consented = "、".join(f"{name}（{on.isoformat()}）" for name, on in plan.guarantors)
        notes.append(f"保证人已书面同意展期：{consented}；保证责任延续至展期后到期日")
    else:
        notes.append("借据无保证人，无需保证人同意")
    return Effect(title, tuple(figures), tuple(notes))


async def _preview(params: Params, today: date) -> Effect:
    loan = await loan_named_in(params)
    plan = await _plan(loan, params, today)
    return _effect(f"展期 {plan.months} 个月 {await loan_label(loan)}", plan)


async def _execute(actor: Actor, params: Params, today: date) -> dict[str, Any]:
    loan = await loan_named_in(params, lock=True)
    plan = await _plan(loan, params, today)
    old_by_number = {i.number: i for i in plan.old_rows}
    stamp = now_utc()
    for row in plan.new_rows:
        existing = old_by_number.get(row.number)
        if existing is not None:
            await Installment.filter(id=existing.id).update(due_on=row.due_on, principal_fen=row.principal_fen, interest_fen=row.interest_fen,
                                                            updated_at=stamp)
        else:
            await Installment.create(loan_id=loan.id, number=row.number, due_on=row.due_on, principal_fen=row.principal_fen,
                                     interest_fen=row.interest_fen)
    next_repricing = loan.next_repricing_on
    product = await Product.get(id=loan.product_id)
    if next_repricing is None and product.repricing in (lpr.RepricingAnchor.JAN1.value, lpr.RepricingAnchor.ANNIVERSARY.value):
        candidate = lpr.next_repricing_date(product.repricing, loan.start_on, today)
        next_repricing = candidate if candidate <= plan.new_maturity_on else None
    await Loan.filter(id=loan.id).update(maturity_on=plan.new_maturity_on, term_months=loan.term_months + plan.months,
                                         annual_rate_ppm=plan.new_rate_ppm, lpr_tenor=plan.new_tenor, next_repricing_on=next_repricing,
                                         updated_at=stamp)
    checker_id = actor.id if actor.type == ActorType.OFFICER else None
    if plan.restructured:
        reason = f"展期重组（借款人财务困难），观察期至 {plan.observation_until.isoformat() if plan.observation_until else '—'}"
        risk, _ = await LoanRisk.get_or_create(loan_id=loan.id)
        floor = worst([plan.class_after, *([risk.floor_class] if risk.floor_class else [])])
        await LoanRisk.filter(id=risk.id).update(floor_class=floor, floor_kind=FloorKind.RESTRUCTURED, floor_reason=reason,
                                                 floor_set_by_id=checker_id, floor_set_on=today, floor_until=plan.observation_until)
        if plan.class_after != plan.class_before:
            await Loan.filter(id=loan.id).update(classification=plan.class_after)
            await LoanClassChange.create(loan_id=loan.id, business_on=today, from_class=plan.class_before, to_class=plan.class_after,
                                         days_past_due=loan.days_past_due, source="floor", reason=reason, officer_id=checker_id)
    command_id = params.get("command_id")
    command = await PendingCommand.get_or_none(id=command_id) if command_id else None
    record = await LoanExtension.create(
        loan_id=loan.id, business_on=today, months=plan.months, original_term_months=plan.original_term_months,
        old_maturity_on=plan.old_maturity_on, new_maturity_on=plan.new_maturity_on, old_rate_ppm=plan.old_rate_ppm,
        new_rate_ppm=plan.new_rate_ppm, old_tenor=plan.old_tenor.value, new_tenor=plan.new_tenor.value, balance_fen=plan.balance_fen,
        restructured=plan.restructured, command=command, maker_id=params.get("maker_id"), checker_id=checker_id,
    )
    customer = await Customer.get(id=loan.customer_id)
    await enqueue_outbox(OutboxKind.LOAN_EXTENDED, {
        "loanId": str(loan.id), "customerHash": customer_hash(customer), "idNumberMasked": customer.id_number_masked,
        "extendedOn": today.isoformat(), "months": plan.months, "originalMaturity": plan.old_maturity_on.isoformat(),
        "newMaturity": plan.new_maturity_on.isoformat(), "balance": str(Money(plan.balance_fen)), "ratePercent": f"{percent_str(plan.new_rate_ppm)}%",
        "restructured": plan.restructured, **await institution(loan.branch_id),
    }, key=f"loan_extended:{record.id}")
    await audit.record(actor, "loan.extend", "loan", loan.id,
                       before={"maturity_on": plan.old_maturity_on.isoformat(), "rate_ppm": plan.old_rate_ppm},
                       after={"maturity_on": plan.new_maturity_on.isoformat(), "rate_ppm": plan.new_rate_ppm, "months": plan.months,
                              "restructured": plan.restructured, "extension": str(record.id)})
    return {"extension_id": str(record.id), "new_maturity_on": plan.new_maturity_on.isoformat(), "rate_ppm": plan.new_rate_ppm}


OPERATION = Operation(CommandKind.EXTENSION, Action.LOAN_EXTEND, Action.LOAN_EXTEND_APPROVE, loan_subject, _preview, _execute)


async def propose_extension(
    *, actor: Actor, loan_id: UUID, months: int, restructured: bool, reason: str, today: date, now: datetime, policy: MakerCheckerPolicy,
    extension: ExtensionPolicy = DEFAULT_POLICY,
) -> PendingCommand:
    """An officer proposes an extension of `months` (the borrower's application, at the PAD): a pending command a
    checker of the branch approves; `restructured` when the borrower is in financial difficulty (重组)."""
    from app.services.maker_checker.commands import propose

    params = {"loan_id": str(loan_id), "months": months, "restructured": bool(restructured), "max_times": extension.max_times,
              "maker_id": str(actor.id)}
    command = await propose(actor=actor, kind=CommandKind.EXTENSION, params=params, reason=reason, today=today, now=now, policy=policy)
    # the borrower's application in the app (if any) is now carried by the request
    await ExtensionApplication.filter(loan_id=loan_id, status=ExtensionApplicationStatus.PENDING).update(
        status=ExtensionApplicationStatus.PROPOSED, command_id=command.id)
    return command


REASON_MAX = 256


def _reason(text: str | None, *, missing: str, longest: int, too_long: str) -> str:
    """A reason typed by a person (the borrower's for applying, the officer's for declining): trimmed, required, at
    most `longest` characters; refused with the door's own Chinese message (REASON_REQUIRED / INVALID, field reason)."""
    reason = (text or "").strip()
    if not reason:
        raise ValidationError(missing, code=CommonCode.REASON_REQUIRED, field="reason")
    if len(reason) > longest:
        raise ValidationError(too_long, code=CommonCode.INVALID, field="reason")
    return reason


async def apply_for_extension(
    *, actor: Actor, loan_id: UUID, months: int, reason: str, today: date, extension: ExtensionPolicy = DEFAULT_POLICY,
) -> ExtensionApplication:
    """The borrower applies for 展期 of their own loan in the app: checked now against the same rules the officer's
    proposal will be (before maturity, nothing overdue, the limits of 贷款通则, the times allowed), then kept for the
    officer, who proposes it (`propose_extension`). One application waits per loan."""
    require(actor, Action.LOAN_EXTENSION_APPLY)
    reason = _reason(reason, missing="请填写申请展期的原因", longest=REASON_MAX, too_long=f"展期原因最多 {REASON_MAX} 个字")
    async with in_transaction():
        loan = await Loan.select_for_update().get_or_none(id=loan_id)
        if loan is None or not can_access(actor, customer_id=loan.customer_id, branch_id=loan.branch_id):
            raise NotFound("借据不存在", field="loan_id")
        if await ExtensionApplication.exists(loan_id=loan.id, status=ExtensionApplicationStatus.PENDING):
            raise Conflict("该借款已有一笔展期申请，客户经理受理前不能重复申请", code=LendingCode.EXTENSION_PENDING, field="loan_id")
        await _plan(loan, {"months": months, "max_times": extension.max_times}, today)  # refuses what the rules do not allow
        application = await ExtensionApplication.create(loan_id=loan.id, months=months, reason=reason, applied_on=today)
        await audit.record(actor, "loan.extension_apply", "loan", loan.id, after={"months": months, "application": str(application.id)})
    return application


async def extension_applications(*, actor: Actor, loan_id: UUID | None = None, pending_only: bool = True) -> list[ExtensionApplication]:
    """Applications for 展期 the actor may see (an officer: their branch tree's; a borrower: their own), newest first."""
    from app.services.lending.queries import loans_query

    query = ExtensionApplication.filter(loan_id__in=Subquery(loans_query(actor).values("id")))
    if loan_id is not None:
        query = query.filter(loan_id=loan_id)
    if pending_only:
        query = query.filter(status=ExtensionApplicationStatus.PENDING)
    return await query.select_related("loan", "loan__customer").order_by("-created_at").limit(100)


DECLINE_REASON_MAX = 200


async def decline_extension_application(*, actor: Actor, application_id: UUID, reason: str, today: date) -> ExtensionApplication:
    """The officer declines a borrower's application for 展期 with a reason (Chinese, shown to the borrower in the app);
    only one still waiting for the officer. The same officers who may propose an extension of the loan may decline it."""
    require(actor, Action.LOAN_EXTEND)
    reason = _reason(reason, missing="请填写不予受理的原因（借款人可见）", longest=DECLINE_REASON_MAX, too_long=f"原因最多 {DECLINE_REASON_MAX} 个字")
    async with in_transaction():
        application = await ExtensionApplication.select_for_update().get_or_none(id=application_id)
        loan = await Loan.get_or_none(id=application.loan_id) if application is not None else None
        if loan is None or not can_access(actor, customer_id=loan.customer_id, branch_id=loan.branch_id):
            raise NotFound("展期申请不存在", field="application_id")
        require(actor, Action.LOAN_EXTEND, branch_id=loan.branch_id)
        if application.status != ExtensionApplicationStatus.PENDING:
            raise Conflict(f"该展期申请{ExtensionApplicationStatus(application.status).label}，不能再处理", code=CommonCode.WRONG_STATUS,
                           field="application_id")
        await ExtensionApplication.filter(id=application.id).update(
            status=ExtensionApplicationStatus.DECLINED, decline_reason=reason, decided_on=today, declined_by_id=actor.id)
        await audit.record(actor, "loan.extension_decline", "loan", loan.id, after={"application": str(application.id), "reason": reason})
    return await ExtensionApplication.get(id=application_id)


async def expire_extension_applications(*, closed_on: date) -> int:
    """Applications still waiting for the officer at the close of their loan's maturity date expire (kept, never
    deleted): an extension runs from the original maturity and must be proposed by then. The day's close runs it (step
    `extension_applications`, app/services/lending/eod.py)."""
    matured = Loan.filter(maturity_on__lte=closed_on).values("id")
    return await ExtensionApplication.filter(status=ExtensionApplicationStatus.PENDING, loan_id__in=Subquery(matured)).update(
        status=ExtensionApplicationStatus.EXPIRED, decided_on=closed_on)


@dataclass(frozen=True, slots=True)
class ApplicationState:
    """What the borrower sees of an application: submitted / proposed / approved / declined / expired and the reason."""

    application: ExtensionApplication
    status: str
    label: str
    reason: str  # why declined or expired ("" otherwise)
    decided_on: date | None


_STATE_LABELS = {"submitted": "已提交，待客户经理受理", "proposed": "客户经理已受理，审批中", "approved": "已批准展期",
                 "declined": "未获批准", "expired": "已过期（到期前未受理）"}


def _state(a: ExtensionApplication) -> ApplicationState:
    command = a.command if a.command_id else None
    if a.status == ExtensionApplicationStatus.DECLINED:
        return ApplicationState(a, "declined", _STATE_LABELS["declined"], a.decline_reason or "", a.decided_on)
    if a.status == ExtensionApplicationStatus.EXPIRED:
        return ApplicationState(a, "expired", _STATE_LABELS["expired"], "借款到期前客户经理未受理该申请", a.decided_on)
    if a.status == ExtensionApplicationStatus.PROPOSED and command is not None:
        status = str(command.status)
        if status == "approved":
            return ApplicationState(a, "approved", _STATE_LABELS["approved"], "", command.checked_on)
        if status in ("rejected", "failed"):
            why = command.check_note if status == "rejected" else "审批通过后办理未成功，借款未作变更"
            return ApplicationState(a, "declined", _STATE_LABELS["declined"], why or "", command.checked_on)
        if status == "expired":
            return ApplicationState(a, "expired", _STATE_LABELS["expired"], "审批未在时限内完成", None)
        return ApplicationState(a, "proposed", _STATE_LABELS["proposed"], "", None)
    return ApplicationState(a, "submitted", _STATE_LABELS["submitted"], "", None)


def extension_applications_query(actor: Actor, *, loan_id: UUID | None = None, pending_only: bool = False):
    """Every application for 展期 the actor may see (the borrower: their own loans'; an officer: the branch tree's), in
    every status or (`pending_only`) those still waiting for the officer, with its maker-checker request loaded
    (`application_state` reads it). Unordered: the door pages it."""
    from app.services.lending.queries import loans_query

    query = ExtensionApplication.filter(loan_id__in=Subquery(loans_query(actor).values("id")))
    if loan_id is not None:
        query = query.filter(loan_id=loan_id)
    if pending_only:
        query = query.filter(status=ExtensionApplicationStatus.PENDING)
    return query.select_related("command")


def application_state(application: ExtensionApplication) -> ApplicationState:
    """The status the app shows (submitted / proposed / approved / declined / expired) and the reason; the request's
    outcome decides a proposed one (approved; rejected or failed → declined with the checker's note; expired)."""
    return _state(application)


async def my_extension_applications(*, actor: Actor, loan_id: UUID | None = None) -> list[ApplicationState]:
    """The actor's applications for 展期 in every status, newest first, each with the status the app shows."""
    rows = await extension_applications_query(actor, loan_id=loan_id).order_by("-created_at", "id").limit(100)
    return [_state(a) for a in rows]


async def extensions_of(*, actor: Actor, loan_id: UUID) -> list[LoanExtension]:
    """A loan's extensions for its page (empty when the viewer may not see the loan)."""
    loan = await Loan.get_or_none(id=loan_id)
    if loan is None or not can_access(actor, customer_id=loan.customer_id, branch_id=loan.branch_id):
        return []
    return await LoanExtension.filter(loan_id=loan_id).order_by("business_on")

"""Loan-loss allowance (贷款损失准备), write-off (核销) and recovery (核销后收回), ledger-exact.

- `provide_allowance`: the month's provision per bank (Σ class balance × rate; the difference to the books is posted).
- The write-off is a maker-checker operation (`OPERATION`, listed in app/services/maker_checker/kinds.py): the branch
  proposes (`loan.write_off`), a head-office approver checks (`loan.write_off_approve`); `_execute` books it.
- `record_recovery`: money taken from the borrower's card on a written-off loan.
The postings are app/domain/allowance.py's; docs/lending.md has the worked example.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from app.clock import now_utc
from app.crypto import Vault
from app.domain.allowance import (
    AllowancePolicy,
    LoanOwed,
    coverage_ratio,
    npl_balances,
    provision_postings,
    recovery_postings,
    required_allowance,
    split_recovery,
    write_off_postings,
    write_off_shortfall,
)
from app.domain.classification import LoanClass, npl_ratio
from app.domain.error_codes import CommonCode, LendingCode
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.maker_checker import CommandKind, Effect, Figure, MakerCheckerPolicy
from app.domain.money import Money
from app.domain.permissions import Action
from app.domain.vocabulary import ActorType, CreditLineStatus, LoanStatus, OutboxKind
from app.integrations.core_banking import CoreBanking
from app.models import AllowanceProvision, Bank, CreditLine, Customer, Loan, LoanRisk, LoanWriteOff, PendingCommand, WriteOffRecovery
from app.services import audit
from app.services.actor import Actor
from app.services.lending import ledger
from app.services.lending.access import can_access
from app.services.lending.queries import loan_label, loan_named_in, loan_subject
from app.services.lending.idempotency import caller_key, run_once
from app.services.maker_checker.registry import Operation, Params
from app.services.org import bank_id_of_branch
from app.services.outbox import customer_hash, enqueue_outbox, institution
from app.services.permissions import require
from app.sql import execute, fetch

# --- figures from the books -----------------------------------------------------------------------

ALLOWANCE_SQL = """
SELECT COALESCE(SUM(e.credit_fen - e.debit_fen), 0) AS allowance FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id
WHERE e.account = 'loan_loss_allowance' AND t.bank_id = :bank
"""
BALANCES_SQL = """
SELECT l.classification AS cls, SUM(l.outstanding_principal_fen) AS balance FROM loan l JOIN branch b ON b.id = l.branch_id
WHERE l.status = 'active' AND b.bank_id = :bank GROUP BY l.classification
"""
BORROWER_LINES_SQL = """
SELECT c.id FROM credit_line c JOIN branch b ON b.id = c.branch_id WHERE c.customer_id = :customer AND b.bank_id = :bank AND c.status = 'active'
"""
LOAN_LEDGER_SQL = """
SELECT account, SUM(debit_fen - credit_fen) AS balance FROM ledger_entry WHERE loan_id = :loan GROUP BY account
"""


async def allowance_of(bank_id: UUID) -> int:
    return int((await fetch(ALLOWANCE_SQL, bank=str(bank_id)))[0]["allowance"])


async def balances_by_class(bank_id: UUID) -> dict[LoanClass, int]:
    found = {LoanClass(r["cls"]): int(r["balance"]) for r in await fetch(BALANCES_SQL, bank=str(bank_id))}
    return {c: found.get(c, 0) for c in LoanClass}


def _ratio_text(ratio: Decimal | None) -> str:
    return "—" if ratio is None else f"{(ratio * 100).quantize(Decimal('0.01'))}%"


# --- the monthly provision ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProvisionResult:
    bank_id: UUID
    month: str
    required_fen: int
    booked_before_fen: int
    posted_fen: int


async def provide_allowance(*, actor: Actor, bank_id: UUID, today: date, policy: AllowancePolicy) -> ProvisionResult:
    """The month's provision for one bank, once per month (a second run in the month returns the first).

    The bank's row is locked first, so two runs at once (the month-end close and `cunxin provision`) take turns and the
    second finds the first's record instead of posting again."""
    require(actor, Action.LOAN_PROVISION)
    month = today.strftime("%Y-%m")
    async with in_transaction():
        await Bank.select_for_update().get(id=bank_id)
        done = await AllowanceProvision.get_or_none(bank_id=bank_id, month=month)
        if done is not None:
            return ProvisionResult(bank_id, month, done.required_fen, done.booked_before_fen, done.posted_fen)
        balances = await balances_by_class(bank_id)
        required = required_allowance(balances, policy.rates_ppm)
        booked = await allowance_of(bank_id)
        postings = provision_postings(required, booked)
        if postings:
            await ledger.post(kind="provision", business_on=today, loan_id=None, postings=postings, memo=f"计提贷款损失准备 {month}", bank_id=bank_id)
        await AllowanceProvision.create(
            bank_id=bank_id, month=month, business_on=today, balances={c.value: b for c, b in balances.items()},
            rates_ppm={c.value: int(r) for c, r in policy.rates_ppm.items()}, required_fen=required, booked_before_fen=booked,
            posted_fen=required - booked,
        )
        await audit.record(actor, "loan.provision", "bank", bank_id, after={"month": month, "required_fen": required, "posted_fen": required - booked})
    return ProvisionResult(bank_id, month, required, booked, required - booked)


# --- the write-off: a maker-checker operation -----------------------------------------------------


async def _owed(loan: Loan) -> LoanOwed:
    led = {r["account"]: int(r["balance"]) for r in await fetch(LOAN_LEDGER_SQL, loan=str(loan.id))}
    risk = await LoanRisk.get_or_none(loan_id=loan.id)
    off_accrued = risk.off_accrued_fen if risk else 0
    return LoanOwed(
        principal=led.get("loan_principal", 0), interest_receivable=led.get("interest_receivable", 0),
        penalty_receivable=led.get("penalty_receivable", 0), compound_receivable=led.get("compound_receivable", 0),
        accrued_on=loan.accrued_interest_fen - off_accrued, off_interest=led.get("off_interest", 0), off_penalty=led.get("off_penalty", 0),
        off_compound=led.get("off_compound", 0), off_accrued=off_accrued,
    )


def _refuse_unless_eligible(loan: Loan, params: Params) -> None:
    if loan.status != LoanStatus.ACTIVE:
        raise Conflict("借据不在贷款状态（已结清或已核销），不能核销", code=LendingCode.LOAN_CLOSED, field="loan_id")
    classes = [LoanClass(c) for c in params["classes"]]
    if LoanClass(loan.classification) not in classes:
        names = "、".join(c.label for c in classes)
        raise ValidationError(f"只有{names}类贷款可以核销（本笔为{LoanClass(loan.classification).label}）", code=CommonCode.WRONG_STATUS, field="loan_id")
    if loan.days_past_due < int(params["min_days_past_due"]):
        raise ValidationError(f"逾期须满 {params['min_days_past_due']} 天方可核销（本笔逾期 {loan.days_past_due} 天）", code=CommonCode.WRONG_STATUS, field="loan_id")
    if loan.debit_in_flight:
        raise Conflict("自动扣款处理中，请稍后再提出核销", code=LendingCode.DEBIT_IN_FLIGHT, field="loan_id")



async def _preview(params: Params, today: date) -> Effect:
    loan = await loan_named_in(params)
    _refuse_unless_eligible(loan, params)
    owed = await _owed(loan)
    bank_id = await bank_id_of_branch(loan.branch_id)
    allowance = await allowance_of(bank_id)
    balances = await balances_by_class(bank_id)
    after = {**balances, LoanClass(loan.classification): balances[LoanClass(loan.classification)] - owed.principal}
    npl_before, npl_after = npl_balances(balances), npl_balances(after)
    shortfall = write_off_shortfall(owed.principal, allowance)
    figures = (
        Figure("贷款本金（表内）", owed.principal, 0),
        Figure("应收利息、罚息、复利及应计利息（表内外）", owed.interest_total, 0),
        Figure("已核销贷款本金（表外，账销案存）", 0, owed.principal),
        Figure("已核销利息（表外，账销案存）", 0, owed.interest_total),
        Figure("本行贷款损失准备", allowance, allowance + shortfall - owed.principal),
        Figure("本行不良贷款余额", npl_before, npl_after),
        Figure("本行不良贷款率", _ratio_text(npl_ratio(balances)), _ratio_text(npl_ratio(after)), money=False),
        Figure("本行拨备覆盖率", _ratio_text(coverage_ratio(allowance, npl_before)),
               _ratio_text(coverage_ratio(allowance + shortfall - owed.principal, npl_after)), money=False),
    )
    notes = [
        f"{LoanClass(loan.classification).label}类，逾期 {loan.days_past_due} 天",
        "借：贷款损失准备　贷：贷款本金；应收利息冲减利息收入（非应计部分转出表外），本息记入表外核销登记（账销案存）",
        "核销后催收继续：收回本金恢复贷款损失准备，收回利息计入利息收入",
        "核销本金不再占用授信额度；借款人在本行的授信额度全部冻结，不能再用信",
    ]
    if shortfall:
        notes.append(f"损失准备不足，先补提 {Money(shortfall).format_yuan()}（借：信用减值损失　贷：贷款损失准备）")
    return Effect(f"核销 {await loan_label(loan)}", figures, tuple(notes))


async def _execute(actor: Actor, params: Params, today: date) -> dict[str, Any]:
    loan = await loan_named_in(params, lock=True)
    _refuse_unless_eligible(loan, params)
    owed = await _owed(loan)
    bank_id = await bank_id_of_branch(loan.branch_id)
    allowance = await allowance_of(bank_id)
    txn = await ledger.post(kind="write_off", business_on=today, loan_id=loan.id, postings=write_off_postings(owed, allowance_fen=allowance),
                            memo="贷款核销（账销案存）")
    await Loan.filter(id=loan.id).update(
        status=LoanStatus.WRITTEN_OFF, outstanding_principal_fen=0, overdue_principal_fen=0, overdue_interest_fen=0, accrued_interest_fen=0,
        penalty_fen=0, compound_fen=0, interest_carry=0, penalty_carry=0, compound_carry=0,
    )
    await LoanRisk.filter(loan_id=loan.id).update(non_accrual_since=None, off_interest_fen=0, off_penalty_fen=0, off_compound_fen=0, off_accrued_fen=0)
    frozen = await _off_the_line(loan, owed.principal, bank_id)
    command = await PendingCommand.get_or_none(id=params.get("command_id")) if params.get("command_id") else None
    record = await LoanWriteOff.create(
        loan_id=loan.id, bank_id=bank_id, written_off_on=today, class_at_write_off=loan.classification, days_past_due=loan.days_past_due,
        principal_fen=owed.principal, interest_fen=owed.interest_total, command=command, maker_id=params.get("maker_id"),
        checker_id=actor.id if actor.type == ActorType.OFFICER else None,
    )
    customer = await Customer.get(id=loan.customer_id)
    await enqueue_outbox(OutboxKind.LOAN_WRITTEN_OFF, {
        "loanId": str(loan.id), "customerHash": customer_hash(customer), "idNumberMasked": customer.id_number_masked,
        "writtenOffOn": today.isoformat(), "principal": str(Money(owed.principal)), "interest": str(Money(owed.interest_total)),
        "classification": LoanClass(loan.classification).value, **await institution(loan.branch_id),
    }, key=f"loan_written_off:{loan.id}")
    await audit.record(actor, "loan.write_off", "loan", loan.id,
                       after={"principal_fen": owed.principal, "interest_fen": owed.interest_total, "transaction": str(txn.id),
                              "frozen_lines": frozen})
    return {"write_off_id": str(record.id), "principal_fen": owed.principal, "interest_fen": owed.interest_total}


async def _off_the_line(loan: Loan, principal_fen: int, bank_id: UUID) -> list[str]:
    """The written-off principal leaves the line's use (the line counts the loans on the books), and the borrower's
    active lines at the bank are frozen: a written-off borrower is not paid out again. The lines' ids."""
    await execute("UPDATE credit_line SET used_fen = used_fen - :p, updated_at = :now WHERE id = :id", p=principal_fen, now=now_utc(),
                  id=str(loan.credit_line_id))
    lines = [r["id"] for r in await fetch(BORROWER_LINES_SQL, customer=str(loan.customer_id), bank=str(bank_id))]
    if lines:
        await CreditLine.filter(id__in=lines).update(status=CreditLineStatus.FROZEN, updated_at=now_utc())
    return [str(i) for i in lines]


OPERATION = Operation(CommandKind.WRITE_OFF, Action.LOAN_WRITE_OFF, Action.LOAN_WRITE_OFF_APPROVE, loan_subject, _preview, _execute)


async def propose_write_off(
    *, actor: Actor, loan_id: UUID, reason: str, today: date, now: datetime, policy: MakerCheckerPolicy, allowance: AllowancePolicy,
) -> PendingCommand:
    """The branch proposes a write-off: a pending command a head-office approver checks (the conditions go with it)."""
    from app.services.maker_checker.commands import propose

    params = {"loan_id": str(loan_id), "classes": sorted(c.value for c in allowance.write_off_classes),
              "min_days_past_due": allowance.write_off_min_days_past_due, "maker_id": str(actor.id)}
    return await propose(actor=actor, kind=CommandKind.WRITE_OFF, params=params, reason=reason, today=today, now=now, policy=policy)


# --- recovery ---------------------------------------------------------------------------------------


async def record_recovery(
    *, actor: Actor, loan_id: UUID, amount_fen: int, idempotency_key: UUID, today: date, core: CoreBanking, vault: Vault,
) -> WriteOffRecovery:
    """Money recovered on a written-off loan, debited from its card: principal first (restores the allowance), then
    interest (interest income); the off-balance record shrinks by both."""
    from app.services.lending.repayment import RepaymentError, _debit

    require(actor, Action.LOAN_RECOVER)
    if amount_fen <= 0:
        raise ValidationError("收回金额必须大于 0", code=CommonCode.INVALID_AMOUNT, field="amount")
    key = caller_key("loan_recover", actor, idempotency_key)

    async def operation() -> dict:
        loan = await Loan.select_for_update().get_or_none(id=loan_id)
        if loan is None or not can_access(actor, customer_id=loan.customer_id, branch_id=loan.branch_id) or actor.type == ActorType.CUSTOMER:
            raise NotFound("借据不存在", field="loan_id")
        record = await LoanWriteOff.select_for_update().get_or_none(loan_id=loan.id)
        if record is None or loan.status != LoanStatus.WRITTEN_OFF:
            raise Conflict("该借据未核销，请使用还款", code=CommonCode.WRONG_STATUS, field="loan_id")
        principal_left = record.principal_fen - record.recovered_principal_fen
        interest_left = record.interest_fen - record.recovered_interest_fen
        if amount_fen > principal_left + interest_left:
            raise ValidationError(f"收回金额超过核销后尚欠 {Money(principal_left + interest_left).format_yuan()}", code=LendingCode.AMOUNT_TOO_LARGE, field="amount")
        if loan.card_id is None:
            raise ValidationError("该借据没有绑定的银行卡", code=LendingCode.NO_CARD, field="amount")
        if not await _debit(core, vault, actor, loan, str(key), amount_fen, purpose="recovery", today=today):
            return {"pending": True}  # 处理中: the resolver books it (app/services/lending/core_outcomes.py → book_recovery)
        recovery = await book_recovery(loan.id, amount_fen, on=today, reference=str(key), officer_id=actor.id if actor.type == ActorType.OFFICER else None)
        await audit.record(actor, "loan.recover", "loan", loan.id,
                           after={"amount_fen": amount_fen, "principal_fen": recovery.principal_fen, "interest_fen": recovery.interest_fen})
        return {"recovery_id": str(recovery.id)}

    result = await run_once(scope="loan_recover", key=key, actor=f"{actor.type.value}:{actor.id}", request={"loan": str(loan_id), "amount_fen": amount_fen},
                            operation=operation)
    if result.get("pending"):
        raise RepaymentError("扣款处理中：核心系统暂未返回结果，请勿重复操作，稍后可在借据页查看结果", code=LendingCode.DEBIT_PENDING)
    return await WriteOffRecovery.get(id=result["recovery_id"])


async def book_recovery(loan_id: UUID, amount_fen: int, *, on: date, reference: str, officer_id: UUID | None = None) -> WriteOffRecovery:
    """Book money the core confirmed on a written-off loan (inside a transaction): principal first, then interest."""
    record = await LoanWriteOff.select_for_update().get(loan_id=loan_id)
    split = split_recovery(amount_fen, principal_left=record.principal_fen - record.recovered_principal_fen,
                           interest_left=record.interest_fen - record.recovered_interest_fen)
    await ledger.post(kind="recovery", business_on=on, loan_id=loan_id, postings=recovery_postings(split), memo="核销后收回", core_reference=reference)
    await LoanWriteOff.filter(id=record.id).update(recovered_principal_fen=record.recovered_principal_fen + split.principal,
                                                   recovered_interest_fen=record.recovered_interest_fen + split.interest)
    return await WriteOffRecovery.create(write_off_id=record.id, business_on=on, amount_fen=amount_fen, principal_fen=split.principal,
                                         interest_fen=split.interest, reference=reference, officer_id=officer_id)


# --- the report: allowance, coverage, written-off stock, recoveries, NPL before and after -------------

WRITTEN_OFF_SQL = """
SELECT COUNT(*) AS n, COALESCE(SUM(w.principal_fen), 0) AS principal, COALESCE(SUM(w.interest_fen), 0) AS interest,
  COALESCE(SUM(w.recovered_principal_fen), 0) AS rec_principal, COALESCE(SUM(w.recovered_interest_fen), 0) AS rec_interest
FROM loan_write_off w WHERE w.bank_id = :bank
"""


@dataclass(frozen=True, slots=True)
class WriteOffReport:
    bank_name: str
    balances: dict[LoanClass, int]
    allowance_fen: int
    npl_fen: int
    written_off_count: int
    written_off_principal_fen: int  # ever written off
    written_off_interest_fen: int
    recovered_principal_fen: int
    recovered_interest_fen: int

    @property
    def total_fen(self) -> int:
        return sum(self.balances.values())

    @property
    def stock_principal_fen(self) -> int:
        """Written-off principal still owed (账销案存)."""
        return self.written_off_principal_fen - self.recovered_principal_fen

    @property
    def stock_interest_fen(self) -> int:
        return self.written_off_interest_fen - self.recovered_interest_fen

    @property
    def coverage_ratio(self) -> Decimal | None:
        """拨备覆盖率 as a fraction with six places (None when there are no non-performing loans)."""
        return coverage_ratio(self.allowance_fen, self.npl_fen)

    @property
    def npl_ratio(self) -> Decimal:
        return npl_ratio(self.balances)

    @property
    def npl_ratio_before(self) -> Decimal:
        """The NPL ratio as if the written-off principal still owed were on the books (as 损失)."""
        return npl_ratio({**self.balances, LoanClass.LOSS: self.balances[LoanClass.LOSS] + self.stock_principal_fen})

    @property
    def coverage(self) -> str:
        return _ratio_text(self.coverage_ratio)

    @property
    def npl_ratio_now(self) -> str:
        return _ratio_text(self.npl_ratio)

    @property
    def npl_ratio_before_write_offs(self) -> str:
        return _ratio_text(self.npl_ratio_before)


async def write_off_report(*, actor: Actor) -> WriteOffReport | None:
    """The figures of the viewer's bank, for its head office (None for platform staff, outsiders and branch officers).

    Allowance and write-offs are booked per bank, so these are whole-bank figures; an officer whose reports cover
    only their branch tree is not shown them beside their branch's portfolio.
    """
    require(actor, Action.REPORT_READ)
    if actor.type != ActorType.OFFICER or actor.bank_id is None:
        return None
    bank = await Bank.get(id=actor.bank_id)
    if not actor.in_branch(bank.head_branch_id):
        return None
    balances = await balances_by_class(bank.id)
    row = (await fetch(WRITTEN_OFF_SQL, bank=str(bank.id)))[0]
    return WriteOffReport(
        bank.name, balances, await allowance_of(bank.id), npl_balances(balances), int(row["n"]), int(row["principal"]), int(row["interest"]),
        int(row["rec_principal"]), int(row["rec_interest"]),
    )


async def write_off_of(*, actor: Actor, loan_id: UUID) -> LoanWriteOff | None:
    """A loan's write-off record for its page (the caller has already read the loan in scope)."""
    loan = await Loan.get_or_none(id=loan_id)
    if loan is None or not can_access(actor, customer_id=loan.customer_id, branch_id=loan.branch_id):
        return None
    return await LoanWriteOff.get_or_none(loan_id=loan_id).prefetch_related("recoveries")

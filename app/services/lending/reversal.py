"""冲正 (reversal) of a repayment, prepayment or disbursement booked in error, as a maker-checker operation.

Nothing is deleted: the booking's ledger transaction is mirrored by `ledger.reverse` (`reverses_id` points at it), and
- a repayment or prepayment either goes back to the borrower's card (退款, the core's `refund`, mode `refund`) or is
  applied to the loan it was meant for (调账, mode `reapply`: no money moves, the clearing lines net to zero);
- a disbursement is taken back from the card (the core's `debit`) and the loan is cancelled (未放款), its line freed.
The loan is put back exactly as it was before the booking (balances, every installment, statuses): the state was kept
with the core instruction that paid it (app/services/lending/snapshots.py).

On the booking's own business date, before its end-of-day, that is all. After end-of-days (跨日冲正, value-dated) the
booking is reversed when nothing else was booked on the loan after it, and the closed days from its value date to yesterday
are recomputed as the close would have run them without it (app/services/lending/value_dated.py), the difference posted on
the reversal date (docs/lending.md, "冲正", worked examples):
- a counter repayment: the installments get their paid amounts back; penalty, compound, days past due and class replayed;
- a prepayment (partial or 结清): the schedule is put back as it was before it (rows it re-priced, dropped or paid off), the
  principal comes back and earns interest again: the close's accrual replayed day by day on the principal not yet due (basis
  360, half-up with the loan's carry), a period that ended meanwhile falls due (应收利息), and if a row fell due the penalty,
  compound, days past due and class follow; the interest difference is posted like the close's accrual (应计利息 / 应收利息
  against 利息收入), the penalty difference like its penalty;
- a disbursement: the loan is cancelled, the money taken back from the card and every interest accrual the closes posted
  for it taken back (利息收入 against 应计利息); refused when anything else happened on the loan (a booking, a period that
  ended, a penalty, an auto-debit, a repricing).
Auto-debits of the closes, non-accrual and revolving loans, a partial prepayment after which a row fell due, repricing and
class upgrade proposals since are refused with a message that says so. The maker proposes (`loan.reverse`), an approver or branch
manager of the branch checks (`loan.reverse_approve`); the provincial outbox is told (it changes the credit report).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from app.clock import now_utc
from app.crypto import Vault
from app.domain.error_codes import CommonCode, LendingCode
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.classification import LoanClass
from app.domain.ledger import Account, Posting, signed
from app.domain.maker_checker import CommandKind, Effect, Figure, MakerCheckerPolicy
from app.domain.money import Money
from app.domain.permissions import Action
from app.domain.vocabulary import ActorType, InstallmentStatus, LedgerKind, LoanStatus, OutboxKind, ReversalMode
from app.integrations.core_banking import CoreBanking, Outcome
from app.models import (AuditEvent, BankCard, ClassUpgradeProposal, CoreInstruction, Customer, DebitAttempt, Installment, LedgerEntry, LedgerTransaction, Loan, LoanClassChange,
                        LoanExtension, LoanRenewal, LoanRisk, PendingCommand, Product)
from app.services import audit
from app.services.actor import Actor
from app.services.customers import identifiers
from app.services.lending import classification, core_calls, ledger, snapshots, value_dated
from app.services.lending.access import can_access
from app.services.maker_checker.registry import Operation, Params, Subject
from app.services.org import bank_id_of_branch
from app.services.outbox import customer_hash, enqueue_outbox, institution
from app.sql import execute

K = LedgerKind
REVERSIBLE = frozenset({K.REPAYMENT, K.PREPAYMENT, K.DISBURSEMENT})
# bookings after which an earlier one can no longer be reversed on its own (money moved, or a reversal)
MONEY_KINDS = frozenset({K.REPAYMENT, K.PREPAYMENT, K.DISBURSEMENT, K.AUTO_DEBIT, K.RECOVERY, K.REVERSAL, K.REFUND, K.SUSPENSE_APPLY,
                         K.SUSPENSE_REFUND, K.SETTLEMENT, K.WRITE_OFF})
# what a booking itself sets off the same day, reversed with it (non-accrual income recognised); any other later change
# of the loan (a renewal, an extension, a write-off) is not undone by putting the loan back: the reversal is refused
SET_OFF = frozenset({K.NON_ACCRUAL})
VALUE_DATED_REFUSED = "该笔{what}记账于 {on}，其后已经日终；{why}，不能按原起息日自动重算，本系统暂不支持；请联系总行会计部门处理。"

def _what(txn: LedgerTransaction) -> str:
    return LedgerKind(txn.kind).label if txn.kind in set(LedgerKind) else txn.kind


def _uuid(value: Any, field: str, message: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound(message, field=field) from None


async def _booking(params: Params) -> tuple[LedgerTransaction, Loan]:
    txn = await LedgerTransaction.get_or_none(id=_uuid(params.get("transaction_id"), "transaction_id", "交易不存在"))
    if txn is None or txn.loan_id is None:
        raise NotFound("交易不存在", field="transaction_id")
    return txn, await Loan.get(id=txn.loan_id)


async def _subject(actor: Actor, params: Params) -> Subject:
    txn, loan = await _booking(params)
    if actor.type != ActorType.OFFICER or not can_access(actor, customer_id=loan.customer_id, branch_id=loan.branch_id):
        raise NotFound("交易不存在", field="transaction_id")
    if params.get("mode") not in set(ReversalMode):
        raise ValidationError("请选择冲正方式：退回借款人银行卡，或调账至正确借据", code=CommonCode.INVALID, field="mode")
    if params.get("mode") == "reapply":
        target = await Loan.get_or_none(id=_uuid(params.get("target_loan_id"), "target_loan_id", "调入借据不存在"))
        if target is None or not can_access(actor, customer_id=target.customer_id, branch_id=target.branch_id):
            raise NotFound("调入借据不存在", field="target_loan_id")
    product = await loan.product
    customer = await Customer.get(id=loan.customer_id)
    label = f"冲正 {customer.name} {product.name} {_what(txn)}（{txn.business_on.isoformat()}）"
    clearing = await _clearing(txn)  # the money the booking moved
    amount = max(clearing.debit_fen, clearing.credit_fen) if clearing else None
    return Subject(await bank_id_of_branch(loan.branch_id), loan.branch_id, label, amount_fen=amount)


async def _clearing(txn: LedgerTransaction) -> LedgerEntry | None:
    return await LedgerEntry.filter(transaction_id=txn.id, account="clearing").first()


async def _check(params: Params, today: date) -> tuple[LedgerTransaction, Loan, CoreInstruction, list[LedgerTransaction], Loan | None, ValueDated | None]:
    """Every rule again (maker, checker): the booking, the day, what came after it, the money's way back."""
    txn, loan = await _booking(params)
    if txn.kind not in REVERSIBLE:
        raise ValidationError("只有还款、提前还款和放款可以冲正", code=CommonCode.WRONG_STATUS, field="transaction_id")
    if await LedgerTransaction.filter(reverses_id=txn.id).exists():
        raise Conflict("该笔交易已冲正", code=CommonCode.WRONG_STATUS, field="transaction_id")
    if loan.debit_in_flight:
        raise Conflict(core_calls.IN_FLIGHT_MESSAGE, code=LendingCode.DEBIT_IN_FLIGHT, field="transaction_id")
    clearing = await _clearing(txn)
    instruction = await CoreInstruction.get_or_none(reference=clearing.core_reference) if clearing and clearing.core_reference else None
    if instruction is None or (txn.kind != "disbursement" and "before" not in (instruction.payload or {})):
        raise ValidationError("该笔交易未留存记账前的借据状态（早于冲正功能，或由日终自动扣款记账），不能自动冲正；请联系总行会计部门处理",
                              code=CommonCode.WRONG_STATUS, field="transaction_id")
    later = [t for t in await LedgerTransaction.filter(loan_id=loan.id, created_at__gt=txn.created_at).order_by("created_at")
             if not await LedgerTransaction.filter(reverses_id=t.id).exists()]
    if any(t.kind in MONEY_KINDS or t.business_on != today or txn.business_on != today for t in later):
        if txn.kind == K.DISBURSEMENT:
            raise Conflict(f"该借据放款（{txn.business_on.isoformat()}）后已有{'、'.join(dict.fromkeys(_what(t) for t in later))}，不能冲正放款；"
                           "请先冲正其后的交易，或联系总行会计部门处理", code=CommonCode.WRONG_STATUS, field="transaction_id")
        raise Conflict("该借据在这笔交易之后还有其他交易，请先冲正最近的一笔", code=CommonCode.WRONG_STATUS, field="transaction_id")
    changed = [LedgerKind(t.kind).label for t in later if t.kind not in SET_OFF]
    if await LoanExtension.filter(loan_id=loan.id, created_at__gt=txn.created_at).exists():
        changed.append("展期")
    if await LoanRenewal.filter(old_loan_id=loan.id, created_at__gt=txn.created_at).exists():
        changed.append("无还本续贷")
    if changed:  # putting the loan back would undo them silently while their records stay
        raise Conflict(f"该借据在这笔交易之后已办理{'、'.join(dict.fromkeys(changed))}，不能单独冲正这笔交易；请联系总行会计部门处理",
                       code=CommonCode.WRONG_STATUS, field="transaction_id")
    target = None
    if txn.kind == "disbursement":
        if params.get("mode") != "refund":
            raise ValidationError("放款冲正只能从借款人银行卡收回", code=CommonCode.INVALID, field="mode")
    elif params.get("mode") == "reapply":
        target = await Loan.get_or_none(id=_uuid(params.get("target_loan_id"), "target_loan_id", "调入借据不存在"))
        if target is None or target.id == loan.id:
            raise ValidationError("请选择另一笔借据作为调入借据", code=CommonCode.INVALID, field="target_loan_id")
        if await bank_id_of_branch(target.branch_id) != await bank_id_of_branch(loan.branch_id):
            raise ValidationError("调入借据须在同一法人行", code=CommonCode.INVALID, field="target_loan_id")
        if target.status != LoanStatus.ACTIVE:
            raise Conflict("调入借据不在贷款状态（已结清、已核销或未放款）", code=LendingCode.LOAN_CLOSED, field="target_loan_id")
        if target.debit_in_flight:
            raise Conflict(core_calls.IN_FLIGHT_MESSAGE, code=LendingCode.DEBIT_IN_FLIGHT, field="target_loan_id")
    return txn, loan, instruction, later, target, await _value_dated(txn, loan, instruction, today)


@dataclass(frozen=True, slots=True)
class ValueDated:
    """A booking reversed after end-of-days: the closed days replayed without it, and what the closes actually charged.

    A repayment: penalty and compound (the accrual base does not change). A prepayment: the contractual interest too
    (`snapshot`: the whole state before it, rows it dropped or paid off included). A disbursement: nothing replayed
    (`replay` None): the loan never was, every interest accrual the closes posted for it is taken back."""

    replay: value_dated.Replay | None
    before: dict[str, Any]  # installment id -> its row before the booking (snapshot)
    penalty_charged: int  # what the closed days actually charged (with the booking)
    compound_charged: int
    risk_before: dict[str, Any] | None  # the loan's risk record before the booking (snapshot)
    snapshot: dict[str, Any] | None = None  # a prepayment: the loan put back from it before the replay is applied
    interest_charged: int = 0  # contractual interest the closes actually earned on the loan since the value date
    accrued_ledger: int = 0  # the loan's share of 应计利息 once the booking is mirrored (its figure now + what the booking took)

    @property
    def interest_diff(self) -> int:
        return (self.replay.interest_fen if self.replay else 0) - self.interest_charged

    @property
    def accrued_after(self) -> int:
        return self.replay.accrued_fen if self.replay else 0

    @property
    def interest_due(self) -> int:
        return sum((self.replay.interest_due_by_row or {}).values()) if self.replay else 0

    @property
    def penalty_diff(self) -> int:
        return (self.replay.penalty_fen if self.replay else 0) - self.penalty_charged

    @property
    def compound_diff(self) -> int:
        return (self.replay.compound_fen if self.replay else 0) - self.compound_charged


def _refuse(txn: LedgerTransaction, why: str) -> ValidationError:
    return ValidationError(VALUE_DATED_REFUSED.format(what=_what(txn), on=txn.business_on.isoformat(), why=why), code=CommonCode.WRONG_STATUS,
                           field="transaction_id")


def _accrued_taken(entries: list[LedgerEntry]) -> int:
    """What a booking took out of 应计利息 (a payoff collects the period's accrued interest); its mirror puts it back."""
    return sum(e.credit_fen - e.debit_fen for e in entries if e.account == Account.ACCRUED_INTEREST)


async def _value_dated(txn: LedgerTransaction, loan: Loan, instruction: CoreInstruction, today: date) -> ValueDated | None:
    """None on the booking's own day; else the recomputation from its value date (docs/lending.md §4), or a refusal."""
    if txn.business_on == today:
        return None
    if txn.kind == K.DISBURSEMENT:
        return await _disbursement_unwound(txn, loan, today)
    before = instruction.payload["before"]
    risk = await LoanRisk.get_or_none(loan_id=loan.id)
    payoff = txn.kind == K.PREPAYMENT and loan.status == LoanStatus.SETTLED and before["loan"]["status"] == LoanStatus.ACTIVE
    if loan.status != LoanStatus.ACTIVE and not payoff:
        raise _refuse(txn, f"借据现为{LoanStatus(loan.status).label}状态")
    if loan.method == "revolving":
        raise _refuse(txn, "随借随还借据的计息基数随还款变化")
    if (risk is not None and risk.non_accrual_since is not None) or ((before.get("risk") or {}).get("non_accrual_since")):
        raise _refuse(txn, "借据为非应计贷款（表外利息须另行调整）")
    if await DebitAttempt.filter(loan_id=loan.id, business_on__gte=txn.business_on).exists():
        raise _refuse(txn, "其后日终曾对该借据自动扣款")
    if await ClassUpgradeProposal.filter(loan_id=loan.id, raised_on__gte=txn.business_on).exists():
        raise _refuse(txn, "其后已提出分类上调建议")
    if await AuditEvent.filter(action="loan.reprice", entity_id=str(loan.id), at__gt=txn.created_at).exists():
        raise _refuse(txn, "其后借据利率已重定价")
    current = {str(i.id): i for i in await Installment.filter(loan_id=loan.id)}
    rows = {r["id"]: r for r in before["installments"]}
    prepayment = txn.kind == K.PREPAYMENT
    # a prepayment may have dropped rows (shorter term): they come back from the snapshot; any other change is refused
    if (not set(current) <= set(rows)) if prepayment else set(current) != set(rows):
        raise _refuse(txn, "其后还款计划已变更")
    if prepayment and not payoff and any(i.status != InstallmentStatus.PAID and i.due_on <= today for i in current.values()):
        raise _refuse(txn, "其后已有一期按提前还款后的还款计划到期")
    product = await Product.get(id=loan.product_id)
    accrued_ledger = loan.accrued_interest_fen + _accrued_taken(await LedgerEntry.filter(transaction_id=txn.id))
    last = today - timedelta(days=1)
    policies = await classification.close_policies(txn.business_on, last)  # each closed day's own policy, as the close ran it
    result = value_dated.replay(
        # a repayment keeps the interest figures the closes wrote since; a prepayment re-priced the rows: the ones before it
        value_dated.rows_before(before, {} if prepayment else {k: {"interest_fen": i.interest_fen} for k, i in current.items()}),
        rate_ppm=loan.annual_rate_ppm, multiplier_ppm=product.penalty_multiplier_ppm,
        carries=(int(before["loan"]["penalty_carry"]), int(before["loan"]["compound_carry"])),
        start_class=before["loan"]["classification"], floor=risk.floor_class if risk else None,
        first=txn.business_on, last=last, policies=policies,
        accrual=(int(before["loan"]["accrued_interest_fen"]), int(before["loan"]["interest_carry"])) if prepayment else None,
    )
    if result.days_past_due > policies[last].nonaccrual_after_days:
        raise _refuse(txn, f"按原起息日重算后逾期 {result.days_past_due} 天，借据应已转为非应计贷款")
    return ValueDated(result, rows, sum(i.penalty_fen - int(rows[k]["penalty_fen"]) for k, i in current.items()),
                      sum(i.compound_fen - int(rows[k]["compound_fen"]) for k, i in current.items()), before.get("risk"),
                      snapshot=before if prepayment else None,
                      interest_charged=accrued_ledger - int(before["loan"]["accrued_interest_fen"]) if prepayment else 0,
                      accrued_ledger=accrued_ledger if prepayment else 0)


async def _disbursement_unwound(txn: LedgerTransaction, loan: Loan, today: date) -> ValueDated:
    """A disbursement after end-of-days: the loan never was. Only the closes' accrual touched it since (anything else is
    refused): what they accrued for it is taken back today."""
    if loan.status != LoanStatus.ACTIVE:
        raise _refuse(txn, f"借据现为{LoanStatus(loan.status).label}状态")
    if loan.method == "revolving":
        raise _refuse(txn, "随借随还借据须按各期结息重算")
    risk = await LoanRisk.get_or_none(loan_id=loan.id)
    if risk is not None and risk.non_accrual_since is not None:
        raise _refuse(txn, "借据为非应计贷款（表外利息须另行调整）")
    rows = await Installment.filter(loan_id=loan.id)
    if any(i.due_on <= today or i.status != InstallmentStatus.PENDING or i.paid_principal_fen or i.paid_interest_fen for i in rows):
        raise _refuse(txn, "其后已有一期到期（利息已转应收或已扣款）")
    if loan.penalty_fen or loan.compound_fen or loan.overdue_principal_fen:
        raise _refuse(txn, "其后借据已计罚息、复利")
    if await DebitAttempt.filter(loan_id=loan.id).exists():
        raise _refuse(txn, "其后日终曾对该借据自动扣款")
    if await AuditEvent.filter(action="loan.reprice", entity_id=str(loan.id), at__gt=txn.created_at).exists():
        raise _refuse(txn, "其后借据利率已重定价")
    return ValueDated(None, {}, 0, 0, None, interest_charged=loan.accrued_interest_fen, accrued_ledger=loan.accrued_interest_fen)


async def _apply_value_dated(txn: LedgerTransaction, loan: Loan, vd: ValueDated, today: date) -> None:
    """The installments get their paid amounts back (a prepayment: every row as it was, dropped rows included) and the
    replayed penalty; the loan its figures (a prepayment: its accrued interest and carry too); the difference is posted today."""
    r = vd.replay
    last = today - timedelta(days=1)
    if vd.snapshot is not None:  # the rows a prepayment re-priced, dropped or paid off, and the loan's figures, as they were
        await snapshots.restore(loan.id, {**vd.snapshot, "risk": None})
    overdue_p = overdue_i = penalty = compound = outstanding = 0
    for inst in await Installment.filter(loan_id=loan.id):
        row = vd.before[str(inst.id)]
        inst.paid_principal_fen, inst.paid_interest_fen = int(row["paid_principal_fen"]), int(row["paid_interest_fen"])
        inst.paid_penalty_fen, inst.paid_compound_fen = int(row["paid_penalty_fen"]), int(row["paid_compound_fen"])
        inst.penalty_fen = int(row["penalty_fen"]) + r.penalty_by_row[str(inst.id)]
        inst.compound_fen = int(row["compound_fen"]) + r.compound_by_row[str(inst.id)]
        paid = row["status"] == InstallmentStatus.PAID
        inst.status = InstallmentStatus.PAID if paid else InstallmentStatus.OVERDUE if inst.due_on <= last else InstallmentStatus.PENDING
        inst.paid_on = date.fromisoformat(row["paid_on"]) if row.get("paid_on") else None
        await inst.save(update_fields=["paid_principal_fen", "paid_interest_fen", "paid_penalty_fen", "paid_compound_fen", "penalty_fen",
                                       "compound_fen", "status", "paid_on", "updated_at"])
        if inst.status == InstallmentStatus.OVERDUE:
            overdue_p += inst.principal_fen - inst.paid_principal_fen
            overdue_i += inst.interest_fen - inst.paid_interest_fen
        outstanding += inst.principal_fen - inst.paid_principal_fen
        penalty += inst.penalty_fen - inst.paid_penalty_fen
        compound += inst.compound_fen - inst.paid_compound_fen
    accrual = {"accrued_interest_fen": r.accrued_fen, "interest_carry": r.interest_carry} if vd.snapshot is not None else {}
    await Loan.filter(id=loan.id).update(
        outstanding_principal_fen=outstanding, overdue_principal_fen=overdue_p, overdue_interest_fen=overdue_i,
        penalty_fen=penalty, compound_fen=compound, penalty_carry=r.penalty_carry, compound_carry=r.compound_carry,
        days_past_due=r.days_past_due, classification=r.classification, updated_at=now_utc(), **accrual)
    # the observation a non-performing loan starts when its arrears are repaid: as it was before the repayment
    observing = (vd.risk_before or {}).get("observing_since")
    await LoanRisk.filter(loan_id=loan.id).update(observing_since=date.fromisoformat(observing) if observing else None)
    if LoanClass(loan.classification) != r.classification:
        await LoanClassChange.create(loan_id=loan.id, business_on=today, from_class=loan.classification, to_class=r.classification,
                                     days_past_due=r.days_past_due, source="reversal", reason=f"跨日冲正：按原起息日 {txn.business_on.isoformat()} 重算")
    if vd.penalty_diff or vd.compound_diff:
        await ledger.post(
            kind=K.PENALTY, business_on=today, loan_id=loan.id, memo=f"跨日冲正补记罚息、复利（起息日 {txn.business_on.isoformat()}）",
            postings=[*signed(vd.penalty_diff, Account.PENALTY_RECEIVABLE, Account.PENALTY_INCOME),
                      *signed(vd.compound_diff, Account.COMPOUND_RECEIVABLE, Account.COMPOUND_INCOME)],
        )
    if vd.snapshot is not None:  # a repayment does not change what earns contractual interest
        await _post_interest(txn, loan, vd, today, memo=f"跨日冲正补记利息（起息日 {txn.business_on.isoformat()}）")


async def _post_interest(txn: LedgerTransaction, loan: Loan, vd: ValueDated, today: date, *, memo: str) -> None:
    """The contractual-interest difference, posted today as the close posts its accrual: the loan's 应计利息 brought to its
    replayed figure, the interest of periods that ended meanwhile to its 应收利息, against 利息收入 (a negative difference
    the other way round)."""
    lines = ((Account.INTEREST_RECEIVABLE, vd.interest_due), (Account.ACCRUED_INTEREST, vd.accrued_after - vd.accrued_ledger),
             (Account.INTEREST_INCOME, -vd.interest_diff))  # signed: a debit when positive; they sum to zero
    if not any(amount for _, amount in lines):
        return
    await ledger.post(kind=K.ACCRUAL, business_on=today, loan_id=loan.id, memo=memo,
                      postings=[Posting(account, debit_fen=max(amount, 0), credit_fen=max(-amount, 0)) for account, amount in lines if amount])


async def _owed_now(loan_id: UUID, today: date) -> int:
    rows = await Installment.filter(loan_id=loan_id, due_on__lte=today).exclude(status=InstallmentStatus.PAID)
    return sum(i.principal_fen + i.interest_fen + i.penalty_fen + i.compound_fen - i.paid_principal_fen - i.paid_interest_fen
               - i.paid_penalty_fen - i.paid_compound_fen for i in rows)


async def _preview(params: Params, today: date) -> Effect:
    txn, loan, instruction, _, target, vd = await _check(params, today)
    amount = instruction.amount_fen
    what = _what(txn)
    if txn.kind == "disbursement":
        figures = (Figure("借据未还本金", loan.outstanding_principal_fen, 0), Figure("从借款人银行卡收回", 0, amount),
                   Figure("借据状态", LoanStatus(loan.status).label, LoanStatus.CANCELLED.label, money=False))
        notes = ["借：清算资金往来　贷：贷款本金（红字冲回原放款分录）", "借据作废（未放款），额度恢复"]
        if vd is not None:
            days = f"{txn.business_on.isoformat()} 至 {(today - timedelta(days=1)).isoformat()}"
            figures += (Figure("借据应计利息", loan.accrued_interest_fen, 0), Figure(f"{days} 日终计提利息（实计 → 冲回后）", vd.interest_charged, 0))
            notes.append(f"跨日冲正：冲回 {days} 日终为该借据计提的利息 {Money(vd.interest_charged).format_yuan()}"
                         "（借：利息收入　贷：应计利息），原分录保留")
    else:
        before = instruction.payload["before"]["loan"]
        figures = (
            Figure("借据未还本金", loan.outstanding_principal_fen, before["outstanding_principal_fen"]),
            Figure("借据罚息", loan.penalty_fen, before["penalty_fen"]),
            Figure("借据复利", loan.compound_fen, before["compound_fen"]),
            Figure("借据当前应还", await _owed_now(loan.id, today), sum(
                r["principal_fen"] + r["interest_fen"] + r["penalty_fen"] + r["compound_fen"] - r["paid_principal_fen"] - r["paid_interest_fen"]
                - r["paid_penalty_fen"] - r["paid_compound_fen"] for r in instruction.payload["before"]["installments"]
                if r["status"] != InstallmentStatus.PAID and date.fromisoformat(r["due_on"]) <= today)),
            Figure("借据状态", LoanStatus(loan.status).label, LoanStatus(before["status"]).label, money=False),
        )
        notes = [f"红字冲回原{what}分录（{Money(amount).format_yuan()}），借据恢复到{what}前的状态（各期应还、已还和状态）"]
        if vd is not None:
            figures, notes = await _value_dated_effect(txn, loan, instruction, vd, today), [
                f"红字冲回原{what}分录（{Money(amount).format_yuan()}），各期已还恢复到{what}前",
                f"按原起息日 {txn.business_on.isoformat()} 重算至 {(today - timedelta(days=1)).isoformat()}（{vd.replay.days} 个已日终日）的罚息、复利、"
                f"逾期天数和分类，差额今日入账：罚息 {Money(vd.penalty_diff).format_yuan()}、复利 {Money(vd.compound_diff).format_yuan()}"
                "（借：应收罚息、应收复利　贷：罚息收入、复利收入）"]
            if vd.snapshot is not None:
                notes.append(f"按原起息日重算合同利息（按日计息，积数法四舍五入），差额今日入账 {Money(vd.interest_diff).format_yuan()}"
                             f"（借：应计利息 {Money(vd.accrued_after - vd.accrued_ledger).format_yuan()}、应收利息 {Money(vd.interest_due).format_yuan()}"
                             "　贷：利息收入）；还款计划恢复到提前还款前")
        if target is None:
            figures += (Figure("退回借款人银行卡", 0, amount),)
            notes.append("通过核心系统退款至原扣款银行卡")
        else:
            owed = await _owed_now(target.id, today)
            figures += (Figure("调入借据当前应还", owed, max(owed - amount, 0)), Figure("调入借据暂收款", 0, max(amount - owed, 0)))
            notes.append("调账：资金不出行，按调入借据的应还顺序（罚息、复利、利息、本金）入账，超出部分转入暂收款")
    return Effect(f"冲正{what} {Money(amount).format_yuan()}（{txn.business_on.isoformat()}）", figures, tuple(notes))


async def _value_dated_effect(txn: LedgerTransaction, loan: Loan, instruction: CoreInstruction, vd: ValueDated, today: date) -> tuple[Figure, ...]:
    before, r = instruction.payload["before"]["loan"], vd.replay
    owed = sum(int(row["principal_fen"]) + int(row["interest_fen"]) + int(row["penalty_fen"]) + int(row["compound_fen"]) + r.penalty_by_row[k]
               + r.compound_by_row[k] - int(row["paid_principal_fen"]) - int(row["paid_interest_fen"]) - int(row["paid_penalty_fen"])
               - int(row["paid_compound_fen"]) for k, row in vd.before.items()
               if row["status"] != InstallmentStatus.PAID and date.fromisoformat(row["due_on"]) <= today)
    days = f"{txn.business_on.isoformat()} 至 {(today - timedelta(days=1)).isoformat()}"
    interest = (Figure("借据应计利息", loan.accrued_interest_fen, vd.accrued_after),
                Figure(f"{days} 日终计提利息（实计 → 重算）", vd.interest_charged, r.interest_fen),
                Figure("借据状态", LoanStatus(loan.status).label, LoanStatus(before["status"]).label, money=False)) if vd.snapshot is not None else ()
    return (
        Figure("借据未还本金", loan.outstanding_principal_fen, int(before["outstanding_principal_fen"])),
        *interest,
        Figure(f"{days} 日终计罚息（实计 → 重算）", vd.penalty_charged, r.penalty_fen),
        Figure(f"{days} 日终计复利（实计 → 重算）", vd.compound_charged, r.compound_fen),
        Figure("借据罚息", loan.penalty_fen, int(before["penalty_fen"]) + r.penalty_fen),
        Figure("借据复利", loan.compound_fen, int(before["compound_fen"]) + r.compound_fen),
        Figure("借据当前应还", await _owed_now(loan.id, today), owed),
        Figure("逾期天数", str(loan.days_past_due), str(r.days_past_due), money=False),
        Figure("五级分类", LoanClass(loan.classification).label, r.classification.label, money=False),
    )


async def _card_number(loan: Loan, actor: Actor, vault: Vault) -> str:
    if loan.card_id is None:
        raise ValidationError("该借据没有绑定的银行卡，不能经核心系统退款", code=LendingCode.NO_CARD, field="transaction_id")
    card = await BankCard.get(id=loan.card_id)
    return await identifiers.reveal(vault, card.card_number_enc, kind="card_number", actor=actor, entity=("bank_card", card.id), purpose="reversal")


async def _money_back(actor: Actor, txn: LedgerTransaction, loan: Loan, instruction: CoreInstruction, today: date, core: CoreBanking,
                      vault: Vault) -> str:
    """The core gives the money back (a repayment) or takes it back (a disbursement); its reference. Refused or unknown: nothing changes."""
    reference = f"reversal:{txn.id}"  # one per booking: asked again (a new request after a lost answer), the core answers the first
    number = await _card_number(loan, actor, vault)
    if txn.kind == "disbursement":
        call, kind = core.debit(reference=reference, card_number=number, amount_fen=instruction.amount_fen), "debit"
    else:
        call, kind = core.refund(reference=reference, original_reference=instruction.reference, card_number=number, amount_fen=instruction.amount_fen), "refund"
    result = await core_calls.settle(core, reference, await call)
    if result.outcome is Outcome.REFUSED:
        raise Conflict(f"核心系统{'收回' if kind == 'debit' else '退款'}失败：{result.reason}", code=LendingCode.DEBIT_FAILED, field="transaction_id")
    if result.unknown:
        raise Conflict("核心系统暂未返回结果，本次冲正未生效；请稍后重新提出（同一笔交易不会重复退款）", code=LendingCode.CORE_UNAVAILABLE,
                       field="transaction_id")
    await core_calls.record(reference=reference, kind=kind, purpose="reversal", loan_id=loan.id, amount_fen=instruction.amount_fen, on=today,
                            result=result)
    return reference


async def _execute(actor: Actor, params: Params, today: date, *, core: CoreBanking, vault: Vault) -> dict[str, Any]:
    from app.services.lending.repayment import book_cash

    txn, _ = await _booking(params)
    loan = await Loan.select_for_update().get(id=txn.loan_id)
    txn, loan, instruction, later, target, vd = await _check(params, today)
    principal = sum(e.credit_fen - e.debit_fen for e in await LedgerEntry.filter(transaction_id=txn.id, account="loan_principal"))
    reference = None if target is not None else await _money_back(actor, txn, loan, instruction, today, core, vault)
    for t in reversed(later):  # what the booking set off (non-accrual income recognised), newest first
        await ledger.reverse(t.id, business_on=today, memo=f"冲正：{t.memo}"[:128])
    mirror = await ledger.reverse(txn.id, business_on=today, memo=f"冲正{_what(txn)}：{txn.memo}"[:128], core_reference=reference)
    if txn.kind == "disbursement":
        if vd is not None:  # after end-of-days: what the closes accrued for the loan is taken back
            await _post_interest(txn, loan, vd, today, memo=f"冲正放款冲回计提利息（{txn.business_on.isoformat()} 起）")
        await Loan.filter(id=loan.id).update(status=LoanStatus.CANCELLED, outstanding_principal_fen=0, accrued_interest_fen=0, interest_carry=0,
                                             updated_at=now_utc())
        await Installment.filter(loan_id=loan.id).delete()  # the schedule of a loan that never was (the ledger keeps both bookings)
        await execute("UPDATE credit_line SET used_fen = used_fen - :p, updated_at = :now WHERE id = :id",
                      p=-principal, now=now_utc(), id=str(loan.credit_line_id))
    else:
        if vd is not None:
            await _apply_value_dated(txn, loan, vd, today)
        else:
            await snapshots.restore(loan.id, instruction.payload["before"])
        # the principal the booking repaid is used again on the line
        await execute("UPDATE credit_line SET used_fen = used_fen + :p, updated_at = :now WHERE id = :id",
                      p=principal, now=now_utc(), id=str(loan.credit_line_id))
    result: dict[str, Any] = {"reversal_transaction_id": str(mirror.id), "amount_fen": instruction.amount_fen, "mode": params["mode"]}
    if vd is not None:
        result |= {"value_dated_from": txn.business_on.isoformat(), "penalty_fen": vd.penalty_diff, "compound_fen": vd.compound_diff,
                   "interest_fen": vd.interest_diff}
    if target is not None:
        excess = await book_cash(target.id, instruction.amount_fen, on=today, kind="repayment", memo=f"调账转入（原{_what(txn)}冲正）",
                                 core_reference=None)
        result |= {"target_loan_id": str(target.id), "suspense_fen": excess}
    else:
        result["core_reference"] = reference
    customer = await Customer.get(id=loan.customer_id)
    await enqueue_outbox(OutboxKind.LOAN_REVERSED, {
        "loanId": str(loan.id), "customerHash": customer_hash(customer), "idNumberMasked": customer.id_number_masked,
        "reversedOn": today.isoformat(), "originalKind": txn.kind, "originalOn": txn.business_on.isoformat(),
        "amount": str(Money(instruction.amount_fen)), "targetLoanId": str(target.id) if target else None, **await institution(loan.branch_id),
    }, key=f"loan_reversed:{txn.id}")
    await audit.record(actor, "loan.reverse", "loan", loan.id, after={"transaction": str(txn.id), **result})
    return result


OPERATION = Operation(CommandKind.REVERSAL, Action.LOAN_REVERSE, Action.LOAN_REVERSE_APPROVE, _subject, _preview, _execute, ports=("core", "vault"))


async def propose_reversal(
    *, actor: Actor, transaction_id: UUID, mode: ReversalMode | str, reason: str, today: date, now: datetime, policy: MakerCheckerPolicy,
    target_loan_id: UUID | None = None, ports: dict[str, Any] | None = None,
) -> PendingCommand:
    """The maker asks for a reversal of one booking: a pending command an approver of the branch checks
    (`ports`: core and vault, used only when the settings do not list reversals for a checker and it runs at once)."""
    from app.services.maker_checker.commands import propose

    params = {"transaction_id": str(transaction_id), "mode": str(mode), "maker_id": str(actor.id),
              **({"target_loan_id": str(target_loan_id)} if target_loan_id else {})}
    return await propose(actor=actor, kind=CommandKind.REVERSAL, params=params, reason=reason, today=today, now=now, policy=policy, ports=ports)


async def loan_by_iou(*, actor: Actor, iou_number: str) -> UUID:
    """The loan an officer names by its 借据号 (the core's disbursement reference), in their scope: the 调账 target."""
    iou_number = iou_number.strip()
    loan = await Loan.get_or_none(disbursement_ref=iou_number) if iou_number else None
    if loan is None or not can_access(actor, customer_id=loan.customer_id, branch_id=loan.branch_id):
        raise NotFound("调入借据号不存在（请核对借据号）", field="target")
    return loan.id


async def reversible_bookings(*, actor: Actor, loan_id: UUID, today: date) -> list[tuple[LedgerTransaction, int]]:
    """The loan's bookings of today that a reversal may be proposed for, and its latest booking when it is a repayment,
    prepayment or disbursement of an earlier day (value-dated), with their amounts in fen (for the loan page)."""
    loan = await Loan.get_or_none(id=loan_id)
    if loan is None or not can_access(actor, customer_id=loan.customer_id, branch_id=loan.branch_id):
        return []
    rows = await LedgerTransaction.filter(loan_id=loan_id, kind__in=[k.value for k in REVERSIBLE], business_on=today).order_by("-created_at")
    last = await LedgerTransaction.filter(loan_id=loan_id).order_by("-created_at").first()
    if last is not None and last.kind in REVERSIBLE and last.business_on < today:  # an earlier booking, nothing after it: 跨日冲正
        rows = [*rows, last]
    return [(t, abs(await _clearing_amount(t))) for t in rows if not await LedgerTransaction.filter(reverses_id=t.id).exists()]


async def _clearing_amount(txn: LedgerTransaction) -> int:
    return sum(e.debit_fen - e.credit_fen for e in await LedgerEntry.filter(transaction_id=txn.id, account="clearing"))

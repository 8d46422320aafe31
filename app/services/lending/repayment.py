"""Repayment: what is due (manual or auto-debit), partial prepayment and full payoff (结清)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from app.crypto import Vault
from app.domain import classification
from app.domain.error_codes import CommonCode, LendingCode
from app.domain.errors import DomainError, NotFound, ValidationError
from app.domain.permissions import Action
from app.domain.ledger import Account, Posting
from app.domain.money import Money
from app.domain.repayment import OwedInstallment, PayoffQuote, PrepaymentMode, PrepaymentQuote, allocate_payment, payoff_amount, prepay_partial
from app.domain.schedule import Installment as Row
from app.domain.schedule import Method, Schedule
from app.domain.schedule.revolving import revolving_rows
from app.integrations.core_banking import CoreBanking, Outcome
from app.models import BankCard, Installment, Loan, Product
from app.domain.vocabulary import InstallmentStatus, LoanStatus
from app.services import audit
from app.services.customers import identifiers
from app.services.actor import SYSTEM, Actor
from app.services.lending import core_calls, ledger, nonaccrual, snapshots
from app.services.lending.access import can_access
from app.services.lending.idempotency import caller_key, run_once
from app.services.permissions import require
from app.services.lending.products import conventions_for
from app.clock import now_utc
from app.sql import execute


class RepaymentError(DomainError):
    code = CommonCode.INVALID


async def _loan_for(actor: Actor, loan_id: UUID, *, lock: bool) -> Loan:
    query = Loan.select_for_update() if lock else Loan
    loan = await query.get_or_none(id=loan_id)
    if loan is None or not can_access(actor, customer_id=loan.customer_id, branch_id=loan.branch_id):
        raise NotFound("借据不存在", field="loan_id")
    if loan.status != LoanStatus.ACTIVE:
        raise RepaymentError("借据已结清", code=LendingCode.LOAN_CLOSED, field="loan_id")
    if lock and loan.debit_in_flight:
        # checked under the loan's row lock: end-of-day sets the marker with a conditional UPDATE of this row
        raise RepaymentError(core_calls.IN_FLIGHT_MESSAGE, code=LendingCode.DEBIT_IN_FLIGHT, field="loan_id")
    return loan


def _owed(inst: Installment) -> OwedInstallment:
    return OwedInstallment(
        number=inst.number,
        due_on=inst.due_on,
        penalty_fen=inst.penalty_fen - inst.paid_penalty_fen,
        compound_fen=inst.compound_fen - inst.paid_compound_fen,
        interest_fen=inst.interest_fen - inst.paid_interest_fen,
        principal_fen=inst.principal_fen - inst.paid_principal_fen,
    )


def _row(inst: Installment, remaining_after: int) -> Row:
    return Row(inst.number, inst.due_on, inst.principal_fen, inst.interest_fen, inst.principal_fen + inst.interest_fen, remaining_after)


async def _split(loan: Loan, today: date) -> tuple[list[Installment], list[Installment]]:
    """(due or overdue and unpaid, not yet due) installments, oldest first."""
    rows = await Installment.filter(loan_id=loan.id).exclude(status=InstallmentStatus.PAID).order_by("number")
    return [i for i in rows if i.due_on <= today], [i for i in rows if i.due_on > today]


async def _debit(core: CoreBanking, vault: Vault, actor: Actor, loan: Loan, reference: str, amount_fen: int, *, purpose: str, today: date) -> bool:
    """Debit the bound card; True when done. Refused raises; unknown (after 查询交易状态) records 处理中 and returns False."""
    card = await BankCard.get(id=loan.card_id)
    number = await identifiers.reveal(vault, card.card_number_enc, kind="card_number", actor=actor, entity=("bank_card", card.id), purpose="repayment")
    before = await snapshots.capture(loan)  # the loan as it was: a same-day reversal (冲正) puts it back exactly
    result = await core_calls.settle(core, reference, await core.debit(reference=reference, card_number=number, amount_fen=amount_fen))
    if result.outcome is Outcome.REFUSED:
        raise RepaymentError(f"扣款失败：{result.reason}", code=LendingCode.DEBIT_FAILED)
    await core_calls.record(reference=reference, kind="debit", purpose=purpose, loan_id=loan.id, amount_fen=amount_fen, on=today, result=result,
                            payload={"before": before})
    if result.unknown:
        # the core may have taken the money: the loan waits for the answer (no other debit meanwhile)
        await Loan.filter(id=loan.id).update(debit_in_flight=reference)
        await audit.record(actor, "loan.debit_pending", "loan", loan.id, after={"amount_fen": amount_fen, "purpose": purpose})
        return False
    return True


async def _apply(loan: Loan, installments: list[Installment], owed: list[OwedInstallment], amount_fen: int, product: Product, today: date) -> dict[str, int]:
    """Allocate over the due installments, update them and the loan; return totals per component."""
    allocation = allocate_payment(owed, amount_fen, conventions=conventions_for(product), strict=True)
    by_number = {i.number: i for i in installments}
    totals = dict.fromkeys(("penalty", "compound", "interest", "principal"), 0)
    overdue_principal = overdue_interest = 0
    for line in allocation.lines:
        inst = by_number[line.number]
        for component in totals:
            paid = getattr(line, f"{component}_fen")
            totals[component] += paid
            setattr(inst, f"paid_{component}_fen", getattr(inst, f"paid_{component}_fen") + paid)
        if inst.status == InstallmentStatus.OVERDUE:
            overdue_principal += line.principal_fen
            overdue_interest += line.interest_fen
        if _owed(inst).total_fen == 0:
            inst.status, inst.paid_on = InstallmentStatus.PAID, today
        await inst.save(update_fields=["paid_principal_fen", "paid_interest_fen", "paid_penalty_fen", "paid_compound_fen", "status", "paid_on", "updated_at"])
    await execute(
        "UPDATE loan SET outstanding_principal_fen = outstanding_principal_fen - :p, overdue_principal_fen = overdue_principal_fen - :op,"
        " overdue_interest_fen = overdue_interest_fen - :oi, penalty_fen = penalty_fen - :pen, compound_fen = compound_fen - :cmp, updated_at = :now WHERE id = :id",
        now=now_utc(), p=totals["principal"], op=overdue_principal, oi=overdue_interest, pen=totals["penalty"], cmp=totals["compound"], id=str(loan.id),
    )
    return totals


def _repayment_postings(total_fen: int, totals: dict[str, int]) -> list[Posting]:
    return [
        Posting(Account.CLEARING, debit_fen=total_fen),
        Posting(Account.PENALTY_RECEIVABLE, credit_fen=totals["penalty"]),
        Posting(Account.COMPOUND_RECEIVABLE, credit_fen=totals["compound"]),
        Posting(Account.INTEREST_RECEIVABLE, credit_fen=totals["interest"]),
        Posting(Account.LOAN_PRINCIPAL, credit_fen=totals["principal"]),
    ]


async def _restore_line_and_status(loan: Loan, principal_fen: int, today: date) -> None:
    """Repaid principal frees the line (revolving use); settle the loan when nothing is left; refresh days past due."""
    await execute("UPDATE credit_line SET used_fen = used_fen - :p, updated_at = :now WHERE id = :id", p=principal_fen, now=now_utc(), id=str(loan.credit_line_id))
    remaining = await Installment.filter(loan_id=loan.id).exclude(status=InstallmentStatus.PAID).order_by("due_on").first()
    if remaining is None:
        await Loan.filter(id=loan.id).update(status=LoanStatus.SETTLED, settled_on=today, days_past_due=0, classification=classification.LoanClass.NORMAL, accrued_interest_fen=0, updated_at=now_utc())
        return
    # days past due follow the payment; the class is end-of-day's (stateful: floors, the non-performing hold)
    await Loan.filter(id=loan.id).update(days_past_due=classification.days_past_due(today, remaining.due_on), updated_at=now_utc())


async def repay(*, actor: Actor, loan_id: UUID, amount_fen: int, idempotency_key: UUID, today: date, core: CoreBanking, vault: Vault) -> Loan:
    """Pay what is due (penalty → compound → interest → principal, oldest first), debited from the bound card."""
    require(actor, Action.LOAN_REPAY)
    idempotency_key = caller_key("loan_repay", actor, idempotency_key)  # this caller's key (also the core's reference)
    if amount_fen <= 0:
        raise ValidationError("还款金额必须大于 0", code=CommonCode.INVALID_AMOUNT, field="amount")

    async def operation() -> dict:
        loan = await _loan_for(actor, loan_id, lock=True)
        due, _ = await _split(loan, today)
        owed = [_owed(i) for i in due]
        total_owed = sum(o.total_fen for o in owed)
        if total_owed == 0:
            raise RepaymentError("当前没有到期应还的款项；提前还款请使用“提前还款”", code=LendingCode.NOTHING_DUE, field="amount")
        if amount_fen > total_owed:
            raise RepaymentError(f"还款金额超过当前应还 {Money(total_owed).format_yuan()}", code=LendingCode.AMOUNT_TOO_LARGE, field="amount")
        product = await Product.get(id=loan.product_id)
        if not await _debit(core, vault, actor, loan, str(idempotency_key), amount_fen, purpose="repayment", today=today):
            return {"loan_id": str(loan.id), "pending": True}
        totals = await _apply(loan, due, owed, amount_fen, product, today)
        await ledger.post(
            kind="repayment", business_on=today, loan_id=loan.id, postings=_repayment_postings(amount_fen, totals), memo="主动还款",
            core_reference=str(idempotency_key),
        )
        await nonaccrual.recognise_collected(loan.id, today)
        await _restore_line_and_status(loan, totals["principal"], today)
        await audit.record(actor, "loan.repay", "loan", loan.id, after={"amount_fen": amount_fen, **{f"{k}_fen": v for k, v in totals.items()}})
        return {"loan_id": str(loan.id)}

    request = {"loan": str(loan_id), "amount_fen": amount_fen}
    result = await run_once(scope="loan_repay", key=idempotency_key, actor=f"{actor.type.value}:{actor.id}", request=request, operation=operation)
    _raise_if_pending(result)
    return await Loan.get(id=loan_id)


def _raise_if_pending(result: dict) -> None:
    """处理中 is not a failure: the caller is told to wait, never 未扣款 (the resolver books it when the core answers)."""
    if result.get("pending"):
        raise RepaymentError(core_calls.PENDING_DEBIT_MESSAGE, code=LendingCode.DEBIT_PENDING)


@dataclass(frozen=True, slots=True)
class PrepaymentPlan:
    loan: Loan
    full: bool
    payoff: PayoffQuote | None
    partial: PrepaymentQuote | None

    @property
    def total_fen(self) -> int:
        return self.payoff.total_fen if self.payoff else self.partial.total_fen


async def _plan(loan: Loan, *, amount_fen: int | None, today: date) -> tuple[PrepaymentPlan, list[Installment], list[Installment]]:
    due, future = await _split(loan, today)
    if any(_owed(i).total_fen for i in due):
        raise RepaymentError("请先还清到期及逾期款项，再办理提前还款", code=LendingCode.OVERDUE_FIRST, field="amount")
    if not future:
        raise RepaymentError("没有未到期的本金", code=LendingCode.NOTHING_OUTSTANDING, field="amount")
    product = await Product.get(id=loan.product_id)
    conventions = conventions_for(product)
    if loan.method == Method.REVOLVING:
        return _revolving_plan(loan, future, amount_fen, today, conventions), due, future
    # interest runs from the last due date (or the start) through yesterday: on a due date, once that
    # day's installment is paid, nothing more (its period ended last night)
    paid_before = await Installment.filter(loan_id=loan.id, due_on__lte=today).order_by("-due_on").first()
    last_due = paid_before.due_on if paid_before else loan.start_on
    remaining, balance = [], sum(i.principal_fen for i in future)
    for inst in future:
        balance -= inst.principal_fen
        remaining.append(_row(inst, balance))
    if amount_fen is None or amount_fen >= sum(i.principal_fen for i in future):
        quote = payoff_amount(remaining, annual_rate_ppm=loan.annual_rate_ppm, last_due_on=last_due, on=today, conventions=conventions)
        return PrepaymentPlan(loan, True, quote, None), due, future
    partial = prepay_partial(
        remaining, amount_fen=amount_fen, mode=PrepaymentMode(product.prepayment_mode), method=loan.method,
        annual_rate_ppm=loan.annual_rate_ppm, last_due_on=last_due, on=today, conventions=conventions,
    )
    return PrepaymentPlan(loan, False, None, partial), due, future


def _revolving_plan(loan: Loan, future: list[Installment], amount_fen: int | None, today: date, conventions) -> PrepaymentPlan:
    """随借随还: principal any time. A payoff also pays the current period's interest through yesterday:
    its 积数 figure, which last night's end-of-day posted (`accrued_interest_fen`). A partial repayment
    takes principal only; the rows' estimates follow the lower balance until each period's exact figure."""
    outstanding = sum(i.principal_fen for i in future)
    if amount_fen is None or amount_fen >= outstanding:
        quote = PayoffQuote(principal_fen=outstanding, interest_fen=loan.accrued_interest_fen, overdue_fen=0, total_fen=outstanding + loan.accrued_interest_fen)
        return PrepaymentPlan(loan, True, quote, None)
    rows = revolving_rows(outstanding - amount_fen, loan.annual_rate_ppm, today, future[-1].due_on, conventions)
    first, earned = rows[0], loan.accrued_interest_fen  # + what the current period already earned
    rows[0] = first._replace(interest_fen=first.interest_fen + earned, payment_fen=first.payment_fen + earned)
    renumbered = [row._replace(number=inst.number) for inst, row in zip(future, rows, strict=True)]
    quote = PrepaymentQuote(principal_fen=amount_fen, interest_fen=0, total_fen=amount_fen, schedule=Schedule.of(renumbered))
    return PrepaymentPlan(loan, False, None, quote)


def _payoff_mismatch(plan: PrepaymentPlan) -> ValidationError:
    if plan.full:
        return ValidationError(f"该金额将全部结清贷款（应付 {Money(plan.total_fen).format_yuan()}），请选择“全部结清”并确认",
                               code=CommonCode.INVALID_AMOUNT, field="amount")
    return ValidationError("该金额不足以结清贷款：全部结清请清空金额", code=CommonCode.INVALID_AMOUNT, field="amount")


async def quote_prepayment(*, actor: Actor, loan_id: UUID, amount_fen: int | None, today: date) -> PrepaymentPlan:
    """What a prepayment would cost today; `amount_fen` None = pay off in full."""
    if amount_fen is not None and amount_fen <= 0:
        raise ValidationError("提前还款金额必须大于 0", code=CommonCode.INVALID_AMOUNT, field="amount")
    loan = await _loan_for(actor, loan_id, lock=False)
    plan, _, _ = await _plan(loan, amount_fen=amount_fen, today=today)
    return plan


async def prepay(
    *, actor: Actor, loan_id: UUID, amount_fen: int | None, idempotency_key: UUID, today: date, core: CoreBanking, vault: Vault, payoff: bool = False,
) -> Loan:
    """Partial prepayment (principal + its interest to date) or full payoff; the schedule is recomputed.

    A payoff (结清) is the caller's explicit choice (`payoff=True`, with no amount or one that covers
    the principal): no amount (`amount_fen` None), or one that would settle the loan, without it is refused.
    """
    require(actor, Action.LOAN_PREPAY)
    idempotency_key = caller_key("loan_prepay", actor, idempotency_key)  # this caller's key (also the core's reference)
    if amount_fen is not None and amount_fen <= 0:
        raise ValidationError("提前还款金额必须大于 0", code=CommonCode.INVALID_AMOUNT, field="amount")
    if amount_fen is None and not payoff:
        raise ValidationError("请填写提前归还的本金；全部结清须明确选择“全部结清”", code=CommonCode.INVALID_AMOUNT, field="amount")

    async def operation() -> dict:
        loan = await _loan_for(actor, loan_id, lock=True)
        plan, _, future = await _plan(loan, amount_fen=amount_fen, today=today)
        if plan.full != payoff:
            raise _payoff_mismatch(plan)
        total = plan.total_fen
        if not await _debit(core, vault, actor, loan, str(idempotency_key), total, purpose="prepayment", today=today):
            return {"loan_id": str(loan.id), "pending": True}
        if plan.full:
            principal, interest = plan.payoff.principal_fen, plan.payoff.interest_fen
            for n, inst in enumerate(future):
                inst.interest_fen = interest if n == 0 else 0  # the current period's interest is what accrued to today
                inst.paid_interest_fen, inst.paid_principal_fen = inst.interest_fen, inst.principal_fen
                inst.status, inst.paid_on = InstallmentStatus.PAID, today
                await inst.save(update_fields=["interest_fen", "paid_interest_fen", "paid_principal_fen", "status", "paid_on", "updated_at"])
            await Loan.filter(id=loan.id).update(accrued_interest_fen=0, interest_carry=0, outstanding_principal_fen=0, updated_at=now_utc())
        else:
            principal, interest = plan.partial.principal_fen, plan.partial.interest_fen
            new_rows = {r.number: r for r in plan.partial.schedule.installments}
            for inst in future:
                row = new_rows.get(inst.number)
                if row is None:
                    await inst.delete()  # keep_installment shortened the term; these rows were never due
                    continue
                inst.due_on, inst.principal_fen, inst.interest_fen = row.due_on, row.principal_fen, row.interest_fen
                await inst.save(update_fields=["due_on", "principal_fen", "interest_fen", "updated_at"])
            last = plan.partial.schedule.installments[-1]
            await Loan.filter(id=loan.id).update(outstanding_principal_fen=loan.outstanding_principal_fen - principal, maturity_on=last.due_on, updated_at=now_utc())
        # the interest collected becomes due now: out of accrued (what end-of-day accrued for this loan) and,
        # for the rest, straight to income
        accrued = loan.accrued_interest_fen if plan.full else 0
        rest = interest - accrued
        postings = [
            Posting(Account.INTEREST_RECEIVABLE, debit_fen=interest),
            Posting(Account.ACCRUED_INTEREST, credit_fen=accrued),
            Posting(Account.INTEREST_INCOME, credit_fen=max(rest, 0), debit_fen=max(-rest, 0)),
        ]
        postings += _repayment_postings(total, {"penalty": 0, "compound": 0, "interest": interest, "principal": principal})
        await ledger.post(
            kind="prepayment", business_on=today, loan_id=loan.id, postings=postings, memo="提前结清" if plan.full else "提前部分还款",
            core_reference=str(idempotency_key),
        )
        await nonaccrual.recognise_collected(loan.id, today)
        await _restore_line_and_status(loan, principal, today)
        await audit.record(actor, "loan.prepay", "loan", loan.id, after={"full": plan.full, "principal_fen": principal, "interest_fen": interest})
        return {"loan_id": str(loan.id)}

    request = {"loan": str(loan_id), "amount_fen": amount_fen, "payoff": payoff}
    result = await run_once(scope="loan_prepay", key=idempotency_key, actor=f"{actor.type.value}:{actor.id}", request=request, operation=operation)
    _raise_if_pending(result)
    return await Loan.get(id=loan_id)


async def book_cash(loan_id: UUID, amount_fen: int, *, on: date, kind: str, memo: str, core_reference: str | None, from_suspense: bool = False) -> int:
    """Book money the core confirmed (or money held in suspense) against what is due on `on`, oldest first.

    What nothing is due for goes to the loan's suspense account (暂收款) and is refunded or applied
    later (app/services/lending/core_outcomes.py); returns that excess. Call inside a transaction.
    """
    loan = await Loan.select_for_update().get(id=loan_id)
    due, _ = await _split(loan, on)
    owed = [_owed(i) for i in due]
    pay = min(amount_fen, sum(o.total_fen for o in owed)) if loan.status == LoanStatus.ACTIVE else 0
    totals = dict.fromkeys(("penalty", "compound", "interest", "principal"), 0)
    if pay > 0:
        totals = await _apply(loan, due, owed, pay, await Product.get(id=loan.product_id), on)
    excess = amount_fen - pay
    if from_suspense and pay == 0:
        return excess  # nothing due yet: the suspense waits
    source = Account.SUSPENSE if from_suspense else Account.CLEARING
    postings = [Posting(source, debit_fen=amount_fen if not from_suspense else pay)] + _repayment_postings(0, totals)[1:]
    if not from_suspense:
        postings.append(Posting(Account.SUSPENSE, credit_fen=excess))
    await ledger.post(kind=kind, business_on=on, loan_id=loan.id, postings=postings, memo=memo, core_reference=core_reference)
    if pay > 0:
        await nonaccrual.recognise_collected(loan.id, on)
        await _restore_line_and_status(loan, totals["principal"], on)
    if excess and not from_suspense:
        await audit.record(SYSTEM, "loan.suspense_in", "loan", loan.id, after={"amount_fen": excess, "reason": "无应还款项，转入暂收款"})
    return excess

"""Drawdown (用信): check the line, build the loan and its schedule, disburse to the bound card, post the ledger.

Two drawdowns can never exceed a line: on PostgreSQL the line row is locked
(SELECT … FOR UPDATE) and, on every database, `used` moves only through a
conditional UPDATE that refuses to pass the limit.

One transaction of few statements (tests/services/lending/test_drawdown.py counts them): the line is read with
its product, customer, branch and the day's LPR in one joined SELECT; the loan is inserted once, after the
core's answer, with its final status; installments and ledger lines go in bulk inserts; nothing written is
read back (the loan's id is made in Python, so the idempotency record is written once, with its result).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from tortoise.expressions import RawSQL, Subquery

from app.domain.error_codes import CommonCode, LendingCode
from app.domain.errors import DomainError, NotFound, ValidationError
from app.domain.permissions import Action
from app.domain.ledger import Account, Posting
from app.domain.lpr import Tenor, tenor_for_term
from app.domain.money import Money
from app.domain.schedule import Schedule, build_schedule, parse_method
from app.domain.external_data import CreditApplicationStatus
from app.models import BankCard, CreditLine, Installment, Loan, Product
from app.domain.vocabulary import CreditLineStatus, LoanStatus
from app.models.risk import RiskPurpose
from app.crypto import Vault
from app.services import audit
from app.services.customers import identifiers
from app.services.actor import SYSTEM, Actor
from app.services.lending import core_calls, ledger
from app.services.lending.access import can_access
from app.services.lending.idempotency import caller_key, run_once
from app.services.permissions import require
from app.services.lending.pricing import contract_rate, latest_lpr, rate_for
from app.services.lending.products import conventions_for
from app.services.lending.repricing import first_repricing_date
from app.clock import now_utc
from app.sql import execute
from app.services.risk import credit_gate
from app.integrations.core_banking import CoreBanking, Outcome

LINE_STATUS_MESSAGES = {
    CreditLineStatus.FROZEN: "额度已冻结，暂不能用信",
    CreditLineStatus.EXPIRED: "额度已到期",
    CreditLineStatus.CLOSED: "额度已关闭",
}


class DrawdownError(DomainError):
    code = CommonCode.INVALID


@dataclass(frozen=True, slots=True)
class DrawdownQuote:
    line: CreditLine
    product: Product
    amount_fen: int
    tenor: Tenor
    annual_rate_ppm: int
    schedule: Schedule


async def _line_for(actor: Actor, line_id: UUID, *, lock: bool, lpr_of: tuple[Tenor, date] | None = None) -> CreditLine:
    """The line with its product, customer and branch, in one joined read (on PostgreSQL with the line's row locked);
    `lpr_of` (tenor, day): with the latest LPR of that tenor on that day as `lpr_ppm` (None when none was published)."""
    query = CreditLine.select_for_update(of=("credit_line",)) if lock else CreditLine.all()
    if lpr_of is not None:
        query = query.annotate(lpr_ppm=Subquery(latest_lpr(*lpr_of).limit(1).values("rate_ppm")))
    # in the same read: is the line an online application's whose contract is still being signed (app/services/lending/online_credit.py)?
    query = query.annotate(contract_signing=RawSQL(
        f"EXISTS (SELECT 1 FROM credit_application ca WHERE ca.credit_line_id = credit_line.id AND ca.status = '{CreditApplicationStatus.SIGNING.value}')"))
    line = await query.select_related("product", "customer", "branch").get_or_none(id=line_id)
    if line is None or not can_access(actor, customer_id=line.customer_id, branch_id=line.branch_id):
        raise NotFound("额度不存在", field="credit_line_id")
    return line


def _check_line(line: CreditLine, product: Product, *, amount_fen: int, term_months: int, method: str, today: date) -> None:
    if line.status != CreditLineStatus.ACTIVE:
        raise DrawdownError(LINE_STATUS_MESSAGES[line.status], code=LendingCode.LINE_NOT_ACTIVE, field="credit_line_id")
    if getattr(line, "contract_signing", False):  # a line granted online is drawn on once its contract is sealed
        raise DrawdownError("授信合同正在签署中，签署完成后即可借款，请稍后再试", code=LendingCode.LINE_NOT_ACTIVE, field="credit_line_id")
    if today < line.valid_from:
        raise DrawdownError(f"额度自 {line.valid_from.isoformat()} 起生效", code=LendingCode.LINE_NOT_ACTIVE, field="credit_line_id")
    if today > line.valid_until:
        raise DrawdownError("额度已到期", code=LendingCode.LINE_EXPIRED, field="credit_line_id")
    if amount_fen < product.min_principal_fen:
        raise ValidationError(f"单笔借款不能低于 {Money(product.min_principal_fen).format_yuan()}", code=CommonCode.INVALID_AMOUNT, field="amount")
    available = line.limit_fen - line.used_fen
    if amount_fen > available:
        raise DrawdownError(f"借款金额超过可用额度 {Money(available).format_yuan()}", code=LendingCode.AMOUNT_ABOVE_AVAILABLE, field="amount")
    max_term = min(line.max_term_months, product.max_term_months)
    if not product.min_term_months <= term_months <= max_term:
        raise ValidationError(f"借款期限应为 {product.min_term_months} 到 {max_term} 个月", code=LendingCode.INVALID_TERM, field="term_months")
    if method not in line.allowed_methods:
        raise ValidationError("该额度不支持所选还款方式", code=LendingCode.INVALID_METHOD, field="method")


async def quote_drawdown(*, actor: Actor, credit_line_id: UUID, amount_fen: int, term_months: int, method: str, today: date) -> DrawdownQuote:
    """The schedule a drawdown of `amount_fen` would get today (no writes)."""
    method = parse_method(method).value
    line = await _line_for(actor, credit_line_id, lock=False)
    product = line.product
    _check_line(line, product, amount_fen=amount_fen, term_months=term_months, method=method, today=today)
    tenor, rate = await rate_for(term_months=term_months, spread_bp=line.spread_bp, on=today)
    schedule = build_schedule(amount_fen, rate, term_months, method, today, None, conventions_for(product))
    return DrawdownQuote(line, product, amount_fen, tenor, rate, schedule)


async def draw_down(
    *, actor: Actor, credit_line_id: UUID, amount_fen: int, term_months: int, method: str, idempotency_key: UUID, today: date, core: CoreBanking, vault: Vault,
    card_id: UUID | None = None,
) -> Loan:
    """Open the loan on the line and pay it to the customer's default card, or to `card_id` (one of the line's
    customer's bound cards: the app pays into a card opened at the bank that granted the line).

    At the counter the doors call `counter_drawdown.counter_draw_down`, which sends an amount above the settings'
    threshold to a second officer first (maker-checker)."""
    require(actor, Action.LOAN_DISBURSE)
    return await disburse_on_line(actor=actor, credit_line_id=credit_line_id, amount_fen=amount_fen, term_months=term_months, method=method,
                                  idempotency_key=idempotency_key, today=today, core=core, vault=vault, card_id=card_id)


async def disburse_on_line(
    *, actor: Actor, credit_line_id: UUID, amount_fen: int, term_months: int, method: str, idempotency_key: UUID, today: date, core: CoreBanking, vault: Vault,
    card_id: UUID | None = None,
) -> Loan:
    """`draw_down` once its permission was checked (a checked maker-checker command runs this with the checker as actor)."""
    idempotency_key = caller_key("loan_drawdown", actor, idempotency_key)  # this caller's key (also the core's reference)
    if amount_fen <= 0:
        raise ValidationError("借款金额必须大于 0", code=CommonCode.INVALID_AMOUNT, field="amount")
    method = parse_method(method).value

    loan_id = uuid4()  # made here: the idempotency record is written once, with the result it will have
    made: list[Loan] = []  # the loan this call wrote, returned as written (not read back)

    async def operation() -> dict:
        tenor = tenor_for_term(term_months)
        line = await _line_for(actor, credit_line_id, lock=True, lpr_of=(tenor, today))
        product = line.product
        _check_line(line, product, amount_fen=amount_fen, term_months=term_months, method=method, today=today)
        await credit_gate(line.customer_id, RiskPurpose.DRAWDOWN, today=today, customer=line.customer)  # a reject blocks drawdown
        if card_id is None:
            card = await BankCard.filter(customer_id=line.customer_id, is_default=True, unbound_at=None).first()
        else:  # the borrower's own card (bound to their account: the person's record at any member bank)
            card = await BankCard.filter(id=card_id, unbound_at=None).first()
            if card is not None and card.customer_id != line.customer_id and not actor.is_customer(card.customer_id):
                card = None
        if card is None:
            raise DrawdownError("请先绑定本人银行卡", code=LendingCode.NO_CARD, field="credit_line_id")
        rate = contract_rate(tenor, line.lpr_ppm, spread_bp=line.spread_bp, on=today)
        schedule = build_schedule(amount_fen, rate, term_months, method, today, None, conventions_for(product))
        moved = await execute(
            "UPDATE credit_line SET used_fen = used_fen + :amount, updated_at = :now WHERE id = :id AND used_fen + :amount <= limit_fen AND status = 'active'",
            amount=amount_fen, now=now_utc(),
            id=str(line.id),
        )
        if moved != 1:
            raise DrawdownError("借款金额超过可用额度", code=LendingCode.AMOUNT_ABOVE_AVAILABLE, field="amount")
        number = await identifiers.reveal(vault, card.card_number_enc, kind="card_number", actor=actor, entity=("bank_card", card.id), purpose="disbursement")
        reference = str(idempotency_key)
        result = await core_calls.settle(core, reference, await core.disburse(reference=reference, card_number=number, amount_fen=amount_fen))
        if result.outcome is Outcome.REFUSED:  # the error rolls back all written so far
            raise DrawdownError(f"放款失败：{result.reason}", code=LendingCode.DISBURSEMENT_FAILED)
        # the loan is written once, as the core's answer left it: paid (正常) or 放款处理中 (no ledger, no accrual: the resolver books it)
        rows = schedule.installments
        loan = await Loan.create(
            id=loan_id, credit_line=line, customer_id=line.customer_id, product=product, branch_id=line.branch_id, card=card,
            principal_fen=amount_fen, annual_rate_ppm=rate, lpr_tenor=tenor, spread_bp=line.spread_bp, method=method,
            term_months=term_months, start_on=today, first_due_on=rows[0].due_on, maturity_on=rows[-1].due_on,
            outstanding_principal_fen=amount_fen, next_repricing_on=first_repricing_date(product, today),
            status=LoanStatus.DISBURSING if result.unknown else LoanStatus.ACTIVE, disbursement_ref="" if result.unknown else result.core_ref,
        )
        await Installment.bulk_create(
            [Installment(loan_id=loan.id, number=r.number, due_on=r.due_on, principal_fen=r.principal_fen, interest_fen=r.interest_fen) for r in rows],
            batch_size=200,
        )
        await core_calls.record(reference=reference, kind="disburse", purpose="drawdown", loan_id=loan.id, amount_fen=amount_fen, on=today, result=result)
        if result.unknown:
            await audit.record(actor, "loan.disbursement_pending", "loan", loan.id, after={"amount_fen": amount_fen})
        else:
            await _post_disbursement(loan, card.card_number_masked, reference, today, bank_id=line.branch.bank_id)
            await audit.record(actor, "loan.drawdown", "loan", loan.id, after={"amount_fen": amount_fen, "term": term_months, "method": method, "rate_ppm": rate})
        made.append(loan)
        return {"loan_id": str(loan.id)}

    request = {"line": str(credit_line_id), "amount_fen": amount_fen, "term": term_months, "method": method}
    result = await run_once(scope="loan_drawdown", key=idempotency_key, actor=f"{actor.type.value}:{actor.id}", request=request, operation=operation,
                            expected={"loan_id": str(loan_id)})
    if made and str(made[0].id) == result["loan_id"]:
        return made[0]
    return await Loan.get(id=result["loan_id"])  # a replay: the first call's loan


async def book_disbursement(loan: Loan, masked_card: str, reference: str, core_ref: str, on: date) -> None:
    """The core paid the card: the loan's principal against clearing (call inside a transaction)."""
    await Loan.filter(id=loan.id).update(disbursement_ref=core_ref, status=LoanStatus.ACTIVE, updated_at=now_utc())
    await _post_disbursement(loan, masked_card, reference, on)


async def _post_disbursement(loan: Loan, masked_card: str, reference: str, on: date, *, bank_id: UUID | None = None) -> None:
    """The disbursement's ledger transaction (`bank_id`: the loan's bank when the caller has it)."""
    await ledger.post(
        kind="disbursement", business_on=on, loan_id=loan.id, memo=f"放款至 {masked_card}", core_reference=reference, bank_id=bank_id,
        postings=[Posting(Account.LOAN_PRINCIPAL, debit_fen=loan.principal_fen), Posting(Account.CLEARING, credit_fen=loan.principal_fen)],
    )


async def cancel_disbursement(loan: Loan, reason: str) -> None:
    """The core refused a disbursement that was 处理中: no loan after all (未放款); the line is freed."""
    await Loan.filter(id=loan.id).update(status=LoanStatus.CANCELLED, outstanding_principal_fen=0, updated_at=now_utc())
    await Installment.filter(loan_id=loan.id).delete()
    await execute("UPDATE credit_line SET used_fen = used_fen - :p, updated_at = :now WHERE id = :id", p=loan.principal_fen, now=now_utc(), id=str(loan.credit_line_id))
    await audit.record(SYSTEM, "loan.disbursement_refused", "loan", loan.id, after={"reason": reason})

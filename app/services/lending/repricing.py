"""Floating-rate repricing (LPR 重定价).

On a loan's repricing date the rate becomes the latest LPR of its tenor
published on or before that date plus the contract's fixed spread
(docs/lending.md). A term loan's new rate applies to the periods that START on
or after the repricing date — when the repricing date is a due date, the
period starting that day; a period running across it keeps its interest, so
nothing already accrued is restated. The remaining schedule from that period is
re-amortised over the same due dates. A revolving loan's rate applies from the
repricing day itself: end-of-day reprices before it accrues.

Repricing is per loan (the annuity needs exact rational maths, not SQL), in
chunks of `CHUNK` loans per transaction; each repriced loan's next date moves
forward in the same transaction, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

from datetime import date

from tortoise.transactions import in_transaction

from app.domain import lpr
from app.domain.schedule import Method, amortize
from app.models import Installment, Loan, LprPublication, Product
from app.domain.vocabulary import InstallmentStatus, LoanStatus
from app.clock import now_utc
from app.services import audit
from app.services.actor import SYSTEM
from app.services.lending.products import conventions_for

CHUNK = 500


def first_repricing_date(product: Product, start_on: date) -> date | None:
    if product.repricing not in (lpr.RepricingAnchor.JAN1.value, lpr.RepricingAnchor.ANNIVERSARY.value):
        return None  # fixed-rate product
    return lpr.next_repricing_date(product.repricing, start_on, start_on)


async def _latest_rates(on: date) -> dict[lpr.Tenor, int]:
    rates = {}
    for tenor in lpr.Tenor:
        row = await LprPublication.filter(tenor=tenor, published_on__lte=on).order_by("-published_on").first()
        if row is not None:
            rates[tenor] = row.rate_ppm
    return rates


async def _reprice_one(loan: Loan, product: Product, base_ppm: int, on: date) -> bool:
    new_rate = lpr.contract_rate_ppm(base_ppm, loan.spread_bp)
    if loan.method == Method.REVOLVING:  # daily interest: the new rate simply applies from today
        changed = new_rate != loan.annual_rate_ppm
        if changed:
            await audit.record(SYSTEM, "loan.reprice", "loan", loan.id, before={"rate_ppm": loan.annual_rate_ppm}, after={"rate_ppm": new_rate, "on": on.isoformat()})
        next_on = lpr.next_repricing_date(product.repricing, loan.start_on, on)
        touched = {"updated_at": now_utc()} if changed else {}  # a new rate is a business event; an unchanged one is not
        await Loan.filter(id=loan.id).update(annual_rate_ppm=new_rate, next_repricing_on=next_on if next_on <= loan.maturity_on else None, **touched)
        return changed
    rows = await Installment.filter(loan_id=loan.id, due_on__gte=on).order_by("number")
    future = [i for i in rows if i.due_on > on and i.status == InstallmentStatus.PENDING]
    starts_today = bool(rows) and rows[0].due_on == on  # a due date: the next period starts on the repricing date
    following = future if starts_today else future[1:]  # a period running across the date keeps its interest
    changed = new_rate != loan.annual_rate_ppm and bool(following)
    if changed:
        balance = sum(i.principal_fen for i in following)
        rows = amortize(balance, new_rate, loan.method, [i.due_on for i in following], conventions=conventions_for(product), first_number=following[0].number)
        for inst, row in zip(following, rows, strict=True):
            inst.principal_fen, inst.interest_fen, inst.updated_at = row.principal_fen, row.interest_fen, now_utc()
        await Installment.bulk_update(following, fields=["principal_fen", "interest_fen", "updated_at"], batch_size=100)
        await audit.record(SYSTEM, "loan.reprice", "loan", loan.id, before={"rate_ppm": loan.annual_rate_ppm}, after={"rate_ppm": new_rate, "on": on.isoformat()})
    next_on = lpr.next_repricing_date(product.repricing, loan.start_on, on)
    touched = {"updated_at": now_utc()} if changed else {}
    await Loan.filter(id=loan.id).update(annual_rate_ppm=new_rate if changed else loan.annual_rate_ppm, next_repricing_on=next_on if next_on <= loan.maturity_on else None, **touched)
    return changed


async def reprice_due(on: date) -> int:
    """Reprice every active floating loan whose repricing date is `on` (or was missed); returns how many changed rate."""
    rates = await _latest_rates(on)
    products = {p.id: p for p in await Product.all()}
    changed = 0
    while True:
        chunk = await Loan.filter(status=LoanStatus.ACTIVE, next_repricing_on__lte=on).order_by("id").limit(CHUNK)
        if not chunk:
            return changed
        async with in_transaction():
            for loan in chunk:
                changed += await _reprice_one(loan, products[loan.product_id], rates[lpr.Tenor(loan.lpr_tenor)], on)

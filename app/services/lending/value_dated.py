"""The value-dated part of a reversal (跨日冲正): what the loan would be tonight had a repayment or a prepayment never been
booked, recomputed day by day from its value date with the close's own rules (docs/lending.md §4).

A counter repayment pays what is due (overdue and due-today installments), so taking it back changes neither the balance
that earns contractual interest nor any period's interest (the accrual base is the principal not yet due). What it
changes, from its value date on, is what is overdue: the penalty (罚息) on unpaid principal and the compound (复利) on
unpaid interest of each closed day, the days past due and the class. `replay` walks the closed days from the value date
to yesterday over the installments as they were before the booking, each day as end-of-day does it (overdue rows, the
day's 积数 posted half-up with the loan's carry, `accrual.post_day`; shared over the rows, `accrual.split_by_weight`;
days past due and the class, `classification.days_past_due` / `next_class_of`, with the classification policy that day's
close used: `classification.close_policies`). The difference to what the close actually
charged is posted on the reversal date as ordinary penalty postings.

A prepayment also changed the balance that earns contractual interest (the principal it repaid, and a payoff stopped the
loan's accrual altogether), so its replay runs the close's accrue step too (`accrual`: the loan's accrued figure and carry
before the booking): each day the principal not yet due × the rate, posted half-up with the carry on the close's basis
(fen × ppm × days / 360 × 10^6, `accrual.post_day`); on the eve of a due date the period ends: the row's scheduled interest
becomes due (moved to the receivable) and the accrued figure and carry start again at zero, as `eod.accrue` does.

Pure: the caller reads the rows and writes the result (app/services/lending/reversal.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from app.domain.accrual import interest_denominator, penalty_denominator, penalty_rate_ppb, post_day, split_by_weight
from app.domain.classification import ClassificationPolicy, LoanClass, days_past_due
from app.services.lending.classification import next_class_of


@dataclass(frozen=True, slots=True)
class Row:
    """One installment as the replay sees it: what is unpaid of it, and its penalty and compound so far."""

    id: str
    number: int
    due_on: date
    principal_unpaid: int
    interest_unpaid: int
    paid: bool  # paid in full before the booking
    penalty_fen: int
    compound_fen: int
    interest_fen: int = 0  # the row's scheduled interest (what falls due with it)


@dataclass(frozen=True, slots=True)
class Replay:
    penalty_fen: int  # what the closed days charge without the booking, the loan's total
    compound_fen: int
    penalty_by_row: dict[str, int]  # installment id -> penalty charged over the days
    compound_by_row: dict[str, int]
    penalty_carry: int
    compound_carry: int
    days_past_due: int
    classification: LoanClass
    days: int  # closed days replayed
    interest_fen: int = 0  # contractual interest the closed days earn without the booking (accrued and fallen due)
    accrued_fen: int = 0  # the loan's accrued figure and carry tonight
    interest_carry: int = 0
    interest_due_by_row: dict[str, int] | None = None  # installment id -> interest moved to the receivable over the days


def rows_before(before: dict[str, Any], current: dict[str, Any]) -> list[Row]:
    """The installments before the booking (its snapshot), with the interest figure the close has since written on a row
    (a revolving period's; none for a term loan) taken from the current row."""
    out = []
    for r in before["installments"]:
        interest = current.get(r["id"], r)["interest_fen"]
        out.append(Row(r["id"], int(r["number"]), date.fromisoformat(r["due_on"]), int(r["principal_fen"]) - int(r["paid_principal_fen"]),
                       int(interest) - int(r["paid_interest_fen"]), r["status"] == "paid", int(r["penalty_fen"]), int(r["compound_fen"]),
                       int(interest)))
    return sorted(out, key=lambda r: (r.due_on, r.number))


def replay(rows: list[Row], *, rate_ppm: int, multiplier_ppm: int, carries: tuple[int, int], start_class: LoanClass | str,
           floor: LoanClass | str | None, first: date, last: date, policies: Mapping[date, ClassificationPolicy],
           accrual: tuple[int, int] | None = None) -> Replay:
    """End-of-day's overdue, penalty and classify steps for each closed day `first`..`last`, with nothing paid meanwhile
    (`policies`: the classification policy of each day's close); with `accrual` (the loan's accrued interest and its carry
    before `first`), its accrue step first (a term loan)."""
    rate = penalty_rate_ppb(rate_ppm, multiplier_ppm)
    den = penalty_denominator()
    pen_carry, cmp_carry = carries
    cls = LoanClass(start_class)
    by_pen = {r.id: 0 for r in rows}
    by_cmp = {r.id: 0 for r in rows}
    dpd = 0
    day, days = first, 0
    accrued, carry = accrual or (0, 0)
    earned, due_by_row = 0, {r.id: 0 for r in rows}
    while day <= last:
        if accrual is not None:  # interest for the day on the principal not yet due (算头不算尾)
            base = sum(r.principal_unpaid for r in rows if not r.paid and r.due_on > day)
            post, carry = post_day(carry, base * rate_ppm, interest_denominator())
            ending = next((r for r in rows if r.due_on == day + timedelta(days=1)), None)
            if ending is None:
                accrued, earned = accrued + post, earned + post
            else:  # the period ends tonight: trued up to the schedule, moved to the receivable
                earned += ending.interest_fen - accrued
                due_by_row[ending.id] += ending.interest_fen
                accrued, carry = 0, 0
        overdue = [r for r in rows if not r.paid and r.due_on <= day]
        p, c = sum(r.principal_unpaid for r in overdue), sum(r.interest_unpaid for r in overdue)
        if overdue:  # the close charges only loans with overdue rows (their carries move only then)
            pen, pen_carry = post_day(pen_carry, p * rate, den)
            cmp, cmp_carry = post_day(cmp_carry, c * rate, den)
            for r, share in zip(overdue, split_by_weight(pen, [r.principal_unpaid for r in overdue]), strict=True):
                by_pen[r.id] += share
            for r, share in zip(overdue, split_by_weight(cmp, [r.interest_unpaid for r in overdue]), strict=True):
                by_cmp[r.id] += share
        dpd = days_past_due(day, min((r.due_on for r in overdue), default=None))
        cls = next_class_of(cls, dpd, floor, policies[day])
        day += timedelta(days=1)
        days += 1
    return Replay(sum(by_pen.values()), sum(by_cmp.values()), by_pen, by_cmp, pen_carry, cmp_carry, dpd, cls, days,
                  earned, accrued, carry, due_by_row)

"""Daily loan positions (日终贷款头寸) and month-end snapshots (月末快照), written by the day's close (issue 16).

The close's `positions` step (app/services/lending/eod.py, after classification and non-accrual,
before the business date advances) writes, for a business date D:

- `loan_position`: one row per loan active at the end of D (or settled on D) — balances, accrued
  interest on and off the balance sheet, overdue principal and interest, penalty and compound,
  days past due, five-tier class, status, bank, branch, customer, product. One
  `INSERT … SELECT` per member bank, after deleting that bank's rows of D, so a re-run of the
  same date writes the same rows once.
- rows older than the retention (`positions_retention_days`, settings) are pruned.
- on the last business date of a month (D + 1 is in another month: the business date advances
  one calendar day per close), the day's rows are copied to `loan_position_month_end`, kept for
  good (NPL and portfolio history).
"""

from __future__ import annotations

from datetime import date, timedelta

from app.services.org import bank_ids
from app.sql import execute, new_uuid

DEFAULT_RETENTION_DAYS = 400

COLUMNS = (
    "business_on, loan_id, bank_id, branch_id, customer_id, product_id, status, classification, days_past_due,"
    " annual_rate_ppm, outstanding_principal_fen, overdue_principal_fen, overdue_interest_fen, accrued_interest_fen,"
    " penalty_fen, compound_fen, non_accrual, off_interest_fen, off_penalty_fen, off_compound_fen, off_accrued_fen"
)

POSITIONS_OF_BANK = f"""
INSERT INTO loan_position (id, {COLUMNS})
SELECT {{uuid}}, :d, l.id, b.bank_id, l.branch_id, l.customer_id, l.product_id, l.status, l.classification, l.days_past_due,
  l.annual_rate_ppm, l.outstanding_principal_fen, l.overdue_principal_fen, l.overdue_interest_fen, l.accrued_interest_fen,
  l.penalty_fen, l.compound_fen, (r.non_accrual_since IS NOT NULL),
  COALESCE(r.off_interest_fen, 0), COALESCE(r.off_penalty_fen, 0), COALESCE(r.off_compound_fen, 0), COALESCE(r.off_accrued_fen, 0)
FROM loan l JOIN branch b ON b.id = l.branch_id LEFT JOIN loan_risk r ON r.loan_id = l.id
WHERE b.bank_id = :bank AND l.start_on <= :d AND (l.status = 'active' OR l.settled_on = :d)
"""


def is_month_end(on: date) -> bool:
    """The last business date of its month: the close advances the business date one calendar day."""
    return (on + timedelta(days=1)).month != on.month


async def write_positions(on: date, *, retention_days: int = DEFAULT_RETENTION_DAYS) -> None:
    """The positions of business date `on` (idempotent per date), the month-end copy, and pruning past the retention."""
    if retention_days < 1:
        raise ValueError("positions_retention_days must be at least 1")
    for bank_id in await bank_ids():
        await execute("DELETE FROM loan_position WHERE business_on = :d AND bank_id = :bank", d=on, bank=str(bank_id))
        await execute(POSITIONS_OF_BANK.format(uuid=new_uuid()), d=on, bank=str(bank_id))
    if is_month_end(on):
        await execute("DELETE FROM loan_position_month_end WHERE business_on = :d", d=on)
        await execute(
            f"INSERT INTO loan_position_month_end (id, {COLUMNS}) SELECT {new_uuid()}, {COLUMNS} FROM loan_position WHERE business_on = :d",
            d=on,
        )
    await execute("DELETE FROM loan_position WHERE business_on <= :cut", cut=on - timedelta(days=retention_days))

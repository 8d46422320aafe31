"""Reconciliation (对账): every movement the core booked on a business date against the ledger.

The core's journal for the date (`CoreBanking.journal`) is compared, reference by reference,
with the clearing entries our ledger posted on that date (each carries the core reference):
a movement the core made that we did not book, booked twice or for another amount, a booking
with no movement behind it, and an instruction of the date still 处理中 are breaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.integrations.core_banking import CoreBanking
from app.models import CoreInstruction
from app.models.enums import CoreOutcome
from app.services.lending.sql import fetch


@dataclass(frozen=True, slots=True)
class Break:
    reference: str
    what: str
    core_fen: int
    ledger_fen: int


LEDGER_SQL = """
SELECT e.core_reference AS reference, SUM(e.debit_fen) AS debit, SUM(e.credit_fen) AS credit, COUNT(*) AS n
FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id
WHERE t.business_on = :d AND e.account = 'clearing' AND e.core_reference IS NOT NULL
GROUP BY e.core_reference
"""


def _booked(kind: str, row: dict) -> int:
    """Money in (debit) is a clearing debit; money out (disburse, refund) a clearing credit."""
    return int(row["debit"]) - int(row["credit"]) if kind == "debit" else int(row["credit"]) - int(row["debit"])


async def reconcile_day(on: date, *, core: CoreBanking) -> list[Break]:
    """Breaks between the core's journal of `on` and the ledger (empty: reconciled). Raises CoreBankingError
    when the journal cannot be read."""
    journal = await core.journal(on)
    booked = {r["reference"]: r for r in await fetch(LEDGER_SQL, d=on)}
    breaks: list[Break] = []
    for line in journal:
        row = booked.pop(line.reference, None)
        if row is None:
            breaks.append(Break(line.reference, f"核心已记账（{line.kind}），账务无分录", line.amount_fen, 0))
        elif int(row["n"]) != 1:
            breaks.append(Break(line.reference, f"重复入账（{row['n']} 笔）", line.amount_fen, _booked(line.kind, row)))
        elif _booked(line.kind, row) != line.amount_fen:
            breaks.append(Break(line.reference, "金额不符", line.amount_fen, _booked(line.kind, row)))
    for reference, row in booked.items():
        breaks.append(Break(reference, "账务有分录，核心无此交易", 0, int(row["debit"]) + int(row["credit"])))
    for pending in await CoreInstruction.filter(business_on=on, outcome=CoreOutcome.PENDING):
        breaks.append(Break(pending.reference, "处理中，结果未确认", 0, 0))
    return breaks

"""Reconciliation (对账): every movement the core booked on a business date against the ledger.

The core's journal for the date (`CoreBanking.journal`) is compared, reference by reference,
with the clearing entries our ledger posted on that date (each carries the core reference):
a movement the core made that we did not book, booked twice or for another amount, a booking
with no movement behind it, and an instruction of the date still 处理中 are breaks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from app.domain.warnings import Severity, WarningKind
from app.integrations.core_banking import CoreBanking, CoreBankingError
from app.models import CoreInstruction, EarlyWarning
from app.domain.vocabulary import CoreOutcome
from app.models.warning import WarningStatus
from app.services import audit
from app.services.actor import SYSTEM
from app.sql import fetch

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Break:
    reference: str
    what: str
    core_fen: int
    ledger_fen: int
    bank_id: str | None = None  # the bank whose movement it is (None: no instruction or entry names one)


LEDGER_SQL = """
SELECT e.core_reference AS reference, SUM(e.debit_fen) AS debit, SUM(e.credit_fen) AS credit, COUNT(*) AS n
FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id
WHERE e.account = 'clearing' AND {where}
GROUP BY e.core_reference
"""
CHUNK = 500


def _booked(kind: str, row: dict) -> int:
    """Money in (debit) is a clearing debit; money out (disburse, refund) a clearing credit."""
    return int(row["debit"]) - int(row["credit"]) if kind == "debit" else int(row["credit"]) - int(row["debit"])


async def _ledger_for(references: list[str]) -> dict[str, dict]:
    """The clearing entries booking these references, whatever date they were posted on."""
    found: dict[str, dict] = {}
    for start in range(0, len(references), CHUNK):
        names = {f"r{n}": ref for n, ref in enumerate(references[start : start + CHUNK])}
        where = f"e.core_reference IN ({', '.join(':' + k for k in names)})"
        found.update({r["reference"]: r for r in await fetch(LEDGER_SQL.format(where=where), **names)})
    return found


# the bank of a core movement: its instruction's loan's, else the books its clearing entry is in
BANKS_SQL = """
SELECT c.reference, b.bank_id FROM core_instruction c JOIN loan l ON l.id = c.loan_id JOIN branch b ON b.id = l.branch_id
WHERE c.reference IN ({refs})
UNION ALL
SELECT e.core_reference, t.bank_id FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id
WHERE e.core_reference IN ({refs})
"""


async def _banks_named(breaks: list[Break]) -> list[Break]:
    banks: dict[str, str] = {}
    references = sorted({b.reference for b in breaks})
    for start in range(0, len(references), CHUNK):
        names = {f"r{n}": ref for n, ref in enumerate(references[start : start + CHUNK])}
        for r in await fetch(BANKS_SQL.format(refs=", ".join(":" + k for k in names)), **names):
            banks.setdefault(r["reference"], str(r["bank_id"]))
    return [replace(b, bank_id=banks.get(b.reference)) for b in breaks]


async def reconcile_bank(on: date, *, core: CoreBanking, bank_id: UUID | None = None) -> list[Break]:
    """The breaks of `on` named by bank; `bank_id` keeps one bank's (None: every bank's, and those no bank is known for)."""
    breaks = await _banks_named(await reconcile_day(on, core=core))
    return breaks if bank_id is None else [b for b in breaks if b.bank_id == str(bank_id)]


async def reconcile_day(on: date, *, core: CoreBanking) -> list[Break]:
    """Breaks between the core's journal of `on` and the ledger (empty: reconciled). Raises CoreBankingError
    when the journal cannot be read.

    Matched by reference: each movement of the core's day must be booked exactly once, for its amount
    (on whatever date the ledger posted it: a 处理中 movement is posted on its own date when it is
    settled); each clearing entry the ledger posted on the day must be a movement of the core's day.
    """
    journal = await core.journal(on)
    booked = await _ledger_for([line.reference for line in journal])
    breaks: list[Break] = []
    for line in journal:
        row = booked.get(line.reference)
        if row is None:
            breaks.append(Break(line.reference, f"核心已记账（{line.kind}），账务无分录", line.amount_fen, 0))
        elif int(row["n"]) != 1:
            breaks.append(Break(line.reference, f"重复入账（{row['n']} 笔）", line.amount_fen, _booked(line.kind, row)))
        elif _booked(line.kind, row) != line.amount_fen:
            breaks.append(Break(line.reference, "金额不符", line.amount_fen, _booked(line.kind, row)))
    moved = {line.reference for line in journal}
    posted = await fetch(LEDGER_SQL.format(where="t.business_on = :d AND e.core_reference IS NOT NULL"), d=on)
    breaks += [Break(r["reference"], "账务有分录，核心无此交易", 0, int(r["debit"]) + int(r["credit"])) for r in posted if r["reference"] not in moved]
    for pending in await CoreInstruction.filter(business_on=on, outcome=CoreOutcome.PENDING):
        breaks.append(Break(pending.reference, "处理中，结果未确认", 0, 0))
    return breaks


# the loan behind a reference: its instruction, else the ledger entry that carries it
LOANS_SQL = """
SELECT x.reference, l.id AS loan_id, l.customer_id, l.branch_id, COALESCE(cl.officer_id, v.officer_id) AS officer_id FROM (
  SELECT reference, loan_id FROM core_instruction WHERE reference IN ({refs})
  UNION SELECT core_reference, loan_id FROM ledger_entry WHERE core_reference IN ({refs}) AND loan_id IS NOT NULL
) x JOIN loan l ON l.id = x.loan_id JOIN credit_line cl ON cl.id = l.credit_line_id JOIN customer c ON c.id = l.customer_id
LEFT JOIN village v ON v.id = c.village_id
"""


@dataclass(frozen=True, slots=True)
class Reconciliation:
    business_on: date
    breaks: list[Break]
    warned: int
    journal_unavailable: bool = False


async def reconcile_and_warn(on: date, *, core: CoreBanking) -> Reconciliation:
    """The day's close: reconcile `on` and raise an early warning (对账差错, high) on each loan with a break.

    A break no loan can be found for is logged and audited (it is the operations team's, not an officer's).
    An unreadable journal is reported, not raised: the close goes on and `cunxin reconcile` can be rerun.
    """
    try:
        breaks = await reconcile_day(on, core=core)
    except CoreBankingError:
        logger.error("reconcile %s: core journal unavailable", on)
        return Reconciliation(on, [], 0, journal_unavailable=True)
    if not breaks:
        return Reconciliation(on, [], 0)
    names = {f"r{n}": b.reference for n, b in enumerate(breaks)}
    refs = ", ".join(f":{k}" for k in names)
    loans = {r["reference"]: r for r in await fetch(LOANS_SQL.format(refs=refs), **names)}
    rows = [
        EarlyWarning(
            kind=WarningKind.RECONCILIATION_BREAK, severity=Severity.HIGH, level=1, customer_id=loans[b.reference]["customer_id"],
            loan_id=loans[b.reference]["loan_id"], subject_id=loans[b.reference]["loan_id"], branch_id=loans[b.reference]["branch_id"],
            officer_id=loans[b.reference]["officer_id"], business_on=on, message=f"对账差错：{b.what}（核心 {b.core_fen} 分，账务 {b.ledger_fen} 分）"[:256],
            evidence={"reference": b.reference, "what": b.what, "coreFen": b.core_fen, "ledgerFen": b.ledger_fen}, status=WarningStatus.OPEN,
        )
        for b in breaks if b.reference in loans
    ]
    if rows:
        await EarlyWarning.bulk_create(rows, ignore_conflicts=True)
    await audit.record(SYSTEM, "reconcile.breaks", "reconciliation", on.isoformat(),
                       after={"breaks": len(breaks), "withoutLoan": [b.reference for b in breaks if b.reference not in loans][:20]})
    logger.warning("reconcile %s: %s breaks", on, len(breaks))
    return Reconciliation(on, breaks, len(rows))

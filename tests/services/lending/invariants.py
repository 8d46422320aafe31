"""Invariants of the lending books, checked after every step of the property-based and simulation tests.

`violations(closed)` returns readable lines (empty when all hold); `closed` is the last business date
whose end-of-day has run. Each line names the loan, what is wrong and the figures in fen.
"""

from __future__ import annotations

from datetime import date

from app.domain.classification import DEFAULT_POLICY, ClassificationPolicy, LoanClass, is_non_performing
from app.services.lending.ledger import ledger_check
from app.sql import fetch

PER_LOAN_ACCOUNTS = ("loan_principal", "interest_receivable", "penalty_receivable", "compound_receivable", "off_interest", "off_penalty", "off_compound")

TOTAL_SQL = "SELECT COALESCE(SUM(debit_fen), 0) AS d, COALESCE(SUM(credit_fen), 0) AS c FROM ledger_entry"

NEGATIVE_INSTALLMENTS_SQL = """
SELECT loan_id, number, principal_fen, interest_fen, penalty_fen, compound_fen, paid_principal_fen, paid_interest_fen, paid_penalty_fen, paid_compound_fen
FROM installment
WHERE principal_fen < 0 OR interest_fen < 0 OR penalty_fen < 0 OR compound_fen < 0
   OR paid_principal_fen < 0 OR paid_interest_fen < 0 OR paid_penalty_fen < 0 OR paid_compound_fen < 0
   OR paid_principal_fen > principal_fen OR paid_interest_fen > interest_fen OR paid_penalty_fen > penalty_fen OR paid_compound_fen > compound_fen
   OR (status = 'paid') <> (principal_fen + interest_fen + penalty_fen + compound_fen
                             = paid_principal_fen + paid_interest_fen + paid_penalty_fen + paid_compound_fen)
"""

NEGATIVE_LOANS_SQL = """
SELECT id, outstanding_principal_fen, overdue_principal_fen, overdue_interest_fen, accrued_interest_fen, penalty_fen, compound_fen, days_past_due
FROM loan WHERE outstanding_principal_fen < 0 OR overdue_principal_fen < 0 OR overdue_interest_fen < 0 OR accrued_interest_fen < 0
   OR penalty_fen < 0 OR compound_fen < 0 OR days_past_due < 0
"""

LEDGER_BY_LOAN_SQL = f"""
SELECT e.loan_id, e.account, SUM(e.debit_fen - e.credit_fen) AS balance, l.status
FROM ledger_entry e JOIN loan l ON l.id = e.loan_id
WHERE e.account IN ({", ".join(f"'{a}'" for a in PER_LOAN_ACCOUNTS)})
GROUP BY e.loan_id, e.account, l.status
"""

SETTLED_SQL = """
SELECT l.id, l.outstanding_principal_fen, l.accrued_interest_fen, l.penalty_fen, l.compound_fen,
  (SELECT COUNT(*) FROM installment i WHERE i.loan_id = l.id AND i.status <> 'paid') AS unpaid
FROM loan l WHERE l.status = 'settled'
"""

PRINCIPAL_SQL = """
SELECT l.id, l.outstanding_principal_fen, COALESCE(SUM(i.principal_fen - i.paid_principal_fen), 0) AS unpaid
FROM loan l LEFT JOIN installment i ON i.loan_id = l.id WHERE l.status <> 'written_off' GROUP BY l.id, l.outstanding_principal_fen
HAVING l.outstanding_principal_fen <> COALESCE(SUM(i.principal_fen - i.paid_principal_fen), 0)
"""

# a written-off loan's unpaid schedule is what was written off (账销案存: kept, not booked)
WRITTEN_OFF_SQL = """
SELECT l.id, w.principal_fen, COALESCE(SUM(i.principal_fen - i.paid_principal_fen), 0) AS unpaid
FROM loan l JOIN loan_write_off w ON w.loan_id = l.id LEFT JOIN installment i ON i.loan_id = l.id
WHERE l.status = 'written_off' GROUP BY l.id, w.principal_fen
HAVING w.principal_fen <> COALESCE(SUM(i.principal_fen - i.paid_principal_fen), 0)
"""

LINES_SQL = """
SELECT c.id, c.used_fen, c.limit_fen, COALESCE((SELECT SUM(l.outstanding_principal_fen) FROM loan l WHERE l.credit_line_id = c.id), 0) AS outstanding
FROM credit_line c
"""

DPD_SQL = """
SELECT l.id, l.days_past_due, l.classification, MIN(i.due_on) AS first_unpaid
FROM loan l LEFT JOIN installment i ON i.loan_id = l.id AND i.status <> 'paid' AND i.due_on <= :closed
WHERE l.status = 'active' GROUP BY l.id, l.days_past_due, l.classification
"""

NPL_UP_SQL = """
SELECT loan_id, business_on, from_class, to_class, source FROM loan_class_change
WHERE source NOT IN ('upgrade', 'settled') AND from_class IN ('substandard', 'doubtful', 'loss')
"""


ACCRUING_SQL = """
SELECT l.id, l.days_past_due FROM loan l LEFT JOIN loan_risk r ON r.loan_id = l.id
WHERE l.status = 'active' AND l.days_past_due > :n AND r.non_accrual_since IS NULL
"""


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


async def violations(closed: date, *, policy: ClassificationPolicy = DEFAULT_POLICY, after_eod: bool = True) -> list[str]:
    """Everything that does not hold; `after_eod` adds ledger-check, per-loan ledger signs and the DPD/class rules."""
    found: list[str] = []
    total = (await fetch(TOTAL_SQL))[0]
    if int(total["d"]) != int(total["c"]):
        found.append(f"ledger: debits {total['d']} != credits {total['c']}")
    found += [f"installment {r['loan_id']}#{r['number']}: negative, over-paid or wrong status {dict(r)}" for r in await fetch(NEGATIVE_INSTALLMENTS_SQL)]
    found += [f"loan {r['id']}: negative balance {dict(r)}" for r in await fetch(NEGATIVE_LOANS_SQL)]
    found += [f"loan {r['id']}: outstanding {r['outstanding_principal_fen']} != unpaid principal {r['unpaid']}" for r in await fetch(PRINCIPAL_SQL)]
    found += [f"written-off loan {r['id']}: written off {r['principal_fen']} != unpaid principal {r['unpaid']}" for r in await fetch(WRITTEN_OFF_SQL)]
    for r in await fetch(SETTLED_SQL):
        if any(int(r[k]) for k in ("outstanding_principal_fen", "accrued_interest_fen", "penalty_fen", "compound_fen", "unpaid")):
            found.append(f"settled loan {r['id']}: not all zero {dict(r)}")
    for r in await fetch(LINES_SQL):
        if not 0 <= int(r["used_fen"]) <= int(r["limit_fen"]) or int(r["used_fen"]) != int(r["outstanding"]):
            found.append(f"credit line {r['id']}: used {r['used_fen']} (limit {r['limit_fen']}) vs loans outstanding {r['outstanding']}")
    for r in await fetch("SELECT loan_id, off_interest_fen, off_penalty_fen, off_compound_fen, off_accrued_fen FROM loan_risk"):
        if min(int(r[k]) for k in ("off_interest_fen", "off_penalty_fen", "off_compound_fen", "off_accrued_fen")) < 0:
            found.append(f"loan {r['loan_id']}: negative off-balance {dict(r)}")
    if after_eod:
        found += await _after_eod(closed, policy)
    return found


async def _after_eod(closed: date, policy: ClassificationPolicy) -> list[str]:
    found = [f"ledger-check {m.loan_id}: {m.what} ledger {m.ledger_fen} books {m.books_fen}" for m in await ledger_check(today=closed)]
    for r in await fetch(LEDGER_BY_LOAN_SQL):
        balance = int(r["balance"])
        if balance < 0 or (r["status"] == "settled" and balance != 0):
            found.append(f"loan {r['loan_id']} ({r['status']}): {r['account']} balance {balance}")
    for r in await fetch(DPD_SQL, closed=closed):
        first = _as_date(r["first_unpaid"]) if r["first_unpaid"] else None
        dpd = (closed - first).days if first else 0
        if int(r["days_past_due"]) != dpd:
            found.append(f"loan {r['id']}: days past due {r['days_past_due']} != {dpd} (first unpaid {first}, closed {closed})")
        if LoanClass(r["classification"]).rank < policy.dpd_floor(dpd).rank:
            found.append(f"loan {r['id']}: class {r['classification']} better than its DPD floor at {dpd} days")
    found += [f"loan {r['id']}: {r['days_past_due']} days past due and still accruing income" for r in await fetch(ACCRUING_SQL, n=policy.nonaccrual_after_days)]
    for r in await fetch(NPL_UP_SQL):
        if is_non_performing(r["from_class"]) and LoanClass(r["to_class"]).rank < LoanClass(r["from_class"]).rank:
            found.append(f"loan {r['loan_id']}: {r['from_class']} -> {r['to_class']} on {r['business_on']} without an approved upgrade")
    return found

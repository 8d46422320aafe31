"""Posting to the ledger and proving that balances agree with it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from uuid import UUID

from app.domain.ledger import AGGREGATE_ACCOUNTS, Account, Posting, check_balanced
from app.models import LedgerEntry, LedgerTransaction
from app.services.lending import nonaccrual
from app.services.org import bank_id_of_loan
from app.sql import fetch


async def books_of(loan_id: UUID | None, bank_id: UUID | None = None) -> UUID:
    """The bank whose books a transaction goes to: the loan's bank (read from the loan unless the caller, who has just
    read it, names it: ledger_check proves every loan's lines are in its bank's books); a batch without a loan names its bank."""
    if bank_id is not None:
        return bank_id
    if loan_id is None:
        raise ValueError("a transaction without a loan must name the bank whose books it goes to")
    return await bank_id_of_loan(loan_id)


async def post(
    *, kind: str, business_on: date, loan_id: UUID | None, postings: list[Posting], memo: str = "", reverses_id: UUID | None = None,
    core_reference: str | None = None, bank_id: UUID | None = None,
) -> LedgerTransaction:
    """One balanced transaction; postings are lines of `loan_id`'s sub-ledger (portfolio accounts excepted). Call inside a DB transaction.

    `core_reference`: the core-banking movement this books; it goes on the clearing line.
    `bank_id`: the books of a transaction without a loan (an end-of-day batch of one bank); a loan's are its bank's, named
    here when the caller has it (saves reading it again).
    """
    check_balanced(postings)
    txn = await LedgerTransaction.create(
        kind=kind, business_on=business_on, bank_id=await books_of(loan_id, bank_id), loan_id=loan_id, memo=memo[:128],
        reverses_id=reverses_id,
    )
    await LedgerEntry.bulk_create(_entries(txn.id, loan_id, postings, core_reference))
    return txn


def _entries(txn_id: UUID, loan_id: UUID | None, postings: list[Posting], core_reference: str | None) -> list[LedgerEntry]:
    return [
        LedgerEntry(
            transaction_id=txn_id, account=p.account.value, loan_id=None if p.account in AGGREGATE_ACCOUNTS else loan_id,
            debit_fen=p.debit_fen, credit_fen=p.credit_fen, core_reference=core_reference if p.account is Account.CLEARING else None,
        )
        for p in postings
        if p.debit_fen or p.credit_fen
    ]


def unsaved(*, kind: str, business_on: date, loan_id: UUID | None, postings: list[Posting], bank_id: UUID, memo: str = "") -> tuple[LedgerTransaction, list[LedgerEntry]]:
    """What `post` writes, as records not yet saved (ids set): for a caller inserting many transactions in one bulk insert
    per table, the transactions before their entries (a portfolio import's opening entries)."""
    check_balanced(postings)
    txn = LedgerTransaction(kind=kind, business_on=business_on, bank_id=bank_id, loan_id=loan_id, memo=memo[:128], reverses_id=None)
    return txn, _entries(txn.id, loan_id, postings, None)


async def reverse(txn_id: UUID, *, business_on: date, memo: str = "冲正", core_reference: str | None = None) -> LedgerTransaction:
    """Reversal, not deletion: a mirror transaction pointing at the original.

    `core_reference`: the core movement that gives the money back (a refund), booked on the mirror's clearing line;
    None when no money moves (调账: the money is applied to another loan).
    """
    original = await LedgerTransaction.get(id=txn_id).prefetch_related("entries")
    postings = [Posting(Account(e.account), debit_fen=e.credit_fen, credit_fen=e.debit_fen) for e in original.entries]
    return await post(kind="reversal", business_on=business_on, loan_id=original.loan_id, postings=postings, memo=memo, reverses_id=original.id,
                      bank_id=original.bank_id, core_reference=core_reference)


@dataclass(frozen=True, slots=True)
class Mismatch:
    loan_id: str
    what: str
    ledger_fen: int
    books_fen: int
    bank_id: str | None = None  # the bank whose books disagree (set by ledger_check; None: no bank could be named)


# Per loan: the ledger's balances next to what the loan and its installments say (only loans that disagree come back).
# Receivables count on- plus off-balance (表外, non-accrual loans): nonaccrual.check proves the split.
CHECK_SQL = """
WITH led AS (
  SELECT loan_id,
    SUM(CASE WHEN account = 'loan_principal' THEN debit_fen - credit_fen ELSE 0 END) AS principal,
    SUM(CASE WHEN account IN ('interest_receivable', 'off_interest') THEN debit_fen - credit_fen ELSE 0 END) AS interest,
    SUM(CASE WHEN account IN ('penalty_receivable', 'off_penalty') THEN debit_fen - credit_fen ELSE 0 END) AS penalty,
    SUM(CASE WHEN account IN ('compound_receivable', 'off_compound') THEN debit_fen - credit_fen ELSE 0 END) AS compound
  FROM ledger_entry WHERE loan_id IS NOT NULL GROUP BY loan_id
), ins AS (
  SELECT loan_id,
    SUM(principal_fen - paid_principal_fen) AS principal,
    SUM(CASE WHEN due_on <= :falls_due THEN interest_fen - paid_interest_fen ELSE 0 END) AS interest_due,
    SUM(penalty_fen - paid_penalty_fen) AS penalty,
    SUM(compound_fen - paid_compound_fen) AS compound
  FROM installment GROUP BY loan_id
)
SELECT l.id AS loan_id, l.outstanding_principal_fen, l.accrued_interest_fen, l.penalty_fen, l.compound_fen,
  COALESCE(led.principal, 0) AS led_principal, COALESCE(led.interest, 0) AS led_interest,
  COALESCE(led.penalty, 0) AS led_penalty, COALESCE(led.compound, 0) AS led_compound,
  COALESCE(ins.principal, 0) AS ins_principal, COALESCE(ins.interest_due, 0) AS ins_interest_due,
  COALESCE(ins.penalty, 0) AS ins_penalty, COALESCE(ins.compound, 0) AS ins_compound
FROM loan l LEFT JOIN led ON led.loan_id = l.id LEFT JOIN ins ON ins.loan_id = l.id
WHERE l.status NOT IN ('disbursing', 'written_off') AND (COALESCE(led.principal, 0) <> l.outstanding_principal_fen OR COALESCE(led.principal, 0) <> COALESCE(ins.principal, 0)
   OR COALESCE(led.interest, 0) <> COALESCE(ins.interest_due, 0)
   OR COALESCE(led.penalty, 0) <> l.penalty_fen OR COALESCE(led.penalty, 0) <> COALESCE(ins.penalty, 0)
   OR COALESCE(led.compound, 0) <> l.compound_fen OR COALESCE(led.compound, 0) <> COALESCE(ins.compound, 0))
"""

# Per bank: its books' accrued interest (on- and off-balance) next to the sum over its loans.
ACCRUED_SQL = """
SELECT bank_id, SUM(ledger) AS ledger, SUM(books) AS books FROM (
  SELECT t.bank_id, e.debit_fen - e.credit_fen AS ledger, 0 AS books FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id
  WHERE e.account IN ('accrued_interest', 'off_accrued_interest')
  UNION ALL
  SELECT b.bank_id, 0, l.accrued_interest_fen FROM loan l JOIN branch b ON b.id = l.branch_id
) x GROUP BY bank_id
"""

# A loan's lines booked to another bank's books than the loan's (its bank is its branch's).
MISBOOKED_SQL = """
SELECT e.loan_id, t.bank_id, b.bank_id AS loan_bank_id, COUNT(*) AS n FROM ledger_entry e
JOIN ledger_transaction t ON t.id = e.transaction_id JOIN loan l ON l.id = e.loan_id JOIN branch b ON b.id = l.branch_id
WHERE t.bank_id <> b.bank_id GROUP BY e.loan_id, t.bank_id, b.bank_id
"""

TRIAL_BALANCE_SQL = """
SELECT e.account, SUM(e.debit_fen) AS debit, SUM(e.credit_fen) AS credit FROM ledger_entry e
JOIN ledger_transaction t ON t.id = e.transaction_id {where} GROUP BY e.account
"""

UNBALANCED_SQL = """
SELECT e.transaction_id, t.bank_id, SUM(e.debit_fen) AS d, SUM(e.credit_fen) AS c FROM ledger_entry e
JOIN ledger_transaction t ON t.id = e.transaction_id
GROUP BY e.transaction_id, t.bank_id HAVING SUM(e.debit_fen) <> SUM(e.credit_fen)
"""


@dataclass(frozen=True, slots=True)
class TrialLine:
    account: str
    debit_fen: int
    credit_fen: int


async def trial_balance(bank_id: UUID | None = None) -> list[TrialLine]:
    """Each account's debits and credits in one bank's books (None: consolidated, every bank), by account.

    A bank's books balance on their own (every transaction is one bank's), so the banks' trial balances add up
    to the consolidated one, account by account.
    """
    where, params = ("WHERE t.bank_id = :bank", {"bank": str(bank_id)}) if bank_id is not None else ("", {})
    rows = await fetch(TRIAL_BALANCE_SQL.format(where=where), **params)
    return sorted((TrialLine(r["account"], int(r["debit"]), int(r["credit"])) for r in rows), key=lambda t: t.account)


async def ledger_check(*, today: date, bank_id: UUID | None = None) -> list[Mismatch]:
    """Every transaction balances; each loan's lines are in its bank's books; each loan's balances equal its ledger and its
    unpaid installments (run after end-of-day); settled loans are all zero; nothing is overpaid; each confirmed core
    movement is booked exactly once. Each problem names its bank; `bank_id` keeps one bank's (None: every bank's)."""
    problems = [Mismatch(str(r["transaction_id"]), "unbalanced transaction", r["d"], r["c"], str(r["bank_id"])) for r in await fetch(UNBALANCED_SQL)]
    problems += [Mismatch(str(r["loan_id"]), f"lines in another bank's books ({r['bank_id']})", int(r["n"]), 0, str(r["loan_bank_id"]))
                 for r in await fetch(MISBOOKED_SQL)]
    for accrued in await fetch(ACCRUED_SQL):
        if int(accrued["ledger"]) != int(accrued["books"]):
            problems.append(Mismatch("portfolio", "accrued interest vs loans", int(accrued["ledger"]), int(accrued["books"]), str(accrued["bank_id"])))
    # a period's interest moves to the receivable at the end-of-day of its last day, the eve of its due date
    for r in await fetch(CHECK_SQL, falls_due=today + timedelta(days=1)):
        loan = str(r["loan_id"])
        checks = [
            ("principal vs loan", r["led_principal"], r["outstanding_principal_fen"]),
            ("principal vs installments", r["led_principal"], r["ins_principal"]),
            ("interest receivable", r["led_interest"], r["ins_interest_due"]),
            ("penalty vs loan", r["led_penalty"], r["penalty_fen"]),
            ("penalty vs installments", r["led_penalty"], r["ins_penalty"]),
            ("compound vs loan", r["led_compound"], r["compound_fen"]),
            ("compound vs installments", r["led_compound"], r["ins_compound"]),
        ]
        problems.extend(Mismatch(loan, what, int(a), int(b)) for what, a, b in checks if int(a) != int(b))
    problems = await _banks_named(problems + await _more_checks() + [Mismatch(*row) for row in await nonaccrual.check(today)])
    return problems if bank_id is None else [p for p in problems if p.bank_id == str(bank_id)]


# Settled (or cancelled) loans: every sub-ledger and every installment is zero.
SETTLED_SQL = """
SELECT l.id AS loan_id, e.account, SUM(e.debit_fen - e.credit_fen) AS balance FROM loan l JOIN ledger_entry e ON e.loan_id = l.id
WHERE l.status IN ('settled', 'cancelled') AND e.account IN ('loan_principal', 'interest_receivable', 'penalty_receivable', 'compound_receivable')
GROUP BY l.id, e.account HAVING SUM(e.debit_fen - e.credit_fen) <> 0
UNION ALL
SELECT l.id, 'installments', SUM(i.principal_fen - i.paid_principal_fen + i.interest_fen - i.paid_interest_fen
  + i.penalty_fen - i.paid_penalty_fen + i.compound_fen - i.paid_compound_fen)
FROM loan l JOIN installment i ON i.loan_id = l.id WHERE l.status IN ('settled', 'cancelled') AND i.status <> 'paid'
GROUP BY l.id
UNION ALL
SELECT id, 'accrued', accrued_interest_fen FROM loan WHERE status IN ('settled', 'cancelled') AND accrued_interest_fen <> 0
"""

# Written-off loans (账销案存): nothing left on the balance sheet, and the off-balance record equals the write-off's
# figures less what has been recovered (the installments keep what the borrower still owes, by contract).
WRITTEN_OFF_SQL = """
SELECT w.loan_id, 'on-balance ' || e.account AS what, SUM(e.debit_fen - e.credit_fen) AS ledger, 0 AS books FROM loan_write_off w
JOIN ledger_entry e ON e.loan_id = w.loan_id
WHERE e.account IN ('loan_principal', 'interest_receivable', 'penalty_receivable', 'compound_receivable', 'off_interest', 'off_penalty', 'off_compound')
GROUP BY w.loan_id, e.account HAVING SUM(e.debit_fen - e.credit_fen) <> 0
UNION ALL
SELECT w.loan_id, 'written-off principal', COALESCE(SUM(CASE WHEN e.account = 'written_off_principal' THEN e.debit_fen - e.credit_fen ELSE 0 END), 0),
  w.principal_fen - w.recovered_principal_fen
FROM loan_write_off w LEFT JOIN ledger_entry e ON e.loan_id = w.loan_id
GROUP BY w.loan_id, w.principal_fen, w.recovered_principal_fen
HAVING COALESCE(SUM(CASE WHEN e.account = 'written_off_principal' THEN e.debit_fen - e.credit_fen ELSE 0 END), 0) <> w.principal_fen - w.recovered_principal_fen
UNION ALL
SELECT w.loan_id, 'written-off interest', COALESCE(SUM(CASE WHEN e.account = 'written_off_interest' THEN e.debit_fen - e.credit_fen ELSE 0 END), 0),
  w.interest_fen - w.recovered_interest_fen
FROM loan_write_off w LEFT JOIN ledger_entry e ON e.loan_id = w.loan_id
GROUP BY w.loan_id, w.interest_fen, w.recovered_interest_fen
HAVING COALESCE(SUM(CASE WHEN e.account = 'written_off_interest' THEN e.debit_fen - e.credit_fen ELSE 0 END), 0) <> w.interest_fen - w.recovered_interest_fen
UNION ALL
SELECT l.id, 'written-off loan without its record', 1, 0 FROM loan l WHERE l.status = 'written_off'
  AND NOT EXISTS (SELECT 1 FROM loan_write_off w WHERE w.loan_id = l.id)
"""

# Money paid beyond what an installment asked for: an overpayment with nowhere to go.
OVERPAID_SQL = """
SELECT loan_id, SUM(CASE WHEN paid_principal_fen > principal_fen THEN paid_principal_fen - principal_fen ELSE 0 END
  + CASE WHEN paid_interest_fen > interest_fen THEN paid_interest_fen - interest_fen ELSE 0 END
  + CASE WHEN paid_penalty_fen > penalty_fen THEN paid_penalty_fen - penalty_fen ELSE 0 END
  + CASE WHEN paid_compound_fen > compound_fen THEN paid_compound_fen - compound_fen ELSE 0 END) AS over
FROM installment GROUP BY loan_id HAVING SUM(CASE WHEN paid_principal_fen > principal_fen OR paid_interest_fen > interest_fen
  OR paid_penalty_fen > penalty_fen OR paid_compound_fen > compound_fen THEN 1 ELSE 0 END) > 0
"""

# Suspense (暂收款) is a liability: a debit balance means money went out that never came in.
NEGATIVE_SUSPENSE_SQL = """
SELECT loan_id, SUM(credit_fen - debit_fen) AS held FROM ledger_entry WHERE account = 'suspense'
GROUP BY loan_id HAVING SUM(credit_fen - debit_fen) < 0
"""

# Every movement the core confirmed has exactly one clearing entry, and no clearing entry books a movement it did not confirm.
CORE_ENTRIES_SQL = """
SELECT c.reference, c.outcome, c.amount_fen, COUNT(e.id) AS entries FROM core_instruction c
LEFT JOIN ledger_entry e ON e.core_reference = c.reference AND e.account = 'clearing'
GROUP BY c.reference, c.outcome, c.amount_fen
HAVING (c.outcome = 'done' AND COUNT(e.id) <> 1) OR (c.outcome <> 'done' AND COUNT(e.id) <> 0)
UNION ALL
SELECT e.core_reference, 'unknown', 0, COUNT(*) FROM ledger_entry e
WHERE e.core_reference IS NOT NULL AND NOT EXISTS (SELECT 1 FROM core_instruction c WHERE c.reference = e.core_reference)
GROUP BY e.core_reference
"""


# The migration suspense (迁移过渡科目) of a bank: its imported loans' opening entries against its files' control totals.
MIGRATION_SUSPENSE_SQL = """
SELECT t.bank_id, SUM(e.debit_fen - e.credit_fen) AS balance FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id
WHERE e.account = 'migration_suspense' GROUP BY t.bank_id HAVING SUM(e.debit_fen - e.credit_fen) <> 0
"""


async def _more_checks() -> list[Mismatch]:
    problems = [Mismatch("migration", "migration suspense not zero (imported loans vs the files' control totals)", int(r["balance"]), 0, str(r["bank_id"]))
                for r in await fetch(MIGRATION_SUSPENSE_SQL)]
    problems += [Mismatch(str(r["loan_id"]), f"settled loan: {r['account']} not zero", int(r["balance"]), 0) for r in await fetch(SETTLED_SQL)]
    problems += [Mismatch(str(r["loan_id"]), "overpaid installment (nowhere to go)", 0, int(r["over"])) for r in await fetch(OVERPAID_SQL)]
    problems += [Mismatch(str(r["loan_id"]), "suspense below zero", int(r["held"]), 0) for r in await fetch(NEGATIVE_SUSPENSE_SQL)]
    problems += [Mismatch(str(r["loan_id"]), str(r["what"]), int(r["ledger"]), int(r["books"])) for r in await fetch(WRITTEN_OFF_SQL)]
    for r in await fetch(CORE_ENTRIES_SQL):
        expected = 1 if r["outcome"] == "done" else 0
        problems.append(Mismatch(str(r["reference"]), f"core movement ({r['outcome']}): ledger entries", int(r["entries"]), expected))
    return problems


# which bank a problem is about: the loan's (by id), else the core instruction's loan's (by reference)
LOAN_BANKS_SQL = "SELECT l.id AS k, b.bank_id FROM loan l JOIN branch b ON b.id = l.branch_id WHERE l.id IN ({keys})"
REFERENCE_BANKS_SQL = """
SELECT c.reference AS k, b.bank_id FROM core_instruction c JOIN loan l ON l.id = c.loan_id JOIN branch b ON b.id = l.branch_id
WHERE c.reference IN ({keys})
"""


def _is_uuid(key: str) -> bool:
    try:
        UUID(key)
    except ValueError:
        return False
    return True


async def _banks_named(problems: list[Mismatch]) -> list[Mismatch]:
    """Each problem with its bank: a loan's or a core movement's (found by key); those already named stay."""
    keys = sorted({p.loan_id for p in problems if p.bank_id is None})
    banks: dict[str, str] = {}
    for sql, chosen in ((LOAN_BANKS_SQL, [k for k in keys if _is_uuid(k)]), (REFERENCE_BANKS_SQL, [k for k in keys if not _is_uuid(k)])):
        for start in range(0, len(chosen), 500):
            names = {f"k{n}": k for n, k in enumerate(chosen[start : start + 500])}
            rows = await fetch(sql.format(keys=", ".join(":" + k for k in names)), **names)
            banks.update({str(r["k"]): str(r["bank_id"]) for r in rows})
    return [p if p.bank_id is not None else replace(p, bank_id=banks.get(p.loan_id)) for p in problems]

"""Non-accrual (非应计): a loan overdue more than the policy's days stops earning income on the books.

From the end-of-day on which its days past due exceed `nonaccrual_after_days` (default 90;
principal or interest, the earliest unpaid installment counts), a loan's interest, penalty
and compound are no longer income. The borrower still owes them (installments and the loan's
balances are unchanged); the bank tracks them off the balance sheet (表外):

- `sync` keeps every non-accrual loan's off-balance amounts equal to what it owes and has not
  paid — interest due (表外应收利息), penalty, compound, and its share of accrued interest not
  yet due (表外应计利息) — and its on-balance receivables and accrued share at zero. What moves
  off is reversed from income; what comes back (a collection) is income when received.
- End-of-day runs it after classification for every non-accrual loan, so the day's accrual,
  interest falling due, penalty, compound and auto-debits of such a loan net to nothing but the
  cash collected. A manual repayment or prepayment calls it for its loan at once
  (`recognise_collected`), so collected amounts are income the day they are received.
- A loan leaves non-accrual when an approver upgrades it to a performing class with no arrears
  (`resume_accrual`): its accrued share comes back on the balance sheet.

Postings per movement d (positive: off the books; negative: back, i.e. recognised):
  Dr 利息/罚息/复利收入 d, Cr 应收利息/应收罚息/应收复利 (or 应计利息) d;
  Dr 表外应收利息/罚息/复利 (or 表外应计利息) d, Cr 表外科目对转 d.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from app.domain.classification import DEFAULT_POLICY, ClassificationPolicy
from app.domain.ledger import Account
from app.models import LedgerTransaction, LoanRisk
from app.services.org import bank_id_of_loan, bank_ids
from app.sql import execute, fetch, new_uuid, now_sql, of_bank, post_aggregate, post_per_loan, uuid_type

# (on-balance account, off-balance account, income account, delta column); None: a portfolio account
COMPONENTS = (
    (Account.INTEREST_RECEIVABLE, Account.OFF_INTEREST, Account.INTEREST_INCOME, "di"),
    (Account.PENALTY_RECEIVABLE, Account.OFF_PENALTY, Account.PENALTY_INCOME, "dp"),
    (Account.COMPOUND_RECEIVABLE, Account.OFF_COMPOUND, Account.COMPOUND_INCOME, "dc"),
)

TARGETS = """
SELECT r.loan_id,
  CASE WHEN r.non_accrual_since IS NULL THEN 0 ELSE COALESCE(i.interest, 0) END - r.off_interest_fen AS di,
  CASE WHEN r.non_accrual_since IS NULL THEN 0 ELSE l.penalty_fen END - r.off_penalty_fen AS dp,
  CASE WHEN r.non_accrual_since IS NULL THEN 0 ELSE l.compound_fen END - r.off_compound_fen AS dc,
  CASE WHEN r.non_accrual_since IS NULL THEN 0 ELSE l.accrued_interest_fen END - r.off_accrued_fen AS da
FROM loan_risk r JOIN loan l ON l.id = r.loan_id
LEFT JOIN (SELECT loan_id, SUM(interest_fen - paid_interest_fen) AS interest FROM installment
           WHERE due_on <= :through AND loan_id IN (SELECT loan_id FROM loan_risk) GROUP BY loan_id) i ON i.loan_id = r.loan_id
WHERE (r.non_accrual_since IS NOT NULL OR r.off_interest_fen <> 0 OR r.off_penalty_fen <> 0
       OR r.off_compound_fen <> 0 OR r.off_accrued_fen <> 0) {only}
"""


async def run(on: date, policy: ClassificationPolicy = DEFAULT_POLICY) -> None:
    """End-of-day step (after classify): loans now overdue beyond the policy become non-accrual; then `sync`."""
    await execute(
        "INSERT INTO loan_risk (id, loan_id, floor_reason, off_interest_fen, off_penalty_fen, off_compound_fen, off_accrued_fen)"
        f" SELECT {new_uuid()}, l.id, '', 0, 0, 0, 0 FROM loan l WHERE l.status = 'active' AND l.days_past_due > :n"
        " AND NOT EXISTS (SELECT 1 FROM loan_risk r WHERE r.loan_id = l.id)",
        n=policy.nonaccrual_after_days,
    )
    await execute(
        "UPDATE loan_risk SET non_accrual_since = :d WHERE non_accrual_since IS NULL"
        " AND loan_id IN (SELECT id FROM loan WHERE status = 'active' AND days_past_due > :n)",
        d=on, n=policy.nonaccrual_after_days,
    )
    # becoming non-accrual (非应计) is a change of the loan's status for reporting: updated_at
    await execute(f"UPDATE loan SET updated_at = {now_sql()} WHERE id IN (SELECT loan_id FROM loan_risk WHERE non_accrual_since = :d)", d=on)
    await sync(on, through=on + timedelta(days=1))  # tonight's end-of-day made the periods ending today receivable


async def recognise_collected(loan_id: UUID, today: date) -> None:
    """After a repayment or prepayment of `loan_id` on the (open) business date `today`: collected
    amounts of a non-accrual loan are income now. Nothing to do for other loans."""
    if await LoanRisk.filter(loan_id=loan_id).exists():
        await sync(today, through=today, loan_id=loan_id)  # receivable: periods that ended by last night (docs/lending.md)


async def resume_accrual(loan_id: UUID, on: date) -> None:
    """The loan accrues again (an approved upgrade to a performing class): off-balance amounts come back."""
    await LoanRisk.filter(loan_id=loan_id).update(non_accrual_since=None)
    await sync(on, through=on, loan_id=loan_id)


async def sync(on: date, *, through: date, loan_id: UUID | None = None) -> None:
    """Off-balance amounts := what each non-accrual loan owes (interest due through `through`), 0 for the others."""
    await execute("DROP TABLE IF EXISTS eod_offbal")
    await execute(f"CREATE TEMP TABLE eod_offbal (loan_id {uuid_type()} PRIMARY KEY, di BIGINT, dp BIGINT, dc BIGINT, da BIGINT)")
    only = "AND r.loan_id = :loan" if loan_id else ""
    params = {"through": through, **({"loan": str(loan_id)} if loan_id else {})}
    await execute(f"INSERT INTO eod_offbal (loan_id, di, dp, dc, da) {TARGETS.format(only=only)}", **params)
    await execute("DELETE FROM eod_offbal WHERE di = 0 AND dp = 0 AND dc = 0 AND da = 0")
    if not (await fetch("SELECT COUNT(*) AS n FROM eod_offbal"))[0]["n"]:
        return
    await execute(
        "UPDATE loan_risk SET off_interest_fen = off_interest_fen + e.di, off_penalty_fen = off_penalty_fen + e.dp,"
        " off_compound_fen = off_compound_fen + e.dc, off_accrued_fen = off_accrued_fen + e.da FROM eod_offbal e WHERE e.loan_id = loan_risk.loan_id"
    )
    await _post(on, loan_id)


async def _post(on: date, loan_id: UUID | None) -> None:
    """One transaction per bank (the loan's bank only, for one loan), to its own books."""
    for bank_id in [await bank_id_of_loan(loan_id)] if loan_id is not None else await bank_ids():
        txn = await LedgerTransaction.create(kind="non_accrual", business_on=on, bank_id=bank_id, loan_id=loan_id, memo=f"非应计表外核算 {on.isoformat()}")
        rows = of_bank("eod_offbal", bank_id)
        for on_balance, off_balance, income, column in COMPONENTS:
            await post_per_loan(txn.id, on_balance.value, rows, f"-{column}")
            await post_per_loan(txn.id, off_balance.value, rows, column)
            await post_aggregate(txn.id, income.value, rows, column)
        await post_aggregate(txn.id, Account.INTEREST_INCOME.value, rows, "da")
        await post_aggregate(txn.id, Account.ACCRUED_INTEREST.value, rows, "-da")
        await post_aggregate(txn.id, Account.OFF_ACCRUED_INTEREST.value, rows, "da")
        await post_aggregate(txn.id, Account.OFF_BALANCE_CONTRA.value, rows, "-(di + dp + dc + da)")


CHECK_SQL = """
SELECT r.loan_id, r.non_accrual_since, r.off_interest_fen, r.off_penalty_fen, r.off_compound_fen,
  COALESCE(e.interest, 0) AS led_interest, COALESCE(e.penalty, 0) AS led_penalty, COALESCE(e.compound, 0) AS led_compound,
  COALESCE(i.interest, 0) AS owed_interest, l.penalty_fen, l.compound_fen, l.accrued_interest_fen, r.off_accrued_fen
FROM loan_risk r JOIN loan l ON l.id = r.loan_id
LEFT JOIN (SELECT loan_id,
             SUM(CASE WHEN account = 'off_interest' THEN debit_fen - credit_fen ELSE 0 END) AS interest,
             SUM(CASE WHEN account = 'off_penalty' THEN debit_fen - credit_fen ELSE 0 END) AS penalty,
             SUM(CASE WHEN account = 'off_compound' THEN debit_fen - credit_fen ELSE 0 END) AS compound
           FROM ledger_entry WHERE account IN ('off_interest', 'off_penalty', 'off_compound') GROUP BY loan_id) e ON e.loan_id = r.loan_id
LEFT JOIN (SELECT loan_id, SUM(interest_fen - paid_interest_fen) AS interest FROM installment
           WHERE due_on <= :falls_due AND loan_id IN (SELECT loan_id FROM loan_risk) GROUP BY loan_id) i
  ON i.loan_id = r.loan_id
"""

# Per bank: its books' off-balance accrued next to its loans', and its off-balance accounts net to zero against the contra.
TOTALS_SQL = """
SELECT bank_id, SUM(led_accrued) AS led_accrued, SUM(off_accrued) AS off_accrued, SUM(off_total) AS off_total FROM (
  SELECT t.bank_id, CASE WHEN e.account = 'off_accrued_interest' THEN e.debit_fen - e.credit_fen ELSE 0 END AS led_accrued,
    0 AS off_accrued, e.debit_fen - e.credit_fen AS off_total
  FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id
  WHERE e.account IN ('off_interest', 'off_penalty', 'off_compound', 'off_accrued_interest', 'off_balance_contra',
                      'written_off_principal', 'written_off_interest')
  UNION ALL
  SELECT b.bank_id, 0, r.off_accrued_fen, 0 FROM loan_risk r JOIN loan l ON l.id = r.loan_id JOIN branch b ON b.id = l.branch_id
) x GROUP BY bank_id
"""


async def check(today: date) -> list[tuple]:
    """Off-balance books agree with the ledger (each bank's), and (after end-of-day `today`) every non-accrual loan has
    all of what it owes off the balance sheet and every other loan none: (loan, what, ledger or off, books[, bank])."""
    problems: list[tuple] = []
    for totals in await fetch(TOTALS_SQL):
        bank = str(totals["bank_id"])
        if int(totals["led_accrued"]) != int(totals["off_accrued"]):
            problems.append(("portfolio", "off-balance accrued vs loans", int(totals["led_accrued"]), int(totals["off_accrued"]), bank))
        if int(totals["off_total"]) != 0:
            problems.append(("portfolio", "off-balance accounts vs contra", int(totals["off_total"]), 0, bank))
    for r in await fetch(CHECK_SQL, falls_due=today + timedelta(days=1)):  # a period falls due on the eve of its due date
        loan, on = str(r["loan_id"]), r["non_accrual_since"] is not None
        checks = [
            ("off-balance interest vs ledger", r["led_interest"], r["off_interest_fen"]),
            ("off-balance penalty vs ledger", r["led_penalty"], r["off_penalty_fen"]),
            ("off-balance compound vs ledger", r["led_compound"], r["off_compound_fen"]),
            ("off-balance interest vs owed", r["off_interest_fen"], r["owed_interest"] if on else 0),
            ("off-balance penalty vs owed", r["off_penalty_fen"], r["penalty_fen"] if on else 0),
            ("off-balance compound vs owed", r["off_compound_fen"], r["compound_fen"] if on else 0),
            ("off-balance accrued vs loan", r["off_accrued_fen"], r["accrued_interest_fen"] if on else 0),
        ]
        problems.extend((loan, what, int(a), int(b)) for what, a, b in checks if int(a) != int(b))
    return problems

"""End-of-day (日终) for one business date, set-based SQL so it scales with the portfolio.

Steps, each in its own transaction that also records the step as done (a crash
loses at most the step in flight; a re-run resumes after the last done step). One
caller at a time: `run_eod` holds the date's lease (app/services/eod_lease.py),
renews it between steps and debit batches, and commits a step only while it still
holds it; a second caller finds the lease live and changes nothing.

1. reprice    — floating loans whose repricing date it is take the latest LPR
                + their spread (app/services/lending/repricing.py; chunked),
                before accrual, so the repricing day accrues at the new rate.
   accrue     — interest for the day itself (算头不算尾) on the end-of-day balance
                not yet due, by the 积数 method (docs/lending.md: Σ balance × rate
                per loan, the posted total rounded once) into the portfolio's
                应计利息; when a row falls due tomorrow its period ends tonight:
                trued up to the schedule (term) or its exact figure written on
                the row (revolving), and moved to the loan's receivable.
2. auto_debit — debit every loan with something due through core banking
                (reference `eod:<loan>:<date>`, so a retry never debits twice),
                then apply the successful debits in full.
3. overdue    — installments due on or before the date and still unpaid become overdue.
4. penalty    — penalty interest on overdue principal and compound interest on
                overdue interest at contract rate × the product's multiplier / 360,
                for the day itself (the due date included), per loan by the 积数
                method, shared over the loan's overdue installments.
5. classify   — days past due (business date − earliest unpaid due date) and the five-tier class:
                the worst of the DPD floor, a manual/restructuring floor and a non-performing
                loan's own class (held until an approver upgrades it); upgrade proposals.
   nonaccrual — loans overdue beyond the policy's days become 非应计; their unpaid interest,
                penalty and compound are kept off the balance sheet (app/services/lending/nonaccrual.py).
   positions  — each loan's end-of-day position (one INSERT … SELECT per bank, idempotent per date),
                the month-end copy on a month's last business date, rows past the retention pruned
                (app/services/lending/positions.py).
   provision  — on a month's last business date only: each member bank's loan-loss allowance is brought to
                Σ class balance × rate (计提贷款损失准备, `provide_allowance` in app/services/lending/write_off.py),
                after the day's classes are set; once per bank and month (a resumed close finds the month's
                record and posts nothing).
6. advance    — the business date moves to the next day.

Revolving drawdowns (随借随还) accrue the same way; a settlement period runs from
the 21st through the 20th of Mar/Jun/Sep/Dec (结息日) and falls due on the 21st
(付息日), so auto-debit collects the exact figure on the 21st.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta

from tortoise.transactions import in_transaction

from app import clock
from app.crypto import Vault
from app.domain.allowance import DEFAULT_POLICY as DEFAULT_ALLOWANCE, AllowancePolicy
from app.domain.classification import DEFAULT_POLICY, ClassificationPolicy
from app.domain.error_codes import CommonCode
from app.domain.errors import ValidationError
from app.domain.ledger import Account, signed
from app.integrations.core_banking import CoreBanking, TransferResult
from app.models import CoreInstruction, DebitAttempt, EodRun, LedgerTransaction
from app.services import metrics
from app.services import audit, business_date, eod_lease
from app.services.actor import SYSTEM
from app.services.lending.repricing import reprice_due
from app.services.lending import classification, core_calls, core_outcomes, ledger, nonaccrual, positions, repayment
from app.services.lending.write_off import provide_allowance
from app.services.org import bank_ids
from app.sql import execute, fetch, is_postgres, now_sql, of_bank, post_aggregate, post_per_loan, uuid_type

logger = logging.getLogger(__name__)

STEPS = ("reprice", "accrue", "auto_debit", "overdue", "penalty", "classify", "nonaccrual", "positions", "provision", "extension_applications",
         "advance")
DEBIT_BATCH = 500
CORE_CONCURRENCY = 8  # auto-debit calls in flight at once: each is a round trip to the core (docs/core-banking.md)


@dataclass(frozen=True, slots=True)
class EodReport:
    business_on: date
    steps_run: tuple[str, ...]
    already_done: bool
    running: bool = False  # another caller holds the date's live lease: this call changed nothing


async def _temp(name: str, columns: str) -> None:
    await execute(f"DROP TABLE IF EXISTS {name}")
    await execute(f"CREATE TEMP TABLE {name} ({columns})")


async def _ledger_from(
    table: str, *, kind: str, on: date, lines: list[tuple[str, str]], income: list[tuple[str, str]], core_reference: str | None = None
) -> None:
    """One transaction per bank, to its own books: per-loan lines (account, amount column of `table`) of the bank's loans
    and one aggregate line per income account (their sum).

    `core_reference`: a column of `table` holding the core movement each loan's clearing line books.
    """
    for bank_id in await bank_ids():
        rows = of_bank(table, bank_id)
        txn = await LedgerTransaction.create(kind=kind, business_on=on, bank_id=bank_id, memo=f"日终 {on.isoformat()}")
        for account, column in lines:
            ref = core_reference if core_reference and account == "clearing" else "NULL"
            await post_per_loan(txn.id, account, rows, column, core_reference=ref)
        for account, column in income:  # income accounts are credited with the sum
            await post_aggregate(txn.id, account, rows, f"-({column})")


# The 积数 of one day, posted half-up with the loan's carry (app.domain.accrual.post_day): fen and new carry.
INTEREST_DEN = 360 * 1_000_000  # fen × ppm × days per fen (annual / 360)
PENALTY_DEN = 360 * 1_000_000_000  # fen × ppb × days per fen

ACCRUAL_ROWS = (
    "SELECT l.id, br.bank_id, l.method, l.accrued_interest_fen AS accrued, l.interest_carry AS carry, n.id AS nid, n.interest_fen AS row_interest,"
    " (l.outstanding_principal_fen - l.overdue_principal_fen - COALESCE(i.principal_fen - i.paid_principal_fen, 0))"
    "  * CAST(l.annual_rate_ppm AS BIGINT) AS x"
    " FROM loan l JOIN branch br ON br.id = l.branch_id LEFT JOIN installment i ON i.loan_id = l.id AND i.due_on = :d"
    " LEFT JOIN installment n ON n.loan_id = l.id AND n.due_on = :nx"
    " WHERE l.status = 'active' AND l.start_on <= :d"
)
POSTED_ROWS = f"SELECT b.*, (2 * (carry + x) + {INTEREST_DEN}) / {2 * INTEREST_DEN} AS post FROM ({ACCRUAL_ROWS}) b"
# a period ends tonight when a row falls due tomorrow: its interest is the schedule's (term) or the
# once-rounded 积数 of the period (revolving settlement), and it moves to the loan's receivable
FALLS_DUE = "CASE WHEN method = 'revolving' THEN accrued + post ELSE row_interest END"
INCOME = f"CASE WHEN nid IS NULL THEN post ELSE {FALLS_DUE} - accrued END"
NEW_ACCRUED = "CASE WHEN nid IS NULL THEN accrued + post ELSE 0 END"
NEW_CARRY = f"CASE WHEN nid IS NULL THEN carry + x - post * {INTEREST_DEN} ELSE 0 END"


async def accrue(on: date) -> None:
    """Interest for the day `on` itself (算头不算尾) on the end-of-day balance not yet due, by the 积数 method.

    Each loan adds the day's balance × rate to its interest 积数 and posts round(Σ / 360) minus
    what the period has posted (the loan's `accrued_interest_fen`) to the portfolio's 应计利息, so
    the period's posted total is always the once-rounded figure. When a row falls due tomorrow the
    period ends tonight: a term loan's period is trued up to the schedule, a revolving period's
    figure is written on its row (paid rows are never touched), and it moves to the loan's
    receivable, so the amount is exact and booked the morning it is due.
    """
    await _temp("eod_due", f"loan_id {uuid_type()} PRIMARY KEY, amount BIGINT NOT NULL, revolving INTEGER NOT NULL")
    await _temp("eod_total", f"bank_id {uuid_type()} NOT NULL, a BIGINT NOT NULL")
    nx = on + timedelta(days=1)
    if is_postgres():
        # one statement: update every loan and keep only the totals and the loans whose period ends tonight
        await execute(
            f"WITH t AS ({POSTED_ROWS}),"
            f" u AS (UPDATE loan SET accrued_interest_fen = {_qualified(NEW_ACCRUED)}, interest_carry = {_qualified(NEW_CARRY)}"
            f"       FROM t WHERE t.id = loan.id RETURNING t.bank_id, t.method, t.accrued, t.nid, t.row_interest, t.post, t.id),"
            f" due AS (INSERT INTO eod_due (loan_id, amount, revolving)"
            f"       SELECT id, {FALLS_DUE}, CASE WHEN method = 'revolving' THEN 1 ELSE 0 END FROM u WHERE nid IS NOT NULL RETURNING 1)"
            f" INSERT INTO eod_total (bank_id, a) SELECT bank_id, SUM({INCOME}) FROM u GROUP BY bank_id",
            d=on, nx=nx,
        )
    else:
        await _temp("eod_accrual", f"loan_id {uuid_type()} PRIMARY KEY, bank_id {uuid_type()} NOT NULL, inc BIGINT NOT NULL, acc BIGINT NOT NULL, carry BIGINT NOT NULL, due BIGINT, revolving INTEGER NOT NULL")
        await execute(
            f"INSERT INTO eod_accrual (loan_id, bank_id, inc, acc, carry, due, revolving)"
            f" SELECT id, bank_id, {INCOME}, {NEW_ACCRUED}, {NEW_CARRY}, CASE WHEN nid IS NULL THEN NULL ELSE {FALLS_DUE} END,"
            f"  CASE WHEN method = 'revolving' THEN 1 ELSE 0 END FROM ({POSTED_ROWS}) t",
            d=on, nx=nx,
        )
        await execute("UPDATE loan SET accrued_interest_fen = e.acc, interest_carry = e.carry FROM eod_accrual e WHERE e.loan_id = loan.id")
        await execute("INSERT INTO eod_due (loan_id, amount, revolving) SELECT loan_id, due, revolving FROM eod_accrual WHERE due IS NOT NULL")
        await execute("INSERT INTO eod_total (bank_id, a) SELECT bank_id, SUM(inc) FROM eod_accrual GROUP BY bank_id")
    # a revolving row takes its exact figure the evening before it falls due; a paid row is never re-priced
    await execute(
        "UPDATE installment SET interest_fen = e.amount FROM eod_due e"
        " WHERE e.revolving = 1 AND installment.loan_id = e.loan_id AND installment.due_on = :nx"
        " AND installment.status = 'pending' AND installment.paid_interest_fen <= e.amount",
        nx=nx,
    )
    totals = {str(r["bank_id"]): int(r["a"]) for r in await fetch("SELECT bank_id, a FROM eod_total")}
    for bank_id in await bank_ids():  # each bank's day of interest, to its own books
        await ledger.post(kind="accrual", business_on=on, loan_id=None, bank_id=bank_id, memo=f"日终计息 {on.isoformat()}",
                          postings=signed(totals.get(str(bank_id), 0), Account.ACCRUED_INTEREST, Account.INTEREST_INCOME))
    await _ledger_from("eod_due", kind="interest_due", on=on, lines=[("interest_receivable", "amount")], income=[("accrued_interest", "amount")])


def _qualified(expression: str) -> str:
    """The expression with the CTE's columns qualified (t.), for the UPDATE … FROM t of PostgreSQL."""
    for column in ("accrued", "carry", "post", "nid", "x"):
        expression = re.sub(rf"\b{column}\b", f"t.{column}", expression)
    return expression


OWED_SQL = """
SELECT o.loan_id, o.owed, c.card_number_enc FROM (
  SELECT i.loan_id, l.card_id,
    SUM(i.penalty_fen - i.paid_penalty_fen + i.compound_fen - i.paid_compound_fen
        + i.interest_fen - i.paid_interest_fen + i.principal_fen - i.paid_principal_fen) AS owed
  FROM installment i JOIN loan l ON l.id = i.loan_id
  WHERE i.due_on <= :d AND i.status <> 'paid' AND l.status = 'active' AND l.card_id IS NOT NULL {only}
    AND NOT EXISTS (SELECT 1 FROM debit_attempt a WHERE a.loan_id = i.loan_id AND a.business_on = :d)
    AND NOT EXISTS (SELECT 1 FROM core_instruction ci WHERE ci.reference = 'eod:' || CAST(l.id AS TEXT) || :suffix)
  GROUP BY i.loan_id, l.card_id
) o JOIN bank_card c ON c.id = o.card_id
WHERE o.owed > 0
"""


def _ids(ids: list[str]) -> tuple[str, dict[str, str]]:
    return ", ".join(f":i{n}" for n in range(len(ids))), {f"i{n}": v for n, v in enumerate(ids)}


async def _claim(on: date, rows: list[dict]) -> list[dict]:
    """Set the "debit in flight" marker on each loan (a conditional UPDATE: none already set), then re-read
    what each owes and write the pending instructions, in one transaction. A repayment that committed before
    is in the amount; one that comes after finds the marker and is refused."""
    suffix = f":{on.isoformat()}"
    names, params = _ids([str(r["loan_id"]) for r in rows])
    async with in_transaction():
        await execute(
            f"UPDATE loan SET debit_in_flight = 'eod:' || CAST(id AS TEXT) || :suffix"
            f" WHERE id IN ({names}) AND debit_in_flight IS NULL AND status = 'active'",
            suffix=suffix, **params,
        )
        claimed = await fetch(OWED_SQL.format(only=f"AND l.id IN ({names}) AND l.debit_in_flight = 'eod:' || CAST(l.id AS TEXT) || :suffix"),
                              d=on, suffix=suffix, **params)
        owing = {str(r["loan_id"]) for r in claimed}
        released = [str(r["loan_id"]) for r in rows if str(r["loan_id"]) not in owing]
        if released:  # paid meanwhile: nothing to debit
            rel_names, rel_params = _ids(released)
            await execute(f"UPDATE loan SET debit_in_flight = NULL WHERE id IN ({rel_names}) AND debit_in_flight = 'eod:' || CAST(id AS TEXT) || :suffix",
                          suffix=suffix, **rel_params)
        await CoreInstruction.bulk_create(
            [CoreInstruction(reference=f"eod:{r['loan_id']}{suffix}", kind="debit", purpose="auto_debit", loan_id=r["loan_id"],
                             amount_fen=int(r["owed"]), business_on=on) for r in claimed],
            batch_size=DEBIT_BATCH,
        )
    return claimed


async def _debit_batch(on: date, rows: list[dict], *, core: CoreBanking, vault: Vault) -> None:
    claimed = await _claim(on, rows)
    gate = asyncio.Semaphore(CORE_CONCURRENCY)

    async def call(r: dict) -> tuple[str, str, TransferResult]:
        reference = f"eod:{r['loan_id']}:{on.isoformat()}"
        number = vault.decrypt(bytes(r["card_number_enc"]), context=b"card_number")
        async with gate:
            result = await core_calls.settle(core, reference, await core.debit(reference=reference, card_number=number, amount_fen=int(r["owed"])))
        return reference, str(r["loan_id"]), result

    # the instructions are committed as pending first (_claim), so calls in flight at once are safe: a crash
    # leaves pending instructions for the resolver, exactly as one call at a time would
    answers = await asyncio.gather(*(call(r) for r in claimed))
    known = [(ref, loan, res) for ref, loan, res in answers if not res.unknown]
    if not known:
        return
    async with in_transaction():
        instructions = {i.reference: i for i in await CoreInstruction.filter(reference__in=[ref for ref, _, _ in known])}
        for ref, _, res in known:
            i = instructions[ref]
            i.outcome, i.core_ref, i.reason, i.resolved_at = core_calls.OUTCOMES[res.outcome], res.core_ref, res.reason[:128], clock.now_utc()
        await CoreInstruction.bulk_update(list(instructions.values()), fields=["outcome", "core_ref", "reason", "resolved_at"], batch_size=DEBIT_BATCH)
        await DebitAttempt.bulk_create(
            [DebitAttempt(loan_id=loan, business_on=on, amount_fen=instructions[ref].amount_fen, ok=res.ok, reason=res.reason[:128]) for ref, loan, res in known],
            batch_size=DEBIT_BATCH,
        )
        refused = [loan for _, loan, res in known if not res.ok]
        if refused:
            names, params = _ids(refused)
            await execute(f"UPDATE loan SET debit_in_flight = NULL WHERE id IN ({names})", **params)


async def debit_due(on: date, *, core: CoreBanking, vault: Vault, heartbeat: Callable[[], Awaitable[None]] | None = None) -> int:
    """Debit each loan with something due through core banking, in batches (a saga, outside the booking transaction).

    First the instructions still 处理中 from earlier runs are settled and suspense is refunded or
    applied (app/services/lending/core_outcomes.py). Per loan: the marker and a pending instruction
    are committed before the call; the answer (done, refused, or unknown after 查询交易状态) is
    recorded after it; `apply_debits` books the done ones. An unknown one keeps its marker until the
    resolver settles it. `heartbeat` is awaited between batches (end-of-day renews its lease there).
    """
    await core_outcomes.resolve_pending(core)
    await core_outcomes.settle_suspense(on, core=core, vault=vault)
    rows = await fetch(OWED_SQL.format(only="AND l.debit_in_flight IS NULL"), d=on, suffix=f":{on.isoformat()}")
    if not rows:
        return 0
    await audit.record(SYSTEM, "card_number.reveal", "eod", on.isoformat(), after={"purpose": "auto_debit", "cards": len(rows)})
    for start in range(0, len(rows), DEBIT_BATCH):
        await _debit_batch(on, rows[start : start + DEBIT_BATCH], core=core, vault=vault)
        if heartbeat is not None and start + DEBIT_BATCH < len(rows):
            await heartbeat()  # between batches (the step that follows renews it too)
    return len(rows)


# debits the core confirmed and not yet booked: the loan's marker names a done auto-debit instruction
CONFIRMED_SQL = (
    "SELECT l.id AS loan_id, c.amount_fen, c.reference, c.business_on FROM loan l"
    " JOIN core_instruction c ON c.reference = l.debit_in_flight AND c.outcome = 'done' AND c.purpose = 'auto_debit'"
    " WHERE l.debit_in_flight IS NOT NULL"
)


async def apply_debits(on: date) -> None:
    """Book every debit the core confirmed: in full when it is exactly what is owed now (set-based), and
    otherwise per loan (what is due, the rest to suspense) — a confirmed debit is never dropped."""
    await _temp("eod_confirmed", f"loan_id {uuid_type()} PRIMARY KEY, amount BIGINT, ref VARCHAR(80)")
    await execute(f"INSERT INTO eod_confirmed (loan_id, amount, ref) SELECT loan_id, amount_fen, reference FROM ({CONFIRMED_SQL}) x")
    await _temp(
        "eod_pay",
        f"loan_id {uuid_type()} PRIMARY KEY, pen BIGINT, cmp BIGINT, intr BIGINT, prin BIGINT, op BIGINT, oi BIGINT, total BIGINT, ref VARCHAR(80)",
    )
    await execute(
        "INSERT INTO eod_pay (loan_id, pen, cmp, intr, prin, op, oi, total, ref)"
        " SELECT i.loan_id, SUM(i.penalty_fen - i.paid_penalty_fen), SUM(i.compound_fen - i.paid_compound_fen),"
        "  SUM(i.interest_fen - i.paid_interest_fen), SUM(i.principal_fen - i.paid_principal_fen),"
        "  SUM(CASE WHEN i.status = 'overdue' THEN i.principal_fen - i.paid_principal_fen ELSE 0 END),"
        "  SUM(CASE WHEN i.status = 'overdue' THEN i.interest_fen - i.paid_interest_fen ELSE 0 END), a.amount, a.ref"
        " FROM installment i JOIN eod_confirmed a ON a.loan_id = i.loan_id"
        " WHERE i.due_on <= :d AND i.status <> 'paid'"
        " GROUP BY i.loan_id, a.amount, a.ref",
        d=on,
    )
    # the fast path takes only debits that are exactly what is owed now; the others are booked one by one below
    await execute("DELETE FROM eod_pay WHERE pen + cmp + intr + prin <> total")
    for r in await fetch("SELECT c.loan_id, c.amount, c.ref, i.business_on FROM eod_confirmed c JOIN core_instruction i ON i.reference = c.ref"
                         " WHERE NOT EXISTS (SELECT 1 FROM eod_pay p WHERE p.loan_id = c.loan_id)"):
        await repayment.book_cash(r["loan_id"], int(r["amount"]), on=on, kind="auto_debit", memo="自动扣款（应还金额已变化）", core_reference=r["ref"])
    await execute(
        "UPDATE installment SET paid_penalty_fen = penalty_fen, paid_compound_fen = compound_fen, paid_interest_fen = interest_fen,"
        f" paid_principal_fen = principal_fen, status = 'paid', paid_on = :d, updated_at = {now_sql()}"
        " WHERE due_on <= :d AND status <> 'paid' AND loan_id IN (SELECT loan_id FROM eod_pay)",
        d=on,
    )
    await execute(
        "UPDATE loan SET outstanding_principal_fen = loan.outstanding_principal_fen - e.prin,"
        " overdue_principal_fen = loan.overdue_principal_fen - e.op, overdue_interest_fen = loan.overdue_interest_fen - e.oi,"
        f" penalty_fen = loan.penalty_fen - e.pen, compound_fen = loan.compound_fen - e.cmp, updated_at = {now_sql()} FROM eod_pay e WHERE e.loan_id = loan.id"
    )
    await execute(
        f"UPDATE credit_line SET used_fen = credit_line.used_fen - s.p, updated_at = {now_sql()}"
        " FROM (SELECT l.credit_line_id AS line_id, SUM(e.prin) AS p FROM eod_pay e JOIN loan l ON l.id = e.loan_id GROUP BY l.credit_line_id) s"
        " WHERE s.line_id = credit_line.id"
    )
    await execute(
        f"UPDATE loan SET status = 'settled', settled_on = :d, accrued_interest_fen = 0, days_past_due = 0, classification = 'normal', updated_at = {now_sql()}"
        " WHERE id IN (SELECT loan_id FROM eod_pay)"
        " AND NOT EXISTS (SELECT 1 FROM installment i WHERE i.loan_id = loan.id AND i.status <> 'paid')",
        d=on,
    )
    await execute("UPDATE loan SET debit_in_flight = NULL WHERE id IN (SELECT loan_id FROM eod_confirmed)")
    # the debited cash pays the receivables: per-loan lines, clearing included, so each loan's sub-ledger balances
    await execute("UPDATE eod_pay SET pen = -pen, cmp = -cmp, intr = -intr, prin = -prin")  # credits
    await _ledger_from(
        "eod_pay",
        kind="auto_debit",
        on=on,
        lines=[("clearing", "total"), ("penalty_receivable", "pen"), ("compound_receivable", "cmp"), ("interest_receivable", "intr"), ("loan_principal", "prin")],
        income=[],
        core_reference="ref",
    )


async def mark_overdue(on: date) -> None:
    """Installments due and unpaid become overdue; each loan's overdue amounts follow (a status change: `updated_at`,
    only on the rows whose status or amounts change)."""
    await execute(f"UPDATE installment SET status = 'overdue', updated_at = {now_sql()} WHERE status = 'pending' AND due_on <= :d", d=on)
    await execute(
        f"UPDATE loan SET overdue_principal_fen = s.p, overdue_interest_fen = s.i, updated_at = {now_sql()}"
        " FROM (SELECT loan_id, SUM(principal_fen - paid_principal_fen) AS p, SUM(interest_fen - paid_interest_fen) AS i"
        "       FROM installment WHERE status = 'overdue' GROUP BY loan_id) s"
        " WHERE s.loan_id = loan.id AND (loan.overdue_principal_fen <> s.p OR loan.overdue_interest_fen <> s.i)"
    )


# per loan: overdue principal and interest, the penalty rate in ppb and the day's postings by the 积数 method
PENALTY_LOANS = f"""
INSERT INTO eod_penalty_loan (loan_id, pen, cmp, pen_carry, cmp_carry, p, c)
SELECT loan_id, pen, cmp, pc + xp - pen * {PENALTY_DEN}, cc + xc - cmp * {PENALTY_DEN}, p, c FROM (
  SELECT loan_id, pc, cc, xp, xc, p, c,
    (2 * (pc + xp) + {PENALTY_DEN}) / {2 * PENALTY_DEN} AS pen, (2 * (cc + xc) + {PENALTY_DEN}) / {2 * PENALTY_DEN} AS cmp
  FROM (
    SELECT o.loan_id, l.penalty_carry AS pc, l.compound_carry AS cc, o.p, o.c,
      o.p * (CAST(l.annual_rate_ppm AS BIGINT) * pr.penalty_multiplier_ppm / 1000) AS xp,
      o.c * (CAST(l.annual_rate_ppm AS BIGINT) * pr.penalty_multiplier_ppm / 1000) AS xc
    FROM (SELECT loan_id, CAST(SUM(p) AS BIGINT) AS p, CAST(SUM(c) AS BIGINT) AS c FROM eod_penalty GROUP BY loan_id) o
    JOIN loan l ON l.id = o.loan_id JOIN product pr ON pr.id = l.product_id
  ) r
) q
"""


async def charge_penalty(on: date) -> None:
    """Penalty (罚息) on overdue principal and compound (复利) on overdue interest for the day `on`, due date included.

    Per loan and component, by the 积数 method: the day's overdue amount × penalty rate (contract
    rate × multiplier, in ppb) is added to the loan's carry and round(Σ / 360) minus what the
    loan has posted is posted. The loan's amount is shared over its overdue installments in
    proportion to their overdue principal (penalty) or interest (compound), rounding down, the
    oldest taking the rest — the installment a payment reaches first (docs/lending.md). A loan whose
    auto-debit is still 处理中 (outcome unknown) earns none until the core answers.
    """
    await _temp("eod_penalty", f"inst_id {uuid_type()} PRIMARY KEY, loan_id {uuid_type()} NOT NULL, p BIGINT, c BIGINT, rk INTEGER")
    await execute(
        "INSERT INTO eod_penalty (inst_id, loan_id, p, c, rk)"
        " SELECT i.id, i.loan_id, i.principal_fen - i.paid_principal_fen, i.interest_fen - i.paid_interest_fen,"
        "  ROW_NUMBER() OVER (PARTITION BY i.loan_id ORDER BY i.due_on, i.number)"
        " FROM installment i JOIN loan l ON l.id = i.loan_id"
        " WHERE i.status = 'overdue' AND i.due_on <= :d AND l.status = 'active'"
        "  AND l.debit_in_flight IS NULL",  # 处理中: the core may have taken the money on time; no penalty until it answers
        d=on,
    )
    await _temp("eod_penalty_loan", f"loan_id {uuid_type()} PRIMARY KEY, pen BIGINT, cmp BIGINT, pen_carry BIGINT, cmp_carry BIGINT, p BIGINT, c BIGINT")
    await execute(PENALTY_LOANS)
    # the carries stay with the loan (under half a fen each): its penalty over its life is its 积数 rounded once
    await execute("UPDATE loan SET penalty_carry = e.pen_carry, compound_carry = e.cmp_carry FROM eod_penalty_loan e WHERE e.loan_id = loan.id")
    await execute("DELETE FROM eod_penalty_loan WHERE pen = 0 AND cmp = 0")
    await execute("DELETE FROM eod_penalty WHERE loan_id NOT IN (SELECT loan_id FROM eod_penalty_loan)")
    if is_postgres():
        await execute("ANALYZE eod_penalty")  # a temp table has no statistics: without them the join below scans every installment
    await execute(
        "UPDATE eod_penalty SET p = CASE WHEN e.p > 0 THEN e.pen * eod_penalty.p / e.p ELSE 0 END,"
        " c = CASE WHEN e.c > 0 THEN e.cmp * eod_penalty.c / e.c ELSE 0 END FROM eod_penalty_loan e WHERE e.loan_id = eod_penalty.loan_id"
    )
    await execute(
        "UPDATE eod_penalty SET p = eod_penalty.p + e.pen - s.p, c = eod_penalty.c + e.cmp - s.c"
        " FROM eod_penalty_loan e, (SELECT loan_id, SUM(p) AS p, SUM(c) AS c FROM eod_penalty GROUP BY loan_id) s"
        " WHERE e.loan_id = eod_penalty.loan_id AND s.loan_id = eod_penalty.loan_id AND eod_penalty.rk = 1"
    )
    await execute(
        "UPDATE installment SET penalty_fen = installment.penalty_fen + e.p, compound_fen = installment.compound_fen + e.c"
        " FROM eod_penalty e WHERE e.inst_id = installment.id AND (e.p <> 0 OR e.c <> 0)"
    )
    await execute(
        "UPDATE loan SET penalty_fen = loan.penalty_fen + e.pen, compound_fen = loan.compound_fen + e.cmp"
        " FROM eod_penalty_loan e WHERE e.loan_id = loan.id"
    )
    await _ledger_from(
        "eod_penalty_loan",
        kind="penalty",
        on=on,
        lines=[("penalty_receivable", "pen"), ("compound_receivable", "cmp")],
        income=[("penalty_income", "pen"), ("compound_income", "cmp")],
    )


async def classify(on: date, policy: ClassificationPolicy = DEFAULT_POLICY) -> None:
    """Days past due and the stateful five-tier class (app/services/lending/classification.py)."""
    await classification.classify_all(on, policy)


async def _nothing() -> None:
    return None


async def provide_month_end(on: date, policy: AllowancePolicy = DEFAULT_ALLOWANCE) -> None:
    """On a month's last business date, each member bank's provision for the month (once per bank and month)."""
    if not positions.is_month_end(on):
        return
    for bank_id in await bank_ids():
        result = await provide_allowance(actor=SYSTEM, bank_id=bank_id, today=on, policy=policy)
        logger.info("eod %s: provision %s bank %s required %s posted %s", on, result.month, bank_id, result.required_fen, result.posted_fen)


async def run_eod(
    *, on: date | None = None, core: CoreBanking, vault: Vault, policy: ClassificationPolicy = DEFAULT_POLICY, now=None,
    lease_ttl: int = eod_lease.DEFAULT_TTL_SECONDS, positions_retention_days: int = positions.DEFAULT_RETENTION_DAYS,
    allowance: AllowancePolicy = DEFAULT_ALLOWANCE,
) -> EodReport:
    """Run (or resume) end-of-day for the current business date under the date's lease; a finished date is a no-op.

    A caller that finds another's live lease changes nothing and reports `running`;
    an expired lease (its holder was killed) is taken over and the run resumes after
    the last finished step (app/services/eod_lease.py).
    """
    current = await business_date.current()
    target = on or current
    existing = await EodRun.get_or_none(business_on=target)
    if existing is not None and existing.finished_at is not None:
        return EodReport(target, (), already_done=True)
    if target != current:
        raise ValidationError(f"当前会计日期为 {current.isoformat()}，不能对 {target.isoformat()} 日终", code=CommonCode.INVALID_DATE, field="date")
    lease = await eod_lease.acquire(target, ttl_seconds=lease_ttl)
    if lease is None:
        return EodReport(target, (), already_done=False, running=True)
    try:
        run = await EodRun.get(id=lease.run_id)  # read under the lease: a previous holder may have gone further
        if run.finished_at is not None:
            return EodReport(target, (), already_done=True)
        return await _run_steps(run, lease, core=core, vault=vault, policy=policy, now=now, retention_days=positions_retention_days,
                                allowance=allowance)
    finally:
        await lease.release()


async def _expire_applications(target: date) -> None:
    """展期 applications not acted on by their loan's maturity expire (kept; the app shows 已过期)."""
    from app.services.lending.extension import expire_extension_applications  # extension builds on the schedule services

    await expire_extension_applications(closed_on=target)


async def _run_steps(
    run: EodRun, lease: eod_lease.Lease, *, core: CoreBanking, vault: Vault, policy: ClassificationPolicy, now, retention_days: int,
    allowance: AllowancePolicy = DEFAULT_ALLOWANCE,
) -> EodReport:
    target = run.business_on
    ran: list[str] = []

    async def step(name: str, work: Callable[[], Awaitable[None]]) -> None:
        """The step's work and its record in one transaction, committed only while the lease is still ours."""
        if name in run.steps_done:
            return
        await lease.renew()
        started = time.perf_counter()
        async with in_transaction():
            await work()
            run.steps_done = [*run.steps_done, name]
            if not await EodRun.filter(lease.mine()).update(steps_done=run.steps_done, heartbeat_at=clock.now_utc()):
                raise eod_lease.LeaseLost(target)  # rolls the step back: its new holder does it
        ran.append(name)
        metrics.EOD_STEP_SECONDS.labels(name).observe(time.perf_counter() - started)
        logger.info("eod %s: %s done", target, name)

    if "reprice" not in run.steps_done:  # before accrual: a repricing day accrues at the new rate
        await lease.renew()
        await reprice_due(target)  # chunked, each chunk its own transaction (resumable by itself)
        await step("reprice", _nothing)
    await step("accrue", lambda: accrue(target))
    if "auto_debit" not in run.steps_done:
        await lease.renew()
        # outside a transaction: each attempt is recorded as made; the lease is renewed after each batch
        await debit_due(target, core=core, vault=vault, heartbeat=lease.renew)
    await step("auto_debit", lambda: apply_debits(target))
    await step("overdue", lambda: mark_overdue(target))
    await step("penalty", lambda: charge_penalty(target))

    async def classify_and_keep_policy() -> None:  # kept with the day: a value-dated reversal replays it with the same policy
        await classify(target, policy)
        await EodRun.filter(id=run.id).update(classification_policy=policy.to_json())

    await step("classify", classify_and_keep_policy)
    await step("nonaccrual", lambda: nonaccrual.run(target, policy))
    await step("positions", lambda: positions.write_positions(target, retention_days=retention_days))
    await step("provision", lambda: provide_month_end(target, allowance))
    await step("extension_applications", lambda: _expire_applications(target))

    async def advance() -> None:
        await business_date.set_current(target + timedelta(days=1))
        await EodRun.filter(id=run.id).update(finished_at=now or clock.now_utc())
        await audit.record(SYSTEM, "eod.finish", "eod_run", run.id, after={"business_on": target.isoformat()})

    await step("advance", advance)
    return EodReport(target, tuple(ran), already_done=False)

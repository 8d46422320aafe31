"""The day's close raises post-loan checks (贷后检查任务): first and periodic checks, and checks raised by early warnings.

`raise_checks(on=...)` runs in the close's `risk` stage after the day's warnings
(app/services/risk/after_eod.py). Two bounded SQL queries narrow the portfolio to candidates;
the pure rule (`app.domain.postloan.plan_checks`) decides. A check is unique per
(loan, reason, due date), and the queries skip loans that already have what they would raise,
so running a date twice raises nothing twice.

A check goes to the officer of the loan's credit line, else to the officer of the customer's
village (as warnings do); a check raised by a warning goes to that warning's officer.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain import postloan as rules
from app.domain.postloan import DEFAULT_SCHEDULE, CheckReason, CheckSchedule, CheckStatus, LoanFacts
from app.models import PostLoanCheck
from app.services import audit
from app.services.actor import SYSTEM, Actor
from app.sql import as_date, as_uuid, fetch

logger = logging.getLogger(__name__)

BATCH = 500
OPEN = "('due', 'returned', 'submitted')"
LOAN_JOINS = (
    " JOIN credit_line cl ON cl.id = l.credit_line_id JOIN customer c ON c.id = l.customer_id"
    " JOIN product p ON p.id = l.product_id LEFT JOIN village v ON v.id = c.village_id"
)


@dataclass(frozen=True, slots=True)
class CheckRunReport:
    business_on: date
    created: dict[str, int] = field(default_factory=dict)  # by reason

    @property
    def total(self) -> int:
        return sum(self.created.values())


def _row(r: dict, reason: CheckReason, due_on: date, on: date, warning_id: UUID | None = None) -> PostLoanCheck:
    return PostLoanCheck(
        loan_id=as_uuid(r["loan_id"]), customer_id=as_uuid(r["customer_id"]), branch_id=as_uuid(r["branch_id"]),
        officer_id=as_uuid(r["officer_id"]), reason=reason, due_on=due_on, raised_on=on, warning_id=warning_id, status=CheckStatus.DUE,
    )


async def _scheduled(on: date, schedule: CheckSchedule) -> list[PostLoanCheck]:
    """First checks of loans that never had one; periodic checks of loans with none open whose last check is old enough."""
    cutoff = on - timedelta(days=schedule.shortest_interval) + timedelta(days=schedule.lead_days)
    rows = await fetch(
        "SELECT * FROM ("
        " SELECT l.id AS loan_id, l.customer_id, l.branch_id, COALESCE(cl.officer_id, v.officer_id) AS officer_id,"
        "  l.start_on, l.classification, p.code AS product_code,"
        "  (SELECT COUNT(*) FROM post_loan_check k WHERE k.loan_id = l.id AND k.reason = 'first') AS firsts,"
        f"  (SELECT COUNT(*) FROM post_loan_check k WHERE k.loan_id = l.id AND k.status IN {OPEN}) AS open_checks,"
        "  (SELECT MAX(k.checked_on) FROM post_loan_check k WHERE k.loan_id = l.id AND k.status = 'confirmed') AS last_on"
        f" FROM loan l{LOAN_JOINS}"
        " WHERE l.status = 'active' AND l.start_on <= :d"
        ") t WHERE t.firsts = 0 OR (t.open_checks = 0 AND COALESCE(t.last_on, t.start_on) <= :cutoff)",
        d=on, cutoff=cutoff,
    )
    found = []
    for r in rows:
        facts = LoanFacts(
            start_on=as_date(r["start_on"]), product_code=str(r["product_code"]), loan_class=str(r["classification"]),
            has_first=int(r["firsts"]) > 0, has_open=int(r["open_checks"]) > 0, last_confirmed_on=as_date(r["last_on"]),
        )
        found += [_row(r, p.reason, p.due_on, on) for p in rules.plan_checks(facts, on=on, schedule=schedule)]
    return found


async def _raised_by_warnings(on: date, schedule: CheckSchedule) -> list[PostLoanCheck]:
    """The day's warnings of the kinds that raise a check: one check per loan (a customer warning: each active loan)."""
    kinds = sorted(schedule.warning_kinds)
    if not kinds:
        return []
    params = {f"k{i}": kind for i, kind in enumerate(kinds)}
    rows = await fetch(
        "SELECT w.id AS warning_id, w.kind, l.id AS loan_id, l.customer_id, l.branch_id,"
        " COALESCE(w.officer_id, cl.officer_id, v.officer_id) AS officer_id"
        " FROM early_warning w JOIN loan l ON (l.id = w.loan_id OR (w.loan_id IS NULL AND l.customer_id = w.customer_id))"
        f"{LOAN_JOINS}"
        f" WHERE w.business_on = :d AND w.kind IN ({', '.join(':' + k for k in params)}) AND l.status = 'active'"
        f" AND NOT EXISTS (SELECT 1 FROM post_loan_check k WHERE k.loan_id = l.id AND k.reason = 'warning' AND k.status IN {OPEN})"
        " ORDER BY w.created_at, w.id",
        d=on, **params,
    )
    found, seen = [], set()
    for r in rows:
        loan_id = as_uuid(r["loan_id"])
        if loan_id in seen or not rules.warning_raises_check(r["kind"], schedule):
            continue
        seen.add(loan_id)
        found.append(_row(r, CheckReason.WARNING, rules.warning_check_due(on, schedule), on, warning_id=as_uuid(r["warning_id"])))
    return found


async def _count_by_reason(on: date) -> Counter:
    return Counter(str(getattr(r, "value", r)) for r in await PostLoanCheck.filter(raised_on=on).values_list("reason", flat=True))


async def raise_checks(*, on: date, schedule: CheckSchedule = DEFAULT_SCHEDULE, actor: Actor = SYSTEM) -> CheckRunReport:
    """Raise the checks due from the close of `on` (idempotent per business date)."""
    rows = await _scheduled(on, schedule) + await _raised_by_warnings(on, schedule)
    async with in_transaction():
        before = await _count_by_reason(on)
        if rows:
            await PostLoanCheck.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
        after = await _count_by_reason(on)
        created = {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0) > 0}
        await audit.record(actor, "postloan.raise", "post_loan_check", None, after={"businessOn": on.isoformat(), "created": created})
    logger.info("post-loan checks %s: %s new", on, sum(created.values()))
    return CheckRunReport(business_on=on, created=created)

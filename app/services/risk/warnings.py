"""Early warnings (贷后预警): found daily after end-of-day, assigned, handled, audited.

`run_warnings(on=...)` asks the database for candidates with one bounded SQL query
per kind (never a loop over the portfolio), lets the pure rules in
`app.domain.warnings` decide, and inserts what they find. Re-running a date adds
nothing: a warning is unique per (kind, subject, business date), and each query
also skips subjects already warned about (in the current overdue episode, within
the failed-debit window, once per line for a large drawdown).

A warning goes to the officer of the loan's credit line, else to the officer of the
customer's village; unassigned warnings are seen by the branch's managers.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from tortoise.transactions import in_transaction

from app.clock import now_utc
from app.domain.permissions import Action
from app.domain import warnings as rules
from app.domain.credit_report import CreditReportError, parse_report
from app.domain.error_codes import RiskCode
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.warnings import DEFAULT_THRESHOLDS, Finding, Severity, Thresholds, WarningKind
from app.models import DebitAttempt, EarlyWarning, Loan, WarningAction
from app.models.warning import WarningActionKind, WarningStatus
from app.services import audit
from app.services.actor import SYSTEM, Actor
from app.services.customers.trail import Trail, customer_trail
from app.services.documents import MediaStore
from app.sql import as_date, as_uuid, days_between, fetch
from app.services.risk.external_warnings import external_findings
from app.services.risk.worklists import can_see, require_worker, scoped

logger = logging.getLogger(__name__)

BATCH = 500
LOAN_JOINS = (
    " JOIN credit_line cl ON cl.id = l.credit_line_id JOIN customer c ON c.id = l.customer_id"
    " LEFT JOIN village v ON v.id = c.village_id"
)
LOAN_OFFICER = "COALESCE(cl.officer_id, v.officer_id)"


@dataclass(frozen=True, slots=True)
class Candidate:
    customer_id: UUID
    branch_id: UUID
    officer_id: UUID | None
    loan_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class WarningRunReport:
    business_on: date
    created: dict[str, int] = field(default_factory=dict)
    skipped_reports: int = 0  # stored reports that could not be read (missing or damaged)

    @property
    def total(self) -> int:
        return sum(self.created.values())


def _candidate(row: dict, *, loan: bool = True) -> Candidate:
    return Candidate(
        customer_id=as_uuid(row["customer_id"]),
        branch_id=as_uuid(row["branch_id"]),
        officer_id=as_uuid(row["officer_id"]),
        loan_id=as_uuid(row["loan_id"]) if loan else None,
    )


async def _new_overdue(on: date) -> list[tuple[Candidate, Finding]]:
    rows = await fetch(
        f"SELECT l.id AS loan_id, l.customer_id, l.branch_id, {LOAN_OFFICER} AS officer_id,"
        " l.overdue_principal_fen, l.overdue_interest_fen,"
        " (SELECT MIN(i.due_on) FROM installment i WHERE i.loan_id = l.id AND i.status = 'overdue') AS oldest_on"
        f" FROM loan l{LOAN_JOINS}"
        " WHERE l.status = 'active'"
        " AND EXISTS (SELECT 1 FROM installment i WHERE i.loan_id = l.id AND i.status = 'overdue' AND i.due_on = :d)",
        d=on,
    )
    found = []
    for r in rows:
        finding = rules.new_overdue(
            on=on, oldest_overdue_due_on=as_date(r["oldest_on"]),
            overdue_principal_fen=int(r["overdue_principal_fen"]), overdue_interest_fen=int(r["overdue_interest_fen"]),
        )
        if finding:
            found.append((_candidate(r), finding))
    return found


async def _rising_dpd(on: date, levels: tuple[int, ...]) -> list[tuple[Candidate, Finding]]:
    params = {f"lv{i}": level for i, level in enumerate(levels)}
    level_now = "CASE " + " ".join(f"WHEN t.dpd >= :lv{i} THEN :lv{i}" for i in reversed(range(len(levels)))) + " ELSE 0 END"
    rows = await fetch(
        "SELECT * FROM ("
        f" SELECT l.id AS loan_id, l.customer_id, l.branch_id, {LOAN_OFFICER} AS officer_id, l.days_past_due AS dpd,"
        "  COALESCE((SELECT MAX(w.level) FROM early_warning w WHERE w.subject_id = l.id AND w.kind = 'rising_dpd'"
        f"   AND {days_between(':d', 'w.business_on')} <= l.days_past_due), 0) AS warned"
        f" FROM loan l{LOAN_JOINS}"
        " WHERE l.status = 'active' AND l.days_past_due >= :lv0"
        f") t WHERE t.warned < {level_now}",
        d=on, **params,
    )
    found = []
    for r in rows:
        finding = rules.rising_dpd(days_past_due=int(r["dpd"]), warned_level=int(r["warned"]), levels=levels)
        if finding:
            found.append((_candidate(r), finding))
    return found


async def _large_drawdown(on: date, t: Thresholds) -> list[tuple[Candidate, Finding]]:
    rows = await fetch(
        "SELECT s.line_id, s.drawn_fen, s.last_on, cl.customer_id, cl.branch_id, cl.limit_fen, cl.valid_from,"
        " COALESCE(cl.officer_id, v.officer_id) AS officer_id,"
        " (SELECT l3.id FROM loan l3 WHERE l3.credit_line_id = s.line_id AND l3.start_on = s.last_on"
        "  ORDER BY l3.created_at DESC, l3.id LIMIT 1) AS loan_id"
        " FROM (SELECT l.credit_line_id AS line_id, SUM(l.principal_fen) AS drawn_fen, MAX(l.start_on) AS last_on"
        "  FROM loan l JOIN credit_line c2 ON c2.id = l.credit_line_id"
        "  WHERE c2.valid_from >= :since AND c2.valid_from <= :d AND l.start_on >= c2.valid_from AND l.start_on <= :d"
        f"  AND {days_between('l.start_on', 'c2.valid_from')} <= :days"
        "  GROUP BY l.credit_line_id) s"
        " JOIN credit_line cl ON cl.id = s.line_id JOIN customer c ON c.id = cl.customer_id LEFT JOIN village v ON v.id = c.village_id"
        " WHERE s.drawn_fen * 1000000 >= :ratio * cl.limit_fen"
        " AND NOT EXISTS (SELECT 1 FROM early_warning w JOIN loan l2 ON l2.id = w.loan_id"
        "  WHERE l2.credit_line_id = s.line_id AND w.kind = 'large_drawdown_after_grant')",
        d=on, since=on - timedelta(days=t.large_drawdown_days), days=t.large_drawdown_days, ratio=t.large_drawdown_ratio_ppm,
    )
    found = []
    for r in rows:
        finding = rules.large_drawdown_after_grant(
            drawn_fen=int(r["drawn_fen"]), limit_fen=int(r["limit_fen"]), granted_on=as_date(r["valid_from"]),
            last_drawdown_on=as_date(r["last_on"]), ratio_ppm=t.large_drawdown_ratio_ppm, days=t.large_drawdown_days,
        )
        if finding:
            found.append((_candidate(r), finding))
    return found


async def _failed_debits(on: date, t: Thresholds) -> list[tuple[Candidate, Finding]]:
    first = on - timedelta(days=t.failed_debits_window_days - 1)
    rows = await fetch(
        f"SELECT a.loan_id, l.customer_id, l.branch_id, {LOAN_OFFICER} AS officer_id, COUNT(*) AS failures"
        f" FROM debit_attempt a JOIN loan l ON l.id = a.loan_id{LOAN_JOINS}"
        " WHERE NOT a.ok AND a.business_on >= :first AND a.business_on <= :d AND l.status = 'active'"
        " AND NOT EXISTS (SELECT 1 FROM early_warning w WHERE w.subject_id = a.loan_id AND w.kind = 'repeated_failed_debits'"
        "  AND w.business_on >= :first AND w.business_on <= :d)"
        " GROUP BY a.loan_id, l.customer_id, l.branch_id, cl.officer_id, v.officer_id"
        " HAVING COUNT(*) >= :min",
        d=on, first=first, min=t.failed_debits_min,
    )
    candidates = {as_uuid(r["loan_id"]): _candidate(r) for r in rows}
    dates: dict[UUID, list[date]] = defaultdict(list)
    ids = list(candidates)
    for i in range(0, len(ids), BATCH):
        for loan_id, on_ in await DebitAttempt.filter(
            loan_id__in=ids[i : i + BATCH], ok=False, business_on__gte=first, business_on__lte=on
        ).values_list("loan_id", "business_on"):
            dates[as_uuid(loan_id)].append(on_)
    found = []
    for loan_id, candidate in candidates.items():
        finding = rules.repeated_failed_debits(dates[loan_id], on=on, min_count=t.failed_debits_min, window_days=t.failed_debits_window_days)
        if finding:
            found.append((candidate, finding))
    return found


async def _new_hard_queries(on: date, t: Thresholds, media: MediaStore) -> tuple[list[tuple[Candidate, Finding]], int]:
    rows = await fetch(
        "SELECT q.customer_id, q.institution, q.report_date, d.sha256, c.branch_id,"
        " COALESCE(v.officer_id, (SELECT cl.officer_id FROM credit_line cl WHERE cl.customer_id = c.id AND cl.officer_id IS NOT NULL"
        "  ORDER BY cl.created_at DESC LIMIT 1)) AS officer_id,"
        " (SELECT MAX(p.report_date) FROM credit_query p WHERE p.customer_id = q.customer_id AND p.status = 'ok'"
        "  AND p.report_date < q.report_date) AS previous_on"
        " FROM credit_query q JOIN document d ON d.id = q.report_document_id JOIN customer c ON c.id = q.customer_id"
        " LEFT JOIN village v ON v.id = c.village_id"
        " WHERE q.status = 'ok' AND q.report_date = :d AND NOT EXISTS (SELECT 1 FROM early_warning w"
        "  WHERE w.subject_id = q.customer_id AND w.kind = 'new_hard_queries' AND w.business_on = :d)"
        " ORDER BY q.customer_id, q.requested_at DESC",
        d=on,
    )
    found, skipped, seen = [], 0, set()
    for r in rows:
        customer_id = as_uuid(r["customer_id"])
        if customer_id in seen or r["previous_on"] is None:
            continue  # the latest refresh of the day only; no earlier report, no baseline
        seen.add(customer_id)
        try:
            report = parse_report(media.get(r["sha256"]))
        except (OSError, CreditReportError) as exc:
            skipped += 1
            logger.warning("warnings %s: stored credit report of customer %s unreadable (%s)", on, customer_id, type(exc).__name__)
            continue
        finding = rules.new_hard_queries(
            report.query_records, report_on=as_date(r["report_date"]), previous_report_on=as_date(r["previous_on"]),
            own_institution=r["institution"], min_count=t.hard_queries_min,
        )
        if finding:
            found.append((_candidate(r, loan=False), finding))
    return found, skipped


async def _created_by_kind(on: date) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for kind in await EarlyWarning.filter(business_on=on).values_list("kind", flat=True):
        counts[str(getattr(kind, "value", kind))] += 1
    return counts


async def run_warnings(*, on: date, media: MediaStore, thresholds: Thresholds = DEFAULT_THRESHOLDS, actor: Actor = SYSTEM) -> WarningRunReport:
    """Find the day's warnings (idempotent per business date)."""
    found = await _new_overdue(on)
    found += await _rising_dpd(on, thresholds.dpd_levels)
    found += await _large_drawdown(on, thresholds)
    found += await _failed_debits(on, thresholds)
    hard, skipped = await _new_hard_queries(on, thresholds, media)
    found += hard
    found += [(Candidate(**who), f) for who, f in await external_findings(on, thresholds)]  # customers whose consent names 贷后监测
    rows = [
        EarlyWarning(
            kind=f.kind, severity=f.severity, level=f.level, customer_id=c.customer_id, loan_id=c.loan_id,
            subject_id=c.loan_id or c.customer_id, branch_id=c.branch_id, officer_id=c.officer_id, business_on=on,
            message=f.message[:256], evidence=f.evidence, status=WarningStatus.OPEN,
        )
        for c, f in found
    ]
    async with in_transaction():
        before = await _created_by_kind(on)
        if rows:
            await EarlyWarning.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
        after = await _created_by_kind(on)
        created = {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0) > 0}
        await audit.record(actor, "warnings.run", "early_warning", None, after={"businessOn": on.isoformat(), "created": created, "skippedReports": skipped})
    logger.info("warnings %s: %s new, %s unreadable reports", on, sum(created.values()), skipped)
    return WarningRunReport(business_on=on, created=created, skipped_reports=skipped)


async def raise_warning(
    *, actor: Actor, loan_id: UUID, kind: WarningKind | str, on: date, message: str, evidence: dict, severity: Severity = Severity.MEDIUM,
) -> EarlyWarning:
    """One warning on a loan raised by a person's finding (a post-loan check concluding 关注), not by the daily rules.

    Unique per (kind, loan, business date) like every warning: a second call on the same day returns the first.
    Assigned like the daily warnings: the line's officer, else the village's.
    """
    require_worker(actor, Action.WARNING_HANDLE)
    loan = await Loan.get_or_none(id=loan_id).select_related("credit_line", "customer__village")
    if loan is None or (actor.is_officer and not actor.in_branch(loan.branch_id)):
        raise NotFound("借据不存在", field="loan_id")
    officer_id = loan.credit_line.officer_id or (loan.customer.village.officer_id if loan.customer.village else None)
    kind = WarningKind(kind)
    async with in_transaction():
        warning, created = await EarlyWarning.get_or_create(
            kind=kind, subject_id=loan_id, business_on=on,
            defaults={"severity": severity, "level": 0, "customer_id": loan.customer_id, "loan_id": loan_id, "branch_id": loan.branch_id,
                      "officer_id": officer_id, "message": message[:256], "evidence": evidence, "status": WarningStatus.OPEN},
        )
        if created:
            await audit.record(actor, "warning.raise", "early_warning", warning.id, after={"kind": kind.value, "loanId": str(loan_id)})
    return warning


# --- reading and handling -------------------------------------------------------------------


def warnings_query(actor: Actor | None, *, status: WarningStatus | str | None = None):
    query = scoped(EarlyWarning.all(), actor)
    return query.filter(status=WarningStatus(status)) if status else query


async def get_warning(actor: Actor | None, warning_id: UUID) -> EarlyWarning:
    warning = await EarlyWarning.get_or_none(id=warning_id)
    if warning is None or not can_see(actor, officer_id=warning.officer_id, branch_id=warning.branch_id):
        raise NotFound("预警不存在", field="warning_id")
    return warning


@dataclass(frozen=True)
class WarningFile:
    warning: EarlyWarning  # with its customer, officer and loan
    actions: list[WarningAction]  # oldest first, each with its officer
    trail: Trail | None = None  # 村 › 户 › 人 of the customer, for the breadcrumbs


async def warning_rows(actor: Actor | None, *, status: WarningStatus | str | None, limit: int) -> list[EarlyWarning]:
    """The worklist: newest business day first, each warning with its customer and officer."""
    query = warnings_query(actor, status=status).order_by("-business_on", "-created_at").limit(limit)
    return await query.prefetch_related("customer", "officer")


async def warning_file(actor: Actor | None, warning_id: UUID) -> WarningFile:
    warning = await get_warning(actor, warning_id)
    await warning.fetch_related("customer", "officer", "loan")
    actions = await WarningAction.filter(warning_id=warning.id).order_by("at").prefetch_related("officer")
    return WarningFile(warning=warning, actions=actions, trail=await customer_trail(warning.customer_id))


async def handle_warning(*, actor: Actor, warning_id: UUID, action: WarningActionKind | str, note: str, now: datetime) -> EarlyWarning:
    """Record a follow-up note, or close the warning as handled or dismissed; audited."""
    require_worker(actor, Action.WARNING_HANDLE)
    try:
        action = WarningActionKind(action)
    except ValueError:
        raise ValidationError("处理方式无效", field="action") from None
    note = (note or "").strip()
    if not note:
        raise ValidationError("请填写处理说明", field="note")
    if len(note) > 500:
        raise ValidationError("处理说明最多 500 字", field="note")
    async with in_transaction():
        warning = await EarlyWarning.select_for_update().get_or_none(id=warning_id)
        if warning is None or not can_see(actor, officer_id=warning.officer_id, branch_id=warning.branch_id):
            raise NotFound("预警不存在", field="warning_id")
        if warning.status != WarningStatus.OPEN:
            raise Conflict("该预警已处理完毕，不能再次处理", code=RiskCode.WARNING_CLOSED, field="warning_id")
        officer_id = actor.id if actor.is_officer else None
        await WarningAction.create(warning=warning, officer_id=officer_id, action=action, note=note, at=now)
        status = {WarningActionKind.HANDLE: WarningStatus.HANDLED, WarningActionKind.DISMISS: WarningStatus.DISMISSED}.get(action)
        if status is not None:
            await EarlyWarning.filter(id=warning.id).update(status=status, handled_at=now, handled_by_id=officer_id, updated_at=now_utc())
        await audit.record(
            actor, "warning.handle", "early_warning", warning.id,
            before={"status": warning.status.value}, after={"status": (status or warning.status).value, "action": action.value},
        )
    await warning.refresh_from_db()
    return warning

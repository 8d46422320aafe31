"""Early warnings from external data, found with the day's other warnings (`run_warnings`).

Only active borrowers (a loan in status active) with a consent in force at the end of the business date that
names post-loan monitoring (贷后监测) for the source, and only answers (a query's or an imported file's, status ok,
at the same member bank) whose own consent named post-loan monitoring: data given for an application alone is
never used here. The latest such answer per customer and source goes to the pure rules in
`app.domain.external_warnings` with the answer before it; an answer warns once per kind (its query id is in the
evidence), so re-running a date or a later day with no new data adds nothing. Bounded statements: one for the
consents, then per batch of customers one for the answers, one for their consents, one for the warnings already
raised from them and two for assignment.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from tortoise.expressions import Subquery

from app.domain import external_warnings as rules
from app.domain.external_data import ConsentPurpose, ExternalQueryStatus, ExternalSource, facts_from_json
from app.domain.warnings import Finding, Thresholds, WarningKind
from app.models import CreditLine, Customer, EarlyWarning, ExternalDataConsent, ExternalDataQuery, Loan

BATCH = 500
EXTERNAL_KINDS = (WarningKind.HOUSING_FUND_STOPPED, WarningKind.SOCIAL_INSURANCE_STOPPED, WarningKind.NEW_TAX_ARREARS,
                  WarningKind.POLICY_SURRENDERED, WarningKind.ELECTRICITY_ARREARS)
WARNED_SOURCES = (ExternalSource.HOUSING_FUND, ExternalSource.SOCIAL_INSURANCE, ExternalSource.TAX, ExternalSource.INSURANCE,
                  ExternalSource.STATE_GRID)


def _end_of(on: date, tz: str) -> datetime:
    return datetime.combine(on + timedelta(days=1), time(0), ZoneInfo(tz))


def _findings(source: ExternalSource, latest: rules.Answer, previous: rules.Answer | None, t: Thresholds) -> Finding | None:
    if source == ExternalSource.HOUSING_FUND:
        return rules.housing_fund_stopped(latest, months=t.contributions_stopped_months)
    if source == ExternalSource.SOCIAL_INSURANCE:
        return rules.social_insurance_stopped(latest, months=t.contributions_stopped_months)
    if source == ExternalSource.TAX:
        return rules.new_tax_arrears(latest, previous)
    if source == ExternalSource.INSURANCE:
        return rules.policy_surrendered(latest, previous)
    return rules.electricity_arrears(latest)


async def external_findings(on: date, t: Thresholds, *, tz: str = "Asia/Shanghai") -> list[tuple[dict, Finding]]:
    """(assignment, finding) pairs: assignment has customer_id, branch_id and officer_id."""
    end = _end_of(on, tz)
    borrowers = Subquery(Loan.filter(status="active").values("customer_id"))
    monitored: dict[UUID, set[tuple[UUID, ExternalSource]]] = defaultdict(set)  # customer → (bank, source)
    for customer_id, bank_id, source, purposes in await ExternalDataConsent.filter(
        customer_id__in=borrowers, source__in=list(WARNED_SOURCES), revoked_at__isnull=True, signed_at__lt=end, expires_at__gte=end,
    ).values_list("customer_id", "bank_id", "source", "purposes"):
        if ConsentPurpose.POST_LOAN.value in (purposes or []):
            monitored[customer_id].add((bank_id, ExternalSource(source)))
    found: list[tuple[dict, Finding]] = []
    ids = sorted(monitored, key=str)
    for i in range(0, len(ids), BATCH):
        found += await _batch(ids[i : i + BATCH], monitored, end, t, tz)
    return found


async def _batch(ids: list[UUID], monitored: dict, end: datetime, t: Thresholds, tz: str) -> list[tuple[dict, Finding]]:
    rows = await ExternalDataQuery.filter(
        customer_id__in=ids, status=ExternalQueryStatus.OK, requested_at__lt=end, source__in=list(WARNED_SOURCES),
    ).order_by("-requested_at", "-id").values("id", "customer_id", "bank_id", "source", "requested_at", "facts", "consent_id", "import_file")
    consents = {c: p for c, p in await ExternalDataConsent.filter(id__in=list({r["consent_id"] for r in rows})).values_list("id", "purposes")} if rows else {}
    answers: dict[tuple[UUID, ExternalSource], list[rules.Answer]] = defaultdict(list)
    for r in rows:
        source = ExternalSource(r["source"])
        key = (r["customer_id"], source)
        if (r["bank_id"], source) not in monitored.get(r["customer_id"], ()) or len(answers.get(key, ())) >= 2:
            continue
        if ConsentPurpose.POST_LOAN.value not in (consents.get(r["consent_id"]) or []):
            continue  # asked or imported for an application only: not for monitoring
        data_on = r["requested_at"].astimezone(ZoneInfo(tz)).date()
        answers[key].append(rules.Answer(facts=facts_from_json(source, r["facts"]), data_on=data_on, query_id=r["id"], imported_from=r["import_file"]))
    warned: set[tuple[str, str]] = set()
    for kind, evidence in await EarlyWarning.filter(customer_id__in=ids, kind__in=list(EXTERNAL_KINDS)).values_list("kind", "evidence"):
        if isinstance(evidence, dict) and evidence.get("queryId"):
            warned.add((str(getattr(kind, "value", kind)), evidence["queryId"]))
    findings = []
    for (customer_id, source), kept in answers.items():  # kept: the latest answer, then the one before it
        finding = _findings(source, kept[0], kept[1] if len(kept) > 1 else None, t)
        if finding is not None and (finding.kind.value, str(kept[0].query_id)) not in warned:
            findings.append((customer_id, finding))
    if not findings:
        return []
    customers = {c: (b, o) for c, b, o in await Customer.filter(id__in=[c for c, _ in findings]).values_list("id", "branch_id", "village__officer_id")}
    line_officer = dict(await CreditLine.filter(customer_id__in=list(customers), officer_id__isnull=False).order_by("created_at")
                        .values_list("customer_id", "officer_id"))
    out = []
    for customer_id, finding in findings:
        branch_id, officer_id = customers[customer_id]
        out.append(({"customer_id": customer_id, "branch_id": branch_id, "officer_id": officer_id or line_officer.get(customer_id)}, finding))
    return out

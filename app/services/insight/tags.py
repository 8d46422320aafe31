"""Customer tags kept up to date: facts gathered set-based, the pure rules of app.domain.tags, a diff written back.

`refresh_customer_tags(on=...)` walks the customers in chunks ordered by id. Per chunk a fixed
number of statements runs: one facts query (loans, installments, profile), one read of the latest external
answers (issue 20: under a consent still in force), one read of the
current tags, then at most one delete, one insert and one update. Running it twice for a day
changes nothing the second time. It runs from `cunxin customer-tags` and as the last stage of
the day's close (app/services/day_end.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from uuid import UUID
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from app.domain.external_data import ExternalQueryStatus, ExternalSource, facts_from_json
from app.domain.tags import DEFAULT_RULES, CustomerFacts, ExternalFacts, Occupation, Tag, TagRules, external_facts, parse_manual, tags_for
from app.models import CustomerTag, ExternalDataQuery
from app.services import audit
from app.services.actor import SYSTEM, Actor
from app.sql import fetch
from app.services.reporting.common import as_int, as_uuid

CHUNK = 5000

FACTS_SQL = """
SELECT c.id, c.grade, p.occupation, p.land_area_mu, p.manual_tags,
  COALESCE(lo.outstanding, 0) AS outstanding, COALESCE(lo.dpd, 0) AS dpd, CASE WHEN od.customer_id IS NULL THEN 0 ELSE 1 END AS ever_overdue
FROM customer c
LEFT JOIN customer_profile p ON p.customer_id = c.id
LEFT JOIN (SELECT customer_id, SUM(outstanding_principal_fen) AS outstanding, MAX(days_past_due) AS dpd FROM loan
           WHERE status = 'active' AND customer_id >= :lo AND customer_id <= :hi GROUP BY customer_id) lo ON lo.customer_id = c.id
LEFT JOIN (SELECT DISTINCT l.customer_id FROM installment i JOIN loan l ON l.id = i.loan_id
           WHERE l.customer_id >= :lo AND l.customer_id <= :hi
             AND (i.status = 'overdue' OR (i.paid_on IS NOT NULL AND i.paid_on > i.due_on))) od ON od.customer_id = c.id
WHERE c.id >= :lo AND c.id <= :hi
"""


@dataclass(frozen=True, slots=True)
class TagRefreshReport:
    on: date
    customers: int
    added: int
    removed: int


def _facts(row: dict) -> CustomerFacts:
    manual = row["manual_tags"]
    if isinstance(manual, str):
        manual = json.loads(manual)
    return CustomerFacts(
        ever_overdue=bool(as_int(row["ever_overdue"])),
        days_past_due=as_int(row["dpd"]),
        outstanding_fen=as_int(row["outstanding"]),
        occupation=Occupation(row["occupation"]) if row["occupation"] else None,
        land_area_mu=row["land_area_mu"],
        grade=row["grade"],
        manual=parse_manual(manual),
    )


async def _chunk_bounds(after: str | None, size: int) -> tuple[str, str] | None:
    if after is None:
        rows = await fetch("SELECT id FROM customer ORDER BY id LIMIT :n", n=size)
    else:
        rows = await fetch("SELECT id FROM customer WHERE id > :after ORDER BY id LIMIT :n", after=after, n=size)
    if not rows:
        return None
    return str(rows[0]["id"]), str(rows[-1]["id"])


async def _external_chunk(lo: str, hi: str, on: date, tz: str) -> dict[UUID, ExternalFacts]:
    """The latest answer of each source per customer, under a consent in force on `on` (revoked or expired: not used)."""
    at = datetime.combine(on, time(0), ZoneInfo(tz))
    latest: dict[UUID, dict[str, object]] = {}
    rows = await (ExternalDataQuery.filter(customer_id__gte=UUID(lo), customer_id__lte=UUID(hi), status=ExternalQueryStatus.OK,
                                           consent__revoked_at__isnull=True, consent__expires_at__gt=at, requested_at__lt=at)
                  .order_by("-requested_at").values_list("customer_id", "source", "facts"))
    for customer_id, source, facts in rows:
        source = ExternalSource(source)
        answers = latest.setdefault(as_uuid(customer_id), {})
        if source.value not in answers:
            answers[source.value] = facts_from_json(source, facts)
    return {cid: external_facts(answers) for cid, answers in latest.items()}


async def _refresh_chunk(lo: str, hi: str, on: date, rules: TagRules, tz: str = "Asia/Shanghai") -> tuple[int, int, int]:
    external = await _external_chunk(lo, hi, on, tz)
    wanted = {}
    for r in await fetch(FACTS_SQL, lo=lo, hi=hi):
        cid = as_uuid(r["id"])
        wanted[cid] = tags_for(replace(_facts(r), external=external.get(cid)), rules)
    current: dict[tuple[UUID, Tag], UUID] = {}
    for tag_id, cid, tag in await CustomerTag.filter(customer_id__gte=lo, customer_id__lte=hi).values_list("id", "customer_id", "tag"):
        current[(as_uuid(cid), Tag(tag))] = tag_id
    want = {(cid, tag) for cid, tags in wanted.items() for tag in tags}
    stale = [tag_id for pair, tag_id in current.items() if pair not in want]
    new = [CustomerTag(customer_id=cid, tag=tag, since_on=on, refreshed_on=on) for cid, tag in sorted(want - current.keys())]
    async with in_transaction():
        if stale:
            await CustomerTag.filter(id__in=stale).delete()
        if new:
            await CustomerTag.bulk_create(new, batch_size=1000)
        if current:
            await CustomerTag.filter(customer_id__gte=lo, customer_id__lte=hi, refreshed_on__lt=on).update(refreshed_on=on)
    return len(wanted), len(new), len(stale)


async def refresh_customer_tags(*, on: date, rules: TagRules = DEFAULT_RULES, chunk: int = CHUNK, actor: Actor = SYSTEM) -> TagRefreshReport:
    """Recompute every customer's rule-based tags as of business date `on` (idempotent)."""
    customers = added = removed = 0
    after: str | None = None
    while (bounds := await _chunk_bounds(after, chunk)) is not None:
        n, a, r = await _refresh_chunk(*bounds, on, rules)
        customers, added, removed = customers + n, added + a, removed + r
        after = bounds[1]
    await audit.record(actor, "customer_tags.refresh", "customer_tag", None, after={"on": on.isoformat(), "customers": customers, "added": added, "removed": removed})
    return TagRefreshReport(on=on, customers=customers, added=added, removed=removed)


async def tags_of(customer_ids: list[UUID]) -> dict[UUID, list[Tag]]:
    out: dict[UUID, list[Tag]] = {}
    if customer_ids:
        for cid, tag in await CustomerTag.filter(customer_id__in=customer_ids).order_by("tag").values_list("customer_id", "tag"):
            out.setdefault(as_uuid(cid), []).append(Tag(tag))
    return out

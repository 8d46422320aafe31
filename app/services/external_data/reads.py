"""What the PAD shows of a customer's external data: the consents (source, purposes, signed when and where, expiry,
status) and each source's latest query (status, date, a one-line summary). Reads only; the customer must be in the
officer's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from app.domain.external_data import ConsentPurpose, ExternalQueryStatus, ExternalSource, facts_from_json, summarise
from app.models import ExternalDataConsent, ExternalDataQuery, Officer
from app.services.actor import Actor
from app.services.external_data.consents import CHANNELS
from app.services.external_data.queries import ExternalOutcome
from app.services.risk.common import customer_in_scope, require_staff

STATUS_LABELS = {"valid": "有效", "expired": "已过期", "revoked": "已撤回", "pending": "未生效"}


@dataclass(frozen=True, slots=True)
class ConsentLine:
    id: UUID
    source: ExternalSource
    purposes: tuple[str, ...]  # Chinese labels
    signed_at: datetime
    where: str  # 手机银行, or the PAD and the officer
    expires_at: datetime
    status: str  # a key of STATUS_LABELS
    document_id: UUID | None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True, slots=True)
class QueryLine:
    id: UUID
    source: ExternalSource
    status: ExternalQueryStatus
    purpose: str  # Chinese label
    data_on: date  # the business date the source answered (or the file was imported)
    summary: str
    imported: bool

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def passed(self) -> bool:
        return self.status in (ExternalQueryStatus.OK, ExternalQueryStatus.NO_RECORD)


def query_line(row: ExternalDataQuery, tz: str) -> QueryLine:
    source = ExternalSource(row.source)
    if row.status == ExternalQueryStatus.OK and row.facts is not None:
        summary = summarise(facts_from_json(source, row.facts))
    elif row.status == ExternalQueryStatus.NO_RECORD:
        summary = f"{source.label}没有该客户的记录"
    else:  # a timeout or an error: not known, and said so
        summary = row.error or ExternalQueryStatus(row.status).label
    return QueryLine(id=row.id, source=source, status=ExternalQueryStatus(row.status), purpose=ConsentPurpose(row.purpose).label,
                     data_on=row.requested_at.astimezone(ZoneInfo(tz)).date(), summary=summary, imported=row.import_sha256 is not None)


def outcome_line(outcome: ExternalOutcome, purpose: ConsentPurpose | str, tz: str) -> QueryLine:
    """A query's answer (`query_external`'s outcome) as the PAD shows it."""
    source = ExternalSource(outcome.source)
    if outcome.status == ExternalQueryStatus.OK and outcome.facts is not None:
        summary = summarise(outcome.facts)
    elif outcome.status == ExternalQueryStatus.NO_RECORD:
        summary = f"{source.label}没有该客户的记录"
    else:
        summary = outcome.message or ExternalQueryStatus(outcome.status).label
    return QueryLine(id=outcome.query_id, source=source, status=ExternalQueryStatus(outcome.status), purpose=ConsentPurpose(purpose).label,
                     data_on=outcome.requested_at.astimezone(ZoneInfo(tz)).date(), summary=summary, imported=False)


@dataclass(frozen=True, slots=True)
class ExternalOverview:
    consents: list[ConsentLine]
    latest: dict[ExternalSource, QueryLine]  # each source's latest query (any status)


async def external_overview(*, actor: Actor, customer_id: UUID, now: datetime, tz: str = "Asia/Shanghai") -> ExternalOverview:
    require_staff(actor)
    customer = await customer_in_scope(actor, customer_id)
    rows = await ExternalDataConsent.filter(customer_id=customer.id, bank_id=customer.bank_id).order_by("-signed_at", "-id")
    names = dict(await Officer.filter(id__in=[r.officer_id for r in rows if r.officer_id]).values_list("id", "display_name"))
    consents = []
    for r in rows:
        status = ("revoked" if r.revoked_at is not None else "pending" if r.signed_at > now else "expired" if r.expires_at <= now else "valid")
        where = f"{CHANNELS['pad']}（{names.get(r.officer_id, '客户经理')}）" if r.officer_id else CHANNELS["app"]
        consents.append(ConsentLine(id=r.id, source=ExternalSource(r.source), purposes=tuple(ConsentPurpose(p).label for p in r.purposes or []),
                                    signed_at=r.signed_at, where=where, expires_at=r.expires_at, status=status, document_id=r.document_id))
    latest: dict[ExternalSource, QueryLine] = {}
    for row in await ExternalDataQuery.filter(customer_id=customer.id, bank_id=customer.bank_id).order_by("-requested_at", "-id"):
        source = ExternalSource(row.source)
        if source not in latest:
            latest[source] = query_line(row, tz)
    return ExternalOverview(consents=consents, latest=latest)

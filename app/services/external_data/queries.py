"""Query an external source for one customer: consent first, recorded always, reused while fresh.

`query_external` returns an `ExternalOutcome` whose `status` says what happened. Only `OK` carries facts;
`NO_RECORD` is a real answer (the source holds nothing); `TIMEOUT` and `FAILED` are recorded and returned
as such, and `passed` is False for them, so no caller can mistake a silent source for a clean one.
A missing, expired, revoked or out-of-purpose consent is refused (`DomainError`, code NO_AUTHORISATION)
before anything is asked of the source, and the refusal is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain.error_codes import CreditCheckCode
from app.domain.errors import DomainError, ValidationError
from app.domain.external_data import ConsentPurpose, ExternalQueryStatus, ExternalSource, HousingFundFacts, facts_from_json, facts_to_json
from app.integrations.external_data import ExternalSourceError, ExternalSources, ExternalSourceTimeout
from app.models import ExternalDataQuery
from app.services import audit
from app.services.actor import Actor
from app.services.external_data.consents import valid_consent, why_no_consent
from app.services.risk.common import customer_in_scope, officer_id, require_staff

ANSWERED = (ExternalQueryStatus.OK, ExternalQueryStatus.NO_RECORD)


@dataclass(frozen=True, slots=True)
class ExternalDataPolicy:
    """How long an answer is reused, by source (`CUNXIN_EXTERNAL_DATA_FRESHNESS_DAYS`); 0 days: always ask again."""

    default_freshness: timedelta = timedelta(days=30)
    freshness: dict[ExternalSource, timedelta] = field(default_factory=dict)

    def freshness_of(self, source: ExternalSource) -> timedelta:
        return self.freshness.get(ExternalSource(source), self.default_freshness)


@dataclass(frozen=True, slots=True)
class ExternalAccess:
    """What a door hands a service that may query the external sources: the sources (`Adapters.external`), how long an
    answer is reused, and the business time zone its date is told in."""

    sources: ExternalSources
    policy: ExternalDataPolicy = field(default_factory=ExternalDataPolicy)
    business_tz: str = "Asia/Shanghai"


@dataclass(frozen=True, slots=True)
class ExternalOutcome:
    source: ExternalSource
    status: ExternalQueryStatus
    query_id: UUID  # the recorded query (an earlier one when reused)
    requested_at: datetime
    facts: Any = None  # the source's facts dataclass when status is OK
    reused: bool = False
    message: str = ""  # Chinese, for the officer, when the source did not answer

    @property
    def passed(self) -> bool:
        """The source answered (with facts or with "no record"). A timeout or an error is never a pass."""
        return self.status in ANSWERED


def _actor_label(actor: Actor) -> str:
    return f"{actor.type.value}:{actor.display_name}"[:64]


def _outcome(row: ExternalDataQuery, *, reused: bool) -> ExternalOutcome:
    source = ExternalSource(row.source)
    facts = facts_from_json(source, row.facts) if row.status == ExternalQueryStatus.OK else None
    return ExternalOutcome(source=source, status=ExternalQueryStatus(row.status), query_id=row.id, requested_at=row.requested_at,
                           facts=facts, reused=reused, message=row.error or "")


async def _finish(row: ExternalDataQuery, actor: Actor, now: datetime, *, status: ExternalQueryStatus, facts: Any = None,
                  code: str | None = None, error: str | None = None) -> None:
    async with in_transaction():
        await ExternalDataQuery.filter(id=row.id).update(
            status=status, finished_at=now, facts=facts_to_json(facts) if facts is not None else None,
            employer=facts.employer[:128] if isinstance(facts, HousingFundFacts) else None,
            error_code=code, error=error[:256] if error else None,
        )
        await audit.record(actor, "external_query.finish", "external_data_query", row.id,
                           after={"source": row.source, "purpose": row.purpose, "status": status.value, "errorCode": code})
    await row.refresh_from_db()


async def query_external(
    *,
    actor: Actor,
    customer_id: UUID,
    source: ExternalSource | str,
    purpose: ConsentPurpose | str,
    sources: ExternalSources,
    vault: Vault,
    policy: ExternalDataPolicy,
    now: datetime,
) -> ExternalOutcome:
    require_staff(actor)
    try:
        source, purpose = ExternalSource(source), ConsentPurpose(purpose)
    except ValueError:
        raise ValidationError("外部数据来源或用途无效", field="source") from None
    customer = await customer_in_scope(actor, customer_id)
    consent = await valid_consent(customer_id=customer.id, bank_id=customer.bank_id, source=source, purpose=purpose, now=now)
    if consent is None:
        reason, message = await why_no_consent(customer_id=customer.id, bank_id=customer.bank_id, source=source, purpose=purpose, now=now)
        await audit.record(actor, "external_query.refused", "customer", customer.id,
                           after={"source": source.value, "purpose": purpose.value, "reason": reason})
        tail = "，请客户重新签署授权后再查询" if reason == "expired" else "，不能查询"
        raise DomainError(message + tail, code=CreditCheckCode.NO_AUTHORISATION, field="customer_id")

    fresh = policy.freshness_of(source)
    if fresh > timedelta(0):
        previous = await (ExternalDataQuery.filter(customer_id=customer.id, bank_id=customer.bank_id, source=source,
                                                   status__in=list(ANSWERED), requested_at__gte=now - fresh)
                          .order_by("-requested_at").first())
        if previous is not None:
            await audit.record(actor, "external_query.reuse", "external_data_query", previous.id,
                               after={"customerId": str(customer.id), "source": source.value, "purpose": purpose.value})
            return _outcome(previous, reused=True)

    async with in_transaction():
        row = await ExternalDataQuery.create(
            customer=customer, bank_id=customer.bank_id, consent=consent, source=source, purpose=purpose.value,
            officer_id=officer_id(actor), actor=_actor_label(actor), requested_at=now, status=ExternalQueryStatus.PENDING,
        )
        id_number = vault.decrypt(customer.id_number_enc, context=b"id_number")
        await audit.record(actor, "customer.id_number_use", "customer", customer.id,
                           after={"purpose": "external_query", "externalQueryId": str(row.id)})

    try:
        facts = await sources.get(source).fetch(id_number=id_number, name=customer.name, purpose=purpose.value)
    except ExternalSourceTimeout as exc:
        await _finish(row, actor, now, status=ExternalQueryStatus.TIMEOUT, code=exc.code, error=exc.message)
        return _outcome(row, reused=False)
    except ExternalSourceError as exc:
        await _finish(row, actor, now, status=ExternalQueryStatus.FAILED, code=exc.code, error=exc.message)
        return _outcome(row, reused=False)
    except Exception as exc:
        await _finish(row, actor, now, status=ExternalQueryStatus.FAILED, code="INTERNAL", error=type(exc).__name__)
        raise
    status = ExternalQueryStatus.NO_RECORD if facts is None else ExternalQueryStatus.OK
    await _finish(row, actor, now, status=status, facts=facts)
    return _outcome(row, reused=False)

"""Admission, anti-fraud, limit and pricing strategy for one customer and product (the visit, the app's drawdown application).

`gather_facts` reads the database into `StrategyFacts`; the pure code in
app/domain/rules/strategies.py decides, with the active strategy rule set (an admin may
upload a new version, app/services/risk/rulesets.py). Every outcome is stored as a
`RiskStrategyDecision` (rule-set version, every hit with its evidence, the limit and the
term that bound it, the spread, the Chinese explanation) and audited.

It is deliberately NOT a RiskDecision: `credit_gate` reads the latest RiskDecision, so a
later strategy "pass" must not hide an earlier credit-report "reject". Callers apply a
strategy reject themselves (the visit's decision step refuses to grant, the app's application is refused).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain import idcard
from app.domain.credit_report import CreditReportError, parse_report
from app.domain.errors import NotFound, ValidationError
from app.domain.geo import distance_m, is_valid_point
from app.domain.idcard_ocr.model import LONG_TERM
from app.domain.rules.strategies import StrategyDecision, StrategyRuleSet, evaluate_strategy_rules, explain_strategy
from app.domain.external_data import ConsentPurpose, ExternalQueryStatus, ExternalSource
from app.domain.rules.strategy_catalogue import NO_CONSENT, NO_RECORD, NOT_CONNECTED, UNANSWERED, USED, ExternalFact, StrategyFacts
from app.models import BankCard, CreditQuery, Customer, Household, HouseholdMember, IdentityVerification, Product, Village
from app.models.borrower import CustomerDevice
from app.models.identity import CardSide, IdCardRead, JobStatus
from app.models.risk import CreditAuthorisation, CreditQueryStatus, IdentityOutcome, RiskOutcome, RiskStrategyDecision, RuleSetKind
from app.services import audit
from app.services.actor import Actor
from app.services.appraisal.coverage import household_pre_credit
from app.services.documents import MediaStore
from app.services.lending.products import active_product
from app.services.risk.common import customer_in_scope, officer_id, require_staff
from app.services.risk.lists import entries_in_force
from app.services.risk.rulesets import active_ruleset

if TYPE_CHECKING:
    from app.services.external_data import ExternalAccess

OCR_ID_NUMBER_CONTEXT = b"id_number"  # as app/services/identity_checks/idcard.py encrypts the number read


@dataclass(frozen=True, slots=True)
class StrategyOutcome:
    customer_id: UUID
    product_code: str
    facts: StrategyFacts
    decision: StrategyDecision
    explanation: str
    record: RiskStrategyDecision


async def _distinct_others(model, column: str, values: list[str], exclude: set[UUID], **filters) -> set[UUID]:
    """The customers outside `exclude` who hold one of `values` in `column` (at any member bank)."""
    if not values:
        return set()
    rows = await model.filter(**{f"{column}__in": values}, **filters).exclude(customer_id__in=list(exclude)).values_list("customer_id", flat=True)
    return set(rows)


async def _shared_within_reach(actor: Actor | None, customer: Customer, today: date, shared: dict[str, set[UUID]]) -> dict[str, int]:
    """How many others share each item (phone, device, card) — at the customer's own bank; at other member banks
    only while the customer's credit authorisation (征信授权) is in force, each such use recorded (audit
    `risk.cross_bank_read`, naming this bank and the others)."""
    everyone = set().union(*shared.values())
    banks = dict(await Customer.filter(id__in=list(everyone)).values_list("id", "bank_id")) if everyone else {}
    elsewhere = {c for c in everyone if banks.get(c) != customer.bank_id}
    consent = bool(elsewhere) and await CreditAuthorisation.exists(customer_id=customer.id, revoked_at=None, valid_until__gte=today)
    counted = {k: len(ids if consent else ids - elsewhere) for k, ids in shared.items()}
    if consent and actor is not None:
        await audit.record(actor, "risk.cross_bank_read", "customer", customer.id, after={
            "bank": str(customer.bank_id), "otherBanks": sorted({str(banks[c]) for c in elsewhere}),
            "facts": {k: len(ids & elsewhere) for k, ids in shared.items() if ids & elsewhere}, "purpose": "strategy",
        })
    return counted


def _read_fields(read: IdCardRead) -> dict[str, str | None]:
    """Confirmed values when the officer confirmed the read, else the OCR values."""
    if read.confirmed:
        return dict(read.confirmed)
    fields = (read.result or {}).get("fields", {})
    return {k: v.get("value") for k, v in fields.items() if isinstance(v, dict)}


async def _latest_read(customer_id: UUID, side: CardSide) -> IdCardRead | None:
    return await IdCardRead.filter(customer_id=customer_id, side=side, status=JobStatus.DONE).order_by("-created_at").first()


async def _id_card_facts(customer: Customer, vault: Vault | None) -> dict:
    out: dict = {}
    back = await _latest_read(customer.id, CardSide.BACK)
    if back is not None:
        until = _read_fields(back).get("valid_until")
        if until == LONG_TERM:
            out["id_card_long_term"] = True
        elif until:
            try:
                out["id_card_valid_until"] = date.fromisoformat(until)
            except ValueError:
                pass  # unreadable: unknown, the rule stays silent
    front = await _latest_read(customer.id, CardSide.FRONT)
    check = (
        await IdentityVerification.filter(customer_id=customer.id, result__in=[IdentityOutcome.MATCH, IdentityOutcome.MISMATCH])
        .order_by("-checked_at")
        .first()
    )
    if front is None or check is None:
        return out
    values = _read_fields(front)
    out["ocr_name"] = values.get("name")
    out["checked_name"] = check.name
    out["checked_id_number_masked"] = check.id_number_masked
    read_hash = front.id_number_hash
    if read_hash is None and front.ocr_id_number_enc and vault is not None:
        number = vault.decrypt(front.ocr_id_number_enc, context=OCR_ID_NUMBER_CONTEXT)
        read_hash = vault.lookup_hash(idcard.normalize(number))
        out["ocr_id_number_masked"] = idcard.mask(number) if idcard.is_valid(number) else None
    else:
        out["ocr_id_number_masked"] = front.id_number_masked
    if read_hash is not None:
        out["id_number_matches"] = read_hash == check.id_number_hash
    return out


async def open_debt_fen(customer_id: UUID, media: MediaStore | None) -> int | None:
    """Open balances (loans and cards) on the latest report the bank holds; None when there is none to read."""
    if media is None:
        return None
    query = (
        await CreditQuery.filter(customer_id=customer_id, status=CreditQueryStatus.OK, report_document_id__isnull=False)
        .order_by("-requested_at")
        .prefetch_related("report_document")
        .first()
    )
    if query is None:
        return None
    try:
        report = parse_report(media.get(query.report_document.sha256))
    except (FileNotFoundError, CreditReportError):
        return None
    return sum(a.balance_fen for a in report.accounts if a.is_open)


async def gather_facts(
    *,
    customer: Customer,
    product: Product,
    today: date,
    village_id: UUID | None = None,
    lat: float | None = None,
    lng: float | None = None,
    income_fen: int | None = None,
    media: MediaStore | None = None,
    vault: Vault | None = None,
    actor: Actor | None = None,
) -> StrategyFacts:
    """Everything the strategy rules read, for one customer (the village defaults to the customer's).

    `actor`: who decides (a read of another member bank's customers is recorded in their name)."""
    member = await HouseholdMember.get_or_none(customer_id=customer.id)
    household = await Household.get_or_none(id=member.household_id) if member else None
    target_village_id = village_id or customer.village_id or (household.village_id if household else None)
    village = await Village.get_or_none(id=target_village_id) if target_village_id else None

    resides = None if household is None or village is None else household.village_id == village.id
    distance = None
    if lat is not None and lng is not None and village is not None and village.centroid_lat is not None and village.centroid_lng is not None:
        distance = distance_m(lat, lng, village.centroid_lat, village.centroid_lng)

    listed = await entries_in_force(customer.id_number_hash, today=today, bank_id=customer.bank_id)
    cards = await BankCard.filter(customer_id=customer.id, unbound_at=None).values_list("card_number_hash", flat=True)
    devices = await CustomerDevice.filter(customer_id=customer.id, revoked_at=None).values_list("device_hash", flat=True)
    # a household often shares one phone (and the tablet or handset it signs in on): only other households count
    person = set(await Customer.filter(id_number_hash=customer.id_number_hash).values_list("id", flat=True))  # their records at every member bank
    family = {customer.id} | person
    if household is not None:
        family |= {c for c in await HouseholdMember.filter(household_id=household.id).values_list("customer_id", flat=True) if c is not None}
    phone_others: set[UUID] = set()
    if customer.phone_hash:
        phone_others = set(await Customer.filter(phone_hash=customer.phone_hash).exclude(id__in=list(family)).values_list("id", flat=True))
    shared = await _shared_within_reach(actor, customer, today, {
        "phone": phone_others,
        "device": await _distinct_others(CustomerDevice, "device_hash", list(devices), family, revoked_at=None),
        # only holder-verified bindings count: anyone could once bind a card number they merely knew (issue 12)
        "card": await _distinct_others(BankCard, "card_number_hash", list(cards), {customer.id} | person, unbound_at=None, verified_at__isnull=False),
    })

    pre_credit = await household_pre_credit(household.id) if household else None
    return StrategyFacts(
        as_of=today,
        age=idcard.age_on(customer.birth_on, today),
        resides_in_village=resides,
        village_name=village.name if village else "",
        black_list_reasons=tuple(e.reason for e in listed.black),
        grey_list_reasons=tuple(e.reason for e in listed.grey),
        phone_shared_with=shared["phone"],
        device_shared_with=shared["device"],
        card_shared_with=shared["card"],
        visit_distance_m=distance,
        pre_credit_fen=pre_credit.amount_fen if pre_credit else None,
        product_max_fen=product.max_principal_fen,
        annual_income_fen=income_fen,
        open_debt_fen=await open_debt_fen(customer.id, media),
        grade=pre_credit.grade if pre_credit else customer.grade,
        product_spread_bp_by_grade=dict(product.spread_bp_by_grade or {}),
        product_default_spread_bp=product.default_spread_bp,
        **await _id_card_facts(customer, vault),
    )


async def external_facts(
    *, actor: Actor, customer: Customer, sources: tuple[ExternalSource, ...], access: ExternalAccess | None, vault: Vault | None, now: datetime,
) -> dict[ExternalSource, ExternalFact]:
    """The external sources a strategy needs, each asked only under a valid consent naming 授信申请.

    No consent (none, expired, revoked): not asked, not used, the reason kept. A timeout or an error: not used (never a
    pass). The query is `query_external`'s: recorded, audited, reused while fresh."""
    # imported here: app.services.external_data relies on app.services.risk.common, whose package imports this module
    from app.services.external_data import query_external, valid_consent, why_no_consent

    out: dict[ExternalSource, ExternalFact] = {}
    for source in sources:
        if access is None or vault is None:
            out[source] = ExternalFact(source=source, status=NOT_CONNECTED, reason="本次测算未接入外部数据源")
            continue
        purpose = ConsentPurpose.APPLICATION
        if await valid_consent(customer_id=customer.id, bank_id=customer.bank_id, source=source, purpose=purpose, now=now) is None:
            _, message = await why_no_consent(customer_id=customer.id, bank_id=customer.bank_id, source=source, purpose=purpose, now=now)
            out[source] = ExternalFact(source=source, status=NO_CONSENT, reason=message)
            continue
        got = await query_external(actor=actor, customer_id=customer.id, source=source, purpose=purpose, sources=access.sources, vault=vault,
                                   policy=access.policy, now=now)
        data_on = got.requested_at.astimezone(ZoneInfo(access.business_tz)).date()
        cited = {"query_id": str(got.query_id), "data_on": data_on, "reused": got.reused}
        if got.status == ExternalQueryStatus.OK:
            out[source] = ExternalFact(source=source, status=USED, facts=got.facts, **cited)
        elif got.status == ExternalQueryStatus.NO_RECORD:
            out[source] = ExternalFact(source=source, status=NO_RECORD, reason=f"{source.label}没有该客户的记录", **cited)
        else:  # a timeout or an error: not known, never a pass
            what = "查询超时" if got.status == ExternalQueryStatus.TIMEOUT else "查询出错"
            out[source] = ExternalFact(source=source, status=UNANSWERED, reason=f"{source.label}{what}：{got.message}".rstrip("："), **cited)
    return out


async def evaluate_strategy(
    *,
    actor: Actor,
    customer_id: UUID,
    product_code: str,
    today: date,
    now: datetime,
    lat: float | None = None,
    lng: float | None = None,
    income_fen: int | None = None,
    village_id: UUID | None = None,
    visit_id: UUID | None = None,
    media: MediaStore | None = None,
    vault: Vault | None = None,
    ruleset: StrategyRuleSet | None = None,
    external: ExternalAccess | None = None,
) -> StrategyOutcome:
    """Admission + anti-fraud hits, the suggested limit and the spread; stored and audited.

    `media` lets the open debt be read from the latest credit report (without it the
    debt-to-income term is skipped); `vault` lets an unconfirmed OCR number be compared;
    `ruleset` overrides the active strategy (tests and what-if runs); `external` lets the
    strategy's external-data terms and rules ask their sources where the customer consented
    (without it they are not used, and say so).
    """
    require_staff(actor)
    customer = await customer_in_scope(actor, customer_id)
    product = await active_product(customer.bank_id, product_code)
    if product is None:
        raise NotFound("产品不存在或已停用", field="product_code")
    if (lat is None) != (lng is None) or (lat is not None and not is_valid_point(lat, lng)):
        raise ValidationError("走访位置无效", field="lat")
    if income_fen is not None and (isinstance(income_fen, bool) or not isinstance(income_fen, int) or income_fen < 0):
        raise ValidationError("年收入应为不小于 0 的整数（分）", field="income_fen")
    facts = await gather_facts(
        customer=customer, product=product, today=today, village_id=village_id, lat=lat, lng=lng, income_fen=income_fen, media=media, vault=vault,
        actor=actor,
    )
    if ruleset is None:
        _, ruleset = await active_ruleset(actor=actor, kind=RuleSetKind.STRATEGY, bank_id=customer.bank_id)
    needed = ruleset.external_sources()
    if needed:
        facts = replace(facts, external=await external_facts(actor=actor, customer=customer, sources=needed, access=external, vault=vault, now=now))
    decision = evaluate_strategy_rules(ruleset, facts)
    explanation = explain_strategy(decision)
    async with in_transaction():
        record = await RiskStrategyDecision.create(
            customer_id=customer.id,
            visit_id=visit_id,
            product_code=product.code,
            ruleset_version=decision.ruleset_version,
            decision=RiskOutcome(decision.decision),
            hits=[h.to_json() for h in decision.hits],
            limit_fen=decision.limit.limit_fen,
            limit_binding=decision.limit.binding,
            limit_detail=decision.limit_detail(),
            spread_bp=decision.pricing.spread_bp,
            grade=decision.pricing.grade,
            pricing_source=decision.pricing.source,
            annual_income_fen=income_fen,
            explanation=explanation,
            decided_at=now,
            decided_by_id=officer_id(actor),
        )
        await audit.record(
            actor,
            "risk_strategy.evaluate",
            "customer",
            customer.id,
            after={"decisionId": str(record.id), "productCode": product.code, "asOf": today.isoformat(), **decision.to_json()},
        )
    return StrategyOutcome(
        customer_id=customer.id, product_code=product.code, facts=facts, decision=decision, explanation=explanation, record=record
    )


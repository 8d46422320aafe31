"""Online credit in the app (issue 20): 公积金贷, 保单贷, 国网贷 granted from the credit report and one external source,
线上便利贷 (BIANLI_ONLINE) from the credit report and the bank's own records of the person (no external source).

The journey, one service function per step, called by the GraphQL doors (app/api/lending/online_credit.py):

- `online_products`: the products of the borrower's card's opening bank that have an online strategy.
- `sign_source_consent`: the borrower consents in the app to the product's source being queried for the
  application (授信申请); the text is filed in the e-archive as an authorisation (授权书). The credit-report
  authorisation is `app.services.lending.application.sign_authorisation`, as for a drawdown.
- `apply_for_credit`: both consents are required (a typed error names the missing one, nothing is asked; a product
  on the bank's own data needs the credit-report authorisation only);
  the borrower must live in the bank's region; the bureau and the source are queried (as the system, the
  request id ties it to the borrower's call); the admission and anti-fraud strategy (lists, age, shared
  devices) and the product's own strategy (app/domain/rules/online.py) decide. A bureau or source that does
  not answer is never a pass: the file is referred to an approver. A product on the bank's own data reads the
  person's loans at this bank and the open debt on the credit report just pulled (`BankRecordFacts`). The answer is stored with its evidence
  (a RiskStrategyDecision as for the visit, and the CreditApplication, each naming the strategy version: the
  bank's uploaded version of the product's strategy, `app.services.risk.rulesets.online_strategies`) and is an offer (limit, 年化利率 =
  LPR + spread, longest term, methods), a refusal with a neutral message, or a referral.
- `request_review`: a refused borrower asks for a person to look at the automated refusal (PIPL art. 24):
  the application becomes a referral.
- `accept_offer`: the borrower accepts and signs an offer still valid (`offer_valid_days` from when it was made;
  an older one is expired: `OFFER_EXPIRED`, and the borrower applies again). The line is granted (`grant_credit_line`,
  its exposure rules) with its `line_granted` outbox message, and its contract goes the visit's way
  (app/services/contracts): `create_contract`, the PDF rendered by the worker (`request_contract_render`), then
  `complete_online_contract` (run by the worker's render job, and again by a retried accept): the borrower's PAdES
  signature with a one-time certificate (`sign_contract_in_app`), the member bank's own seal (`seal_contract`), the
  sealed PDF in the e-archive linked as the application's `contract_document`; the application is then `ACTIVE`.
  The line is drawn on with the existing drawdown (`loanApply`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain.error_codes import CommonCode, CreditCheckCode, OnlineCreditCode
from app.domain.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from app.domain.external_data import ConsentPurpose, CreditApplicationStatus, ExternalQueryStatus, ExternalSource
from app.domain.lpr import tenor_for_term
from app.domain.money import Money, percent_str
from app.domain.permissions import Action
from app.domain.rules import worst_outcome
from app.domain.rules.online import BANK_DATA, BankRecordFacts, InternetLendingRules, OnlineLimitInputs, OnlineStrategy, evaluate_online, offered_terms
from app.domain.rules.strategies import explain_strategy
from app.domain.schedule.dates import add_months
from app.domain.vocabulary import ActorType, CreditLineStatus, DocumentKind, InstallmentStatus, LoanStatus, RiskOutcome, RiskPurpose
from app.integrations.bureau import CreditBureau
from app.integrations.external_data import ExternalSources
from app.models import (
    Bank, Contract, CreditApplication, CreditAuthorisation, CreditLine, Customer, Document, ExternalDataConsent, HouseholdMember, Household, Installment,
    Loan, Product, RiskStrategyDecision, Village,
)
from app.models.contract import ContractStatus
from app.services import audit
from app.services.actor import Actor
from app.services.contracts import SigningKit, create_contract, request_contract_render, seal_contract, sign_contract_in_app
from app.services.customers.cards import online_offer, require_customer
from app.services.documents import MediaStore, store_document
from app.services.external_data import ExternalDataPolicy, query_external
from app.services.external_data.consents import SignedForm, file_signed_consent, valid_consent
from app.services.jobs import JobQueue
from app.services.lending.application import ApplicationError, customer_at_bank
from app.services.lending.lines import grant_credit_line
from app.services.lending.pricing import latest_lpr
from app.services.lending.products import active_product
from app.services.outbox import enqueue_line_granted
from app.services.permissions import refusal, require
from app.services.ports import CoreBanking
from app.services.risk import check_credit, evaluate_strategy, open_debt_fen
from app.services.risk.rulesets import online_strategies

CONSUMER_PURPOSE = "个人消费"  # a product of this 贷款用途 is consumer credit: the internet-lending cap and bullet limit apply

OFFER_MESSAGE = "审批通过：授信额度 {limit}，年化利率 {rate}%（LPR {lpr}% + {spread} 个基点），请确认并签署授信合同"
REFUSAL_MESSAGE = "很抱歉，您暂不符合该产品的在线申请条件。如有疑问，可申请人工复核。"
REFERRAL_MESSAGE = "您的申请需要审批人进一步审核，我们会尽快处理并通知您结果"
REVIEW_MESSAGE = "已收到您的人工复核申请，审批人将重新审查并通知您结果"
ACTIVE_MESSAGE = "授信合同已签署，额度已生效，可在额度内申请借款"
SIGNING_MESSAGE = "您已确认签约，正在生成并签署授信合同，完成后额度即生效"
EXPIRED_MESSAGE = "该额度已超过签约有效期（出具后 {days} 天内未签署），已失效。如仍需授信，请重新申请"

CONSENT_TEXT = """外部数据查询授权书（手机银行）

授权人：{name}（身份证号码 {id_masked}）
本人同意{institution}在办理本人的授信申请时，向{source}查询本人的{source}数据，
用于授信审批（用途：授信申请），不用于其他用途。授权有效期至 {expires}。

本人已阅读并理解上述内容，于 {signed_at}（UTC）在手机银行中确认签署。
"""



@dataclass(frozen=True, slots=True)
class OnlineCreditPolicy:
    """Settings (app/config.py, CUNXIN_ONLINE_*); the regulation's limits are `rules`."""

    rules: InternetLendingRules = InternetLendingRules()
    external: ExternalDataPolicy = field(default_factory=ExternalDataPolicy)
    credit_report_reuse_days: int = 30
    consent_days: int = 365
    line_months: int = 12  # how long a line granted online stays valid
    offer_valid_days: int = 7  # an offer not accepted within this many days expires (CUNXIN_ONLINE_OFFER_VALID_DAYS)
    exposure_cap_fen: int | None = None  # the person's live lines (CUNXIN_LINE_EXPOSURE_CAP_YUAN), as at the visit


async def strategies_of(bank_id: UUID) -> dict[str, OnlineStrategy]:
    """Product code -> the strategy deciding the bank's online applications: the bank's uploaded version (kind online,
    maker-checked on the rule-set page), else the platform's, else the shipped file (configuration, not policy)."""
    return {code: strategy for code, (strategy, _) in (await online_strategies(bank_id)).items()}


async def strategy_for(bank_id: UUID, product_code: str) -> OnlineStrategy | None:
    return (await strategies_of(bank_id)).get(product_code)


@dataclass(frozen=True, slots=True)
class OnlineProduct:
    product: Product
    strategy: OnlineStrategy


async def online_products(actor: Actor, *, core: CoreBanking, vault: Vault, now: datetime, bank_id: UUID | None = None) -> tuple[Bank | None, list[OnlineProduct]]:
    """The online products (with a strategy) of the bank the app offers (the default card's opening bank, or `bank_id`)."""
    offer = await online_offer(actor, core=core, vault=vault, now=now, bank_id=bank_id)
    strategies = await strategies_of(offer.bank.id) if offer.bank is not None else {}
    return offer.bank, [OnlineProduct(p, strategies[p.code]) for p in offer.products if p.code in strategies]


def _system(actor: Actor) -> Actor:
    """The automated decision is the system's; the request id ties it to the borrower's call."""
    return Actor(type=ActorType.SYSTEM, display_name=f"app-credit:{actor.id}", request_id=actor.request_id, ip=actor.ip)


# --- consent --------------------------------------------------------------------------------------


async def sign_source_consent(
    *, actor: Actor, bank_id: UUID, source: ExternalSource | str, now: datetime, media: MediaStore, valid_days: int = 365,
) -> ExternalDataConsent:
    """File the borrower's consent, signed in the app, to query `source` for a credit application at `bank_id`."""
    require_customer(actor)
    require(actor, Action.CREDIT_AUTHORISE)
    try:
        source = ExternalSource(source)
    except ValueError:
        raise ValidationError(f"外部数据来源无效：{source}", field="source") from None
    actor, customer = await customer_at_bank(actor=actor, bank_id=bank_id)
    bank = await Bank.get(id=customer.bank_id)
    expires = now + timedelta(days=valid_days)
    text = CONSENT_TEXT.format(name=customer.name, id_masked=customer.id_number_masked, institution=bank.legal_name, source=source.label,
                               expires=expires.date().isoformat(), signed_at=now.isoformat(timespec="seconds"))
    form = SignedForm(data=text.encode(), content_type="text/plain; charset=utf-8", title=f"{source.label}数据查询授权书（手机银行）")
    return await file_signed_consent(actor=actor, customer=customer, source=source, purposes=[ConsentPurpose.APPLICATION.value], signed_at=now,
                                     expires_at=expires, form=form, media=media, channel="app", max_bytes=64 * 1024)


# --- apply ----------------------------------------------------------------------------------------


async def _lives_in_region(customer: Customer, bank_id: UUID) -> tuple[bool, str]:
    """Does the borrower live in the bank's region (the counties of its villages)? Their village (or household's)
    when the bank knows it, else the ID number's area code (户籍地, the only address an app-only borrower gave)."""
    counties = {code[:6] for code in await Village.filter(branch__bank_id=bank_id).values_list("division_code", flat=True)}
    village_id = customer.village_id
    if village_id is None:
        member = await HouseholdMember.get_or_none(customer_id=customer.id)
        household = await Household.get_or_none(id=member.household_id) if member else None
        village_id = household.village_id if household else None
    if village_id is not None:
        code = (await Village.get(id=village_id)).division_code[:6]
        return code in counties, f"village:{code}"
    return customer.id_number_masked[:6] in counties, f"id_area:{customer.id_number_masked[:6]}"


async def _online_room_fen(customer: Customer, rules: InternetLendingRules, today: date) -> int:
    """The internet-lending cap minus the person's live online consumer lines (their records at every member bank)."""
    records = await Customer.filter(id_number_hash=customer.id_number_hash).values_list("id", flat=True)
    granted = await CreditApplication.filter(customer_id__in=list(records), status__in=[CreditApplicationStatus.SIGNING, CreditApplicationStatus.ACTIVE],
                                             product__loan_purpose=CONSUMER_PURPOSE).values_list("credit_line_id", flat=True)
    used = await CreditLine.filter(id__in=[g for g in granted if g is not None], status__in=[CreditLineStatus.ACTIVE, CreditLineStatus.FROZEN],
                                   valid_until__gte=today).values_list("limit_fen", flat=True)
    return max(0, rules.cap_per_borrower_fen - sum(used))


async def _require_consents(customer: Customer, source: ExternalSource | None, *, today: date, now: datetime) -> None:
    """The credit-report authorisation, and the source's consent (none for a product on the bank's own data)."""
    if not await CreditAuthorisation.exists(customer_id=customer.id, revoked_at=None, valid_until__gte=today):
        raise ApplicationError("请先阅读并签署征信查询授权书", code=CreditCheckCode.NO_AUTHORISATION, field="consent")
    if source is not None and await valid_consent(customer_id=customer.id, bank_id=customer.bank_id, source=source, purpose=ConsentPurpose.APPLICATION, now=now) is None:
        raise ApplicationError(f"请先阅读并签署{source.label}数据查询授权书", code=OnlineCreditCode.NO_SOURCE_CONSENT, field="consent")


async def bank_records(customer: Customer, media: MediaStore) -> BankRecordFacts:
    """What the bank knows of the person at first hand: their loans at this bank (the customer record of the
    product's bank) and the open balances on their latest stored credit report (None: none could be read)."""
    loans = await Loan.filter(customer_id=customer.id).exclude(status=LoanStatus.CANCELLED).values("id", "status", "principal_fen", "days_past_due")
    settled = [x["principal_fen"] for x in loans if x["status"] == LoanStatus.SETTLED]
    ids = [x["id"] for x in loans]
    late = 0
    if ids:
        rows = await Installment.filter(loan_id__in=ids).values("status", "due_on", "paid_on")
        late = sum(1 for r in rows if r["status"] == InstallmentStatus.OVERDUE or (r["paid_on"] is not None and r["paid_on"] > r["due_on"]))
    return BankRecordFacts(
        settled_loans=len(settled), largest_settled_principal_fen=max(settled, default=0), late_installments=late,
        days_past_due=max((x["days_past_due"] for x in loans if x["status"] == LoanStatus.ACTIVE), default=0),
        report_open_debt_fen=await open_debt_fen(customer.id, media),
    )


async def apply_for_credit(
    *,
    actor: Actor,
    bank_id: UUID,
    product_code: str,
    idempotency_key: UUID,
    now: datetime,
    today: date,
    bureau: CreditBureau,
    sources: ExternalSources,
    media: MediaStore,
    vault: Vault,
    policy: OnlineCreditPolicy,
) -> CreditApplication:
    """Query, decide and answer (offer, refusal or referral); the same idempotency key returns the first answer."""
    require_customer(actor)
    require(actor, Action.LOAN_APPLY)
    actor, customer = await customer_at_bank(actor=actor, bank_id=bank_id)
    existing = await CreditApplication.get_or_none(customer_id=customer.id, idempotency_key=idempotency_key).prefetch_related("product")
    if existing is not None:
        if existing.product.code != product_code:
            raise Conflict("该幂等键已用于另一笔不同的申请", code=CommonCode.IDEMPOTENCY_KEY_REUSED, field="idempotency_key")
        return existing
    product = await active_product(customer.bank_id, product_code)
    strategy = await strategy_for(customer.bank_id, product_code)
    if product is None or strategy is None:
        raise ApplicationError("该产品不支持在线申请", code=OnlineCreditCode.NOT_ONLINE_PRODUCT, field="product_code")
    await _require_consents(customer, strategy.source, today=today, now=now)
    inside, where = await _lives_in_region(customer, customer.bank_id)
    if not inside:
        await audit.record(actor, "credit_application.outside_region", "customer", customer.id, after={"product": product.code, "residence": where})
        raise ApplicationError("该产品仅面向本行服务区域内的居民，请到就近网点咨询", code=OnlineCreditCode.OUTSIDE_REGION, field="product_code")

    system = _system(actor)
    evidence: dict[str, Any] = {"residence": where}
    outcomes: list[str] = []
    risk_decision = None
    try:
        risk_decision = await check_credit(actor=system, customer_id=customer.id, purpose=RiskPurpose.SIGNING, bureau=bureau, media=media, vault=vault,
                                           now=now, today=today, reuse_days=policy.credit_report_reuse_days)
        evidence["bureau"] = {"status": "ok", "riskDecisionId": str(risk_decision.id), "decision": risk_decision.decision.value}
        outcomes.append(risk_decision.decision.value)
    except DomainError as exc:  # a timeout, a failure, a mismatched report: never a pass
        evidence["bureau"] = {"status": "unanswered", "code": str(exc.code), "message": exc.message}
        outcomes.append("review")
    source = None
    facts: Any = None
    if strategy.source is None:  # the bank's own data: nothing external is asked
        facts = await bank_records(customer, media)
        evidence["source"] = {"source": BANK_DATA, "status": ExternalQueryStatus.OK.value, "facts": asdict(facts)}
    else:
        source = await query_external(actor=system, customer_id=customer.id, source=strategy.source, purpose=ConsentPurpose.APPLICATION,
                                      sources=sources, vault=vault, policy=policy.external, now=now)
        evidence["source"] = {"source": source.source.value, "status": source.status.value, "queryId": str(source.query_id), "reused": source.reused,
                              "requestedAt": source.requested_at.isoformat(), "message": source.message}
        facts = source.facts if source.status == ExternalQueryStatus.OK else None
    general = await evaluate_strategy(actor=system, customer_id=customer.id, product_code=product.code, today=today, now=now, media=media, vault=vault)
    evidence["admission"] = {"strategyDecisionId": str(general.record.id), "decision": general.decision.decision,
                             "rules": [h.code for h in general.decision.hits]}
    outcomes.append(general.decision.decision)

    consumer = product.loan_purpose == CONSUMER_PURPOSE
    decision = None
    if source is None or source.passed:
        inputs = OnlineLimitInputs(product_max_fen=product.max_principal_fen, online_room_fen=await _online_room_fen(customer, policy.rules, today) if consumer else None,
                                   product_spread_bp_by_grade=dict(product.spread_bp_by_grade or {}), product_default_spread_bp=product.default_spread_bp,
                                   grade=customer.grade)
        decision = evaluate_online(strategy, facts, inputs)
        outcomes.append(decision.decision)
        if decision.decision == "pass" and decision.limit.limit_fen < product.min_principal_fen:
            outcomes.append("reject")
            evidence["limitBelowMinimum"] = {"limitFen": decision.limit.limit_fen, "productMinFen": product.min_principal_fen}
    else:
        outcomes.append("review")  # the source did not answer: a person decides, nothing is assumed
    outcome = RiskOutcome(worst_outcome(*outcomes))

    methods, max_term = offered_terms(list(product.allowed_methods), product.max_term_months, consumer=consumer, rules=policy.rules)
    offer: dict[str, Any] = {}
    if outcome == RiskOutcome.PASS:
        assert decision is not None
        lpr_row = await latest_lpr(tenor_for_term(max_term), today).first()
        if lpr_row is None:
            raise DomainError("尚未发布 LPR，暂不能出具利率", code=CommonCode.INVALID, field="product_code")
        spread = decision.pricing.spread_bp
        offer = {"limit_fen": decision.limit.limit_fen, "spread_bp": spread, "lpr_ppm": lpr_row.rate_ppm, "annual_rate_ppm": lpr_row.rate_ppm + spread * 100,
                 "max_term_months": max_term, "methods": methods}
    status = {RiskOutcome.PASS: CreditApplicationStatus.OFFERED, RiskOutcome.REVIEW: CreditApplicationStatus.REFERRED}.get(outcome, CreditApplicationStatus.REFUSED)
    if status == CreditApplicationStatus.OFFERED:
        message = OFFER_MESSAGE.format(limit=Money(offer["limit_fen"]).format_yuan(), rate=percent_str(offer["annual_rate_ppm"]),
                                       lpr=percent_str(offer["lpr_ppm"]), spread=offer["spread_bp"])
    else:
        message = REFERRAL_MESSAGE if status == CreditApplicationStatus.REFERRED else REFUSAL_MESSAGE

    async with in_transaction():
        record = None
        if decision is not None:
            record = await RiskStrategyDecision.create(
                customer_id=customer.id, product_code=product.code, ruleset_version=decision.ruleset_version, decision=RiskOutcome(decision.decision),
                hits=[h.to_json() for h in decision.hits], limit_fen=decision.limit.limit_fen, limit_binding=decision.limit.binding,
                limit_detail={"terms": dict(decision.limit.terms), "skipped": list(decision.limit.skipped)}, spread_bp=decision.pricing.spread_bp,
                grade=decision.pricing.grade, pricing_source=decision.pricing.source, explanation=explain_strategy(decision), decided_at=now,
                decided_by_id=None,
            )
            evidence["strategy"] = {"strategyDecisionId": str(record.id), **decision.to_json()}
        row = await CreditApplication.create(
            customer_id=customer.id, product=product, idempotency_key=idempotency_key, source=strategy.source, status=status,
            strategy_version=strategy.version, risk_decision=risk_decision, strategy_decision=record,
            external_query_id=source.query_id if source is not None else None,
            decision={"outcome": outcome.value, **evidence}, message=message, applied_at=now,
            offered_at=now if status == CreditApplicationStatus.OFFERED else None, **offer,
        )
        await audit.record(actor, "credit_application.create", "credit_application", row.id, after={
            "product": product.code, "status": status.value, "outcome": outcome.value, "limitFen": row.limit_fen, "strategyVersion": strategy.version,
            "source": evidence["source"]["status"], "bureau": evidence["bureau"]["status"],
        })
    return await CreditApplication.get(id=row.id).prefetch_related("product")


# --- read back --------------------------------------------------------------------------------------


def applications_query(actor: Actor):
    """The borrower's own applications for online lines (their records at every member bank), newest first."""
    require_customer(actor)
    return CreditApplication.filter(customer_id__in=[actor.id, *actor.customer_ids]).order_by("-applied_at", "-id")


def offer_expires_at(row: CreditApplication, policy: OnlineCreditPolicy) -> datetime | None:
    """When an offer lapses unaccepted (`offer_valid_days` after it was made); None for an application that holds no offer."""
    if row.status not in (CreditApplicationStatus.OFFERED, CreditApplicationStatus.EXPIRED) or row.annual_rate_ppm is None:
        return None
    return (row.offered_at or row.applied_at) + timedelta(days=policy.offer_valid_days)


@dataclass(frozen=True, slots=True)
class ApplicationView:
    """What the borrower is shown of an application at `now`: an offer past its validity reads as expired even before
    anyone tried to accept it (accepting it records the expiry)."""

    status: CreditApplicationStatus
    message: str
    offer_expires_at: datetime | None


def application_view(row: CreditApplication, *, now: datetime, policy: OnlineCreditPolicy) -> ApplicationView:
    expires = offer_expires_at(row, policy)
    if row.status == CreditApplicationStatus.OFFERED and expires is not None and now >= expires:
        return ApplicationView(CreditApplicationStatus.EXPIRED, EXPIRED_MESSAGE.format(days=policy.offer_valid_days), expires)
    return ApplicationView(row.status, row.message, expires)


async def application_of(actor: Actor, application_id: UUID) -> CreditApplication | None:
    """One of the borrower's applications (another person's, or none: None)."""
    return await applications_query(actor).filter(id=application_id).prefetch_related("product").first()


async def signed_contract_document(actor: Actor, document_id: UUID) -> Document | None:
    """The sealed contract PDF of one of the borrower's applications, as filed in their e-archive (an acceptance filed
    as text before contracts were signed in the app is not a signed contract: None)."""
    require_customer(actor)
    return await Document.filter(id=document_id, customer_id__in=[actor.id, *actor.customer_ids], kind=DocumentKind.CONTRACT,
                                 content_type="application/pdf").first()


async def _own(actor: Actor, application_id: UUID, *, lock: bool = False) -> CreditApplication:
    require_customer(actor)
    require(actor, Action.LOAN_APPLY)
    query = CreditApplication.filter(id=application_id, customer_id__in=[actor.id, *actor.customer_ids])
    row = await (query.select_for_update() if lock else query).first()
    if row is None:
        raise NotFound("授信申请不存在", field="application_id")
    return row


# --- review of a refusal (PIPL art. 24) ---------------------------------------------------------------


async def request_review(*, actor: Actor, application_id: UUID, reason: str, now: datetime) -> CreditApplication:
    """A refused borrower asks for a person to review the automated refusal: the file goes to an approver."""
    reason = (reason or "").strip()[:256]
    async with in_transaction():
        row = await _own(actor, application_id, lock=True)
        if row.status == CreditApplicationStatus.REFERRED and row.review_requested_at is not None:
            return await CreditApplication.get(id=row.id).prefetch_related("product")  # asked already: the same answer
        if row.status != CreditApplicationStatus.REFUSED or "approver" in (row.decision or {}):
            raise ApplicationError("只有未通过自动审批的申请可以申请人工复核", code=OnlineCreditCode.NOT_REFUSED, field="application_id")
        await CreditApplication.filter(id=row.id).update(status=CreditApplicationStatus.REFERRED, review_requested_at=now, review_reason=reason,
                                                         message=REVIEW_MESSAGE)
        await audit.record(actor, "credit_application.review_requested", "credit_application", row.id, before={"status": row.status.value},
                           after={"status": CreditApplicationStatus.REFERRED.value, "reason": reason})
    return await CreditApplication.get(id=row.id).prefetch_related("product")


# --- accept and sign -----------------------------------------------------------------------------------


async def accept_offer(
    *, actor: Actor, application_id: UUID, now: datetime, today: date, policy: OnlineCreditPolicy, kit: SigningKit, queue: JobQueue,
) -> CreditApplication:
    """Accept and sign a valid offer: the line is granted, its contract created and queued for rendering (the worker's
    render job then signs and seals it, `complete_online_contract`). Accepting again never signs twice: it returns
    the same application, finishing a contract left unsigned (or queueing a failed render again) on the way."""
    row = await _own(actor, application_id)
    if row.status in (CreditApplicationStatus.SIGNING, CreditApplicationStatus.ACTIVE):
        return await _resume_contract(actor, row, now=now, kit=kit, queue=queue)
    if row.status == CreditApplicationStatus.OFFERED and application_view(row, now=now, policy=policy).status == CreditApplicationStatus.EXPIRED:
        await _expire(actor, row, now=now, policy=policy)
        row.status = CreditApplicationStatus.EXPIRED
    if row.status == CreditApplicationStatus.EXPIRED:
        raise ApplicationError(EXPIRED_MESSAGE.format(days=policy.offer_valid_days), code=OnlineCreditCode.OFFER_EXPIRED, field="application_id")
    if row.status != CreditApplicationStatus.OFFERED:
        raise ApplicationError("该申请没有待签署的授信额度", code=OnlineCreditCode.NOT_OFFERED, field="application_id")
    customer = await Customer.get(id=row.customer_id)
    product = await Product.get(id=row.product_id)
    actor = replace(actor, customer_ids=actor.customer_ids | {customer.id})
    valid_until = add_months(today, policy.line_months)
    async with in_transaction():
        locked = await _own(actor, application_id, lock=True)
        if locked.status != CreditApplicationStatus.OFFERED:  # accepted by a concurrent call meanwhile
            if locked.status in (CreditApplicationStatus.SIGNING, CreditApplicationStatus.ACTIVE):
                return await CreditApplication.get(id=row.id).prefetch_related("product")
            raise ApplicationError("该申请没有待签署的授信额度", code=OnlineCreditCode.NOT_OFFERED, field="application_id")
        line = await grant_credit_line(
            actor=actor, customer_id=customer.id, product_code=product.code, limit_fen=row.limit_fen, valid_from=today, valid_until=valid_until,
            methods=list(row.methods or []), max_term_months=row.max_term_months, spread_bp=row.spread_bp, exposure_cap_fen=policy.exposure_cap_fen,
        )
        await CreditLine.filter(id=line.id).update(granted_at=now, updated_at=now)
        line.granted_at = now
        await enqueue_line_granted(line, now=now)
        contract = await create_contract(actor=_system(actor), credit_line_id=line.id, today=today)
        await CreditApplication.filter(id=row.id).update(status=CreditApplicationStatus.SIGNING, accepted_at=now, credit_line_id=line.id,
                                                         message=SIGNING_MESSAGE)
        await audit.record(actor, "credit_application.accept", "credit_application", row.id, before={"status": row.status.value}, after={
            "status": CreditApplicationStatus.SIGNING.value, "creditLineId": str(line.id), "limitFen": row.limit_fen, "contractId": str(contract.id),
            "contractNumber": contract.number, "annualRatePpm": row.annual_rate_ppm,
        })
    return await _resume_contract(actor, await CreditApplication.get(id=row.id), now=now, kit=kit, queue=queue)


async def _expire(actor: Actor, row: CreditApplication, *, now: datetime, policy: OnlineCreditPolicy) -> None:
    """Record that an offer lapsed unaccepted (once; the borrower may apply again)."""
    async with in_transaction():
        moved = await CreditApplication.filter(id=row.id, status=CreditApplicationStatus.OFFERED).update(
            status=CreditApplicationStatus.EXPIRED, message=EXPIRED_MESSAGE.format(days=policy.offer_valid_days))
        if moved:
            await audit.record(actor, "credit_application.expire", "credit_application", row.id, before={"status": row.status.value}, after={
                "status": CreditApplicationStatus.EXPIRED.value, "offeredAt": (row.offered_at or row.applied_at).isoformat(),
                "validDays": policy.offer_valid_days,
            })


async def _resume_contract(actor: Actor, row: CreditApplication, *, now: datetime, kit: SigningKit, queue: JobQueue) -> CreditApplication:
    """Carry an accepted application's contract on from where it is: queue the render (again after a failure), or sign
    and seal a rendered one. A line accepted before contracts were signed in the app has none: nothing to do."""
    contract = await Contract.filter(credit_line_id=row.credit_line_id).first() if row.credit_line_id else None
    if contract is not None and row.status == CreditApplicationStatus.SIGNING:
        if contract.status == ContractStatus.DRAFT:
            await request_contract_render(actor=_system(actor), contract_id=contract.id, queue=queue, now=now)
        else:
            await complete_online_contract(contract_id=contract.id, now=now, kit=kit)
    return await CreditApplication.get(id=row.id).prefetch_related("product")


async def complete_online_contract(*, contract_id: UUID, now: datetime, kit: SigningKit) -> CreditApplication | None:
    """Sign and seal the rendered contract of an accepted online application, then make it `ACTIVE` (None: the contract
    is not an online application's). The worker's render job calls it after rendering; a retried accept calls it too.
    Each step is a compare-and-set, so two runs at once sign once and seal once."""
    contract = await Contract.get_or_none(id=contract_id)
    row = await CreditApplication.get_or_none(credit_line_id=contract.credit_line_id) if contract is not None else None
    if contract is None or row is None or row.status not in (CreditApplicationStatus.SIGNING, CreditApplicationStatus.ACTIVE):
        return None
    system = Actor(type=ActorType.SYSTEM, display_name=f"app-credit:{row.customer_id}")
    try:
        if contract.status == ContractStatus.RENDERED:
            contract = await sign_contract_in_app(actor=system, contract_id=contract.id, confirmed_at=row.accepted_at or now,
                                                  confirmation=f"线上授信申请 {row.id}", now=now, kit=kit)
        if contract.status == ContractStatus.BORROWER_SIGNED:
            contract = await seal_contract(actor=system, contract_id=contract.id, now=now, kit=kit)
    except Conflict:  # a concurrent run moved it on: read where it is now
        contract = await Contract.get(id=contract_id)
    if contract.status == ContractStatus.SEALED and row.status == CreditApplicationStatus.SIGNING:
        async with in_transaction():
            moved = await CreditApplication.filter(id=row.id, status=CreditApplicationStatus.SIGNING).update(
                status=CreditApplicationStatus.ACTIVE, contract_document_id=contract.sealed_document_id, message=ACTIVE_MESSAGE)
            if moved:
                await audit.record(system, "credit_application.signed", "credit_application", row.id, before={"status": row.status.value}, after={
                    "status": CreditApplicationStatus.ACTIVE.value, "contractId": str(contract.id), "documentId": str(contract.sealed_document_id),
                })
    return await CreditApplication.get(id=row.id).prefetch_related("product")



# --- the approver: referred applications -----------------------------------------------------------------

DECLINED_MESSAGE = "经审批人审查，您的申请暂未获批准。如有疑问，请联系开户网点"


def _require_approver(actor: Actor) -> None:
    if not actor.is_officer:
        raise Forbidden(refusal(Action.LINE_APPROVE), code=CommonCode.FORBIDDEN)
    require(actor, Action.LINE_APPROVE)


async def referred_queue(*, actor: Actor) -> list[CreditApplication]:
    """The referred online applications of customers in the approver's branches, oldest first."""
    _require_approver(actor)
    return await (CreditApplication.filter(status=CreditApplicationStatus.REFERRED, customer__branch_id__in=list(actor.branch_ids))
                  .order_by("applied_at", "id").prefetch_related("product", "customer"))


async def decide_referral(
    *, actor: Actor, application_id: UUID, approve: bool, limit_fen: int | None, reason: str, now: datetime, today: date, policy: OnlineCreditPolicy,
) -> CreditApplication:
    """An approver decides a referred application: approve with a limit (then it is an offer the borrower signs as any
    other) or decline (a refusal with a neutral message). The limit is within the product's maximum, the online
    consumer cap, and the product strategy's limit when the strategy ran; the approver's reason is kept.
    The doors: the PAD page 线上授信审查 and the staff GraphQL mutation `creditReferralDecide`."""
    reason = (reason or "").strip()[:256]
    async with in_transaction():
        row = await CreditApplication.select_for_update().get_or_none(id=application_id)
        customer = await Customer.get_or_none(id=row.customer_id) if row is not None else None
        if row is None or customer is None or not actor.is_officer or not actor.in_branch(customer.branch_id):
            raise NotFound("授信申请不存在", field="application_id")
        _require_approver(actor)
        require(actor, Action.LINE_APPROVE, branch_id=customer.branch_id)
        if not reason:
            raise ValidationError("请填写审查意见", field="reason")
        if row.status != CreditApplicationStatus.REFERRED:
            raise ApplicationError("该申请不在待审查状态", code=OnlineCreditCode.NOT_REFERRED, field="application_id")
        before = {"status": row.status.value}
        if not approve:
            await CreditApplication.filter(id=row.id).update(status=CreditApplicationStatus.REFUSED, message=DECLINED_MESSAGE,
                                                             decision={**row.decision, "approver": {"decision": "decline", "by": str(actor.id), "reason": reason,
                                                                                                      "at": now.isoformat()}})
            await audit.record(actor, "credit_application.decline", "credit_application", row.id, before=before,
                               after={"status": CreditApplicationStatus.REFUSED.value, "reason": reason})
        else:
            product = await Product.get(id=row.product_id)
            strategy = await RiskStrategyDecision.get_or_none(id=row.strategy_decision_id) if row.strategy_decision_id else None
            consumer = product.loan_purpose == CONSUMER_PURPOSE
            caps = {"product_max": product.max_principal_fen}
            if consumer:
                caps["online_cap"] = await _online_room_fen(customer, policy.rules, today)
            if strategy is not None and strategy.decision != RiskOutcome.REJECT:
                caps["strategy"] = strategy.limit_fen
            if limit_fen is None or isinstance(limit_fen, bool) or limit_fen < product.min_principal_fen:
                raise ValidationError(f"授信额度应不少于 {Money(product.min_principal_fen).format_yuan()}", code=CommonCode.INVALID_AMOUNT, field="limit")
            over = {k: v for k, v in caps.items() if limit_fen > v}
            if over:
                raise ValidationError(f"授信额度超过上限 {Money(min(over.values())).format_yuan()}", code=CommonCode.INVALID_AMOUNT, field="limit")
            methods, max_term = offered_terms(list(product.allowed_methods), product.max_term_months, consumer=consumer, rules=policy.rules)
            lpr_row = await latest_lpr(tenor_for_term(max_term), today).first()
            if lpr_row is None:
                raise DomainError("尚未发布 LPR，暂不能出具利率", code=CommonCode.INVALID, field="limit")
            spread = strategy.spread_bp if strategy is not None else product.default_spread_bp
            rate = lpr_row.rate_ppm + spread * 100
            message = OFFER_MESSAGE.format(limit=Money(limit_fen).format_yuan(), rate=percent_str(rate), lpr=percent_str(lpr_row.rate_ppm), spread=spread)
            await CreditApplication.filter(id=row.id).update(
                status=CreditApplicationStatus.OFFERED, offered_at=now, message=message, limit_fen=limit_fen, spread_bp=spread, lpr_ppm=lpr_row.rate_ppm,
                annual_rate_ppm=rate, max_term_months=max_term, methods=methods,
                decision={**row.decision, "approver": {"decision": "approve", "by": str(actor.id), "reason": reason, "limitFen": limit_fen, "caps": caps,
                                                       "at": now.isoformat()}},
            )
            await audit.record(actor, "credit_application.approve", "credit_application", row.id, before=before,
                               after={"status": CreditApplicationStatus.OFFERED.value, "limitFen": limit_fen, "spreadBp": spread, "reason": reason})
    return await CreditApplication.get(id=application_id).prefetch_related("product", "customer")


async def referral_file(*, actor: Actor, application_id: UUID) -> CreditApplication:
    """One online application as the approver reads it (any status, so a decided one shows what was decided).

    Outside the officer's branches it does not exist (404), whoever asks; inside, only an approver may read it."""
    row = await CreditApplication.get_or_none(id=application_id).prefetch_related("product", "customer")
    if row is None or not actor.is_officer or not actor.in_branch(row.customer.branch_id):
        raise NotFound("授信申请不存在", field="application_id")
    _require_approver(actor)
    await audit.record(actor, "credit_application.view", "credit_application", row.id, after={"status": row.status.value})
    return row

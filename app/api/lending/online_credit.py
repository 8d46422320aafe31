"""Online credit in the app (公积金贷, 保单贷, 国网贷, 线上便利贷): products, consents, apply → offer / refusal / referral, accept and sign;
and the approver's door onto referred applications (`creditReferrals`, `creditReferral`, `creditReferralDecide`), as the PAD
page 线上授信审查.

Every resolver calls one service function of app/services/lending/online_credit.py; the drawdown on the line is `loanApply`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from app import clock
from app.api.arguments import AFTER, FIRST, INPUT
from app.api.context import Info
from app.api.customers.types import OfferBank
from app.api.enums import domain_enum
from app.api.errors import error_enum, payload_error
from app.api.lending.types import CreditLine, Product, RepaymentMethod
from app.api.pagination import ID_KEY, Connection, SortKey, paginate_keyset
from app.api.permissions import IsCustomer, IsOfficer
from app.api.scalars import DecimalString, optional_fen
from app.domain import error_codes as codes
from app.domain.errors import DomainError, NotFound, ValidationError
from app.domain.external_data import CreditApplicationStatus, ExternalSource
from app.domain.money import percent_str, yuan_str
from app.models import CreditApplication as CreditApplicationModel
from app.services import business_date
from app.services.lending import online_credit
from app.services.lending import queries as lending_queries
from app.services.lending.online_credit import OnlineCreditPolicy
from app.services.lending.products import products_visible

CreditApplicationErrorCode = error_enum(
    "CreditApplicationErrorCode", "线上授信申请相关错误代码", codes.CommonCode, codes.OnlineCreditCode, codes.LendingCode, codes.CreditCheckCode,
    codes.CreditReportCode, codes.CustomerCode.CARD_NOT_ELIGIBLE, codes.RiskCode.BAD_RULESET,
    # accepting signs the line's contract through app/services/contracts (the visit's path): its codes can reach the app
    codes.ContractCode, codes.VisitCode.WRONG_STATE, codes.VisitCode.FACE_CHECK_REQUIRED, codes.VisitCode.FACE_CHECK_FAILED,
    codes.VisitCode.NO_CO_BORROWER, codes.VisitCode.INVALID_LOCATION,
)


@strawberry.type(description="线上授信申请相关错误")
class CreditApplicationError:
    field: str | None = strawberry.field(description="出错的输入字段（camelCase 路径，如 productCode）；与某个输入无关时为 null")
    code: CreditApplicationErrorCode = strawberry.field(description="错误代码：客户端据此分支处理（如 NO_SOURCE_CONSENT：先签署数据查询授权书）")
    message: str = strawberry.field(description="给用户看的中文说明")


def _error(exc: DomainError) -> CreditApplicationError:
    return payload_error(CreditApplicationError, CreditApplicationErrorCode, exc)


ExternalDataSource = domain_enum(ExternalSource, name="ExternalDataSource", description="外部数据来源（线上产品据以审批的数据）")
CreditApplicationStatusEnum = domain_enum(CreditApplicationStatus, name="CreditApplicationStatus", description="线上授信申请状态")


@strawberry.type(description="可在手机银行在线申请授信的产品：审批所用的外部数据来源与策略版本")
class OnlineProduct:
    product: Product = strawberry.field(description="产品（额度上下限、期限、还款方式为产品设置；实际授信以审批结果为准）")
    source: ExternalDataSource | None = strawberry.field(
        description="审批需查询的外部数据来源；申请前须签署该来源的数据查询授权书。为 null 时仅凭征信报告与本行数据审批（如线上便利贷），只需签署征信查询授权书")
    strategy_version: str = strawberry.field(description="审批策略版本（额度测算与准入参数为各行配置）")


@strawberry.type(description="某成员行可在线申请授信的产品")
class OnlineProducts:
    bank: OfferBank | None = strawberry.field(description="提供产品的成员行（客户银行卡的开户行）；没有本行卡时为 null")
    products: list[OnlineProduct] = strawberry.field(description="可在线申请的产品；没有时为空列表")


@strawberry.type(description="外部数据查询授权（在手机银行签署，存入电子档案）")
class ExternalDataConsent:
    id: strawberry.ID = strawberry.field(description="授权 ID（UUID）")
    source: ExternalDataSource = strawberry.field(description="授权查询的数据来源")
    signed_at: datetime = strawberry.field(description="签署时刻（UTC 时刻，ISO 8601 带时区偏移）")
    expires_at: datetime = strawberry.field(description="授权失效时刻（UTC 时刻，ISO 8601 带时区偏移）")


@strawberry.type(description="线上授信的授信合同：与走访相同的合同 PDF，借款人以一次性证书签名、成员行加盖电子合同专用章（PAdES），存入电子档案")
class SignedContract:
    document_id: strawberry.ID = strawberry.field(description="电子档案中已盖章合同 PDF 的文件 ID（UUID）")
    sha256: str = strawberry.field(description="合同 PDF 的 SHA-256（小写十六进制）：存档与验签以此为准")
    title: str = strawberry.field(description="档案中的文件标题（含合同编号）")
    signed_at: datetime = strawberry.field(description="盖章完成、存入档案的时刻（UTC 时刻，ISO 8601 带时区偏移）")


@strawberry.type(description="线上授信申请（授信，不是借款：借款在额度生效后用 loanApply 申请）")
class CreditApplication:
    id: strawberry.ID = strawberry.field(description="申请 ID（UUID）")
    status: CreditApplicationStatusEnum = strawberry.field(description="申请状态")
    source: ExternalDataSource | None = strawberry.field(description="审批查询的外部数据来源；为 null 时审批仅用征信报告与本行数据")
    message: str = strawberry.field(description="给客户看的结果说明（中文；未通过时为中性说明，不列明具体规则）")
    limit: DecimalString | None = strawberry.field(description="授信额度（元，两位小数的字符串，如 \"28000.00\"）；未出具额度时为 null")
    annual_rate_percent: DecimalString | None = strawberry.field(description="年化利率（百分数，如 \"4.30\" 即 4.30%）= LPR + 加点；未出具额度时为 null")
    lpr_percent: DecimalString | None = strawberry.field(description="报价所用 LPR（百分数；按最长期限对应的期限品种）；未出具额度时为 null")
    spread_bp: int | None = strawberry.field(description="在 LPR 上的加点（基点，1 基点 = 0.01%）；未出具额度时为 null")
    max_term_months: int | None = strawberry.field(description="单笔借款最长期限（月）；未出具额度时为 null")
    methods: list[RepaymentMethod] = strawberry.field(description="可选还款方式；未出具额度时为空列表")
    applied_at: datetime = strawberry.field(description="申请时刻（UTC 时刻，ISO 8601 带时区偏移）")
    review_requested_at: datetime | None = strawberry.field(description="客户申请人工复核的时刻；未申请时为 null")
    accepted_at: datetime | None = strawberry.field(description="客户确认并签署的时刻；未签署时为 null")
    offer_expires_at: datetime | None = strawberry.field(
        description="额度的签约截止时刻（出具后 CUNXIN_ONLINE_OFFER_VALID_DAYS 天，UTC 时刻，ISO 8601 带时区偏移）；过时未签署即 EXPIRED，可重新申请；未出具额度或已签署时为 null")
    can_request_review: bool = strawberry.field(description="是否可申请人工复核（自动审批未通过时可以；审批人已审查过的不能再申请）")
    product_key: strawberry.Private[UUID]
    line_key: strawberry.Private[UUID | None]
    contract_key: strawberry.Private[UUID | None]

    @strawberry.field(description="已签署并加盖本行电子合同专用章的授信合同（PDF，PAdES 签名，存入电子档案）；合同签署完成前为 null")
    async def contract(self, info: Info) -> SignedContract | None:
        if self.contract_key is None:
            return None
        doc = await online_credit.signed_contract_document(info.context.actor, self.contract_key)
        return SignedContract(document_id=strawberry.ID(str(doc.id)), sha256=doc.sha256, title=doc.title, signed_at=doc.created_at) if doc else None

    @strawberry.field(description="申请的产品")
    async def product(self, info: Info) -> Product | None:
        found = await products_visible(info.context.actor, [self.product_key])
        return Product.from_model(found[self.product_key]) if self.product_key in found else None

    @strawberry.field(description="合同签署盖章后生效的授信额度（在此额度内用 loanApply 借款）；状态不是 ACTIVE 时为 null")
    async def credit_line(self, info: Info) -> CreditLine | None:
        if self.line_key is None:
            return None
        found = await lending_queries.lines_visible(info.context.actor, [self.line_key])
        return CreditLine.from_model(found[self.line_key]) if self.line_key in found else None

    @classmethod
    def from_model(cls, m: CreditApplicationModel, policy: online_credit.OnlineCreditPolicy) -> CreditApplication:
        offered = m.annual_rate_ppm is not None
        view = online_credit.application_view(m, now=clock.now_utc(), policy=policy)
        return cls(
            id=strawberry.ID(str(m.id)), status=CreditApplicationStatusEnum(view.status.value), source=ExternalDataSource(m.source.value) if m.source else None, message=view.message,
            limit=yuan_str(m.limit_fen) if offered else None, annual_rate_percent=percent_str(m.annual_rate_ppm) if offered else None,
            lpr_percent=percent_str(m.lpr_ppm) if offered and m.lpr_ppm is not None else None, spread_bp=m.spread_bp if offered else None,
            max_term_months=m.max_term_months if offered else None, methods=[RepaymentMethod(x) for x in (m.methods or [])] if offered else [],
            applied_at=m.applied_at, review_requested_at=m.review_requested_at, accepted_at=m.accepted_at, offer_expires_at=view.offer_expires_at,
            can_request_review=m.status == CreditApplicationStatus.REFUSED and "approver" not in (m.decision or {}), product_key=m.product_id,
            line_key=m.credit_line_id if m.status == CreditApplicationStatus.ACTIVE else None, contract_key=m.contract_document_id,
        )


@strawberry.type(description="转审批人审查的线上授信申请（审批人视角：数据来源未答复、征信需复核，或客户对自动拒绝申请了人工复核）")
class CreditReferral:
    id: strawberry.ID = strawberry.field(description="申请 ID（UUID；creditReferralDecide 的 applicationId）")
    status: CreditApplicationStatusEnum = strawberry.field(description="申请状态（待审查为 REFERRED；审查后为 OFFERED 或 REFUSED）")
    product: Product = strawberry.field(description="申请的产品")
    customer_id: strawberry.ID = strawberry.field(description="客户 ID（UUID）")
    customer_name: str = strawberry.field(description="客户姓名")
    customer_id_number_masked: str = strawberry.field(description="身份证号（已遮蔽）")
    source: ExternalDataSource | None = strawberry.field(description="审批查询的外部数据来源；为 null 时仅用征信报告与本行数据（线上便利贷）")
    strategy_version: str = strawberry.field(description="产品策略版本")
    applied_at: datetime = strawberry.field(description="申请时刻（UTC 时刻，ISO 8601 带时区偏移）")
    review_requested_at: datetime | None = strawberry.field(description="客户申请人工复核的时刻；非客户申请复核时为 null")
    review_reason: str = strawberry.field(description="客户申请复核时的说明（可空）")
    strategy_limit: DecimalString | None = strawberry.field(
        description="产品策略测算的额度（元）：审批人批准的额度不得超过它；策略未运行（数据来源未答复）或测算拒绝时为 null")
    evidence: JSON = strawberry.field(
        description="审批依据（JSON 对象）：bureau 征信查询结果、source 数据来源状态（或本行数据 facts）、admission 准入与反欺诈、strategy 产品策略（命中规则与额度测算项，金额为分）、residence 居住地核验；审查后含 approver")
    limit: DecimalString | None = strawberry.field(description="审查批准的授信额度（元）；未批准时为 null")
    annual_rate_percent: DecimalString | None = strawberry.field(description="批准时出具的年化利率（百分数）；未批准时为 null")

    @classmethod
    def from_model(cls, m: CreditApplicationModel) -> CreditReferral:
        offered = m.annual_rate_ppm is not None
        strategy = (m.decision or {}).get("strategy") or {}
        suggested = strategy.get("limit", {}).get("limitFen") if strategy.get("decision") != "reject" else None
        return cls(
            id=strawberry.ID(str(m.id)), status=CreditApplicationStatusEnum(m.status.value), product=Product.from_model(m.product),
            customer_id=strawberry.ID(str(m.customer_id)), customer_name=m.customer.name, customer_id_number_masked=m.customer.id_number_masked,
            source=ExternalDataSource(m.source.value) if m.source else None, strategy_version=m.strategy_version, applied_at=m.applied_at,
            review_requested_at=m.review_requested_at, review_reason=m.review_reason, strategy_limit=yuan_str(suggested) if suggested is not None else None,
            evidence=m.decision or {}, limit=yuan_str(m.limit_fen) if offered else None, annual_rate_percent=percent_str(m.annual_rate_ppm) if offered else None,
        )


@strawberry.input(description="审批人审查转审批的线上授信申请：批准（给出额度，客户在手机银行确认签署后生效）或不予批准")
class CreditReferralDecideInput:
    application_id: strawberry.ID = strawberry.field(description="授信申请 ID（CreditReferral.id）")
    approve: bool = strawberry.field(description="true 批准，false 不予批准")
    limit: DecimalString | None = strawberry.field(
        default=None, description="批准的授信额度（元，如 \"50000.00\"）：不低于产品最低额度，不超过产品最高额度、互联网消费贷款单户上限余量与产品策略测算额度；不予批准时省略")
    reason: str = strawberry.field(description="审查意见（必填，最多 256 字；不予批准的理由不告知客户，客户只看到中性说明）")


@strawberry.type(description="referral 为空当且仅当 errors 非空")
class CreditReferralPayload:
    referral: CreditReferral | None = strawberry.field(description="审查后的申请；出错时为 null")
    errors: list[CreditApplicationError] = strawberry.field(description="错误；成功时为空列表（FORBIDDEN 非审批人，NOT_REFERRED 已审查过，INVALID_AMOUNT 额度超出上限或低于下限）")


@strawberry.input(description="签署外部数据查询授权书（用途：授信申请）")
class ExternalDataConsentSignInput:
    bank_id: strawberry.ID = strawberry.field(description="向哪家成员行申请（OnlineProducts.bank.id）")
    source: ExternalDataSource = strawberry.field(description="授权查询的数据来源（OnlineProduct.source）")
    agree: bool = strawberry.field(description="已阅读并同意授权书全文")


@strawberry.input(description="申请线上授信：系统查询征信与产品的数据来源，按产品策略实时审批")
class CreditApplyInput:
    bank_id: strawberry.ID = strawberry.field(description="成员行 ID（OnlineProducts.bank.id）")
    product_code: str = strawberry.field(description="产品代码（OnlineProduct.product.code，如 GJJ）")
    idempotency_key: UUID = strawberry.field(description="幂等键：客户端生成的 UUID；重试时使用同一个值，返回第一次的结果")


@strawberry.input(description="确认并签署授信：额度随即生效")
class CreditApplicationAcceptInput:
    application_id: strawberry.ID = strawberry.field(description="授信申请 ID（CreditApplication.id）")
    agree: bool = strawberry.field(description="已阅读并同意授信条款")


@strawberry.input(description="对自动审批未通过的结果申请人工复核")
class CreditApplicationReviewInput:
    application_id: strawberry.ID = strawberry.field(description="授信申请 ID（CreditApplication.id）")
    reason: str = strawberry.field(default="", description="客户补充的说明（可空，最多 256 字）")


@strawberry.type(description="consent 为空当且仅当 errors 非空")
class ExternalDataConsentSignPayload:
    consent: ExternalDataConsent | None = strawberry.field(description="签署的授权；出错时为 null")
    errors: list[CreditApplicationError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.type(description="application 为空当且仅当 errors 非空")
class CreditApplicationPayload:
    application: CreditApplication | None = strawberry.field(description="授信申请；出错时为 null")
    errors: list[CreditApplicationError] = strawberry.field(description="错误；成功时为空列表")


def _uuid(value: str, message: str, field: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound(message, field=field) from None


@strawberry.type
class OnlineCreditMutation:
    @strawberry.mutation(description="在手机银行中签署外部数据（公积金、保单、国网等）查询授权书，用于线上授信申请", permission_classes=[IsCustomer])
    async def external_data_consent_sign(self, info: Info, input: Annotated[ExternalDataConsentSignInput, INPUT]) -> ExternalDataConsentSignPayload:
        ctx = info.context
        try:
            if not input.agree:
                raise ValidationError("请阅读并同意数据查询授权书", field="agree")
            row = await online_credit.sign_source_consent(
                actor=ctx.actor, bank_id=_uuid(input.bank_id, "成员行不存在", "bank_id"), source=input.source.value, now=clock.now_utc(),
                media=ctx.mobile.media, valid_days=ctx.mobile.online.consent_days,
            )
        except DomainError as exc:
            return ExternalDataConsentSignPayload(consent=None, errors=[_error(exc)])
        consent = ExternalDataConsent(id=strawberry.ID(str(row.id)), source=ExternalDataSource(row.source.value), signed_at=row.signed_at, expires_at=row.expires_at)
        return ExternalDataConsentSignPayload(consent=consent, errors=[])

    @strawberry.mutation(description="申请线上授信：实时查询征信与产品数据来源并按产品策略审批，答复出具额度、未通过（可申请人工复核）或转审批人", permission_classes=[IsCustomer])
    async def credit_apply(self, info: Info, input: Annotated[CreditApplyInput, INPUT]) -> CreditApplicationPayload:
        ctx = info.context
        deps = ctx.mobile
        try:
            row = await online_credit.apply_for_credit(
                actor=ctx.actor, bank_id=_uuid(input.bank_id, "成员行不存在", "bank_id"), product_code=input.product_code,
                idempotency_key=input.idempotency_key, now=clock.now_utc(), today=await business_date.current(), bureau=deps.bureau,
                sources=deps.external, media=deps.media, vault=ctx.vault, policy=deps.online,
            )
        except DomainError as exc:
            return CreditApplicationPayload(application=None, errors=[_error(exc)])
        return CreditApplicationPayload(application=CreditApplication.from_model(row, ctx.mobile.online), errors=[])

    @strawberry.mutation(description="确认并签署出具的授信（签约有效期内）：授信合同 PDF 随即生成，以借款人一次性证书签名并加盖本行电子合同专用章后存入电子档案，额度生效（状态 SIGNING → ACTIVE，读回 creditApplication 查看）；过期为 OFFER_EXPIRED；重复确认不会重复签署，返回同一申请", permission_classes=[IsCustomer])
    async def credit_application_accept(self, info: Info, input: Annotated[CreditApplicationAcceptInput, INPUT]) -> CreditApplicationPayload:
        ctx = info.context
        try:
            if not input.agree:
                raise ValidationError("请阅读并同意授信条款", field="agree")
            row = await online_credit.accept_offer(
                actor=ctx.actor, application_id=_uuid(input.application_id, "授信申请不存在", "application_id"), now=clock.now_utc(),
                today=await business_date.current(), policy=ctx.mobile.online, kit=ctx.mobile.signing_kit(), queue=ctx.mobile.queue,
            )
        except DomainError as exc:
            return CreditApplicationPayload(application=None, errors=[_error(exc)])
        return CreditApplicationPayload(application=CreditApplication.from_model(row, ctx.mobile.online), errors=[])

    @strawberry.mutation(description="对自动审批未通过的申请请求人工复核（转审批人审查）", permission_classes=[IsCustomer])
    async def credit_application_review_request(self, info: Info, input: Annotated[CreditApplicationReviewInput, INPUT]) -> CreditApplicationPayload:
        ctx = info.context
        try:
            row = await online_credit.request_review(
                actor=ctx.actor, application_id=_uuid(input.application_id, "授信申请不存在", "application_id"), reason=input.reason, now=clock.now_utc(),
            )
        except DomainError as exc:
            return CreditApplicationPayload(application=None, errors=[_error(exc)])
        return CreditApplicationPayload(application=CreditApplication.from_model(row, ctx.mobile.online), errors=[])


    @strawberry.mutation(description="审批人审查转审批的线上授信申请（与 PAD 线上授信审查页同一服务）：批准给出额度（客户签署后生效）或不予批准", permission_classes=[IsOfficer])
    async def credit_referral_decide(self, info: Info, input: Annotated[CreditReferralDecideInput, INPUT]) -> CreditReferralPayload:
        ctx = info.context
        try:
            row = await online_credit.decide_referral(
                actor=ctx.actor, application_id=_uuid(input.application_id, "授信申请不存在", "application_id"), approve=input.approve,
                limit_fen=optional_fen(input.limit, field="limit") if input.approve else None, reason=input.reason, now=clock.now_utc(),
                today=await business_date.current(), policy=ctx.mobile.online if ctx.mobile else OnlineCreditPolicy(),
            )
        except DomainError as exc:
            return CreditReferralPayload(referral=None, errors=[_error(exc)])
        return CreditReferralPayload(referral=CreditReferral.from_model(row), errors=[])


NEWEST_APPLIED = (SortKey("applied_at", datetime.fromisoformat, descending=True), ID_KEY)


@strawberry.type
class OnlineCreditQuery:
    @strawberry.field(description="可在线申请授信的产品（按客户银行卡的开户行，或所选成员行）", permission_classes=[IsCustomer])
    async def online_products(
        self, info: Info, bank_id: Annotated[strawberry.ID | None, strawberry.argument(description="成员行 ID；省略时按默认卡的开户行")] = None,
    ) -> OnlineProducts:
        ctx = info.context
        bank_key = None
        if bank_id is not None:
            try:
                bank_key = UUID(str(bank_id))
            except ValueError:
                return OnlineProducts(bank=None, products=[])
        bank, products = await online_credit.online_products(ctx.actor, core=ctx.core, vault=ctx.vault, now=clock.now_utc(), bank_id=bank_key)
        return OnlineProducts(bank=OfferBank.from_model(bank) if bank else None, products=[
            OnlineProduct(product=Product.from_model(p.product), source=ExternalDataSource(p.strategy.source.value) if p.strategy.source else None, strategy_version=p.strategy.version)
            for p in products
        ])

    @strawberry.field(description="本人的一笔线上授信申请（应用中途重启后读回继续）；他人的或不存在的申请为 null", permission_classes=[IsCustomer])
    async def credit_application(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="授信申请 ID（CreditApplication.id，UUID）")],
    ) -> CreditApplication | None:
        try:
            key = UUID(str(id))
        except ValueError:
            return None
        row = await online_credit.application_of(info.context.actor, key)
        return CreditApplication.from_model(row, info.context.mobile.online) if row is not None else None

    @strawberry.field(description="本人的线上授信申请，按申请时刻最新在前（键集分页）", permission_classes=[IsCustomer])
    async def credit_applications(
        self, info: Info, first: Annotated[int, FIRST] = 20, after: Annotated[str | None, AFTER] = None,
    ) -> Connection[CreditApplication]:
        page = await paginate_keyset(online_credit.applications_query(info.context.actor), first, after, lambda row: row, kind="credit_applied", keys=NEWEST_APPLIED)
        for edge in page.edges:
            edge.node = CreditApplication.from_model(edge.node, info.context.mobile.online)
        return page

    @strawberry.field(description="转审批人审查的线上授信申请：本人所辖网点客户的、待审查的（REFERRED），最早申请的在前；仅审批人可查", permission_classes=[IsOfficer])
    async def credit_referrals(self, info: Info) -> list[CreditReferral]:
        return [CreditReferral.from_model(row) for row in await online_credit.referred_queue(actor=info.context.actor)]

    @strawberry.field(description="一笔线上授信申请（审批人视角，任何状态；查看记入审计）；所辖网点以外的或不存在的为 null", permission_classes=[IsOfficer])
    async def credit_referral(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="授信申请 ID（UUID）")],
    ) -> CreditReferral | None:
        try:
            row = await online_credit.referral_file(actor=info.context.actor, application_id=UUID(str(id)))
        except (ValueError, NotFound):
            return None
        return CreditReferral.from_model(row)

"""联保 (joint guarantee groups) in the API: a group and its members' guarantees, the guarantees behind a loan or given
by a customer, and the mutations that form a group, release a member and dissolve a group (app/services/guarantees.py);
a guarantor's signatures for a loan they guarantee: the written consent to its extension (app/services/lending/extension.py)
and the guarantee contract for the new loan of its renewal (app/services/lending/renewal.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import strawberry
from strawberry.relay import GlobalID

from app import clock
from app.api.arguments import INPUT
from app.api.context import Info
from app.api.enums import LoanStatusEnum, domain_enum
from app.api.errors import error_enum, payload_error
from app.api.ids import decode_id
from app.api.permissions import IsOfficer
from app.api.scalars import DecimalString, fen
from app.domain import error_codes as codes
from app.domain.errors import DomainError, NotFound, ValidationError
from app.domain.money import yuan_str
from app.domain.vocabulary import GuaranteeGroupStatus as DomainGroupStatus
from app.domain.vocabulary import GuaranteeOrigin as DomainOrigin
from app.domain.vocabulary import GuaranteeStatus as DomainStatus
from app.models import GuaranteeGroup as GroupModel  # types only: reads go through the services (the signing payloads load their record's guarantor and PDF)
from app.models import GuaranteeMember as MemberModel
from app.models import GuaranteeRenewal as RenewalModel
from app.models import GuarantorConsent as ConsentModel
from app.services import business_date
from app.services import guarantees as service
from app.services.lending.extension import consents_of, record_consent
from app.services.lending.renewal import renewal_guarantees_of, sign_renewal_guarantee

def gid(type_name: str, value: UUID) -> strawberry.ID:
    return strawberry.ID(str(GlobalID(type_name, str(value))))


MAX_MEMBERS = 100  # input lists are capped (the group-size setting refuses far fewer)

GuaranteeGroupStatus = domain_enum(DomainGroupStatus, description="联保小组的状态")
GuaranteeStatus = domain_enum(DomainStatus, description="成员保证（联保保证合同）的状态")
GuaranteeGroupOrigin = domain_enum(DomainOrigin, name="GuaranteeGroupOrigin", description="联保小组的组建场合")

GuaranteeErrorCode = error_enum("GuaranteeErrorCode", "联保操作的错误代码", codes.CommonCode, codes.ContractCode.SEAL_UNAVAILABLE,
                                codes.LendingCode.LOAN_CLOSED, codes.LendingCode.INVALID_TERM)


@strawberry.type(description="联保操作的错误")
class GuaranteeError:
    field: str | None = strawberry.field(description="出错的输入字段（camelCase 路径，如 members.2.amount）；与某个输入无关时为 null")
    code: GuaranteeErrorCode = strawberry.field(description="错误代码：客户端据此分支处理")
    message: str = strawberry.field(description="给用户看的中文说明")


def guarantee_error(exc: DomainError) -> GuaranteeError:
    return payload_error(GuaranteeError, GuaranteeErrorCode, exc)


@strawberry.type(description="一户在联保小组中的成员资格，即其代表人签订的联保保证合同：对小组其他成员的借款在担保最高额内承担连带责任保证")
class Guarantee:
    id: strawberry.ID = strawberry.field(description="成员保证的全局 ID（退出小组时使用）")
    contract_no: str = strawberry.field(description="联保保证合同编号（预警和催收任务引用此编号）")
    amount: DecimalString = strawberry.field(description="担保最高额（元，两位小数的字符串，如 \"1200.00\"）：计入保证人的对外担保敞口")
    status: GuaranteeStatus = strawberry.field(description="成员保证的状态；小组解散后全部成员为已退出")
    signed_at: datetime = strawberry.field(description="签订时刻（UTC）")
    guarantor_id: strawberry.ID = strawberry.field(description="保证人（代表本户签约的客户）的全局 ID")
    guarantor_name: str = strawberry.field(description="保证人姓名")
    group_id: strawberry.ID = strawberry.field(description="所属联保小组的全局 ID")
    group_name: str = strawberry.field(description="所属联保小组名称")
    group_status: GuaranteeGroupStatus = strawberry.field(description="所属联保小组的状态")

    @classmethod
    def from_model(cls, m: MemberModel) -> Guarantee:
        return cls(
            id=gid("Guarantee", m.id), contract_no=m.contract_no, amount=DecimalString(yuan_str(m.amount_fen)), status=GuaranteeStatus(DomainStatus(m.status)),
            signed_at=m.signed_at, guarantor_id=gid("Customer", m.customer_id), guarantor_name=m.customer.name, group_id=gid("GuaranteeGroup", m.group_id),
            group_name=m.group.name, group_status=GuaranteeGroupStatus(DomainGroupStatus(m.group.status)),
        )


@strawberry.type(description="借款人所见的一名联保保证人：为本人借款承担连带责任保证的小组其他成员（姓名已遮蔽，不含证件号、手机号和客户 ID）")
class LoanGuarantor:
    guarantor_name_masked: str = strawberry.field(description="保证人姓名（已遮蔽，如 李*英）")
    contract_no: str = strawberry.field(description="保证人的联保保证合同编号")
    amount: DecimalString = strawberry.field(description="担保最高额（元，两位小数的字符串，如 \"50000.00\"）")
    status: GuaranteeStatus = strawberry.field(description="成员保证的状态")
    signed_at: datetime = strawberry.field(description="签订时刻（UTC）")
    group_name: str = strawberry.field(description="联保小组名称")

    @classmethod
    def from_view(cls, v: service.GuarantorSeen) -> LoanGuarantor:
        return cls(guarantor_name_masked=v.guarantor_name_masked, contract_no=v.contract_no, amount=DecimalString(yuan_str(v.amount_fen)),
                   status=GuaranteeStatus(DomainStatus(v.status)), signed_at=v.signed_at, group_name=v.group_name)


@strawberry.type(description="本人的一项保证所担保的借款：小组其他成员未结清的借款（借款人姓名已遮蔽，不含借据 ID 与证件号）")
class GuaranteedLoan:
    borrower_name_masked: str = strawberry.field(description="借款人姓名（已遮蔽，如 李*英）")
    principal: DecimalString = strawberry.field(description="借款本金（元，两位小数的字符串）")
    outstanding_principal: DecimalString = strawberry.field(description="剩余本金（元，两位小数的字符串）")
    maturity_date: date = strawberry.field(description="到期日（业务日期，Asia/Shanghai）")
    status: LoanStatusEnum = strawberry.field(description="借据状态（放款处理中、未结清或已核销：保证仍然有效）")
    days_past_due: int = strawberry.field(description="逾期天数（未逾期为 0）：逾期时保证人可能被要求承担保证责任")

    @classmethod
    def from_view(cls, v: service.LoanGuaranteed) -> GuaranteedLoan:
        return cls(borrower_name_masked=v.borrower_name_masked, principal=DecimalString(yuan_str(v.principal_fen)),
                   outstanding_principal=DecimalString(yuan_str(v.outstanding_principal_fen)), maturity_date=v.maturity_on,
                   status=LoanStatusEnum(v.status), days_past_due=v.days_past_due)


@strawberry.type(description="本人签订的一项联保保证（本人为小组其他成员的借款承担连带责任保证）")
class GivenGuarantee:
    id: strawberry.ID = strawberry.field(description="成员保证的全局 ID")
    contract_no: str = strawberry.field(description="本人的联保保证合同编号")
    amount: DecimalString = strawberry.field(description="担保最高额（元，两位小数的字符串，如 \"50000.00\"）")
    status: GuaranteeStatus = strawberry.field(description="成员保证的状态；退出或小组解散后为已退出")
    signed_at: datetime = strawberry.field(description="签订时刻（UTC）")
    group_name: str = strawberry.field(description="联保小组名称")
    group_status: GuaranteeGroupStatus = strawberry.field(description="联保小组的状态")
    loans: list[GuaranteedLoan] = strawberry.field(description="本保证当前担保的借款：小组其他有效成员未结清（含放款处理中、已核销）的借款，"
                                                             "按起息日先后；保证已退出或小组已解散时为空列表")

    @classmethod
    def from_view(cls, v: service.GuaranteeGivenSeen) -> GivenGuarantee:
        m = v.member
        return cls(id=gid("Guarantee", m.id), contract_no=m.contract_no, amount=DecimalString(yuan_str(m.amount_fen)),
                   status=GuaranteeStatus(DomainStatus(m.status)), signed_at=m.signed_at, group_name=m.group.name,
                   group_status=GuaranteeGroupStatus(DomainGroupStatus(m.group.status)), loans=[GuaranteedLoan.from_view(x) for x in v.loans])


async def guarantors_seen(info: Info, loan_id: UUID) -> list[LoanGuarantor]:
    return [LoanGuarantor.from_view(v) for v in await service.guarantors_seen_by_borrower(info.context.actor, loan_id)]


async def guarantees_given_seen(info: Info) -> list[GivenGuarantee]:
    return [GivenGuarantee.from_view(v) for v in await service.guarantees_given_by_borrower(info.context.actor)]


@strawberry.type(description="联保小组：同一成员行同一辖区的若干农户，每户为其他成员的借款承担连带责任保证")
class GuaranteeGroup:
    id: strawberry.ID = strawberry.field(description="联保小组的全局 ID")
    name: str = strawberry.field(description="联保小组名称")
    status: GuaranteeGroupStatus = strawberry.field(description="联保小组的状态")
    origin: GuaranteeGroupOrigin = strawberry.field(description="组建场合：走访或评议")
    formed_date: date = strawberry.field(description="组建日期（业务日期，Asia/Shanghai）")
    village_name: str | None = strawberry.field(description="所在村庄名称；村庄未登记时为 null")
    _model: strawberry.Private[GroupModel]

    @strawberry.field(description="成员（每户一人，含已退出的），按签约先后")
    async def members(self) -> list[Guarantee]:
        rows = await service.group_members(self._model)
        for row in rows:
            row.group = self._model
        return [Guarantee.from_model(r) for r in rows]


def _group(m: GroupModel) -> GuaranteeGroup:
    village = m.village if m.village_id is not None else None
    return GuaranteeGroup(
        id=gid("GuaranteeGroup", m.id), name=m.name, status=GuaranteeGroupStatus(DomainGroupStatus(m.status)),
        origin=GuaranteeGroupOrigin(DomainOrigin(m.origin)), formed_date=m.formed_on, village_name=village.name if village else None, _model=m,
    )


async def guarantees_of_loan(info: Info, loan_id: UUID) -> list[Guarantee]:
    return [Guarantee.from_model(m) for m in await service.guarantees_of_loan(info.context.actor, loan_id)]


async def guarantees_given(info: Info, customer_id: UUID) -> list[Guarantee]:
    return [Guarantee.from_model(m) for m in await service.guarantees_given(info.context.actor, customer_id)]


@strawberry.input(description="联保小组的一名成员：代表本户签约的客户及其担保最高额")
class GuaranteeGroupMemberInput:
    customer_id: strawberry.ID = strawberry.field(description="客户的全局 ID（须已登记为本行辖内某户的家庭成员）")
    amount: DecimalString = strawberry.field(description="担保最高额（元，两位小数的字符串，如 \"50000.00\"），大于零")


@strawberry.input(description="组建联保小组：每户一人，户数在设置的范围内（默认 5–10 户）；每名成员即签订对其他成员借款的联保保证合同")
class GuaranteeGroupFormInput:
    name: str = strawberry.field(description="联保小组名称")
    origin: GuaranteeGroupOrigin = strawberry.field(default=DomainOrigin.VISIT, description="组建场合：走访（默认）或评议")
    members: list[GuaranteeGroupMemberInput] = strawberry.field(description=f"成员，每户一人，最多 {MAX_MEMBERS} 条")


@strawberry.input(description="联保小组的一名成员退出：小组内任一成员尚有未结清（含已核销）的借款时不能退出；退出后不得少于最少户数")
class GuaranteeMemberReleaseInput:
    guarantee_id: strawberry.ID = strawberry.field(description="成员保证的全局 ID（Guarantee.id）")
    reason: str = strawberry.field(description="退出原因（必填）")


@strawberry.input(description="解散联保小组：小组内任一成员尚有未结清（含已核销）的借款时不能解散；解散后全部成员的保证终止")
class GuaranteeGroupDissolveInput:
    group_id: strawberry.ID = strawberry.field(description="联保小组的全局 ID（GuaranteeGroup.id）")
    reason: str = strawberry.field(description="解散原因（必填）")


@strawberry.type(description="group 为空当且仅当 errors 非空")
class GuaranteeGroupPayload:
    group: GuaranteeGroup | None = strawberry.field(description="联保小组（操作后的状态）；出错时为 null")
    errors: list[GuaranteeError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.type(description="保证人同意展期书：保证人书面同意借款展期不超过若干个月（PDF，保证人以一次性证书签名、成员行加盖电子合同专用章，"
                               "存入保证人的电子档案）；一份同意书只用于一次展期")
class GuarantorConsent:
    id: strawberry.ID = strawberry.field(description="同意书记录的 ID（UUID）")
    guarantee_id: strawberry.ID = strawberry.field(description="保证人的成员保证的全局 ID（Guarantee.id）")
    guarantor_name: str = strawberry.field(description="保证人姓名")
    months: int = strawberry.field(description="同意展期的最长月数")
    signed_at: datetime = strawberry.field(description="签署时刻（UTC 时刻，ISO 8601 带时区偏移）")
    document_id: strawberry.ID | None = strawberry.field(description="电子档案中已签名盖章 PDF 的文件 ID（UUID）；迁移 0045 之前登记的同意书为 null")
    sha256: str | None = strawberry.field(description="PDF 的 SHA-256（小写十六进制）：存档与验签以此为准；无 PDF 时为 null")

    @classmethod
    async def from_model(cls, m: ConsentModel) -> GuarantorConsent:
        await m.fetch_related("member__customer", "document")
        return cls(id=strawberry.ID(str(m.id)), guarantee_id=gid("Guarantee", m.member_id), guarantor_name=m.member.customer.name, months=m.months,
                   signed_at=m.signed_at, document_id=strawberry.ID(str(m.document_id)) if m.document_id else None,
                   sha256=m.document.sha256 if m.document_id else None)


@strawberry.type(description="借新还旧保证合同：保证人为无还本续贷的新借据签订的保证合同（PDF，保证人以一次性证书签名、成员行加盖电子合同专用章，"
                               "存入保证人的电子档案）；续贷执行时关联到新借据")
class GuaranteeRenewal:
    id: strawberry.ID = strawberry.field(description="合同记录的 ID（UUID）")
    guarantee_id: strawberry.ID = strawberry.field(description="保证人的成员保证的全局 ID（Guarantee.id）")
    guarantor_name: str = strawberry.field(description="保证人姓名")
    contract_no: str = strawberry.field(description="借新还旧保证合同编号")
    term_months: int = strawberry.field(description="保证人同意担保的新借据最长期限（月）")
    principal: DecimalString = strawberry.field(description="新借据本金（元，两位小数的字符串）：签订时原借据的剩余本金")
    signed_at: datetime = strawberry.field(description="签订时刻（UTC 时刻，ISO 8601 带时区偏移）")
    document_id: strawberry.ID = strawberry.field(description="电子档案中已签名盖章 PDF 的文件 ID（UUID）")
    sha256: str = strawberry.field(description="PDF 的 SHA-256（小写十六进制）：存档与验签以此为准")

    @classmethod
    async def from_model(cls, m: RenewalModel) -> GuaranteeRenewal:
        await m.fetch_related("member__customer", "document")
        return cls(id=strawberry.ID(str(m.id)), guarantee_id=gid("Guarantee", m.member_id), guarantor_name=m.member.customer.name,
                   contract_no=m.contract_no, term_months=m.term_months, principal=DecimalString(yuan_str(m.principal_fen)), signed_at=m.signed_at,
                   document_id=strawberry.ID(str(m.document_id)), sha256=m.document.sha256)


@strawberry.type(description="借据的一名保证人及其对本次展期的书面同意（自上次展期后签署的最新一份；尚未同意时为 null）")
class ExtensionConsentState:
    guarantee: Guarantee = strawberry.field(description="保证人的成员保证")
    consent: GuarantorConsent | None = strawberry.field(description="保证人同意展期书；尚未同意时为 null")


@strawberry.type(description="借据的一名保证人及其为续贷新借据签订的借新还旧保证合同（尚未用于续贷的最新一份；尚未签订时为 null）")
class RenewalGuaranteeState:
    guarantee: Guarantee = strawberry.field(description="保证人的成员保证")
    contract: GuaranteeRenewal | None = strawberry.field(description="借新还旧保证合同；尚未签订时为 null")


async def extension_consents(info: Info, loan_id: UUID) -> list[ExtensionConsentState]:
    return [ExtensionConsentState(guarantee=Guarantee.from_model(m), consent=await GuarantorConsent.from_model(c) if c else None)
            for m, c in await consents_of(actor=info.context.actor, loan_id=loan_id)]


async def renewal_guarantees(info: Info, loan_id: UUID) -> list[RenewalGuaranteeState]:
    return [RenewalGuaranteeState(guarantee=Guarantee.from_model(m), contract=await GuaranteeRenewal.from_model(c) if c else None)
            for m, c in await renewal_guarantees_of(actor=info.context.actor, loan_id=loan_id)]


@strawberry.input(description="登记保证人书面同意借据展期（展期前；借据有联保保证人时，每名保证人均须同意，否则提出展期被拒绝）")
class GuarantorConsentSignInput:
    loan_id: strawberry.ID = strawberry.field(description="被保证借据的全局 ID（Loan.id）")
    guarantee_id: strawberry.ID = strawberry.field(description="保证人的成员保证的全局 ID（Loan.guarantees 中的 Guarantee.id）")
    months: int = strawberry.field(description="保证人同意展期的最长月数（1–36）；不少于将提出的展期月数")


@strawberry.input(description="保证人为无还本续贷的新借据签订保证合同（提出续贷前；借据有联保保证人时，每名保证人均须签订，否则提出续贷被拒绝）")
class GuaranteeRenewalSignInput:
    loan_id: strawberry.ID = strawberry.field(description="到期将续贷的借据的全局 ID（Loan.id）")
    guarantee_id: strawberry.ID = strawberry.field(description="保证人的成员保证的全局 ID（Loan.guarantees 中的 Guarantee.id）")
    term_months: int = strawberry.field(description="保证人同意担保的新借据最长期限（1–60 个月）；不少于将提出的续贷期限")


@strawberry.type(description="consent 为空当且仅当 errors 非空")
class GuarantorConsentSignPayload:
    consent: GuarantorConsent | None = strawberry.field(description="同意书（同一保证人同一月数、其后未展期时重复提交返回第一次的）；出错时为 null")
    errors: list[GuaranteeError] = strawberry.field(description="错误；成功时为空列表（代码：NOT_FOUND 借据不存在或不在辖内，INVALID 该人不为此借据提供保证，"
                                                               "INVALID_TERM 月数超出范围，LOAN_CLOSED 借据已结清或核销，SEAL_UNAVAILABLE 成员行印章不可用）")


@strawberry.type(description="contract 为空当且仅当 errors 非空")
class GuaranteeRenewalSignPayload:
    contract: GuaranteeRenewal | None = strawberry.field(description="借新还旧保证合同（同一保证人、期限与本金、尚未用于续贷时重复提交返回第一次的）；出错时为 null")
    errors: list[GuaranteeError] = strawberry.field(description="错误；成功时为空列表（代码：NOT_FOUND 借据不存在或不在辖内，INVALID 该人不为此借据提供保证，"
                                                               "INVALID_TERM 期限超出范围，LOAN_CLOSED 借据已结清或核销，SEAL_UNAVAILABLE 成员行印章不可用）")


def _guarantee_field(exc: DomainError) -> DomainError:
    """The services name the guarantor's membership `member_id`; the client sent it as `guaranteeId`."""
    if exc.field == "member_id":
        exc.field = "guarantee_id"
    return exc


def _state(info: Info):
    return info.context.request.app.state if info.context.request is not None else None


def _policy(info: Info) -> service.GroupPolicy:
    return getattr(_state(info), "guarantee_policy", service.DEFAULT_POLICY)  # from the settings, once (app/wiring.py)


def _members(items: list[GuaranteeGroupMemberInput]) -> list[service.MemberInput]:
    if len(items) > MAX_MEMBERS:
        raise ValidationError(f"成员最多 {MAX_MEMBERS} 条", code=codes.CommonCode.TOO_LARGE, field="members")
    return [service.MemberInput(customer_id=decode_id(m.customer_id, "Customer", field=f"members.{i}.customer_id"),
                                amount_fen=fen(m.amount, field=f"members.{i}.amount")) for i, m in enumerate(items)]


async def _payload(info: Info, work) -> GuaranteeGroupPayload:
    """Run the service; the group as it now stands (read again, with its village), or the error."""
    try:
        group_id = await work()
    except DomainError as exc:
        return GuaranteeGroupPayload(group=None, errors=[guarantee_error(exc)])
    return GuaranteeGroupPayload(group=_group(await service.group_of(info.context.actor, group_id)), errors=[])


async def release(info: Info, input: GuaranteeMemberReleaseInput) -> UUID:
    member = await service.release_member(actor=info.context.actor, member_id=decode_id(input.guarantee_id, "Guarantee", field="guarantee_id"),
                                          reason=input.reason, now=clock.now_utc(), policy=_policy(info))
    return member.group_id


@strawberry.type
class GuaranteeQuery:
    @strawberry.field(description="联保小组（工作人员：辖内）；不存在或不在辖内时为 null", permission_classes=[IsOfficer])
    async def guarantee_group(
        self, info: Info, group_id: Annotated[strawberry.ID, strawberry.argument(description="联保小组的全局 ID（GuaranteeGroup.id）")]
    ) -> GuaranteeGroup | None:
        try:
            group = await service.group_of(info.context.actor, decode_id(group_id, "GuaranteeGroup", field="group_id"))
        except NotFound:
            return None
        return _group(group)

    @strawberry.field(description="客户签订的联保保证（含已退出、已解散的），最新在前（工作人员：辖内客户；不存在或不在辖内时为空列表）",
                      permission_classes=[IsOfficer])
    async def customer_guarantees(
        self, info: Info, customer_id: Annotated[strawberry.ID, strawberry.argument(description="客户的全局 ID")]
    ) -> list[Guarantee]:
        try:
            cid = decode_id(customer_id, "Customer", field="customer_id")
        except NotFound:
            return []
        return await guarantees_given(info, cid)


@strawberry.type
class GuaranteeMutation:
    @strawberry.mutation(description="组建联保小组（走访或评议时）：每户一人签订联保保证合同；户数、每户可参加的小组数按设置检查", permission_classes=[IsOfficer])
    async def guarantee_group_form(self, info: Info, input: Annotated[GuaranteeGroupFormInput, INPUT]) -> GuaranteeGroupPayload:
        async def work():
            group = await service.form_group(actor=info.context.actor, name=input.name, members=_members(input.members), on=await business_date.current(),
                                             now=clock.now_utc(), kit=_state(info).signing_kit(), origin=DomainOrigin(input.origin.value),
                                             policy=_policy(info))
            return group.id

        return await _payload(info, work)

    @strawberry.mutation(description="联保小组成员退出：其保证终止；小组内尚有未结清借款时不能退出", permission_classes=[IsOfficer])
    async def guarantee_member_release(self, info: Info, input: Annotated[GuaranteeMemberReleaseInput, INPUT]) -> GuaranteeGroupPayload:
        async def work():
            try:
                return await release(info, input)
            except DomainError as exc:  # the service names the member and its group; the client sent one guaranteeId
                if exc.field in ("member_id", "group_id"):
                    exc.field = "guarantee_id"
                raise

        return await _payload(info, work)

    @strawberry.mutation(description="登记保证人书面同意借据展期：生成保证人同意展期书 PDF（保证人以一次性证书签名、成员行盖章），存入保证人的电子档案；"
                                     "客户经理见证。与可提出该借据展期的人相同", permission_classes=[IsOfficer])
    async def guarantor_consent_sign(self, info: Info, input: Annotated[GuarantorConsentSignInput, INPUT]) -> GuarantorConsentSignPayload:
        try:
            loan_id = decode_id(input.loan_id, "Loan", field="loan_id")
            member_id = decode_id(input.guarantee_id, "Guarantee", field="guarantee_id")
            consent = await record_consent(actor=info.context.actor, loan_id=loan_id, member_id=member_id, months=input.months, now=clock.now_utc(),
                                           kit=_state(info).signing_kit())
        except DomainError as exc:
            return GuarantorConsentSignPayload(consent=None, errors=[guarantee_error(_guarantee_field(exc))])
        return GuarantorConsentSignPayload(consent=await GuarantorConsent.from_model(consent), errors=[])

    @strawberry.mutation(description="保证人为无还本续贷的新借据签订借新还旧保证合同：PDF（保证人以一次性证书签名、成员行盖章）存入保证人的电子档案；"
                                     "客户经理见证。与可提出该借据续贷的人相同", permission_classes=[IsOfficer])
    async def guarantee_renewal_sign(self, info: Info, input: Annotated[GuaranteeRenewalSignInput, INPUT]) -> GuaranteeRenewalSignPayload:
        try:
            loan_id = decode_id(input.loan_id, "Loan", field="loan_id")
            member_id = decode_id(input.guarantee_id, "Guarantee", field="guarantee_id")
            contract = await sign_renewal_guarantee(actor=info.context.actor, loan_id=loan_id, member_id=member_id, term_months=input.term_months,
                                                    now=clock.now_utc(), kit=_state(info).signing_kit())
        except DomainError as exc:
            return GuaranteeRenewalSignPayload(contract=None, errors=[guarantee_error(_guarantee_field(exc))])
        return GuaranteeRenewalSignPayload(contract=await GuaranteeRenewal.from_model(contract), errors=[])

    @strawberry.mutation(description="解散联保小组：全部成员的保证终止；小组内尚有未结清借款时不能解散", permission_classes=[IsOfficer])
    async def guarantee_group_dissolve(self, info: Info, input: Annotated[GuaranteeGroupDissolveInput, INPUT]) -> GuaranteeGroupPayload:
        async def work():
            group = await service.dissolve_group(actor=info.context.actor, group_id=decode_id(input.group_id, "GuaranteeGroup", field="group_id"),
                                                 reason=input.reason, now=clock.now_utc())
            return group.id

        return await _payload(info, work)

"""Borrower-side types: the signed-in customer (`me`), bank cards and binding, the online offer, what is due next."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import strawberry
from strawberry import relay

from app import clock
from app.api.arguments import AFTER, FIRST
from app.api.context import Info
from app.api.enums import LoanStatusEnum
from app.api.errors import error_enum, payload_error
from app.api.lending.guarantees import GivenGuarantee, guarantees_given_seen
from app.api.lending.types import CreditLine, Loan, Product
from app.api.pagination import Connection, paginate_newest_first
from app.api.scalars import DecimalString
from app.domain import error_codes as codes
from app.domain.errors import DomainError
from app.domain.money import yuan_str
from app.services import business_date
from app.services.customers.cards import NOT_YOUR_BANK, CardView, OnlineOffer as OfferView, bound_cards, online_offer
from app.services.customers.home import mask_name, next_due
from app.services.lending import queries as lending_queries

CardErrorCode = error_enum(
    "CardErrorCode", "绑卡相关错误代码", codes.CommonCode, codes.CustomerCode, codes.SmsCode,
    codes.AuthCode.INVALID_PHONE, codes.LendingCode.CORE_UNAVAILABLE,
)


@strawberry.type(description="绑卡相关错误")
class CardError:
    field: str | None = strawberry.field(description="出错的输入字段（camelCase 路径，如 amount）；与某个输入无关时为 null")
    code: CardErrorCode = strawberry.field(description="错误代码：客户端据此分支处理")
    message: str = strawberry.field(description="给用户看的中文说明")


def card_error(exc: DomainError) -> CardError:
    return payload_error(CardError, CardErrorCode, exc)


@strawberry.type(description="已绑定的银行卡（卡号已遮蔽）")
class BankCard:
    id: strawberry.ID = strawberry.field(description="银行卡 ID（UUID）")
    number_masked: str = strawberry.field(description="卡号（已遮蔽：前四位与后四位，如 6217 **** **** 1234）")
    bank_name: str = strawberry.field(description="开户行名称")
    branch_name: str = strawberry.field(description="开户网点名称（核心系统返回；未知时为空字符串）")
    is_own_bank: bool | None = strawberry.field(description="开户行是否为平台成员行（法人行）；尚未向核心系统查询时为 null")
    bank_code: str | None = strawberry.field(description="开户行机构编码；尚未向核心系统查询时为 null")
    is_default: bool = strawberry.field(description="是否默认卡（放款、还款使用默认卡）")
    is_verified: bool = strawberry.field(description="持卡人已验证（核心系统核对户名、身份证号、预留手机号，并输入了发到预留手机号的验证码；或柜面办理）")
    bound_at: datetime = strawberry.field(description="绑定时刻（UTC 时刻，ISO 8601 带时区偏移）")

    @classmethod
    def from_view(cls, view: CardView) -> BankCard:
        card, lookup = view.card, view.lookup
        return cls(
            id=strawberry.ID(str(card.id)), number_masked=card.card_number_masked,
            bank_name=lookup.bank_name if lookup else card.bank_name, branch_name=lookup.branch_name if lookup else card.branch_name,
            is_own_bank=lookup.is_own_bank if lookup else None, bank_code=lookup.bank_code if lookup else None, is_default=card.is_default, is_verified=card.verified_at is not None,
            bound_at=card.bound_at,
        )


@strawberry.type(description="等待短信验证码的绑卡申请：验证码已发送到银行预留手机号")
class CardBinding:
    id: strawberry.ID = strawberry.field(description="绑卡申请 ID（第二步 cardBindConfirm 的 bindingId）")
    number_masked: str = strawberry.field(description="卡号（已遮蔽：前四位与后四位，如 6217 **** **** 1234）")
    phone_masked: str = strawberry.field(description="预留手机号（已遮蔽，如 138****1234）")
    expires_at: datetime = strawberry.field(description="验证码失效时刻（UTC 时刻，ISO 8601 带时区偏移）")

    @classmethod
    def from_model(cls, binding) -> CardBinding:
        return cls(id=strawberry.ID(str(binding.id)), number_masked=binding.card_number_masked, phone_masked=binding.phone_masked,
                   expires_at=binding.expires_at)


@strawberry.type(description="平台成员行（法人行）：客户在该行有已验证的本人银行卡，可选择该行的线上产品")
class OfferBank:
    id: strawberry.ID = strawberry.field(description="成员行 ID（onlineOffer 的 bankId 参数）")
    code: str = strawberry.field(description="机构编码")
    name: str = strawberry.field(description="成员行简称，如 襄汾农商行")

    @classmethod
    def from_model(cls, bank) -> OfferBank:
        return cls(id=strawberry.ID(str(bank.id)), code=bank.code, name=bank.name)


@strawberry.type(description="按银行卡开户行提供的线上信贷产品（默认卡的开户行，或客户选择的成员行）")
class OnlineOffer:
    bank_name: str | None = strawberry.field(description="据以提供产品的银行卡开户行名称；尚无卡时为 null")
    branch_name: str | None = strawberry.field(description="该卡开户网点名称；尚无卡时为 null")
    is_own_bank: bool = strawberry.field(description="该卡开户行是否为平台成员行（只有成员行的卡可以在线借款）")
    bank: OfferBank | None = strawberry.field(description="提供这些产品的成员行；非成员行的卡或尚无卡时为 null")
    banks: list[OfferBank] = strawberry.field(description="客户已验证银行卡所属的成员行；多于一家时客户可选择（onlineOffer(bankId:)）")
    card_id: strawberry.ID | None = strawberry.field(description="据以提供产品的银行卡（放款到该行的卡）")
    products: list[Product] = strawberry.field(description="可在线办理的产品；没有时为空列表（原因见 message）")
    message: str = strawberry.field(description="给客户看的说明（中文）：为何有或没有可办理的产品")

    @classmethod
    def from_view(cls, offer: OfferView) -> OnlineOffer:
        lookup = offer.card.lookup if offer.card else None
        return cls(
            bank_name=lookup.bank_name if lookup else None, branch_name=lookup.branch_name if lookup else None,
            is_own_bank=offer.is_own_bank, bank=OfferBank.from_model(offer.bank) if offer.bank else None,
            banks=[OfferBank.from_model(b) for b in offer.banks], card_id=strawberry.ID(str(offer.card.card.id)) if offer.card else None,
            products=[Product.from_model(p) for p in offer.products], message=offer.message,
        )


def parse_uuid(value: str) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


@strawberry.type(description="最近一期应还")
class NextDue:
    due_date: date = strawberry.field(description="最早一笔未还款项的到期日（业务日期，Asia/Shanghai）")
    amount: DecimalString = strawberry.field(description="到该日（已逾期时为到今日）应还的本金、利息、罚息、复利合计（元，两位小数的字符串，如 \"1200.00\"）")
    overdue: bool = strawberry.field(description="是否已逾期（到期日早于今日会计日期）")
    loan_ids: list[strawberry.ID] = strawberry.field(description="涉及的借据全局 ID（Loan.id），按到期先后")


@strawberry.type(description="手机银行当前登录的客户（姓名、证件号、手机号已遮蔽）")
class CustomerViewer:
    id: strawberry.ID = strawberry.field(description="客户 ID（UUID）")
    name_masked: str = strawberry.field(description="姓名（已遮蔽，如 王*国）")
    id_number_masked: str = strawberry.field(description="身份证号（已遮蔽：前 6 位与后 4 位，如 140102********1234）")
    phone_masked: str = strawberry.field(description="手机号（已遮蔽，如 138****1234）")

    @strawberry.field(description="本人的授信额度（在各成员行），最新在前")
    async def credit_lines(self, info: Info, first: Annotated[int, FIRST] = 20, after: Annotated[str | None, AFTER] = None) -> Connection[CreditLine]:
        query = lending_queries.lines_query(info.context.actor)
        return await paginate_newest_first(query, first, after, CreditLine.from_model)

    @strawberry.field(description="借据；status 为空时列出全部")
    async def loans(
        self, info: Info, first: Annotated[int, FIRST] = 20, after: Annotated[str | None, AFTER] = None,
        status: Annotated[LoanStatusEnum | None, strawberry.argument(description="只看该状态的借据；为空时全部")] = None,
    ) -> Connection[Loan]:
        query = lending_queries.loans_query(info.context.actor, status=status.value if status is not None else None)
        return await paginate_newest_first(query, first, after, Loan.from_model)

    @strawberry.field(description="最近一期应还；没有未还款项时为 null")
    async def next_due(self, info: Info) -> NextDue | None:
        due = await next_due(info.context.actor, today=await business_date.current())
        if due is None:
            return None
        ids = [strawberry.ID(str(relay.GlobalID("Loan", str(i)))) for i in due.loan_ids]
        return NextDue(due_date=due.due_on, amount=yuan_str(due.amount_fen), overdue=due.overdue, loan_ids=ids)

    @strawberry.field(description="本人签订的联保保证（本人为小组其他成员的借款承担连带责任保证，含已退出、已解散的），最新在前；"
                               "每项列出当前担保的借款（借款人姓名已遮蔽）")
    async def guarantees(self, info: Info) -> list[GivenGuarantee]:
        return await guarantees_given_seen(info)

    @strawberry.field(description="已绑定的银行卡，默认卡在前")
    async def cards(self, info: Info) -> list[BankCard]:
        return [BankCard.from_view(v) for v in await bound_cards(info.context.actor)]

    @strawberry.field(description="可在线办理的信贷产品：由默认银行卡的开户行决定；在两家以上成员行有已验证银行卡的客户以 bankId 选择")
    async def online_offer(
        self, info: Info,
        bank_id: Annotated[strawberry.ID | None, strawberry.argument(description="选择的成员行（OnlineOffer.banks 中的 id）；为空时按默认银行卡的开户行")] = None,
    ) -> OnlineOffer:
        ctx = info.context
        chosen = parse_uuid(bank_id) if bank_id is not None else None
        if bank_id is not None and chosen is None:
            return OnlineOffer.from_view(OfferView(card=None, products=[], message=NOT_YOUR_BANK))
        return OnlineOffer.from_view(await online_offer(ctx.actor, core=ctx.core, vault=ctx.vault, now=clock.now_utc(), bank_id=chosen))

    @classmethod
    def from_model(cls, m) -> CustomerViewer:
        return cls(
            id=strawberry.ID(str(m.id)), name_masked=mask_name(m.name), id_number_masked=m.id_number_masked, phone_masked=m.phone_masked,
        )

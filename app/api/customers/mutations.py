"""The borrower's bank cards in the app: bind (two steps, the holder checked by core banking), unbind, set the default."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import strawberry

from app import clock
from app.api.arguments import INPUT
from app.api.context import Info
from app.api.customers.types import BankCard, CardBinding, CardError, OnlineOffer, card_error
from app.api.permissions import IsCustomer
from app.domain.errors import DomainError, NotFound
from app.services.auth import borrowers as borrower_auth
from app.services.customers import cards as borrower_cards


@strawberry.input(description="绑定银行卡第一步：核心系统核对户名、身份证号码与银行预留手机号，通过后向预留手机号发送验证码")
class CardBindInput:
    card_number: str = strawberry.field(description="银行卡号（可含空格）")
    reserved_phone: str = strawberry.field(description="在开户行预留的 11 位手机号码（预留手机号）")


@strawberry.input(description="绑定银行卡第二步：输入发送到预留手机号的验证码，绑定并设为默认卡")
class CardBindConfirmInput:
    binding_id: strawberry.ID = strawberry.field(description="绑卡申请 ID（CardBinding.id）")
    code: str = strawberry.field(description="短信验证码（6 位数字）")


@strawberry.input(description="解绑银行卡")
class CardUnbindInput:
    card_id: strawberry.ID = strawberry.field(description="要解绑的银行卡 ID（BankCard.id）")


@strawberry.input(description="设置默认银行卡（放款、还款使用默认卡）")
class CardSetDefaultInput:
    card_id: strawberry.ID = strawberry.field(description="要设为默认的银行卡 ID（BankCard.id）")


@strawberry.type(description="binding 为空当且仅当 errors 非空")
class CardBindPayload:
    binding: CardBinding | None = strawberry.field(description="绑卡申请（等待验证码）；出错时为 null")
    dev_code: str | None = strawberry.field(description="仅开发、测试环境的沙箱短信返回验证码；生产环境恒为 null")
    errors: list[CardError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.type(description="card 为空当且仅当 errors 非空")
class CardBindConfirmPayload:
    card: BankCard | None = strawberry.field(description="绑定的银行卡；出错时为 null")
    offer: OnlineOffer | None = strawberry.field(description="按新默认卡开户行提供的线上产品；出错时为 null")
    errors: list[CardError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.type(description="cards（解绑后仍绑定的卡，默认卡在前）为空当且仅当 errors 非空")
class CardUnbindPayload:
    cards: list[BankCard] | None = strawberry.field(description="解绑后仍绑定的卡，默认卡在前；出错时为 null")
    offer: OnlineOffer | None = strawberry.field(description="解绑后按默认卡提供的线上产品；出错时为 null")
    errors: list[CardError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.type(description="card 为空当且仅当 errors 非空")
class CardSetDefaultPayload:
    card: BankCard | None = strawberry.field(description="设为默认的银行卡；出错时为 null")
    offer: OnlineOffer | None = strawberry.field(description="按新默认卡开户行提供的线上产品；出错时为 null")
    errors: list[CardError] = strawberry.field(description="错误；成功时为空列表")


def _uuid(value: str, field: str, message: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound(message, field=field) from None


def _binding_policy(info: Info) -> borrower_cards.BindingPolicy:
    policy = info.context.mobile.policy
    return borrower_cards.BindingPolicy(code_ttl=policy.code_ttl, max_attempts=policy.max_attempts)


@strawberry.type
class CardMutation:
    @strawberry.mutation(description="绑定本人银行卡第一步：核对持卡人（户名、身份证号码、预留手机号），向预留手机号发送验证码", permission_classes=[IsCustomer])
    async def card_bind(self, info: Info, input: Annotated[CardBindInput, INPUT]) -> CardBindPayload:
        ctx = info.context
        try:
            binding = await borrower_cards.start_card_binding(
                actor=ctx.actor, card_number=input.card_number, reserved_phone=input.reserved_phone, core=ctx.core, sms=ctx.mobile.sms,
                vault=ctx.vault, now=clock.now_utc(), policy=_binding_policy(info),
            )
        except DomainError as exc:
            return CardBindPayload(binding=None, dev_code=None, errors=[card_error(exc)])
        last_code = getattr(ctx.mobile.sms, "last_code", None)
        dev_code = last_code(borrower_auth.check_phone(input.reserved_phone)) if last_code is not None else None
        return CardBindPayload(binding=CardBinding.from_model(binding), dev_code=dev_code, errors=[])

    @strawberry.mutation(description="绑定本人银行卡第二步：输入预留手机号收到的验证码，绑定并设为默认卡；返回开户行及可在线办理的产品", permission_classes=[IsCustomer])
    async def card_bind_confirm(self, info: Info, input: Annotated[CardBindConfirmInput, INPUT]) -> CardBindConfirmPayload:
        ctx = info.context
        now = clock.now_utc()
        try:
            view = await borrower_cards.confirm_card_binding(
                actor=ctx.actor, binding_id=_uuid(input.binding_id, "binding_id", "绑卡申请不存在"), code=input.code, vault=ctx.vault, now=now,
                policy=_binding_policy(info),
            )
            offer = await borrower_cards.online_offer(ctx.actor, core=ctx.core, vault=ctx.vault, now=now)
        except DomainError as exc:
            return CardBindConfirmPayload(card=None, offer=None, errors=[card_error(exc)])
        return CardBindConfirmPayload(card=BankCard.from_view(view), offer=OnlineOffer.from_view(offer), errors=[])

    @strawberry.mutation(description="解绑本人银行卡；有未结清借款时默认卡不能解绑", permission_classes=[IsCustomer])
    async def card_unbind(self, info: Info, input: Annotated[CardUnbindInput, INPUT]) -> CardUnbindPayload:
        ctx = info.context
        now = clock.now_utc()
        try:
            views = await borrower_cards.unbind_card(actor=ctx.actor, card_id=_uuid(input.card_id, "card_id", "银行卡不存在"), now=now)
            offer = await borrower_cards.online_offer(ctx.actor, core=ctx.core, vault=ctx.vault, now=now)
        except DomainError as exc:
            return CardUnbindPayload(cards=None, offer=None, errors=[card_error(exc)])
        return CardUnbindPayload(cards=[BankCard.from_view(v) for v in views], offer=OnlineOffer.from_view(offer), errors=[])

    @strawberry.mutation(description="把一张已验证持卡人的本人银行卡设为默认卡（放款、还款使用默认卡）", permission_classes=[IsCustomer])
    async def card_set_default(self, info: Info, input: Annotated[CardSetDefaultInput, INPUT]) -> CardSetDefaultPayload:
        ctx = info.context
        now = clock.now_utc()
        try:
            view = await borrower_cards.set_default_card(actor=ctx.actor, card_id=_uuid(input.card_id, "card_id", "银行卡不存在"))
            offer = await borrower_cards.online_offer(ctx.actor, core=ctx.core, vault=ctx.vault, now=now)
        except DomainError as exc:
            return CardSetDefaultPayload(card=None, offer=None, errors=[card_error(exc)])
        return CardSetDefaultPayload(card=BankCard.from_view(view), offer=OnlineOffer.from_view(offer), errors=[])

"""Cards in the app: bind a card with ownership, unbind, set the default, and the online offer it opens.

Binding (issue 12): the number must pass Luhn; the core banking system confirms that the signed-in
customer (name and ID number from their record) holds the account with the phone they give as
the reserved phone (预留手机号, 四要素); a code is sent by SMS to that phone and the card binds,
holder-verified, only when the code comes back. A card bound (verified) to another customer
cannot be bound. Bindings made before the check existed stay unverified: they never count for
the shared-card rule, cannot be made the default, and end when the holder binds the card.

At the counter (柜面绑卡, issue 19): the same two functions with `customer_id`, called by an officer
of the customer's branch tree (`card.bind_counter`). The officer types the card number; the phone is
the one the bank holds for the customer (their record), never typed, and the core must confirm it as
the card's reserved phone; the customer reads the code from their phone and the officer enters it.
Audited as in the app (the officer is the actor; `channel: counter`).

The seed's rule: "根据客户的绑卡情况，自动判断开户行，及时为客户提供开户行所提供的线上信贷产品" —
the default card's opening bank decides what the app offers. The core returns the card's institution
code (开户行机构编码); a card whose code is an active member bank of the platform (`Bank.code`) is "own
bank" and the app offers that bank's active products; another bank's card → none, with a message saying
why. A borrower with verified cards at two member banks chooses the bank (`bank_id`); the default card's
bank is the one offered otherwise.
"""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain import cards
from app.domain.error_codes import CommonCode, CustomerCode, LendingCode, SmsCode
from app.domain.errors import DomainError, Forbidden, NotFound, ValidationError
from app.domain.permissions import Action
from app.integrations.core_banking import CardInfo, CoreBanking, CoreBankingError
from app.integrations.sms import SmsError, SmsSender
from app.models import Bank, BankCard, CardBinding, CardLookup, Customer, Loan, Product
from app.models.borrower import CardBindingStatus
from app.domain.vocabulary import ActorType, LoanStatus
from app.services import audit
from app.services.customers import identifiers
from app.services.actor import Actor
from app.services.auth.borrowers import check_phone, keyed_hash, new_code
from app.services.lending.access import can_access
from app.services.org import bank_by_code
from app.services.permissions import require

OWN_BANK_ONLY = "您的默认银行卡开户行为{bank}，暂无该行可在线办理的信贷产品。绑定本行银行卡后即可在线借款，或联系您的客户经理。"
NO_CARD = "请先绑定本人银行卡，系统将根据开户行为您提供可在线办理的信贷产品。"
HOLDER_MISMATCH = "户名、身份证号码或预留手机号与该卡开户信息不一致，请核对后重试（须为本人名下银行卡，预留手机号以开户行登记为准）"
UNVERIFIED_CARD = "默认银行卡尚未完成持卡人验证，请重新绑定该卡（需输入发送到银行预留手机号的验证码）"
NOT_YOUR_BANK = "您尚未绑定该行的本人银行卡（须完成持卡人验证），请先绑定该行银行卡。"
BOUND_ELSEWHERE = "该卡已被其他客户绑定，不能重复绑定；如有疑问请携带身份证到开户网点办理"


class CardError(DomainError):
    code = CommonCode.INVALID


@dataclass(frozen=True, slots=True)
class CardView:
    card: BankCard
    lookup: CardLookup | None


@dataclass(frozen=True, slots=True)
class OnlineOffer:
    card: CardView | None  # the card whose opening bank is offered (the default card unless a bank was chosen)
    products: list[Product]
    message: str
    bank: Bank | None = None  # the member bank whose products these are
    banks: tuple[Bank, ...] = ()  # the member banks of the borrower's verified cards (more than one: they choose)

    @property
    def is_own_bank(self) -> bool:
        return bool(self.card and self.card.lookup and self.card.lookup.is_own_bank)


def require_customer(actor: Actor | None) -> None:
    if actor is None or actor.type != ActorType.CUSTOMER or actor.id is None:
        raise Forbidden("仅限借款客户本人操作")


# --- binding with ownership: the core verifies the holder, an SMS code to the reserved phone ------


@dataclass(frozen=True, slots=True)
class BindingPolicy:
    code_ttl: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    resend_after: timedelta = timedelta(seconds=60)
    per_day: int = 10  # holder checks a customer may start in 24 hours (each may send an SMS)


async def _binding_customer(actor: Actor, customer_id: UUID | None) -> Customer:
    """The customer whose card is bound: the signed-in borrower, or (at the counter) a customer in the officer's scope."""
    if customer_id is None:
        require_customer(actor)
        return await Customer.get(id=actor.id)
    require(actor, Action.CARD_BIND_COUNTER)
    customer = await Customer.get_or_none(id=customer_id)
    if customer is None or not can_access(actor, customer_id=customer.id, branch_id=customer.branch_id):
        raise NotFound("客户不存在", field="customer_id")
    return customer


def _channel(actor: Actor, customer: Customer) -> dict:
    return {} if actor.type == ActorType.CUSTOMER else {"channel": "counter", "customerId": str(customer.id)}


async def _refused(actor: Actor, customer: Customer, code: str, number: str) -> None:
    await audit.record(actor, "bank_card.bind_refused", "customer", customer.id,
                       after={"code": code, "last4": cards.last_four(number) if number.isdigit() else "", **_channel(actor, customer)})


async def _bound_elsewhere(card_number_hash: str, customer_id: UUID) -> bool:
    """Is this card bound, with its holder verified, to another person? (The same person's record at another
    member bank is not another person: bank B's counter may bind the card the app bound to bank A's record.)"""
    id_hash = await Customer.filter(id=customer_id).first().values_list("id_number_hash", flat=True)
    bound = BankCard.filter(card_number_hash=card_number_hash, unbound_at=None, verified_at__isnull=False).exclude(customer_id=customer_id)
    return await bound.exclude(customer__id_number_hash=id_hash).exists()


async def _check_rate(customer_id: UUID, phone_hash: str, now: datetime, policy: BindingPolicy) -> None:
    """One code a minute to a phone, and a daily cap per customer (each check may send an SMS)."""
    latest = await CardBinding.filter(customer_id=customer_id, phone_hash=phone_hash).order_by("-requested_at").first()
    if latest is not None and now - latest.requested_at < policy.resend_after:
        wait = math.ceil((latest.requested_at + policy.resend_after - now).total_seconds())
        raise CardError(f"操作过于频繁，请 {wait} 秒后再试", code=SmsCode.RATE_LIMITED)
    if await CardBinding.filter(customer_id=customer_id, requested_at__gt=now - timedelta(days=1)).count() >= policy.per_day:
        raise CardError("今日绑卡验证次数已达上限，请明天再试或到柜面办理", code=SmsCode.RATE_LIMITED)


async def _phone_of(actor: Actor, customer: Customer, vault: Vault, reserved_phone: str | None) -> str:
    """The phone the code goes to: typed in the app; at the counter the one the bank holds for the customer."""
    if actor.type != ActorType.CUSTOMER:
        if customer.phone_enc is None:
            raise CardError("该客户没有登记手机号，无法发送验证码；请先补录客户本人手机号（须为开户时的预留手机号）", code=CustomerCode.HOLDER_MISMATCH,
                            field="card_number")
        return await identifiers.reveal(vault, customer.phone_enc, kind="phone", actor=actor, entity=("customer", customer.id), purpose="card_holder_check")
    try:
        return check_phone(reserved_phone or "")
    except ValidationError as exc:
        raise ValidationError("请输入银行预留的 11 位手机号码", code=exc.code, field="reserved_phone") from None


async def start_card_binding(
    *, actor: Actor, card_number: str, reserved_phone: str | None = None, core: CoreBanking, sms: SmsSender, vault: Vault, now: datetime,
    policy: BindingPolicy = BindingPolicy(), customer_id: UUID | None = None,
) -> CardBinding:
    """Check the number, ask the core whether the customer (name, ID number) holds the card with this
    reserved phone, then send a code to that phone. Nothing binds until `confirm_card_binding`.

    In the app the customer is the actor and types the reserved phone; at the counter an officer acts
    for `customer_id` and the phone is the customer's phone on record."""
    customer = await _binding_customer(actor, customer_id)
    try:
        number = cards.parse(card_number)
    except ValidationError as exc:
        await _refused(actor, customer, exc.code, cards.normalize(card_number))
        raise
    phone = await _phone_of(actor, customer, vault, reserved_phone)
    if await _bound_elsewhere(vault.lookup_hash(number), customer.id):
        await _refused(actor, customer, "CARD_BOUND_ELSEWHERE", number)
        raise CardError(BOUND_ELSEWHERE, code=CustomerCode.CARD_BOUND_ELSEWHERE, field="card_number")
    await _check_rate(customer.id, vault.lookup_hash(phone), now, policy)
    id_number = await identifiers.reveal(vault, customer.id_number_enc, kind="id_number", actor=actor, entity=("customer", customer.id), purpose="card_holder_check")
    try:
        holder = await core.verify_holder(card_number=number, name=customer.name, id_number=id_number, phone=phone)
        info = await core.lookup_card(number) if holder.matched else None
        member = await member_bank(info.bank_code) if info is not None else None
    except CoreBankingError:
        await _refused(actor, customer, "CORE_UNAVAILABLE", number)
        raise CardError("核心系统暂时不可用，请稍后重试", code=LendingCode.CORE_UNAVAILABLE) from None
    if info is None:
        await _refused(actor, customer, "HOLDER_MISMATCH", number)
        raise CardError(HOLDER_MISMATCH, code=CustomerCode.HOLDER_MISMATCH, field="card_number")
    code = new_code()
    async with in_transaction():
        binding = await CardBinding.create(
            customer_id=customer.id, **identifiers.card_fields(vault, number), phone_hash=vault.lookup_hash(phone), phone_masked=identifiers.mask_phone(phone),
            code_hash=keyed_hash(vault, "card-code", code), bank_code=info.bank_code[:16], bank_name=info.bank_name[:64],
            branch_name=info.branch_name[:64], is_own_bank=member is not None, requested_at=now, expires_at=now + policy.code_ttl,
        )
        await audit.record(actor, "bank_card.holder_verified", "card_binding", binding.id,
                           after={"card": binding.card_number_masked, "phone": binding.phone_masked, **_channel(actor, customer)})
    minutes = max(1, int(policy.code_ttl.total_seconds() // 60))
    where = "在柜面" if actor.type != ActorType.CUSTOMER else ""
    text = f"【村信】您正在{where}绑定尾号{cards.last_four(number)}的银行卡，验证码 {code}，{minutes} 分钟内有效。如非本人办理，请勿告诉他人。"
    try:
        await sms.send(phone=phone, text=text, code=code)
    except SmsError:
        await CardBinding.filter(id=binding.id).update(status=CardBindingStatus.LOCKED)
        raise CardError("短信发送失败，请稍后重试", code=SmsCode.SMS_UNAVAILABLE) from None
    return binding


async def confirm_card_binding(
    *, actor: Actor, binding_id: UUID, code: str, vault: Vault, now: datetime, policy: BindingPolicy = BindingPolicy(), customer_id: UUID | None = None,
) -> CardView:
    """The code sent to the reserved phone binds the card, verified, as the default card (at the counter: `customer_id`'s)."""
    customer = await _binding_customer(actor, customer_id)
    async with in_transaction():
        binding = await CardBinding.select_for_update().get_or_none(id=binding_id, customer_id=customer.id)
        if binding is None:
            raise NotFound("绑卡申请不存在", field="binding_id")
        _check_binding(binding, now, policy)
        if hmac.compare_digest(binding.code_hash, keyed_hash(vault, "card-code", (code or "").strip())):
            return await _bind_verified(actor, customer, binding, vault, now)
        attempts = binding.attempts + 1
        locked = attempts >= policy.max_attempts
        await CardBinding.filter(id=binding.id).update(attempts=attempts, status=CardBindingStatus.LOCKED if locked else binding.status)
        await audit.record(actor, "bank_card.bind_refused", "card_binding", binding.id,
                           after={"code": "BAD_CODE", "attempts": attempts, **_channel(actor, customer)})
    # raised after the commit, so that the wrong attempt is counted
    if locked:
        raise CardError("验证码错误次数过多，请重新发起绑卡", code=SmsCode.CODE_LOCKED, field="code")
    raise CardError("验证码不正确", code=SmsCode.BAD_CODE, field="code")


def _check_binding(binding: CardBinding, now: datetime, policy: BindingPolicy) -> None:
    if binding.status == CardBindingStatus.BOUND:
        raise CardError("该绑卡申请已完成", code=CustomerCode.ALREADY_BOUND, field="binding_id")
    if binding.status == CardBindingStatus.LOCKED or binding.attempts >= policy.max_attempts:
        raise CardError("验证码错误次数过多，请重新发起绑卡", code=SmsCode.CODE_LOCKED, field="code")
    if now > binding.expires_at:
        raise CardError("验证码已过期，请重新发起绑卡", code=SmsCode.CODE_EXPIRED, field="code")


async def _bind_verified(actor: Actor, customer: Customer, binding: CardBinding, vault: Vault, now: datetime) -> CardView:
    """Inside the transaction: the card becomes the customer's verified default card; unverified
    bindings of the same card by other customers are ended (they proved nothing)."""
    customer_id = customer.id
    if await _bound_elsewhere(binding.card_number_hash, customer_id):
        raise CardError(BOUND_ELSEWHERE, code=CustomerCode.CARD_BOUND_ELSEWHERE, field="card_number")
    bank = {"bank_name": binding.bank_name, "branch_name": binding.branch_name}
    card = await BankCard.select_for_update().get_or_none(customer_id=customer_id, card_number_hash=binding.card_number_hash)
    previous = await BankCard.filter(customer_id=customer_id, is_default=True, unbound_at__isnull=True).values_list("id", flat=True)
    await BankCard.filter(customer_id=customer_id, is_default=True).update(is_default=False)
    if card is None:
        card = await BankCard.create(customer_id=customer_id, card_number_enc=binding.card_number_enc, card_number_hash=binding.card_number_hash,
                                     card_number_masked=binding.card_number_masked, is_default=True, verified_at=now, **bank)
    else:
        await BankCard.filter(id=card.id).update(is_default=True, unbound_at=None, verified_at=now, **bank)
        await card.refresh_from_db()
    others = await BankCard.filter(card_number_hash=binding.card_number_hash, unbound_at=None, verified_at=None).exclude(customer_id=customer_id)
    for other in others:
        await BankCard.filter(id=other.id).update(unbound_at=now, is_default=False)
        await audit.record(actor, "bank_card.unbind_unverified", "bank_card", other.id, after={"reason": "holder_bound", "customerId": str(other.customer_id)})
    await CardBinding.filter(id=binding.id).update(status=CardBindingStatus.BOUND, bound_at=now, card_id=card.id)
    lookup = await _store_lookup(card, CardInfo(binding.bank_code, binding.bank_name, binding.branch_name), now)
    await audit.record(
        actor, "bank_card.bind", "bank_card", card.id, before={"defaultCards": [str(i) for i in previous]},
        after={"card": card.card_number_masked, "bank": binding.bank_name, "bankCode": binding.bank_code, "branch": binding.branch_name,
               "ownBank": lookup.is_own_bank,
               "verified": True, "bindingId": str(binding.id), **_channel(actor, customer)},
    )
    return CardView(card=card, lookup=lookup)


async def unbind_card(*, actor: Actor, card_id: UUID, now: datetime) -> list[CardView]:
    """Unbind one of the customer's cards. The default card of a customer with a loan still open cannot
    go until another card is the default (repayments are debited from it). Returns the cards left."""
    require_customer(actor)
    async with in_transaction():
        card = await _own_card(actor, card_id)
        if card.is_default and await Loan.filter(customer_id=actor.id, status=LoanStatus.ACTIVE).exists():
            raise CardError("您有未结清的借款，默认还款卡不能解绑；请先绑定并设置其他默认卡", code=CustomerCode.CARD_IN_USE, field="card_id")
        if await Loan.filter(card_id=card.id, status__in=[LoanStatus.ACTIVE, LoanStatus.DISBURSING]).exists():  # e.g. a loan of another member bank
            raise CardError("该卡是您未结清借款的还款卡，结清前不能解绑", code=CustomerCode.CARD_IN_USE, field="card_id")
        await BankCard.filter(id=card.id).update(unbound_at=now, is_default=False)
        successor = None
        if card.is_default:
            successor = await BankCard.filter(customer_id=actor.id, unbound_at=None, verified_at__isnull=False).order_by("-bound_at").first()
            if successor is not None:
                await BankCard.filter(id=successor.id).update(is_default=True)
        await audit.record(actor, "bank_card.unbind", "bank_card", card.id, before={"default": card.is_default},
                           after={"card": card.card_number_masked, "newDefault": str(successor.id) if successor else None})
    return await bound_cards(actor)


async def set_default_card(*, actor: Actor, card_id: UUID) -> CardView:
    """Make one of the customer's holder-verified cards the default (loans are paid into it, repayments debited from it)."""
    require_customer(actor)
    async with in_transaction():
        card = await _own_card(actor, card_id)
        if card.verified_at is None:
            raise CardError("该卡尚未完成持卡人验证，请重新绑定该卡（需输入发送到银行预留手机号的验证码）", code=CustomerCode.CARD_NOT_VERIFIED, field="card_id")
        previous = await BankCard.filter(customer_id=actor.id, is_default=True, unbound_at=None).values_list("id", flat=True)
        await BankCard.filter(customer_id=actor.id, is_default=True).update(is_default=False)
        await BankCard.filter(id=card.id).update(is_default=True)
        await audit.record(actor, "bank_card.set_default", "bank_card", card.id, before={"defaultCards": [str(i) for i in previous]},
                           after={"card": card.card_number_masked})
    await card.refresh_from_db()
    return CardView(card=card, lookup=await CardLookup.get_or_none(card_id=card.id))


async def _own_card(actor: Actor, card_id: UUID) -> BankCard:
    card = await BankCard.select_for_update().get_or_none(id=card_id, customer_id=actor.id, unbound_at=None)
    if card is None:
        raise NotFound("银行卡不存在", field="card_id")
    return card


async def member_bank(code: str) -> Bank | None:
    """The active member bank of the platform with this institution code (None: another bank's card)."""
    bank = await bank_by_code(code) if code.strip() else None
    return bank if bank is not None and bank.is_active else None


async def _store_lookup(card: BankCard, info: CardInfo, now: datetime) -> CardLookup:
    """Remember the card's opening bank; "own bank" is "an active member bank of the platform" (today)."""
    bank = await member_bank(info.bank_code)
    lookup, _ = await CardLookup.update_or_create(
        card_id=card.id, defaults={"bank_code": info.bank_code[:16], "bank_id": bank.id if bank else None, "bank_name": info.bank_name[:64],
                                   "branch_name": info.branch_name[:64], "is_own_bank": bank is not None, "looked_up_at": now},
    )
    return lookup


async def bound_cards(actor: Actor) -> list[CardView]:
    """The customer's bound cards, default first (two queries whatever the number of cards)."""
    require_customer(actor)
    rows = await BankCard.filter(customer_id=actor.id, unbound_at__isnull=True).order_by("-is_default", "-bound_at")
    lookups = {lk.card_id: lk for lk in await CardLookup.filter(card_id__in=[c.id for c in rows])} if rows else {}
    return [CardView(card=c, lookup=lookups.get(c.id)) for c in rows]


async def default_card(actor: Actor, *, core: CoreBanking, vault: Vault, now: datetime) -> CardView | None:
    """The default card with its opening bank; a card bound at the counter is looked up once and remembered."""
    require_customer(actor)
    card = await BankCard.filter(customer_id=actor.id, is_default=True, unbound_at__isnull=True).first()
    if card is None:
        return None
    lookup = await CardLookup.get_or_none(card_id=card.id)
    if lookup is None:
        number = await identifiers.reveal(vault, card.card_number_enc, kind="card_number", actor=actor, entity=("bank_card", card.id), purpose="card_lookup")
        try:
            info = await core.lookup_card(number)
        except CoreBankingError:
            return CardView(card=card, lookup=None)
        async with in_transaction():
            lookup = await _store_lookup(card, info, now)
            await audit.record(actor, "bank_card.lookup", "bank_card", card.id,
                               after={"bank": info.bank_name, "bankCode": info.bank_code, "ownBank": lookup.is_own_bank})
    return CardView(card=card, lookup=lookup)


async def _member_cards(actor: Actor, default: CardView) -> list[CardView]:
    """The borrower's holder-verified cards whose opening bank is a member bank (the default card first)."""
    rows = await BankCard.filter(customer_id=actor.id, unbound_at__isnull=True, verified_at__isnull=False).order_by("-is_default", "-bound_at")
    lookups = {lk.card_id: lk for lk in await CardLookup.filter(card_id__in=[c.id for c in rows], bank_id__isnull=False)} if rows else {}
    views = [CardView(card=c, lookup=lookups[c.id]) for c in rows if c.id in lookups]
    if default.lookup is not None and default.lookup.bank_id is not None and default.card.id not in lookups:
        views.insert(0, default)  # an unverified default card is still offered (the drawdown refuses it, as before)
    return views


async def card_at_bank(actor: Actor, bank_id: UUID) -> CardView | None:
    """The borrower's verified card opened at member bank `bank_id` (the default card if it is one), or None."""
    require_customer(actor)
    rows = await BankCard.filter(customer_id=actor.id, unbound_at__isnull=True, verified_at__isnull=False).order_by("-is_default", "-bound_at")
    lookups = {lk.card_id: lk for lk in await CardLookup.filter(card_id__in=[c.id for c in rows], bank_id=bank_id)} if rows else {}
    card = next((c for c in rows if c.id in lookups), None)
    return CardView(card=card, lookup=lookups[card.id]) if card is not None else None


async def online_offer(actor: Actor, *, core: CoreBanking, vault: Vault, now: datetime, bank_id: UUID | None = None) -> OnlineOffer:
    """What the app offers: the products of the default card's opening bank, or of `bank_id` when the borrower
    chooses among the member banks of their verified cards (a bank none of their cards is of offers nothing)."""
    view = await default_card(actor, core=core, vault=vault, now=now)
    if view is None:
        return OnlineOffer(card=None, products=[], message=NO_CARD)
    if view.lookup is None:
        return OnlineOffer(card=view, products=[], message="暂时无法确认银行卡开户行，请稍后再试。")
    cards_ = await _member_cards(actor, view)
    banks = {b.id: b for b in await Bank.filter(id__in=list({c.lookup.bank_id for c in cards_}), is_active=True)}
    choices = tuple(banks[c.lookup.bank_id] for c in cards_ if c.lookup.bank_id in banks)
    choices = tuple({b.id: b for b in choices}.values())
    if bank_id is not None:
        chosen = next((c for c in cards_ if c.lookup.bank_id == bank_id and bank_id in banks), None)
        if chosen is None:
            return OnlineOffer(card=view, products=[], message=NOT_YOUR_BANK, banks=choices)
        view = chosen
    if not view.lookup.is_own_bank or view.lookup.bank_id not in banks:
        return OnlineOffer(card=view, products=[], message=OWN_BANK_ONLY.format(bank=view.lookup.bank_name), banks=choices)
    bank = banks[view.lookup.bank_id]
    products = await Product.filter(is_active=True, bank_id=bank.id).order_by("code")
    branch = view.lookup.branch_name
    return OnlineOffer(card=view, products=list(products), message=f"开户行：{bank.name}{branch and '（' + branch + '）'}", bank=bank, banks=choices)


# --- the counter's reads (the line page) ----------------------------------------------------------


async def _customer_in_scope(actor: Actor, customer_id: UUID) -> Customer:
    customer = await Customer.get_or_none(id=customer_id)
    if customer is None or not can_access(actor, customer_id=customer.id, branch_id=customer.branch_id):
        raise NotFound("客户不存在", field="customer_id")
    return customer


async def counter_card(actor: Actor, customer_id: UUID) -> BankCard | None:
    """The customer's default card, holder-verified (where a counter drawdown is paid), or None: bind one first."""
    customer = await _customer_in_scope(actor, customer_id)
    return await BankCard.filter(customer_id=customer.id, is_default=True, unbound_at__isnull=True, verified_at__isnull=False).first()


async def counter_binding(actor: Actor, customer_id: UUID, binding_id: UUID) -> CardBinding:
    """A binding of this customer still waiting for its code (the counter's code form)."""
    customer = await _customer_in_scope(actor, customer_id)
    binding = await CardBinding.get_or_none(id=binding_id, customer_id=customer.id)
    if binding is None:
        raise NotFound("绑卡申请不存在", field="binding_id")
    return binding

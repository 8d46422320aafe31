"""Cards in the app: bind a card (Luhn, core-banking look-up, default card) and the online offer it opens.

The seed's rule: "根据客户的绑卡情况，自动判断开户行，及时为客户提供开户行所提供的线上信贷产品" —
the default card's opening bank decides what the app offers: our own bank's card
→ every active product; another bank's card → none, with a message saying why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain import cards
from app.domain.errors import DomainError, Forbidden, ValidationError
from app.integrations.core_banking import CoreBanking, CoreBankingError
from app.models import BankCard, CardLookup, Product
from app.models.enums import ActorType
from app.services import audit, people
from app.services.actor import Actor

OWN_BANK_ONLY = "您的默认银行卡开户行为{bank}，暂无该行可在线办理的信贷产品。绑定本行银行卡后即可在线借款，或联系您的客户经理。"
NO_CARD = "请先绑定本人银行卡，系统将根据开户行为您提供可在线办理的信贷产品。"


class CardError(DomainError):
    code = "INVALID"


@dataclass(frozen=True, slots=True)
class CardView:
    card: BankCard
    lookup: CardLookup | None


@dataclass(frozen=True, slots=True)
class OnlineOffer:
    card: CardView | None
    products: list[Product]
    message: str

    @property
    def is_own_bank(self) -> bool:
        return bool(self.card and self.card.lookup and self.card.lookup.is_own_bank)


def require_customer(actor: Actor | None) -> None:
    if actor is None or actor.type != ActorType.CUSTOMER or actor.id is None:
        raise Forbidden("仅限借款客户本人操作")


async def bind_card(*, actor: Actor, card_number: str, core: CoreBanking, vault: Vault, now: datetime) -> CardView:
    """Check the number, ask core banking who opened the account, store it encrypted as the default card."""
    require_customer(actor)
    try:
        number = cards.parse(card_number)
    except ValidationError as exc:
        digits = cards.normalize(card_number)
        await audit.record(actor, "bank_card.bind_refused", "customer", actor.id, after={"code": exc.code, "last4": cards.last_four(digits) if digits.isdigit() else ""})
        raise
    try:
        info = await core.lookup_card(number)
    except CoreBankingError:
        await audit.record(actor, "bank_card.bind_refused", "customer", actor.id, after={"code": "CORE_UNAVAILABLE", "last4": cards.last_four(number)})
        raise CardError("核心系统暂时不可用，请稍后重试", code="CORE_UNAVAILABLE") from None
    fields = people.card_fields(vault, number)
    async with in_transaction():
        card = await BankCard.select_for_update().get_or_none(customer_id=actor.id, card_number_hash=fields["card_number_hash"])
        previous = await BankCard.filter(customer_id=actor.id, is_default=True, unbound_at__isnull=True).values_list("id", flat=True)
        await BankCard.filter(customer_id=actor.id, is_default=True).update(is_default=False)
        if card is None:
            card = await BankCard.create(customer_id=actor.id, bank_name=info.bank_name[:64], branch_name=info.branch_name[:64], is_default=True, **fields)
        else:
            await BankCard.filter(id=card.id).update(is_default=True, unbound_at=None, bank_name=info.bank_name[:64], branch_name=info.branch_name[:64])
            await card.refresh_from_db()
        lookup = await _store_lookup(card, info.bank_name, info.branch_name, info.is_own_bank, now)
        await audit.record(
            actor, "bank_card.bind", "bank_card", card.id,
            before={"defaultCards": [str(i) for i in previous]},
            after={"card": card.card_number_masked, "bank": info.bank_name, "branch": info.branch_name, "ownBank": info.is_own_bank},
        )
    return CardView(card=card, lookup=lookup)


async def _store_lookup(card: BankCard, bank: str, branch: str, own: bool, now: datetime) -> CardLookup:
    lookup, _ = await CardLookup.update_or_create(
        card_id=card.id, defaults={"bank_name": bank[:64], "branch_name": branch[:64], "is_own_bank": own, "looked_up_at": now}
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
        number = await people.reveal(vault, card.card_number_enc, kind="card_number", actor=actor, entity=("bank_card", card.id), purpose="card_lookup")
        try:
            info = await core.lookup_card(number)
        except CoreBankingError:
            return CardView(card=card, lookup=None)
        async with in_transaction():
            lookup = await _store_lookup(card, info.bank_name, info.branch_name, info.is_own_bank, now)
            await audit.record(actor, "bank_card.lookup", "bank_card", card.id, after={"bank": info.bank_name, "ownBank": info.is_own_bank})
    return CardView(card=card, lookup=lookup)


async def online_offer(actor: Actor, *, core: CoreBanking, vault: Vault, now: datetime) -> OnlineOffer:
    """What the app offers: by the opening bank of the default card."""
    view = await default_card(actor, core=core, vault=vault, now=now)
    if view is None:
        return OnlineOffer(card=None, products=[], message=NO_CARD)
    if view.lookup is None:
        return OnlineOffer(card=view, products=[], message="暂时无法确认银行卡开户行，请稍后再试。")
    if not view.lookup.is_own_bank:
        return OnlineOffer(card=view, products=[], message=OWN_BANK_ONLY.format(bank=view.lookup.bank_name))
    products = await Product.filter(is_active=True).order_by("code")
    return OnlineOffer(card=view, products=list(products), message=f"开户行：{view.lookup.bank_name}{view.lookup.branch_name and '（' + view.lookup.branch_name + '）'}")

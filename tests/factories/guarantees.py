"""联保 test data: customers registered as heads of households of 西街村, and groups of them."""

from __future__ import annotations

from functools import lru_cache

from app.models import Household, HouseholdMember, Village
from app.services.guarantees import MemberInput
from tests.factories.risk import make_customer

WEST = "141023100201"  # 西街村, officer1's


async def in_household(customer, number: str):
    """Register the customer as the head of a new household of 西街村."""
    village = await Village.get(division_code=WEST)
    household = await Household.create(village=village, household_no=f"LB{number}")
    await HouseholdMember.create(
        household=household, name=customer.name, relation="head", sex=customer.sex, birth_on=customer.birth_on, id_number_enc=customer.id_number_enc,
        id_number_hash=customer.id_number_hash, id_number_masked=customer.id_number_masked, customer_id=customer.id, bank_id=customer.bank_id,
    )
    return household


async def households(vault, n: int, *, start: int = 401):
    """`n` new customers of 西街村, each heading a household of their own, named 联保户1…n."""
    customers = []
    for i in range(n):
        customer = await make_customer(vault, sequence=start + i, name=f"联保户{i + 1}")
        await in_household(customer, str(start + i))
        customers.append(customer)
    return customers


def members(customers, amount_fen: int = 50_000_00) -> list[MemberInput]:
    return [MemberInput(customer_id=c.id, amount_fen=amount_fen) for c in customers]


@lru_cache(maxsize=1)
def signing_kit():
    """The signing kit the tests' app uses (the dev PKI under the test var dir), for calling the services directly."""
    from app.config import get_settings
    from app import clock
    from app.services.documents import MediaStore
    from app.wiring import signing_kit as build

    settings = get_settings()
    return build(settings, media=MediaStore(settings.media_dir), now=clock.now_utc())

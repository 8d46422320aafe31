"""Products per bank: the same code at two banks names two products, and every grant, quote and appraisal uses its own bank's."""

from datetime import UTC, date, datetime

import pytest

from app.domain.errors import NotFound, ValidationError
from app.models import Appraisal, CreditLine, Household, Product
from app.services.actor import SYSTEM
from app.services.appraisal.common import load_rules
from app.services.appraisal.setup import create_appraisal
from app.services.lending.lines import grant_credit_line
from app.services.risk.strategy import evaluate_strategy
from app.services.visits.decision import household_offer_basis
from tests.factories import customer_with_line
from tests.factories.banks import YC_BRANCH, first_bank, second_bank
from tests.factories.villages import actor, village
from tests.services.visits.helpers import policy

TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


async def _banks_with_different_bianli():
    """Bank #1's BIANLI as seeded (max ¥300,000, spreads 100/150/200); 翼城's BIANLI capped at ¥50,000 with spreads 120/180/240."""
    yc = await second_bank()
    await Product.filter(bank_id=yc.bank.id, code="BIANLI").update(
        max_principal_fen=50_000_00, default_spread_bp=180, spread_bp_by_grade={"excellent": 120, "good": 180, "fair": 240},
    )
    return yc


async def test_a_grant_uses_the_customers_banks_product(demo, vault):
    # given both banks with a BIANLI of their own, and a customer at each
    yc = await _banks_with_different_bianli()
    _, line_a = await customer_with_line(vault, limit_yuan=100_000, sequence=357, checked=False)
    customer_b, _ = await customer_with_line(vault, limit_yuan=40_000, sequence=359, card="6217000010009999", branch_code=YC_BRANCH, checked=False)
    # then each line is on its own bank's product, priced by that product's grade table
    line_b = await CreditLine.get(customer_id=customer_b.id)
    assert line_a.product_id == (await Product.get(bank_id=(await first_bank()).id, code="BIANLI")).id
    assert line_b.product_id == (await yc.product("BIANLI")).id
    assert (line_a.spread_bp, line_b.spread_bp) == (150, 180)
    # and bank #1's larger limit is no licence at 翼城: ¥100,000 is above its BIANLI's cap
    other, _ = await customer_with_line(vault, limit_yuan=1, sequence=361, card="6217000010008888", branch_code=YC_BRANCH, checked=False, product="GJJ")
    with pytest.raises(ValidationError) as err:
        await grant_credit_line(actor=SYSTEM, customer_id=other.id, product_code="BIANLI", limit_fen=100_000_00, valid_from=TODAY, valid_until=date(2028, 12, 31))
    assert err.value.field == "limit"
    assert await CreditLine.filter(customer_id=other.id).count() == 1  # the GJJ line only


async def test_a_code_the_customers_bank_does_not_offer_is_not_found_even_if_another_bank_has_it(demo, vault):
    # given 翼城 has withdrawn its BIANLI (bank #1 still offers one)
    yc = await second_bank()
    await Product.filter(bank_id=yc.bank.id, code="BIANLI").update(is_active=False)
    customer, _ = await customer_with_line(vault, sequence=359, branch_code=YC_BRANCH, checked=False, product="GJJ")
    # when / then
    with pytest.raises(NotFound):
        await grant_credit_line(actor=SYSTEM, customer_id=customer.id, product_code="BIANLI", limit_fen=10_000_00, valid_from=TODAY, valid_until=date(2028, 12, 31))
    with pytest.raises(NotFound):
        await evaluate_strategy(actor=SYSTEM, customer_id=customer.id, product_code="BIANLI", today=TODAY, now=NOW)
    assert await CreditLine.filter(customer_id=customer.id).count() == 1


async def test_a_quote_uses_the_customers_banks_limit_and_spreads(demo, vault):
    # given a customer at each bank, graded good
    yc = await _banks_with_different_bianli()
    customer_a, _ = await customer_with_line(vault, sequence=357, checked=False, product="GJJ")
    customer_b, _ = await customer_with_line(vault, sequence=359, card="6217000010009999", branch_code=YC_BRANCH, checked=False, product="GJJ")
    # when the strategy prices BIANLI for each
    quote_a = await evaluate_strategy(actor=SYSTEM, customer_id=customer_a.id, product_code="BIANLI", today=TODAY, now=NOW)
    quote_b = await evaluate_strategy(actor=await yc.actor(), customer_id=customer_b.id, product_code="BIANLI", today=TODAY, now=NOW)
    # then each quote reads its own bank's BIANLI
    assert (quote_a.facts.product_max_fen, quote_b.facts.product_max_fen) == (300_000_00, 50_000_00)
    assert quote_a.facts.product_spread_bp_by_grade["good"] == 150 and quote_b.facts.product_spread_bp_by_grade["good"] == 180
    assert quote_b.decision.limit.limit_fen <= 50_000_00


async def test_an_appraisal_and_a_visit_offer_use_the_villages_banks_product(demo, vault):
    # given
    yc = await second_bank()

    # when a 翼城 manager opens an appraisal of the 翼城 village, and a 襄汾 manager one of theirs
    theirs = await create_appraisal(actor=await yc.actor("yc_manager"), village_id=yc.village.id, rules=load_rules(None))
    ours = await create_appraisal(actor=await actor("manager"), village_id=(await village()).id, rules=load_rules(None))
    # then each names its own bank's BIANLI
    assert (await Appraisal.get(id=theirs.id)).product_id == (await yc.product()).id
    assert ours.product_id == (await Product.get(bank_id=(await first_bank()).id, code="BIANLI")).id
    # and a 翼城 household without a pre-credit is offered 翼城's default product
    household = await Household.create(village=yc.village, household_no="001")
    pre, product = await household_offer_basis(household.id, policy())
    assert pre is None and product.id == (await yc.product()).id

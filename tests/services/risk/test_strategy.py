from datetime import UTC, date, datetime

import pytest

from app.config import get_settings
from app.domain.credit_report import parse_report
from app.domain.errors import NotFound, ValidationError
from app.domain.geo import distance_m
from app.models import AuditEvent, BankCard, CreditQuery, Customer, HouseholdMember, RiskDecision, RiskStrategyDecision, Village
from app.models.borrower import CustomerDevice
from app.services.actor import SYSTEM
from app.services.appraisal.coverage import PreCredit
from app.services.documents import MediaStore
from app.services.risk import strategy
from app.services.risk.strategy import evaluate_strategy
from tests.factories import customer_with_line

TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def media() -> MediaStore:
    return MediaStore(get_settings().media_dir)


async def test_shared_phone_and_card_are_detected_across_customers(demo, vault):
    first, _ = await customer_with_line(vault, sequence=357, checked=False)
    # same phone and the same default card (the factory's defaults) on a second customer
    await customer_with_line(vault, sequence=359, checked=False)
    alone = await evaluate_strategy(actor=SYSTEM, customer_id=first.id, product_code="BIANLI", today=TODAY, now=NOW)
    assert (alone.facts.phone_shared_with, alone.facts.card_shared_with, alone.facts.device_shared_with) == (1, 1, 0)
    codes = {h.code: h.kind for h in alone.decision.hits}
    assert codes == {"SHARED_PHONE": "review", "SHARED_CARD": "reject"}
    assert alone.decision.decision == "reject"
    assert "银行卡同时绑定在另外1位客户名下" in alone.explanation

    stored = await RiskStrategyDecision.get(id=alone.record.id)
    assert (stored.customer_id, stored.product_code, stored.ruleset_version, stored.decision.value) == (first.id, "BIANLI", "strategy-2026.1", "reject")
    assert [(h["code"], h["kind"], h["evidence"]["others"]) for h in stored.hits] == [("SHARED_PHONE", "review", 1), ("SHARED_CARD", "reject", 1)]
    assert stored.explanation == alone.explanation and stored.decided_at == NOW and stored.visit_id is None
    assert (stored.limit_fen, stored.limit_binding) == (alone.decision.limit.limit_fen, alone.decision.limit.binding)

    event = await AuditEvent.get(action="risk_strategy.evaluate", entity_id=str(first.id))
    assert event.after["decisionId"] == str(stored.id)
    assert event.after["decision"] == "reject"
    assert event.after["ruleSetVersion"] == "strategy-2026.1"
    assert [r["code"] for r in event.after["rules"]] == ["SHARED_PHONE", "SHARED_CARD"]
    assert await RiskDecision.filter(customer_id=first.id).count() == 0  # never stored as a gate decision


async def test_unbound_card_and_revoked_device_do_not_count(demo, vault):
    from datetime import UTC, datetime

    first, _ = await customer_with_line(vault, sequence=357, checked=False)
    second, _ = await customer_with_line(vault, sequence=359, card="6217000010009999", checked=False)
    await Customer.filter(id=second.id).update(phone_hash=None)
    now = datetime(2026, 11, 27, tzinfo=UTC)
    await CustomerDevice.create(customer=first, device_hash="d" * 64, bound_at=now)
    await CustomerDevice.create(customer=second, device_hash="d" * 64, bound_at=now, revoked_at=now)
    outcome = await evaluate_strategy(actor=SYSTEM, customer_id=first.id, product_code="BIANLI", today=TODAY, now=NOW)
    assert (outcome.facts.phone_shared_with, outcome.facts.card_shared_with, outcome.facts.device_shared_with) == (0, 0, 0)
    assert outcome.decision.hits == ()
    await CustomerDevice.filter(customer_id=second.id).update(revoked_at=None)
    await BankCard.filter(customer_id=second.id).update(card_number_hash=(await BankCard.get(customer_id=first.id)).card_number_hash)
    again = await evaluate_strategy(actor=SYSTEM, customer_id=first.id, product_code="BIANLI", today=TODAY, now=NOW)
    assert (again.facts.card_shared_with, again.facts.device_shared_with) == (1, 1)


async def test_an_unverified_binding_of_the_victims_card_does_not_fail_the_victim(demo, vault):
    # given a victim with their card bound at the counter, and a stranger who once bound the same card
    # number in the app without any holder check (as anyone could before issue 12)
    victim, _ = await customer_with_line(vault, sequence=357, checked=False)
    stranger, _ = await customer_with_line(vault, sequence=359, card="6217000010009999", checked=False)
    await Customer.filter(id=stranger.id).update(phone_hash=None)
    victims_card = await BankCard.get(customer_id=victim.id)
    await BankCard.create(customer=stranger, bank_name="山西农信", card_number_enc=victims_card.card_number_enc,
                          card_number_hash=victims_card.card_number_hash, card_number_masked=victims_card.card_number_masked, is_default=False)
    # when the victim applies
    outcome = await evaluate_strategy(actor=SYSTEM, customer_id=victim.id, product_code="BIANLI", today=TODAY, now=NOW)
    # then the stranger's unverified binding is not a shared card
    assert outcome.facts.card_shared_with == 0
    assert "SHARED_CARD" not in {h.code for h in outcome.decision.hits} and outcome.decision.decision != "reject"
    # while the stranger, whose own application shows a card verified in someone else's name, is caught
    caught = await evaluate_strategy(actor=SYSTEM, customer_id=stranger.id, product_code="BIANLI", today=TODAY, now=NOW)
    assert caught.facts.card_shared_with == 1 and {h.code: h.kind for h in caught.decision.hits}["SHARED_CARD"] == "reject"


async def test_limit_uses_open_debt_from_the_latest_report(demo, vault):
    customer, _ = await customer_with_line(vault, sequence=357, checked=True)
    query = await CreditQuery.filter(customer_id=customer.id).prefetch_related("report_document").first()
    report = parse_report(media().get(query.report_document.sha256))
    debt = sum(a.balance_fen for a in report.accounts if a.is_open)

    outcome = await evaluate_strategy(
        actor=SYSTEM, customer_id=customer.id, product_code="BIANLI", today=TODAY, now=NOW, income_fen=6_000_000, media=media(), vault=vault
    )
    limit = outcome.decision.limit
    assert outcome.facts.open_debt_fen == debt
    assert limit.terms["product_max"] == 30_000_000
    assert limit.terms["income_multiple"] == 18_000_000
    assert limit.terms["debt_to_income"] == max(0, 30_000_000 - debt)
    expected = min(18_000_000, max(0, 30_000_000 - debt))
    assert limit.limit_fen == expected - expected % 100_000
    assert limit.binding == ("income_multiple" if 18_000_000 <= 30_000_000 - debt else "debt_to_income")
    assert limit.skipped == ("appraisal",)

    without_income = await evaluate_strategy(actor=SYSTEM, customer_id=customer.id, product_code="BIANLI", today=TODAY, now=NOW, media=media())
    assert (without_income.decision.limit.limit_fen, without_income.decision.limit.binding) == (30_000_000, "product_max")
    assert without_income.decision.limit.skipped == ("appraisal", "income_multiple", "debt_to_income")


async def test_residence_distance_and_pre_credit_from_the_household(demo, vault, monkeypatch):
    customer, _ = await customer_with_line(vault, sequence=357, checked=False)
    member = await HouseholdMember.all().order_by("id").prefetch_related("household").first()
    await HouseholdMember.filter(id=member.id).update(customer_id=customer.id)
    home = await Village.get(id=member.household.village_id)
    await Village.filter(id=home.id).update(centroid_lat=37.80, centroid_lng=112.55)
    other = await Village.exclude(id=home.id).first()

    async def fake_pre_credit(household_id):  # the appraisal flow itself is tested in tests/services/appraisal
        assert household_id == member.household_id
        return PreCredit(appraisal_id=household_id, grade="excellent", amount_fen=8_000_000, final=True)

    monkeypatch.setattr(strategy, "household_pre_credit", fake_pre_credit)
    near = await evaluate_strategy(actor=SYSTEM, customer_id=customer.id, product_code="BIANLI", today=TODAY, now=NOW, lat=37.81, lng=112.55)
    assert near.facts.resides_in_village is True
    assert near.facts.visit_distance_m == distance_m(37.81, 112.55, 37.80, 112.55)
    assert near.decision.hits == ()
    assert (near.decision.limit.limit_fen, near.decision.limit.binding) == (8_000_000, "appraisal")
    assert near.decision.pricing.to_json() == {"spreadBp": 100, "grade": "excellent", "source": "product_grade"}

    far = await evaluate_strategy(actor=SYSTEM, customer_id=customer.id, product_code="BIANLI", today=TODAY, now=NOW, lat=38.00, lng=112.55)
    assert [h.code for h in far.decision.hits] == ["VISIT_DISTANCE"]
    elsewhere = await evaluate_strategy(actor=SYSTEM, customer_id=customer.id, product_code="BIANLI", today=TODAY, now=NOW, village_id=other.id)
    assert elsewhere.facts.resides_in_village is False
    assert [h.code for h in elsewhere.decision.hits] == ["RESIDENCE"]


async def test_bad_inputs_are_refused(demo, vault):
    customer, _ = await customer_with_line(vault, sequence=357, checked=False)
    with pytest.raises(NotFound):
        await evaluate_strategy(actor=SYSTEM, customer_id=customer.id, product_code="NOPE", today=TODAY, now=NOW)
    with pytest.raises(ValidationError):
        await evaluate_strategy(actor=SYSTEM, customer_id=customer.id, product_code="BIANLI", today=TODAY, now=NOW, lat=91.0, lng=0.0)
    with pytest.raises(ValidationError):
        await evaluate_strategy(actor=SYSTEM, customer_id=customer.id, product_code="BIANLI", today=TODAY, now=NOW, income_fen=-1)
    assert await RiskStrategyDecision.all().count() == 0  # nothing stored for a refused request


async def test_an_uploaded_strategy_version_is_the_one_applied(demo, vault):
    from app.models.risk import RuleSetKind
    from app.services import risk
    from tests.factories.villages import actor

    customer, _ = await customer_with_line(vault, sequence=357, checked=False)
    text = risk.shipped_ruleset_text(RuleSetKind.STRATEGY).replace("version: strategy-2026.1", "version: strategy-2026.2").replace(
        "round_down_fen: 100000", "round_down_fen: 500000"
    )
    await risk.upload_ruleset(actor=await actor("admin"), yaml_text=text, kind=RuleSetKind.STRATEGY)
    outcome = await evaluate_strategy(actor=SYSTEM, customer_id=customer.id, product_code="BIANLI", today=TODAY, now=NOW, income_fen=2_345_678_00)
    assert outcome.record.ruleset_version == "strategy-2026.2"
    assert outcome.decision.limit.limit_fen % 500_000 == 0


async def test_a_banks_own_strategy_applies_to_its_customers_only(demo, vault):
    from app.models.risk import RuleSetKind
    from app.services import risk
    from tests.factories.banks import YC_BRANCH, second_bank

    # given a customer at each bank, and 翼城's admin uploads its own strategy (limits rounded to ¥5,000)
    yc = await second_bank()
    ours, _ = await customer_with_line(vault, sequence=357, checked=False)
    theirs, _ = await customer_with_line(vault, sequence=359, card="6217000010009999", branch_code=YC_BRANCH, checked=False)
    text = risk.shipped_ruleset_text(RuleSetKind.STRATEGY).replace("version: strategy-2026.1", "version: strategy-2026.2").replace(
        "round_down_fen: 100000", "round_down_fen: 500000"
    )
    await risk.upload_ruleset(actor=await yc.actor("yc_admin"), yaml_text=text, kind=RuleSetKind.STRATEGY)
    # when the strategy runs for each
    mine = await evaluate_strategy(actor=SYSTEM, customer_id=ours.id, product_code="BIANLI", today=TODAY, now=NOW, income_fen=2_345_678_00)
    other = await evaluate_strategy(actor=SYSTEM, customer_id=theirs.id, product_code="BIANLI", today=TODAY, now=NOW, income_fen=2_345_678_00)
    # then 翼城's customer is judged by 翼城's version, 襄汾's by the platform default
    assert (other.record.ruleset_version, mine.record.ruleset_version) == ("strategy-2026.2", "strategy-2026.1")
    assert other.decision.limit.limit_fen % 500_000 == 0


async def _id_card_reads(customer, vault, *, name: str, number: str, valid_until: str):
    from datetime import UTC, datetime

    from app.domain import idcard
    from app.models import Document, IdentityVerification, Officer
    from app.domain.vocabulary import DocumentKind
    from app.models.identity import CardSide, IdCardRead, JobStatus
    from app.models.risk import IdentityOutcome

    officer = await Officer.get(username="officer1")
    now = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    for side, kind, confirmed, extra in (
        (CardSide.FRONT, DocumentKind.ID_CARD_FRONT, {"name": name, "id_number": idcard.mask(number)},
         {"id_number_hash": vault.lookup_hash(number), "id_number_masked": idcard.mask(number)}),
        (CardSide.BACK, DocumentKind.ID_CARD_BACK, {"valid_until": valid_until}, {}),
    ):
        image = await Document.create(sha256="0" * 64, kind=kind, content_type="image/jpeg", size_bytes=1, customer=customer)
        await IdCardRead.create(customer=customer, officer=officer, side=side, image=image, status=JobStatus.DONE, confirmed=confirmed, **extra)
    await IdentityVerification.create(
        customer=customer, name=customer.name, id_number_hash=customer.id_number_hash, id_number_masked=customer.id_number_masked,
        result=IdentityOutcome.MATCH, reason_code="MATCH", reason="一致", checked_at=now, officer=officer,
    )


async def test_id_card_expiry_and_ocr_fields_against_the_identity_check(demo, vault):
    from app.domain import idcard

    customer, _ = await customer_with_line(vault, sequence=357, checked=False)
    own_number = vault.decrypt(customer.id_number_enc, context=b"id_number")
    await _id_card_reads(customer, vault, name="王建国", number=own_number, valid_until="2036-03-15")
    clean = await evaluate_strategy(actor=SYSTEM, customer_id=customer.id, product_code="BIANLI", today=TODAY, now=NOW)
    assert clean.facts.id_card_valid_until == date(2036, 3, 15)
    assert (clean.facts.ocr_name, clean.facts.checked_name, clean.facts.id_number_matches) == ("王建国", "王建国", True)
    assert clean.decision.hits == ()

    other_number = idcard.make_number("141023", date(1968, 3, 15), 361)
    await _id_card_reads(customer, vault, name="王建图", number=other_number, valid_until="2026-11-26")
    bad = await evaluate_strategy(actor=SYSTEM, customer_id=customer.id, product_code="BIANLI", today=TODAY, now=NOW)
    assert [h.code for h in bad.decision.hits] == ["ID_CARD_EXPIRED", "OCR_NAME_MISMATCH", "OCR_ID_NUMBER_MISMATCH"]
    assert bad.decision.hits[2].evidence["ocrIdNumber"] == idcard.mask(other_number)
    assert bad.decision.decision == "reject"

from datetime import date

import pytest

from app.domain import idcard
from app.domain import visit as flow
from app.domain.errors import Conflict, Forbidden, ValidationError
from app.models import Customer, CustomerRelationship, Document, HouseholdMember, IdCardRead, IdentityVerification, Visit
from app.domain.vocabulary import CustomerLink
from app.services import identity_checks as checks
from app.services.visits import (
    capture_id_card,
    check_person_identity,
    complete_face_match,
    confirm_id_card_side,
    skip_co_borrower,
    start_face_check,
)
from app.integrations.identity import SandboxIdentityCheck
from tests.services.visits.helpers import NOW, TODAY, ctx_for, face, family, finish_read, id_card, jpeg, person, start


async def test_confirming_the_card_creates_the_customer_with_the_number_encrypted(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault))
    await start(c)
    visit = await id_card(c)
    assert visit.step == flow.BORROWER_IDENTITY
    customer = await Customer.get(id=visit.customer_id)
    number = c.fam.numbers[str(c.fam.head.id)]
    assert customer.name == "赵德胜" and customer.id_number_masked == idcard.mask(number)
    assert vault.decrypt(customer.id_number_enc, context=b"id_number") == number and number.encode() not in customer.id_number_enc
    assert customer.phone_masked == "139****5678"  # from the census record
    assert (await HouseholdMember.get(id=c.fam.head.id)).customer_id == customer.id
    # the card photos and the portrait are in the customer's archive
    reads = await IdCardRead.filter(customer_id=customer.id)
    assert sorted(r.side for r in reads) == ["back", "front"]
    kinds = sorted(d.kind.value for d in await Document.filter(customer_id=customer.id))
    assert kinds == ["id_card_back", "id_card_front", "portrait"]
    assert visit.data["borrower"]["confirmed"] == ["back", "front"]


async def test_a_card_of_someone_else_is_refused_and_nothing_is_saved(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault))
    await start(c)
    read = await capture_id_card(actor=c.who, visit_id=c.visit_id, who="borrower", side="front", data=jpeg(), media=c.media, queue=c.queue, policy=c.policy)
    assert c.queue.jobs[-1].function == "read_id_card" and c.queue.jobs[-1].queue == "arq:ml"
    stranger = idcard.make_number("141023", date(1960, 1, 1), 101)
    await finish_read(read.id, media=c.media, vault=vault, number=stranger, name="钱某")
    with pytest.raises(checks.ConfirmationError) as refused:
        await confirm_id_card_side(actor=c.who, visit_id=c.visit_id, who="borrower", side="front", values={}, checked=set(), vault=vault, today=TODAY, now=NOW)
    assert "不一致" in refused.value.errors["id_number"]
    assert await Customer.all().count() == 0
    assert (await IdCardRead.get(id=read.id)).confirmed_at is None  # the confirmation rolled back with it
    assert (await Visit.get(id=c.visit_id)).data["borrower"].get("confirmed") is None


async def test_an_expired_card_is_refused(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault))
    await start(c)
    with pytest.raises(checks.ConfirmationError) as refused:
        await id_card(c, valid_until="2026-11-26")
    assert refused.value.errors == {"valid_until": "身份证已于 2026-11-26 过期，请客户持有效证件办理"}
    visit = await Visit.get(id=c.visit_id)
    assert visit.step == flow.BORROWER_ID and visit.data["borrower"]["confirmed"] == ["front"]


async def test_steps_cannot_be_skipped_or_repeated(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault))
    await start(c)
    with pytest.raises(Conflict) as early:
        await start_face_check(actor=c.who, visit_id=c.visit_id, who="borrower", stage="match", probe=jpeg(), media=c.media, queue=c.queue, policy=c.policy)
    assert early.value.code == "STEP_NOT_READY" and "借款人身份证" in early.value.message
    await id_card(c)
    with pytest.raises(Conflict) as again:
        await capture_id_card(actor=c.who, visit_id=c.visit_id, who="borrower", side="front", data=jpeg(), media=c.media, queue=c.queue, policy=c.policy)
    assert again.value.code == "STEP_DONE"


async def test_identity_check_match_finishes_the_step_a_mismatch_does_not(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault, head_seq=883))  # sandbox: 姓名与号码不一致
    await start(c)
    await id_card(c)
    row = await check_person_identity(actor=c.who, visit_id=c.visit_id, who="borrower", identity_check=SandboxIdentityCheck(), vault=vault, media=c.media, now=NOW)
    assert row.result.value == "mismatch" and row.with_portrait is True
    visit = await Visit.get(id=c.visit_id)
    assert visit.step == flow.BORROWER_IDENTITY
    assert visit.data["borrower"]["identity"]["reason"] == "姓名与号码不一致"


async def test_face_match_must_pass_before_the_step_is_done(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault))
    await start(c)
    await id_card(c)
    await check_person_identity(actor=c.who, visit_id=c.visit_id, who="borrower", identity_check=SandboxIdentityCheck(), vault=vault, media=c.media, now=NOW)
    v = await face(c, "match", verified=False)
    assert v.purpose.value == "customer_match" and v.reference_portrait_id is not None
    with pytest.raises(Forbidden) as refused:
        await complete_face_match(actor=c.who, visit_id=c.visit_id, who="borrower", face_checks=c.faces, now=NOW)
    assert refused.value.code == "FACE_CHECK_FAILED"
    await face(c, "match")  # a second photo that matches
    visit = await complete_face_match(actor=c.who, visit_id=c.visit_id, who="borrower", face_checks=c.faces, now=NOW)
    assert visit.step == flow.CO_ID and visit.data["borrower"]["face"]["distance"] == 0.03


async def test_the_spouse_becomes_co_borrower_the_same_way(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault))
    await start(c)
    await person(c, "borrower")
    visit = await person(c, "co_borrower")
    assert visit.step == flow.PHOTOS and visit.co_borrower_id is not None
    assert (await Customer.get(id=visit.co_borrower_id)).name == "孙桂珍"
    assert await CustomerRelationship.filter(customer_id=visit.customer_id, related_id=visit.co_borrower_id, kind=CustomerLink.SPOUSE).exists()
    assert await IdentityVerification.filter(customer_id=visit.co_borrower_id, result="match").exists()


async def test_skipping_the_spouse_needs_a_reason(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault))
    await start(c)
    await person(c, "borrower")
    with pytest.raises(ValidationError):
        await skip_co_borrower(actor=c.who, visit_id=c.visit_id, reason="", now=NOW)
    visit = await skip_co_borrower(actor=c.who, visit_id=c.visit_id, reason="配偶在外务工", now=NOW)
    assert visit.step == flow.PHOTOS and visit.skipped_steps == list(flow.CO_BORROWER_STEPS)
    assert visit.data["co_borrower"] == {"skipped": True, "reason": "配偶在外务工"}

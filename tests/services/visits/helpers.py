"""Shared pieces for visit tests: a household of our own, a pre-credit, the ML worker's results, a walk through the flow."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from PIL import Image

from app.domain import idcard
from app.domain import visit as flow
from app.domain.appraisal import Grade, Status
from app.config import get_settings
from app.models import Appraisal, Approval, Household, HouseholdMember, Officer, Product, Village, Visit
from app.services import identity_checks as checks
from app.services.actor import SYSTEM, Actor
from app.services.census import households as census
from app.services.documents import MediaStore
from app.services.identity_checks import RecordedFaceChecks
from app.services.visits import (
    VisitPolicy,
    add_photo,
    capture_id_card,
    check_person_identity,
    complete_face_match,
    confirm_id_card_side,
    current_face_id,
    finish_photos,
    run_credit_check,
    sign_authorisation,
    start_face_check,
    start_visit,
)
from app.integrations.bureau import SandboxBureau
from app.integrations.identity import SandboxIdentityCheck
from app.wiring import visit_policy
from tests.factories.villages import XIJIE, actor
from tests.fakes import FakeJobQueue
from tests.services.contracts.helpers import signature_png

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 27)
XIJIE_CENTRE = (35.8765, 111.4421)
AREA = "141023"


def jpeg(colour=(200, 180, 160), size=(64, 80)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "JPEG")
    return buf.getvalue()


def policy(**overrides) -> VisitPolicy:
    base = visit_policy(get_settings())
    return VisitPolicy(**{**{f: getattr(base, f) for f in base.__slots__}, **overrides})


@dataclass
class Family:
    household: object
    head: HouseholdMember
    spouse: HouseholdMember | None
    numbers: dict[str, str] = field(default_factory=dict)  # member id -> whole ID number


async def family(vault, *, head_seq: int = 357, spouse_seq: int | None = 358, village_code: str = XIJIE, no: str = "V01",
                 by: str = "officer1") -> Family:
    """A household of the officer's village with a head (and a spouse) whose numbers pick the sandbox answers."""
    who = await actor(by)
    village = await Village.get(division_code=village_code)
    household = await census.create_household(actor=who, village_id=village.id, household_no=no, group_id=None, address="西街村1号")
    head_no = idcard.make_number(AREA, date(1975, 4, 12), head_seq)
    head = await census.add_member(actor=who, vault=vault, household_id=household.id, name="赵德胜", relation="head", id_number=head_no, phone="13912345678")
    fam = Family(household=household, head=head, spouse=None, numbers={str(head.id): head_no})
    if spouse_seq is not None:
        spouse_no = idcard.make_number(AREA, date(1977, 9, 3), spouse_seq)
        fam.spouse = await census.add_member(actor=who, vault=vault, household_id=household.id, name="孙桂珍", relation="spouse", id_number=spouse_no, phone="")
        fam.numbers[str(fam.spouse.id)] = spouse_no
    return fam


async def pre_credit(household_id: UUID, amount_yuan: int, *, grade: str = "good", product: str = "BIANLI") -> Approval:
    """A published appraisal of the household's village approving this pre-credit amount (支行审定)."""
    household = await Household.get(id=household_id).prefetch_related("village__branch")
    bank_id = household.village.branch.bank_id  # the household's bank's product and approver
    prod = await Product.get(bank_id=bank_id, code=product)
    approver = await Officer.filter(role="approver", branch__bank_id=bank_id).order_by("username").first()
    appraisal = await Appraisal.create(village_id=household.village_id, product_id=prod.id, status=Status.PUBLISHED, rules={}, approved_at=NOW)
    return await Approval.create(appraisal_id=appraisal.id, household_id=household_id, approver_id=approver.id, grade=Grade(grade),
                                 pre_credit_amount_fen=amount_yuan * 100, approved_at=NOW)


def _fields(values: dict[str, str]) -> dict:
    return {k: {"value": v, "confidence": 0.99, "flags": []} for k, v in values.items()}


async def finish_read(read_id, *, media: MediaStore, vault, number: str, name: str, valid_until: str = "2036-05-01", portrait: bool = True):
    """What the ML worker writes after reading a card: the fields, the number (encrypted) and the portrait."""
    read = await checks.get_id_card_read(actor=SYSTEM, read_id=read_id)
    if read.side == "front":
        info = idcard.parse(number)
        values = {"name": name, "sex": info.sex, "ethnicity": "汉", "birth_date": info.birth_date.isoformat(), "address": "山西省襄汾县新城镇西街村1号",
                  "id_number": number}
        detail = {"side": "front", "fields": _fields(values), "id_number_valid": True, "needs_confirmation": [], "warnings": []}
        return await checks.record_id_card_result(read_id=read.id, detail=detail, id_number=number, portrait_jpeg=jpeg() if portrait else None,
                                                  model_ms=300, media=media, vault=vault, now=NOW)
    values = {"issuing_authority": "襄汾县公安局", "valid_from": "2016-05-01", "valid_until": valid_until}
    detail = {"side": "back", "fields": _fields(values), "id_number_valid": None, "needs_confirmation": [], "warnings": []}
    return await checks.record_id_card_result(read_id=read.id, detail=detail, id_number=None, portrait_jpeg=None, model_ms=200,
                                              media=media, vault=vault, now=NOW)


async def finish_face(verification_id, *, verified: bool = True, at: datetime = NOW):
    return await checks.record_face_result(verification_id=verification_id, distance=0.03 if verified else 0.2, verified=verified,
                                           model="Dlib", model_ms=250, now=at)


@dataclass
class Ctx:
    """Everything a visit service call needs in a test."""

    who: Actor
    vault: object
    media: MediaStore
    queue: FakeJobQueue
    policy: VisitPolicy
    fam: Family
    faces: RecordedFaceChecks = None  # type: ignore[assignment]
    visit_id: UUID | None = None

    def __post_init__(self) -> None:
        self.faces = RecordedFaceChecks(now=lambda: NOW + timedelta(minutes=1), fresh_minutes=15)


async def ctx_for(vault, settings, fam: Family, *, by: str = "officer1", **policy_overrides) -> Ctx:
    return Ctx(who=await actor(by), vault=vault, media=MediaStore(settings.media_dir), queue=FakeJobQueue(), policy=policy(**policy_overrides), fam=fam)


async def start(c: Ctx, *, at=XIJIE_CENTRE):
    visit = await start_visit(actor=c.who, member_id=c.fam.head.id, lat=at[0], lng=at[1], accuracy_m=15, policy=c.policy, now=NOW)
    c.visit_id = visit.id
    return visit


async def id_card(c: Ctx, who: str = flow.BORROWER, *, valid_until: str = "2036-05-01"):
    member = c.fam.head if who == flow.BORROWER else c.fam.spouse
    number = c.fam.numbers[str(member.id)]
    for side in ("front", "back"):
        read = await capture_id_card(actor=c.who, visit_id=c.visit_id, who=who, side=side, data=jpeg(), media=c.media, queue=c.queue, policy=c.policy)
        await finish_read(read.id, media=c.media, vault=c.vault, number=number, name=member.name, valid_until=valid_until)
        visit = await confirm_id_card_side(actor=c.who, visit_id=c.visit_id, who=who, side=side, values={}, checked=set(), vault=c.vault,
                                           today=TODAY, now=NOW)
    return visit


async def face(c: Ctx, stage: str, who: str = flow.BORROWER, *, verified: bool = True):
    v = await start_face_check(actor=c.who, visit_id=c.visit_id, who=who, stage=stage, probe=jpeg((90, 80, 70)), media=c.media, queue=c.queue,
                               policy=c.policy)
    await finish_face(v.id, verified=verified)
    return v


async def person(c: Ctx, who: str = flow.BORROWER):
    await id_card(c, who)
    await check_person_identity(actor=c.who, visit_id=c.visit_id, who=who, identity_check=SandboxIdentityCheck(), vault=c.vault, media=c.media, now=NOW)
    await face(c, "match", who)
    return await complete_face_match(actor=c.who, visit_id=c.visit_id, who=who, face_checks=c.faces, now=NOW)


async def photos(c: Ctx):
    await add_photo(actor=c.who, visit_id=c.visit_id, category="house", data=jpeg((10, 120, 10)), media=c.media, policy=c.policy)
    await finish_photos(actor=c.who, visit_id=c.visit_id, now=NOW)


async def authorise(c: Ctx):
    await face(c, "authorisation")
    visit = await Visit.get(id=c.visit_id)
    return await sign_authorisation(actor=c.who, visit_id=c.visit_id, signature_png=signature_png(), face_verification_id=current_face_id(visit, "authorisation", "borrower"),
                                    face_checks=c.faces, media=c.media, policy=c.policy, institution="襄汾农商行", tz="Asia/Shanghai", today=TODAY, now=NOW)


async def credit(c: Ctx):
    return await run_credit_check(actor=c.who, visit_id=c.visit_id, bureau=SandboxBureau(clock=lambda: NOW), media=c.media, vault=c.vault, policy=c.policy,
                                  now=NOW, today=TODAY)


async def walk_to_decision(c: Ctx, *, co_borrower: bool = True):
    """Start, borrower, co-borrower (if the family has one), photos, authorisation, credit check."""
    await start(c)
    await person(c, flow.BORROWER)
    if co_borrower and c.fam.spouse is not None:
        await person(c, flow.CO_BORROWER)
    await photos(c)
    await authorise(c)
    return await credit(c)

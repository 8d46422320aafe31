"""联保 groups on a real database: size limits, one active group per household, one member bank, the guarantee
counted in the exposure cap, and guarantors called on when a member's loan is overdue."""

from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.warnings import WarningKind
from app.models import AuditEvent, CollectionTask, EarlyWarning, GuaranteeGroup, GuaranteeMember, HouseholdMember
from app.models.collection import CloseReason, CollectionStatus
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.guarantees import GroupPolicy, form_group, guarantee_exposure_fen, guarantees_of_loan, open_guarantor_tasks
from app.services.lending.lines import grant_credit_line
from app.services.risk.collections import open_collection_tasks
from tests.factories.guarantees import signing_kit, households, in_household, members
from tests.factories.risk import actor, make_customer
from tests.factories.worklists import TODAY, cure, drawn_loan, make_overdue

ON = date(2027, 1, 10)
NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # the signing moment: not after the wall clock (the certificates are checked against it)


@pytest.fixture
async def bank(demo):
    await business_date.set_current(TODAY)
    return demo


async def test_a_group_of_five_households_is_formed_and_every_member_signs(bank, vault):
    officer = await actor("officer1")
    customers = await households(vault, 5)
    group = await form_group(actor=officer, name="西街村第一联保小组", members=members(customers), on=ON, now=NOW, kit=signing_kit())
    rows = await GuaranteeMember.filter(group_id=group.id).order_by("created_at")
    assert len(rows) == 5 and {r.customer_id for r in rows} == {c.id for c in customers}
    assert all(r.status == "active" and r.signed_at == NOW and r.witnessed_by_id == officer.id and len(r.contract_sha256) == 64 for r in rows)
    assert len({r.contract_no for r in rows}) == 5 and group.bank_id == customers[0].bank_id and group.origin == "visit"
    assert (await AuditEvent.get(action="guarantee.form", entity_id=str(group.id))).after["amountsFen"] == [50_000_00] * 5


async def test_too_few_or_too_many_households_are_refused_in_chinese_and_nothing_is_stored(bank, vault):
    officer = await actor("officer1")
    customers = await households(vault, 6)
    with pytest.raises(ValidationError, match="联保小组至少需要 5 户，现有 4 户"):
        await form_group(actor=officer, name="小组", members=members(customers[:4]), on=ON, now=NOW, kit=signing_kit())
    with pytest.raises(ValidationError, match="联保小组最多 5 户，现有 6 户"):
        await form_group(actor=officer, name="小组", members=members(customers), on=ON, now=NOW, kit=signing_kit(), policy=GroupPolicy(min_households=3, max_households=5))
    assert await GuaranteeGroup.all().count() == 0 and await GuaranteeMember.all().count() == 0


async def test_two_people_of_one_household_count_once(bank, vault):
    officer = await actor("officer1")
    customers = await households(vault, 5)
    spouse = await make_customer(vault, sequence=499, name="配偶")
    head = await HouseholdMember.get(customer_id=customers[0].id)
    await HouseholdMember.create(household_id=head.household_id, name=spouse.name, relation="spouse", sex=spouse.sex, birth_on=spouse.birth_on,
                                 id_number_enc=spouse.id_number_enc, id_number_hash=spouse.id_number_hash, id_number_masked=spouse.id_number_masked,
                                 customer_id=spouse.id, bank_id=spouse.bank_id)
    with pytest.raises(ValidationError, match="同一户只能由一人代表"):
        await form_group(actor=officer, name="小组", members=members([*customers, spouse]), on=ON, now=NOW, kit=signing_kit())


async def test_a_household_in_an_active_group_is_refused_a_second_unless_the_setting_allows(bank, vault):
    officer = await actor("officer1")
    customers = await households(vault, 9)
    first = await form_group(actor=officer, name="第一组", members=members(customers[:5]), on=ON, now=NOW, kit=signing_kit())
    second = [customers[4], *customers[5:9]]
    with pytest.raises(Conflict, match="联保户5所在的户已在有效的联保小组「第一组」中"):
        await form_group(actor=officer, name="第二组", members=members(second), on=ON, now=NOW, kit=signing_kit())
    assert await GuaranteeGroup.all().count() == 1
    await GuaranteeGroup.filter(id=first.id).update(status="dissolved")  # a dissolved group no longer binds its households
    assert (await form_group(actor=officer, name="第二组", members=members(second), on=ON, now=NOW, kit=signing_kit())).name == "第二组"
    third = [customers[4], *customers[:4]]
    group = await form_group(actor=officer, name="第三组", members=members(third), on=ON, now=NOW, kit=signing_kit(), policy=GroupPolicy(max_groups_per_household=2))
    assert await GuaranteeMember.filter(group_id=group.id).count() == 5


async def test_a_customer_outside_the_officers_branches_or_without_a_household_is_refused(bank, vault):
    customers = await households(vault, 4)
    stranger = await make_customer(vault, sequence=498, name="无户籍")
    with pytest.raises(ValidationError, match="无户籍尚未登记为农户家庭成员"):
        await form_group(actor=await actor("officer1"), name="小组", members=members([*customers, stranger]), on=ON, now=NOW, kit=signing_kit())
    other = await make_customer(vault, sequence=497, name="外支行", branch_code="XF020")
    await in_household(other, "497")
    with pytest.raises(NotFound):
        await form_group(actor=await actor("officer1"), name="小组", members=members([*customers, other]), on=ON, now=NOW, kit=signing_kit())
    assert await GuaranteeGroup.all().count() == 0


async def test_the_guarantee_counts_in_the_exposure_cap(bank, vault):
    officer = await actor("officer1")
    customers = await households(vault, 5)
    await form_group(actor=officer, name="小组", members=members(customers, amount_fen=80_000_00), on=ON, now=NOW, kit=signing_kit())
    assert await guarantee_exposure_fen([customers[0].id]) == 80_000_00
    with pytest.raises(Conflict, match="已有有效授信 ¥80,000.00（其中对外担保 ¥80,000.00）") as refused:
        await grant_credit_line(actor=SYSTEM, customer_id=customers[0].id, product_code="BIANLI", limit_fen=50_000_00, valid_from=TODAY,
                                valid_until=TODAY + timedelta(days=365), exposure_cap_fen=100_000_00)
    assert refused.value.code == "EXPOSURE_CAP"
    line = await grant_credit_line(actor=SYSTEM, customer_id=customers[0].id, product_code="BIANLI", limit_fen=20_000_00, valid_from=TODAY,
                                   valid_until=TODAY + timedelta(days=365), exposure_cap_fen=100_000_00)
    assert line.limit_fen == 20_000_00


async def test_an_overdue_members_loan_gives_each_guarantor_a_task_and_a_warning_citing_the_guarantee(bank, vault):
    officer = await actor("officer1")
    borrower, _, loan = await drawn_loan(vault)
    await in_household(borrower, "357")
    others = await households(vault, 4)
    await form_group(actor=officer, name="西街村联保小组", members=members([borrower, *others]), on=ON, now=NOW, kit=signing_kit())
    assert {g.customer_id for g in await guarantees_of_loan(officer, loan.id)} == {c.id for c in others}
    assert (await open_guarantor_tasks(on=ON)).opened == 0  # nothing overdue yet
    await make_overdue(loan, days_past_due=13)
    await open_collection_tasks(on=ON)
    report = await open_guarantor_tasks(on=ON)
    assert report.opened == 4
    tasks = await CollectionTask.filter(loan_id=loan.id, source="guarantee").prefetch_related("guarantee")
    assert {t.customer_id for t in tasks} == {c.id for c in others}
    assert all(t.guarantee.customer_id == t.customer_id and t.open_loan_id is None and t.status == CollectionStatus.OPEN for t in tasks)
    assert await CollectionTask.filter(loan_id=loan.id, source="eod", customer_id=borrower.id).count() == 1  # the borrower's own task stays
    warnings = await EarlyWarning.filter(kind=WarningKind.GUARANTEE_CALLED, loan_id=loan.id)
    assert {w.customer_id for w in warnings} == {c.id for c in others}
    for w in warnings:
        task = next(t for t in tasks if t.customer_id == w.customer_id)
        assert task.guarantee.contract_no in w.message and w.evidence["contractNo"] == task.guarantee.contract_no
        assert "逾期 13 天" in w.message and w.evidence["collectionTaskId"] == str(task.id)
    assert (await open_guarantor_tasks(on=ON)).opened == 0  # idempotent
    assert (await open_guarantor_tasks(on=ON + timedelta(days=1))).opened == 0  # still open: no second task
    await cure(loan)
    await open_collection_tasks(on=ON + timedelta(days=2))
    closed = await CollectionTask.filter(loan_id=loan.id, source="guarantee")
    assert all((t.status, t.close_reason, t.open_guarantee_key) == (CollectionStatus.CLOSED, CloseReason.CURED, None) for t in closed)

"""Doing and reviewing a post-loan check: scope, all errors at once, the conclusion's effects, the e-archive, audit."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.errors import Forbidden, NotFound, ValidationError
from app.domain.postloan import CheckInvalid, CheckStatus
from app.domain.vocabulary import DocumentKind
from app.domain.warnings import WarningKind
from app.models import AuditEvent, CollectionTask, Document, EarlyWarning, Loan, LoanRisk, PostLoanCheck
from app.services.documents import MediaStore
from app.services.postloan import add_check_photo, get_check, review_check, submit_check
from app.services.risk.collections import open_collection_tasks
from tests.factories.postloan import ANSWERS, SPOT, jpeg, loan_with_check
from tests.factories.risk import actor
from tests.factories.worklists import TODAY

NOW = datetime(2026, 12, 20, 3, 0, tzinfo=UTC)
ON = TODAY + timedelta(days=23)
MAX = 5 * 1024 * 1024


@pytest.fixture
def media(tmp_path):
    return MediaStore(tmp_path / "media")


async def _submit(check, who="officer1", media=None, **answers):
    by = await actor(who)
    await add_check_photo(actor=by, check_id=check.id, data=jpeg(), media=media, max_bytes=MAX)
    return await submit_check(actor=by, check_id=check.id, answers={**ANSWERS, **answers}, risk_signals=[], now=NOW, today=ON, **SPOT)


async def _review(check, media, approve=True, note="", who="manager"):
    return await review_check(actor=await actor(who), check_id=check.id, approve=approve, note=note, media=media, max_bytes=MAX, now=NOW, today=ON)


async def test_only_the_assigned_officer_and_the_branch_see_a_check(demo, vault):
    _, _, check = await loan_with_check(vault)
    assert (await get_check(await actor("officer1"), check.id)).id == check.id
    assert (await get_check(await actor("manager"), check.id)).id == check.id
    with pytest.raises(NotFound):
        await get_check(await actor("officer2"), check.id)


async def test_a_submission_reports_every_problem_at_once_and_changes_nothing(demo, vault):
    # given a check without photos
    _, _, check = await loan_with_check(vault)
    # when the officer submits without location or answers, concluding 建议调整分类 with no class
    with pytest.raises(CheckInvalid) as refused:
        await submit_check(actor=await actor("officer1"), check_id=check.id, answers={"conclusion": "reclassify"}, risk_signals=[],
                           lat=None, lng=None, now=NOW, today=ON)
    # then every error comes back, by field
    assert set(refused.value.errors) == {"lat", "photo", "funds_use", "household", "repayment", "guarantee", "proposed_class", "note"}
    assert (await PostLoanCheck.get(id=check.id)).status == CheckStatus.DUE
    assert not await AuditEvent.filter(action="postloan.submit").exists()


async def test_an_auditor_and_an_approver_may_not_do_a_check(demo, vault, media):
    _, _, check = await loan_with_check(vault)
    for who in ("auditor", "approver"):
        with pytest.raises((Forbidden, NotFound)):
            await add_check_photo(actor=await actor(who), check_id=check.id, data=jpeg(), media=media, max_bytes=MAX)


async def test_normal_check_confirmed_is_archived_and_raises_nothing(demo, vault, media):
    # given a submitted check concluding 正常
    customer, loan, check = await loan_with_check(vault)
    submitted = await _submit(check, media=media)
    assert submitted.status == CheckStatus.SUBMITTED and submitted.distance_m is not None and submitted.distance_m < 200
    # when the branch manager approves
    done = await _review(check, media)
    # then confirmed, the record archived as JSON in the customer's e-archive, nothing else raised
    assert done.status == CheckStatus.CONFIRMED and done.effects == {}
    doc = await Document.get(id=done.record_document_id)
    assert (doc.kind, doc.customer_id, doc.content_type) == (DocumentKind.POST_LOAN_CHECK, customer.id, "application/json")
    record = json.loads(media.get(doc.sha256))
    assert record["answers"]["conclusion"] == "normal" and record["checkId"] == str(check.id) and len(record["photos"]) == 1
    assert not await EarlyWarning.filter(loan_id=loan.id).exists() and not await CollectionTask.filter(loan_id=loan.id).exists()
    assert await AuditEvent.filter(action="postloan.review", entity_id=str(check.id)).count() == 1


async def test_watch_raises_a_warning(demo, vault, media):
    _, loan, check = await loan_with_check(vault)
    await _submit(check, media=media, conclusion="watch", note="家庭成员住院，收入减少")
    done = await _review(check, media)
    warning = await EarlyWarning.get(loan_id=loan.id)
    assert warning.kind == WarningKind.POST_LOAN_CHECK and done.effects == {"warningId": str(warning.id)}
    assert "家庭成员住院" in warning.message


async def test_reclassify_sets_the_proposed_class_as_a_floor(demo, vault, media):
    _, loan, check = await loan_with_check(vault)
    await _submit(check, media=media, conclusion="reclassify", proposed_class="special_mention", note="资金部分挪用")
    await _review(check, media)
    assert (await Loan.get(id=loan.id)).classification == "special_mention"
    assert (await LoanRisk.get(loan_id=loan.id)).floor_class == "special_mention"


async def test_collect_opens_a_collection_task_that_the_daily_run_keeps(demo, vault, media):
    _, loan, check = await loan_with_check(vault)
    await _submit(check, media=media, conclusion="collect", note="外出失联")
    done = await _review(check, media)
    task = await CollectionTask.get(loan_id=loan.id)
    assert done.effects == {"collectionTaskId": str(task.id)} and task.status == "open" and task.source == "post_loan_check"
    await open_collection_tasks(on=ON)  # the loan is not overdue: the daily run does not close the check's task
    assert (await CollectionTask.get(id=task.id)).status == "open"


async def test_return_needs_a_note_and_the_officer_submits_again(demo, vault, media):
    _, _, check = await loan_with_check(vault)
    await _submit(check, media=media)
    with pytest.raises(ValidationError) as refused:
        await _review(check, media, approve=False)
    assert refused.value.field == "note" and (await PostLoanCheck.get(id=check.id)).status == CheckStatus.SUBMITTED
    returned = await _review(check, media, approve=False, note="请补拍经营场所照片")
    assert returned.status == CheckStatus.RETURNED and returned.review_note == "请补拍经营场所照片"
    again = await _submit(check, media=media)
    assert again.status == CheckStatus.SUBMITTED and len(again.photo_ids) == 2


async def test_nobody_reviews_their_own_check_and_officers_do_not_review(demo, vault, media):
    _, _, check = await loan_with_check(vault)
    await _submit(check, who="manager", media=media)
    with pytest.raises(Forbidden):
        await _review(check, media)
    with pytest.raises(Forbidden):
        await _review(check, media, who="officer1")
    assert (await PostLoanCheck.get(id=check.id)).status == CheckStatus.SUBMITTED

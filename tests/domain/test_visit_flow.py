import pytest

from app.domain import visit as flow
from app.domain.errors import Conflict, DomainError, Forbidden, ValidationError

AUTH = flow.Authority(officer_fen=10_000_000, approver_fen=30_000_000, branch_manager_fen=50_000_000)
BORROWER_DONE = [flow.LOCATION, flow.BORROWER_ID, flow.BORROWER_IDENTITY, flow.BORROWER_FACE]


def test_resume_at_the_first_step_not_done_or_skipped():
    assert flow.resume_step([]) == flow.LOCATION
    assert flow.resume_step([flow.LOCATION]) == flow.BORROWER_ID
    assert flow.resume_step(BORROWER_DONE) == flow.CO_ID
    assert flow.resume_step(BORROWER_DONE, flow.CO_BORROWER_STEPS) == flow.PHOTOS
    assert flow.resume_step(flow.STEPS) == flow.DONE
    with pytest.raises(ValueError):
        flow.resume_step(["nap"])


def test_step_board_marks_every_step():
    board = flow.step_board(BORROWER_DONE, flow.CO_BORROWER_STEPS)
    states = {s.step: s.state for s in board}
    assert [s.step for s in board] == list(flow.STEPS)
    assert states[flow.BORROWER_FACE] == "done" and states[flow.CO_ID] == "skipped" and states[flow.PHOTOS] == "current"
    assert states[flow.SIGNING] == "todo"
    assert board[0].label == "到达定位"


def test_a_step_opens_only_after_the_ones_before_it():
    flow.check_step_open(flow.BORROWER_ID, status="in_progress", done=[flow.LOCATION])
    with pytest.raises(Conflict) as early:
        flow.check_step_open(flow.PHOTOS, status="in_progress", done=BORROWER_DONE)
    assert early.value.code == "STEP_NOT_READY" and "共同借款人身份证" in early.value.message
    flow.check_step_open(flow.PHOTOS, status="in_progress", done=BORROWER_DONE, skipped=flow.CO_BORROWER_STEPS)
    with pytest.raises(Conflict) as done:
        flow.check_step_open(flow.BORROWER_ID, status="in_progress", done=BORROWER_DONE)
    assert done.value.code == "STEP_DONE"


def test_status_gates_the_steps():
    everything_but_signing = [s for s in flow.STEPS if s != flow.SIGNING]
    before_decision = [s for s in flow.STEPS if s not in (flow.DECISION, flow.SIGNING)]
    flow.check_step_open(flow.SIGNING, status="granted", done=everything_but_signing)
    with pytest.raises(Conflict) as waiting:
        flow.check_step_open(flow.DECISION, status="awaiting_approval", done=before_decision)
    assert waiting.value.code == "AWAITING_APPROVAL"
    with pytest.raises(Conflict) as closed:
        flow.check_step_open(flow.SIGNING, status="signed", done=everything_but_signing)
    assert closed.value.code == "VISIT_CLOSED"
    with pytest.raises(Conflict) as wrong:
        flow.check_step_open(flow.SIGNING, status="in_progress", done=everything_but_signing)
    assert wrong.value.code == "WRONG_STATUS"


def test_signing_stage_follows_the_contract():
    assert flow.signing_stage(None, has_co_borrower=True) == "create"
    assert flow.signing_stage("draft", has_co_borrower=True) == "render"
    assert flow.signing_stage("rendered", has_co_borrower=False) == "borrower"
    assert flow.signing_stage("borrower_signed", has_co_borrower=True) == "co_borrower"
    assert flow.signing_stage("borrower_signed", has_co_borrower=False) == "seal"
    assert flow.signing_stage("co_borrower_signed", has_co_borrower=True) == "seal"
    assert flow.signing_stage("sealed", has_co_borrower=True) == "sealed"


def test_authority_by_role_and_amount():
    assert AUTH.within("officer", 10_000_000) and not AUTH.within("officer", 10_000_001)
    assert AUTH.within("approver", 30_000_000) and not AUTH.within("approver", 30_000_001)
    assert AUTH.within("branch_manager", 50_000_000)
    assert not AUTH.within("admin", 1) and not AUTH.within(None, 1) and not AUTH.within("officer", 0)
    with pytest.raises(ValueError):
        flow.Authority(officer_fen=-1, approver_fen=0, branch_manager_fen=0)


def test_proposed_amount_is_the_pre_credit_capped_by_the_product():
    assert flow.proposed_amount(pre_credit_fen=8_000_000, product_max_fen=30_000_000) == 8_000_000
    assert flow.proposed_amount(pre_credit_fen=40_000_000, product_max_fen=30_000_000) == 30_000_000
    assert flow.proposed_amount(pre_credit_fen=8_000_000, product_max_fen=30_000_000, requested_fen=5_000_000) == 5_000_000
    assert flow.proposed_amount(pre_credit_fen=8_000_000, product_max_fen=30_000_000, strategy_limit_fen=6_000_000) == 6_000_000
    with pytest.raises(ValidationError):  # the strategy's limit caps what may be asked
        flow.proposed_amount(pre_credit_fen=8_000_000, product_max_fen=30_000_000, strategy_limit_fen=6_000_000, requested_fen=6_000_001)
    with pytest.raises(DomainError) as zero:
        flow.proposed_amount(pre_credit_fen=8_000_000, product_max_fen=30_000_000, strategy_limit_fen=0)
    assert zero.value.code == "NO_STRATEGY_LIMIT"
    with pytest.raises(ValidationError) as above:
        flow.proposed_amount(pre_credit_fen=8_000_000, product_max_fen=30_000_000, requested_fen=8_000_001)
    assert above.value.code == "ABOVE_PRE_CREDIT" and "¥80,000.00" in above.value.message
    with pytest.raises(DomainError) as none:
        flow.proposed_amount(pre_credit_fen=None, product_max_fen=30_000_000)
    assert none.value.code == "NO_PRE_CREDIT"
    with pytest.raises(DomainError):
        flow.proposed_amount(pre_credit_fen=0, product_max_fen=30_000_000)


def test_route_grants_within_authority_on_a_pass_only():
    assert flow.route_decision(role="officer", amount_fen=10_000_000, risk_outcome="pass", authority=AUTH) == "grant"
    assert flow.route_decision(role="officer", amount_fen=10_000_001, risk_outcome="pass", authority=AUTH) == "approval"
    assert flow.route_decision(role="officer", amount_fen=100, risk_outcome="review", authority=AUTH) == "approval"
    assert flow.route_decision(role="branch_manager", amount_fen=40_000_000, risk_outcome="pass", authority=AUTH) == "grant"
    with pytest.raises(DomainError):
        flow.route_decision(role="officer", amount_fen=100, risk_outcome="reject", authority=AUTH)


def test_approval_authority():
    flow.check_approval_authority(role="approver", amount_fen=30_000_000, authority=AUTH)
    with pytest.raises(Forbidden) as above:
        flow.check_approval_authority(role="approver", amount_fen=30_000_001, authority=AUTH)
    assert above.value.code == "ABOVE_AUTHORITY" and "审批人最高 ¥300,000.00" in above.value.message
    with pytest.raises(Forbidden) as officer:
        flow.check_approval_authority(role="officer", amount_fen=100, authority=AUTH)
    assert officer.value.code == "FORBIDDEN"


def test_photo_categories():
    assert flow.photo_category("house") == ("房屋", "asset_photo")
    assert flow.photo_category("household_register") == ("户口簿", "other")
    with pytest.raises(ValidationError):
        flow.photo_category("selfie")

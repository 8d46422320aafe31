"""Which policy action each unsafe PAD route performs (the policy itself: app/domain/permissions.py).

Every route that accepts a method other than GET is listed here by its name in ui/routes.py;
the login guards refuse a non-GET request whose role lacks the action with a 403 page, before
the handler runs. The services check the same policy again (with scope) whatever the door.
A route missing from this table is refused (and tests/contract/test_permissions_matrix.py fails).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.domain.error_codes import CommonCode
from app.domain.permissions import Action
from app.services.actor import Actor
from app.services.permissions import may, refusal_for
from ui.common import forbidden_page

A = Action
POLICY_CODES = frozenset({CommonCode.FORBIDDEN, CommonCode.OWN_REQUEST})  # the codes of app.services.permissions.require

ROUTE_ACTIONS: dict[str, Action] = {
    # sessions
    "login": A.SESSION_SIGN_IN,
    "logout": A.SESSION_SIGN_OUT,
    "face_login": A.FACE_LOGIN,
    "face_login_frames": A.FACE_LOGIN,
    "face_enrol": A.FACE_LOGIN,
    "face_job_retry": A.FACE_LOGIN,  # 重试 of the login check or the enrolment
    "face_logout": A.SESSION_SIGN_OUT,
    # money
    "line_detail": A.LOAN_DISBURSE,
    "line_card_bind": A.CARD_BIND_COUNTER,
    "line_card_confirm": A.CARD_BIND_COUNTER,
    "loan_repay": A.LOAN_REPAY,
    "loan_write_off": A.LOAN_WRITE_OFF,
    "loan_reversal": A.LOAN_REVERSE,
    "loan_extension": A.LOAN_EXTEND,
    "loan_extension_decline": A.LOAN_EXTEND,
    "loan_extension_consent": A.LOAN_EXTEND,
    "loan_renewal_guarantee": A.LOAN_RENEW,
    "loan_renewal": A.LOAN_RENEW,
    "loan_recover": A.LOAN_RECOVER,
    "check_approve": A.COMMAND_CHECK,
    "check_reject": A.COMMAND_CHECK,
    "loan_prepay": A.LOAN_PREPAY,
    # census
    "household_create": A.CENSUS_MANAGE,
    "household_detail": A.CENSUS_MANAGE,
    "member_create": A.CENSUS_MANAGE,
    "member_edit": A.CENSUS_MANAGE,
    "census_import": A.CENSUS_MANAGE,
    "census_import_confirm": A.CENSUS_MANAGE,
    "census_import_discard": A.CENSUS_MANAGE,
    # 联保
    "guarantee_group_new": A.GUARANTEE_FORM,
    "guarantee_group_dissolve": A.GUARANTEE_RELEASE,
    "guarantee_member_release": A.GUARANTEE_RELEASE,
    # appraisal
    "appraisal_create": A.APPRAISAL_MANAGE,
    "panel_add": A.APPRAISAL_MANAGE,
    "panel_remove": A.APPRAISAL_MANAGE,
    "panel_relink": A.APPRAISAL_MANAGE,
    "appraisal_open": A.APPRAISAL_MANAGE,
    "appraisal_close_round": A.APPRAISAL_MANAGE,
    "review_accept_all": A.APPRAISAL_MANAGE,
    "review_submit": A.APPRAISAL_MANAGE,
    "review_household_page": A.APPRAISAL_MANAGE,
    "appraisal_publish": A.APPRAISAL_MANAGE,
    "objection_create": A.APPRAISAL_MANAGE,
    "appraisal_close": A.APPRAISAL_MANAGE,
    "vote_officer": A.APPRAISAL_VOTE,
    "vote_link": A.APPRAISAL_VOTE,
    "approval_page": A.APPRAISAL_APPROVE,
    "approval_send_back": A.APPRAISAL_APPROVE,
    "objection_resolve": A.APPRAISAL_APPROVE,
    # identity checks and visits
    "idcard_new": A.VISIT_CONDUCT,
    "idcard_confirm": A.VISIT_CONDUCT,
    "job_retry": A.VISIT_CONDUCT,  # 重试 of OCR, a customer face match, a contract PDF (ui/jobs.py)
    "customer_face": A.VISIT_CONDUCT,
    "visit_start": A.VISIT_CONDUCT,
    "visit_track": A.VISIT_CONDUCT,
    "visit_abandon": A.VISIT_CONDUCT,
    "visit_idcard": A.VISIT_CONDUCT,
    "visit_idcard_confirm": A.VISIT_CONDUCT,
    "visit_identity": A.VISIT_CONDUCT,
    "visit_face": A.VISIT_CONDUCT,
    "visit_face_done": A.VISIT_CONDUCT,
    "visit_co_skip": A.VISIT_CONDUCT,
    "visit_photo": A.VISIT_CONDUCT,
    "visit_photos_done": A.VISIT_CONDUCT,
    "visit_authorisation": A.VISIT_CONDUCT,
    "visit_credit_check": A.VISIT_CONDUCT,
    "customer_external_consent": A.VISIT_CONDUCT,  # the customer signs on the officer's PAD, as at a visit
    "customer_external_query": A.VISIT_CONDUCT,
    "visit_contract": A.VISIT_CONDUCT,
    "visit_sign": A.VISIT_CONDUCT,
    "visit_seal": A.VISIT_CONDUCT,
    "visit_decision": A.LINE_GRANT,
    "visit_approval_page": A.LINE_APPROVE,
    "credit_approval_page": A.LINE_APPROVE,
    # risk and after the loan
    "warning_handle": A.WARNING_HANDLE,
    "task_action": A.COLLECTION_RECORD,
    "list_page": A.LIST_MANAGE,
    "list_remove": A.LIST_MANAGE,
    "ruleset_page": A.RULESET_UPLOAD,
    "postloan_check": A.POSTLOAN_CHECK,
    "postloan_photo": A.POSTLOAN_CHECK,
    "postloan_review": A.POSTLOAN_REVIEW,
    # administering the system
    "dead_letter_resend": A.OUTBOX_RESEND,
    "bank_list": A.BANK_MANAGE,  # the platform: add a member bank
    "portfolio_import": A.PORTFOLIO_IMPORT,  # upload and preview a file of the old system's records
    "portfolio_import_confirm": A.PORTFOLIO_IMPORT,
}


def refuse_unless_allowed(request: Request, actor: Actor | None) -> Response | None:
    """A 403 page when this non-GET request performs an action the actor's role may not; None otherwise.

    Anything but GET is checked (HEAD reaches the handlers as GET; any other method fails closed).
    """
    if request.method != "GET":
        route = request.scope.get("route")
        action = ROUTE_ACTIONS.get(getattr(route, "name", None) or "")
        if action is None:
            return forbidden_page(request, "该操作尚未配置权限，已拒绝")
        if not may(actor, action):
            return forbidden_page(request, refusal_for(actor, action))
    return None

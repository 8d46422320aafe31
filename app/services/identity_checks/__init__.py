"""Identity checks on the PAD: ID-card OCR, face match, liveness, face enrolment and face login.

The web process stores uploads, creates rows and enqueues ML jobs (after commit) by name; the
ML worker (workers/ml.py) claims the rows and writes results through the functions here.
"""

from app.services.identity_checks.common import (
    FRAMES_CONTENT_TYPE,
    IdentityCheckError,
    check_upload,
    pack_frames,
    sniff_content_type,
    unpack_frames,
)
from app.services.identity_checks.faces import (
    own_officer,
    RecordedFaceChecks,
    claim_enrolment,
    claim_face_verification,
    enrol_officer_face,
    enrolled_embeddings,
    fail_enrolment,
    fail_face_verification,
    get_enrolment,
    get_face_verification,
    record_enrolment,
    record_face_result,
    reset_officer_face,
    start_face_verification,
    start_login_face_match,
)
from app.services.identity_checks.idcard import (
    ConfirmationError,
    claim_id_card_read,
    confirm_id_card,
    fail_id_card_read,
    get_id_card_read,
    keys_for,
    latest_portrait_read,
    record_id_card_result,
    start_id_card_read,
)
from app.services.identity_checks.liveness import (
    FaceLoginState,
    challenge_of,
    claim_liveness,
    face_login_state,
    get_liveness,
    record_liveness_result,
    start_liveness,
    submit_face_login,
    submit_liveness_frames,
)

__all__ = [
    "FRAMES_CONTENT_TYPE", "ConfirmationError", "FaceLoginState", "IdentityCheckError", "RecordedFaceChecks",
    "challenge_of", "check_upload", "claim_enrolment", "claim_face_verification", "claim_id_card_read", "claim_liveness",
    "confirm_id_card", "enrol_officer_face", "enrolled_embeddings", "face_login_state", "fail_enrolment",
    "fail_face_verification", "fail_id_card_read", "get_enrolment", "get_face_verification", "get_id_card_read",
    "get_liveness", "keys_for", "own_officer", "latest_portrait_read", "pack_frames", "record_enrolment", "record_face_result",
    "record_id_card_result", "record_liveness_result", "reset_officer_face", "sniff_content_type",
    "start_face_verification", "start_id_card_read", "start_login_face_match", "start_liveness", "submit_face_login", "submit_liveness_frames",
    "unpack_frames",
]

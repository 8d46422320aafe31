"""The visit (走访/面签) on the PAD: one guided flow per borrower, each step saved as it completes.

start → borrower's ID card (OCR, confirmed) → identity check → live face match → the same for the
co-borrower (the spouse; skipped when the household has none) → photos → authorisation (signature
+ face check) → credit check → decision (granted within the officer's authority, else an
approver's queue) → signing (render, borrower, co-borrower, bank seal). The order and the
authority rule live in app.domain.visit; one module per concern here.
"""

from app.services.visits.authorisation import sign_authorisation
from app.services.visits.common import VisitPolicy, authority_for, visible_visit, visit_query
from app.services.visits.decision import (
    Offer,
    approval_queue,
    approve_visit,
    decide,
    decline_visit,
    latest_strategy,
    offer_for,
    run_credit_check,
)
from app.services.visits.people import (
    capture_id_card,
    check_person_identity,
    complete_face_match,
    confirm_id_card_side,
    current_face_id,
    face_check_of,
    skip_co_borrower,
    start_face_check,
)
from app.services.visits.photos import add_photo, finish_photos
from app.services.visits.signing import prepare_contract, seal_at_visit, sign_at_visit, stage_of, visit_contract
from app.services.visits.start import PointIn, abandon_visit, line_refusal, member_lines, open_visit_of, record_track_points, start_visit

__all__ = [
    "authority_for",
    "Offer", "PointIn", "VisitPolicy", "abandon_visit", "add_photo", "approval_queue", "approve_visit", "capture_id_card",
    "check_person_identity", "complete_face_match", "confirm_id_card_side", "current_face_id", "decide",
    "decline_visit", "latest_strategy", "face_check_of", "finish_photos", "line_refusal", "member_lines", "offer_for", "open_visit_of",
    "prepare_contract", "record_track_points", "run_credit_check", "seal_at_visit", "sign_at_visit",
    "sign_authorisation", "skip_co_borrower", "stage_of", "start_face_check", "start_visit", "visible_visit", "visit_contract",
    "visit_query",
]

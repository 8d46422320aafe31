"""Error codes, one enumeration per area: the single source of every `DomainError.code`.

Services and domain functions raise `DomainError(message, code=LendingCode.LINE_EXPIRED)`;
the GraphQL layer builds its error-code enums from these classes (`app/api/errors.py`), so a
code a service can raise always has a name in the API. Each member's value is its name: the
value is what reaches the wire (GraphQL enum names, the PAD's error markup) and is never
changed once published.

A code belongs to exactly one area (`tests/domain/test_error_codes.py` checks it). A code
that several areas raise lives in `CommonCode`; an area that needs another area's code uses
that member (`LendingCode.LOAN_CLOSED` in classification) instead of declaring it again.
"""

from __future__ import annotations

from enum import StrEnum


class CommonCode(StrEnum):
    """Codes every area may raise."""

    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    OWN_REQUEST = "OWN_REQUEST"  # the four-eyes rule: a checker may not approve their own request
    CONFLICT = "CONFLICT"
    DUPLICATE = "DUPLICATE"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_DATE = "INVALID_DATE"
    REASON_REQUIRED = "REASON_REQUIRED"
    WRONG_STATUS = "WRONG_STATUS"
    TOO_LARGE = "TOO_LARGE"
    ALREADY_DONE = "ALREADY_DONE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


class LendingCode(StrEnum):
    """Credit lines, schedules, LPR pricing, drawdown, repayment, the borrower's application."""

    INVALID_RATE = "INVALID_RATE"
    INVALID_TERM = "INVALID_TERM"
    INVALID_METHOD = "INVALID_METHOD"
    INVALID_MODE = "INVALID_MODE"
    NO_LPR = "NO_LPR"
    LINE_NOT_ACTIVE = "LINE_NOT_ACTIVE"
    LINE_EXPIRED = "LINE_EXPIRED"
    AMOUNT_ABOVE_AVAILABLE = "AMOUNT_ABOVE_AVAILABLE"
    AMOUNT_TOO_LARGE = "AMOUNT_TOO_LARGE"
    NO_CARD = "NO_CARD"
    NOTHING_DUE = "NOTHING_DUE"
    NOTHING_OUTSTANDING = "NOTHING_OUTSTANDING"
    OVERDUE_FIRST = "OVERDUE_FIRST"
    DUE_TODAY = "DUE_TODAY"  # published in the API; no service raises it today
    LOAN_CLOSED = "LOAN_CLOSED"
    DISBURSEMENT_FAILED = "DISBURSEMENT_FAILED"
    DEBIT_FAILED = "DEBIT_FAILED"
    DEBIT_PENDING = "DEBIT_PENDING"
    DEBIT_IN_FLIGHT = "DEBIT_IN_FLIGHT"
    CORE_UNAVAILABLE = "CORE_UNAVAILABLE"
    APPLICATION_CLOSED = "APPLICATION_CLOSED"
    LINE_EXISTS = "LINE_EXISTS"  # a live line on the same product: one line per person and product
    EXPOSURE_CAP = "EXPOSURE_CAP"  # the person's live lines would exceed the exposure cap


class ClassificationCode(StrEnum):
    """Five-tier classification: floors and upgrade decisions."""

    INVALID_CLASS = "INVALID_CLASS"
    ALREADY_DECIDED = "ALREADY_DECIDED"
    ARREARS = "ARREARS"


class CreditCheckCode(StrEnum):
    """Credit checks at the bureau, the identity check, risk and strategy decisions."""

    NO_AUTHORISATION = "NO_AUTHORISATION"
    BLACK_LIST = "BLACK_LIST"
    BUREAU_TIMEOUT = "BUREAU_TIMEOUT"
    BUREAU_FAILED = "BUREAU_FAILED"
    BUREAU_SUBJECT_MISMATCH = "BUREAU_SUBJECT_MISMATCH"
    IDENTITY_CHECK_TIMEOUT = "IDENTITY_CHECK_TIMEOUT"
    IDENTITY_CHECK_FAILED = "IDENTITY_CHECK_FAILED"
    RISK_REJECTED = "RISK_REJECTED"
    NO_RISK_DECISION = "NO_RISK_DECISION"
    REFERRED = "REFERRED"
    STRATEGY_REJECTED = "STRATEGY_REJECTED"


class CreditReportCode(StrEnum):
    """A credit report (interchange format 1.0) that cannot be read."""

    BAD_CREDIT_REPORT = "BAD_CREDIT_REPORT"
    MALFORMED = "MALFORMED"
    DTD_FORBIDDEN = "DTD_FORBIDDEN"
    ENTITIES_FORBIDDEN = "ENTITIES_FORBIDDEN"
    PI_FORBIDDEN = "PI_FORBIDDEN"
    TOO_DEEP = "TOO_DEEP"
    BAD_ENCODING = "BAD_ENCODING"
    WRONG_ROOT = "WRONG_ROOT"
    UNSUPPORTED_VERSION = "UNSUPPORTED_VERSION"
    MISSING_ELEMENT = "MISSING_ELEMENT"
    MISSING_ATTRIBUTE = "MISSING_ATTRIBUTE"
    BAD_VALUE = "BAD_VALUE"
    BAD_DATE = "BAD_DATE"
    BAD_MONEY = "BAD_MONEY"
    BAD_NUMBER = "BAD_NUMBER"
    BAD_ID_NUMBER = "BAD_ID_NUMBER"
    BAD_STATUS_STRING = "BAD_STATUS_STRING"
    DUPLICATE_ACCOUNT = "DUPLICATE_ACCOUNT"
    UNKNOWN_PROFILE = "UNKNOWN_PROFILE"


class RiskCode(StrEnum):
    """Rule sets, black and grey lists, early warnings, collection tasks."""

    BAD_RULESET = "BAD_RULESET"
    DUPLICATE_VERSION = "DUPLICATE_VERSION"
    WARNING_CLOSED = "WARNING_CLOSED"
    TASK_CLOSED = "TASK_CLOSED"


class AuthCode(StrEnum):
    """Officers' and borrowers' sign-in, tokens, report keys."""

    BAD_CREDENTIALS = "BAD_CREDENTIALS"
    THROTTLED = "THROTTLED"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_DEVICE = "INVALID_DEVICE"
    PHONE_AMBIGUOUS = "PHONE_AMBIGUOUS"
    INVALID_TOKEN = "INVALID_TOKEN"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_REUSED = "TOKEN_REUSED"
    ALREADY_REVOKED = "ALREADY_REVOKED"


class SmsCode(StrEnum):
    """One-time codes sent by SMS (sign-in, card binding, loan confirmation)."""

    RATE_LIMITED = "RATE_LIMITED"
    SMS_UNAVAILABLE = "SMS_UNAVAILABLE"
    BAD_CODE = "BAD_CODE"
    CODE_EXPIRED = "CODE_EXPIRED"
    CODE_LOCKED = "CODE_LOCKED"


class CustomerCode(StrEnum):
    """Customers' bank cards."""

    INVALID_CARD_NUMBER = "INVALID_CARD_NUMBER"
    CARD_CHECKSUM = "CARD_CHECKSUM"
    HOLDER_MISMATCH = "HOLDER_MISMATCH"
    CARD_BOUND_ELSEWHERE = "CARD_BOUND_ELSEWHERE"
    ALREADY_BOUND = "ALREADY_BOUND"
    CARD_IN_USE = "CARD_IN_USE"
    CARD_NOT_VERIFIED = "CARD_NOT_VERIFIED"
    CARD_NOT_ELIGIBLE = "CARD_NOT_ELIGIBLE"


class IdentityCode(StrEnum):
    """ID-card reads, face matches and enrolment, liveness, uploaded images."""

    EMPTY_IMAGE = "EMPTY_IMAGE"
    IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"
    UNSUPPORTED_IMAGE = "UNSUPPORTED_IMAGE"
    NOT_ID_CARD = "NOT_ID_CARD"
    BAD_SIDE = "BAD_SIDE"
    INVALID_FIELDS = "INVALID_FIELDS"
    NOT_READY = "NOT_READY"
    NOT_RETRYABLE = "NOT_RETRYABLE"
    ALREADY_CONFIRMED = "ALREADY_CONFIRMED"
    BAD_COUNT = "BAD_COUNT"
    BAD_EMBEDDING = "BAD_EMBEDDING"
    BAD_THRESHOLD = "BAD_THRESHOLD"
    CAPTURE_COUNT = "CAPTURE_COUNT"
    LIVE_FRAMES_ONLY = "LIVE_FRAMES_ONLY"
    NO_PORTRAIT = "NO_PORTRAIT"
    NOT_SAME_PERSON = "NOT_SAME_PERSON"
    NOT_ENROLLED = "NOT_ENROLLED"
    ALREADY_ENROLLED = "ALREADY_ENROLLED"
    ENROLMENT_RUNNING = "ENROLMENT_RUNNING"
    BAD_CHALLENGE = "BAD_CHALLENGE"
    BAD_NONCE = "BAD_NONCE"
    EXPIRED = "EXPIRED"
    NO_FRAMES = "NO_FRAMES"
    TOO_MANY_FRAMES = "TOO_MANY_FRAMES"
    ALREADY_SUBMITTED = "ALREADY_SUBMITTED"


class VisitCode(StrEnum):
    """The PAD's guided visit: start, people, photos, decision, signing."""

    VISIT_CLOSED = "VISIT_CLOSED"
    VISIT_TAKEN = "VISIT_TAKEN"
    STEP_DONE = "STEP_DONE"
    STEP_NOT_READY = "STEP_NOT_READY"
    LOCATION_REQUIRED = "LOCATION_REQUIRED"
    INVALID_LOCATION = "INVALID_LOCATION"
    TOO_MANY_POINTS = "TOO_MANY_POINTS"
    INVALID_RANGE = "INVALID_RANGE"
    NO_CUSTOMER = "NO_CUSTOMER"
    NO_READ = "NO_READ"
    BAD_PERSON = "BAD_PERSON"
    BAD_STAGE = "BAD_STAGE"
    SIDE_CONFIRMED = "SIDE_CONFIRMED"
    NO_CO_BORROWER = "NO_CO_BORROWER"
    CO_BORROWER_STARTED = "CO_BORROWER_STARTED"
    FACE_CHECK_REQUIRED = "FACE_CHECK_REQUIRED"
    FACE_CHECK_FAILED = "FACE_CHECK_FAILED"
    NOT_AN_IMAGE = "NOT_AN_IMAGE"
    NO_PHOTOS = "NO_PHOTOS"
    TOO_MANY_PHOTOS = "TOO_MANY_PHOTOS"
    BAD_CATEGORY = "BAD_CATEGORY"
    NO_PRE_CREDIT = "NO_PRE_CREDIT"
    NO_STRATEGY_LIMIT = "NO_STRATEGY_LIMIT"
    ABOVE_PRE_CREDIT = "ABOVE_PRE_CREDIT"
    ABOVE_STRATEGY_LIMIT = "ABOVE_STRATEGY_LIMIT"
    ABOVE_PROPOSED = "ABOVE_PROPOSED"
    ABOVE_AUTHORITY = "ABOVE_AUTHORITY"
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    NOT_AWAITING_APPROVAL = "NOT_AWAITING_APPROVAL"
    NOTHING_TO_GRANT = "NOTHING_TO_GRANT"
    NO_CONTRACT = "NO_CONTRACT"
    WRONG_STATE = "WRONG_STATE"


class ContractCode(StrEnum):
    """Loan contracts: rendering, signatures, seals, the archive."""

    CONTRACT_EXISTS = "CONTRACT_EXISTS"
    CONTRACT_CHANGED = "CONTRACT_CHANGED"
    RENDER_PENDING = "RENDER_PENDING"
    INVALID_CO_BORROWER = "INVALID_CO_BORROWER"
    FACE_CHECK_USED = "FACE_CHECK_USED"
    SIGNATURE_IMAGE_REQUIRED = "SIGNATURE_IMAGE_REQUIRED"
    BAD_SIGNATURE_IMAGE = "BAD_SIGNATURE_IMAGE"
    BLANK_SIGNATURE = "BLANK_SIGNATURE"
    ARCHIVE_DAMAGED = "ARCHIVE_DAMAGED"
    SEAL_UNAVAILABLE = "SEAL_UNAVAILABLE"  # the bank's own seal certificate or key cannot be used


class CensusCode(StrEnum):
    """The census file import: households and members."""

    INVALID_FILE = "INVALID_FILE"
    BAD_FORMAT = "BAD_FORMAT"
    BAD_HEADER = "BAD_HEADER"
    EMPTY_FILE = "EMPTY_FILE"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
    INVALID_MEMBER = "INVALID_MEMBER"
    DUPLICATE_HOUSEHOLD = "DUPLICATE_HOUSEHOLD"
    DUPLICATE_ID_NUMBER = "DUPLICATE_ID_NUMBER"
    HAS_ERRORS = "HAS_ERRORS"
    STALE_PREVIEW = "STALE_PREVIEW"
    NO_VILLAGE = "NO_VILLAGE"


class AppraisalCode(StrEnum):
    """Village appraisal: rules, panel, voting, review, objections, approval."""

    INVALID_RULES = "INVALID_RULES"
    INVALID_FACTS = "INVALID_FACTS"
    APPRAISAL_IN_PROGRESS = "APPRAISAL_IN_PROGRESS"
    NO_HOUSEHOLDS = "NO_HOUSEHOLDS"
    DUPLICATE_MEMBER = "DUPLICATE_MEMBER"
    PANEL_FULL = "PANEL_FULL"
    PANEL_TOO_SMALL = "PANEL_TOO_SMALL"
    ROUND_NOT_OPEN = "ROUND_NOT_OPEN"
    ROUND_CLOSED = "ROUND_CLOSED"
    NOT_ON_PANEL = "NOT_ON_PANEL"
    INVALID_VOTE = "INVALID_VOTE"
    DUPLICATE_VOTE = "DUPLICATE_VOTE"
    NO_VOTES = "NO_VOTES"
    INVALID_REVIEW = "INVALID_REVIEW"
    REVIEW_INCOMPLETE = "REVIEW_INCOMPLETE"
    EXCLUDED = "EXCLUDED"
    INVALID_OBJECTION = "INVALID_OBJECTION"
    OPEN_OBJECTIONS = "OPEN_OBJECTIONS"
    WINDOW_OPEN = "WINDOW_OPEN"
    WINDOW_CLOSED = "WINDOW_CLOSED"
    NOT_APPROVED = "NOT_APPROVED"


class OperationsCode(StrEnum):
    """The day's close and the outbox."""

    NOT_CLOSED = "NOT_CLOSED"
    NO_CLOSED_DAY = "NO_CLOSED_DAY"
    NOT_DEAD = "NOT_DEAD"


AREAS: tuple[type[StrEnum], ...] = (
    CommonCode, LendingCode, ClassificationCode, CreditCheckCode, CreditReportCode, RiskCode, AuthCode, SmsCode,
    CustomerCode, IdentityCode, VisitCode, ContractCode, CensusCode, AppraisalCode, OperationsCode,
)

ALL_CODES: dict[str, StrEnum] = {member.value: member for area in AREAS for member in area}

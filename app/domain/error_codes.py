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
    LOAN_MATURED = "LOAN_MATURED"  # 展期 is applied for before maturity
    ALREADY_EXTENDED = "ALREADY_EXTENDED"  # extended as many times as the policy allows
    EXTENSION_PENDING = "EXTENSION_PENDING"  # an application for 展期 already waits for the officer


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


class MakerCheckerCode(StrEnum):
    """Maker-checker (双人复核): pending commands and their checks."""

    UNKNOWN_KIND = "UNKNOWN_KIND"  # an operation kind nobody registered
    COMMAND_DECIDED = "COMMAND_DECIDED"  # another checker (or an expiry) decided first
    REQUEST_EXPIRED = "REQUEST_EXPIRED"
    EFFECT_CHANGED = "EFFECT_CHANGED"  # the effect changed since the checker looked: look again
    EXECUTION_FAILED = "EXECUTION_FAILED"  # approved, but the operation could not run: nothing changed


class OnlineCreditCode(StrEnum):
    """Applications for an online credit line in the app (公积金贷, 保单贷, 国网贷; issue 20)."""

    NOT_ONLINE_PRODUCT = "NOT_ONLINE_PRODUCT"  # the product has no online strategy at this bank
    NO_SOURCE_CONSENT = "NO_SOURCE_CONSENT"  # no consent in force to query the product's data source
    OUTSIDE_REGION = "OUTSIDE_REGION"  # the borrower does not live in the bank's region
    NOT_OFFERED = "NOT_OFFERED"  # accept/sign on an application that holds no open offer
    NOT_REFUSED = "NOT_REFUSED"  # a review asked for on an application that was not refused
    NOT_REFERRED = "NOT_REFERRED"  # an approver's decision on an application that is not (or no longer) referred
    OFFER_EXPIRED = "OFFER_EXPIRED"  # accept/sign on an offer older than CUNXIN_ONLINE_OFFER_VALID_DAYS: apply again


AREAS: tuple[type[StrEnum], ...] = (
    CommonCode, LendingCode, ClassificationCode, CreditCheckCode, CreditReportCode, RiskCode, AuthCode, SmsCode,
    CustomerCode, IdentityCode, VisitCode, ContractCode, CensusCode, AppraisalCode, OperationsCode, MakerCheckerCode,
    OnlineCreditCode,
)

ALL_CODES: dict[str, StrEnum] = {member.value: member for area in AREAS for member in area}


# --- what each code means, in the words an app developer reads in the schema ------------------
# The GraphQL error-code enums take their value descriptions from here (app/api/errors.py:error_enum):
# one home for the meaning, beside the code. The areas the API publishes are all described (the schema
# lint, tests/contract/test_schema_lint.py, fails on a published code without one); the PAD-only areas
# show the message the service wrote.
MEANINGS: dict[StrEnum, str] = {
    CommonCode.INVALID: "输入不合法（见 field 与 message）",
    CommonCode.NOT_FOUND: "对象不存在，或不在当前用户可见范围内（两者不作区分）",
    CommonCode.FORBIDDEN: "当前用户无权执行此操作",
    CommonCode.OWN_REQUEST: "双人复核：不能审批自己提交的申请",
    CommonCode.CONFLICT: "与对象当前状态冲突（已被他人修改或并发操作），请刷新后重试",
    CommonCode.DUPLICATE: "重复：同一对象已存在",
    CommonCode.INVALID_AMOUNT: "金额不合法：须为正数、最多两位小数（单位：元）",
    CommonCode.INVALID_DATE: "日期不合法（业务日期，Asia/Shanghai）",
    CommonCode.REASON_REQUIRED: "须填写原因",
    CommonCode.WRONG_STATUS: "对象当前状态不允许此操作",
    CommonCode.TOO_LARGE: "内容超过大小上限",
    CommonCode.ALREADY_DONE: "已处理过，不能再次处理",
    CommonCode.IDEMPOTENCY_KEY_REUSED: "幂等键已用于另一笔内容不同的请求",
    ContractCode.SEAL_UNAVAILABLE: "成员行的电子印章证书或私钥无法使用，合同未签署、未盖章（请平台管理员检查本行印章配置）",
    LendingCode.INVALID_RATE: "利率不合法",
    LendingCode.INVALID_TERM: "期限不合法（超出产品允许的期数）",
    LendingCode.INVALID_METHOD: "产品不支持该还款方式",
    LendingCode.INVALID_MODE: "不支持的提前还款方式",
    LendingCode.NO_LPR: "该日期没有可用的 LPR 报价，无法定价",
    LendingCode.LINE_NOT_ACTIVE: "授信额度不是有效状态（已冻结、到期或关闭）",
    LendingCode.LINE_EXPIRED: "授信额度已到期",
    LendingCode.AMOUNT_ABOVE_AVAILABLE: "金额超过授信可用额度",
    LendingCode.AMOUNT_TOO_LARGE: "还款金额超过当前应还金额",
    LendingCode.NO_CARD: "没有可用的银行卡（放款或扣款）",
    LendingCode.NOTHING_DUE: "当前没有到期应还的款项（提前还款请用提前还款）",
    LendingCode.NOTHING_OUTSTANDING: "借款已无未还本金",
    LendingCode.OVERDUE_FIRST: "须先还清到期及逾期款项，才能提前还款",
    LendingCode.DUE_TODAY: "今日有到期款项，须先按期还款（已公布，目前没有服务返回此代码）",
    LendingCode.LOAN_CLOSED: "借款已结清或已关闭",
    LendingCode.DISBURSEMENT_FAILED: "核心系统放款失败，未放款",
    LendingCode.DEBIT_FAILED: "核心系统扣款失败，未扣款",
    LendingCode.DEBIT_PENDING: "扣款处理中：核心系统暂未返回结果，请勿重复还款",
    LendingCode.DEBIT_IN_FLIGHT: "该借款已有一笔扣款正在处理，请稍后再试",
    LendingCode.CORE_UNAVAILABLE: "核心系统暂不可用，本次操作未执行，可稍后重试",
    LendingCode.APPLICATION_CLOSED: "借款申请已结束（已放款、被拒或已失效），不能再确认",
    LendingCode.LINE_EXISTS: "同一产品已有有效授信：每人每个产品只有一笔授信",
    LendingCode.EXPOSURE_CAP: "本人各笔有效授信合计将超过授信集中度上限",
    LendingCode.LOAN_MATURED: "借款已到期，不能再申请展期（展期须在到期日前申请）",
    LendingCode.ALREADY_EXTENDED: "该借款已展期，展期次数已达上限",
    LendingCode.EXTENSION_PENDING: "该借款已有一笔展期申请在办理中",
    ClassificationCode.INVALID_CLASS: "五级分类不合法（例如低于分类下限）",
    ClassificationCode.ALREADY_DECIDED: "该上调建议已作出决定",
    ClassificationCode.ARREARS: "借款人仍有逾期欠款，不能上调分类",
    CreditCheckCode.NO_AUTHORISATION: "客户没有有效的征信查询授权",
    CreditCheckCode.BLACK_LIST: "客户在黑名单上",
    CreditCheckCode.BUREAU_TIMEOUT: "征信查询超时，可稍后重试",
    CreditCheckCode.BUREAU_FAILED: "征信查询失败",
    CreditCheckCode.BUREAU_SUBJECT_MISMATCH: "征信报告的被查询人与客户不一致",
    CreditCheckCode.IDENTITY_CHECK_TIMEOUT: "联网核查超时，可稍后重试",
    CreditCheckCode.IDENTITY_CHECK_FAILED: "联网核查未通过",
    CreditCheckCode.RISK_REJECTED: "征信拒绝规则命中，拒绝",
    CreditCheckCode.NO_RISK_DECISION: "客户尚未完成征信风险检查",
    CreditCheckCode.REFERRED: "转人工审查：规则要求人工判断，线上未作决定",
    CreditCheckCode.STRATEGY_REJECTED: "准入、反欺诈或额度策略拒绝",
    CreditReportCode.BAD_CREDIT_REPORT: "征信报告无法读取",
    CreditReportCode.MALFORMED: "征信报告不是合法的 XML",
    CreditReportCode.DTD_FORBIDDEN: "征信报告含 DTD，出于安全拒绝解析",
    CreditReportCode.ENTITIES_FORBIDDEN: "征信报告含实体声明，出于安全拒绝解析",
    CreditReportCode.PI_FORBIDDEN: "征信报告含处理指令，出于安全拒绝解析",
    CreditReportCode.TOO_DEEP: "征信报告嵌套层级过深",
    CreditReportCode.BAD_ENCODING: "征信报告编码不是 UTF-8",
    CreditReportCode.WRONG_ROOT: "征信报告的根元素不对",
    CreditReportCode.UNSUPPORTED_VERSION: "不支持的征信报告格式版本",
    CreditReportCode.MISSING_ELEMENT: "征信报告缺少必需的元素",
    CreditReportCode.MISSING_ATTRIBUTE: "征信报告缺少必需的属性",
    CreditReportCode.BAD_VALUE: "征信报告中某个取值不合法",
    CreditReportCode.BAD_DATE: "征信报告中某个日期不合法",
    CreditReportCode.BAD_MONEY: "征信报告中某个金额不合法",
    CreditReportCode.BAD_NUMBER: "征信报告中某个数字不合法",
    CreditReportCode.BAD_ID_NUMBER: "征信报告中的身份证号不合法",
    CreditReportCode.BAD_STATUS_STRING: "征信报告中的还款状态串不合法",
    CreditReportCode.DUPLICATE_ACCOUNT: "征信报告中同一账户出现两次",
    CreditReportCode.UNKNOWN_PROFILE: "征信报告的格式档案未知",
    RiskCode.BAD_RULESET: "规则集不合法（见 field 指向的位置）",
    RiskCode.DUPLICATE_VERSION: "该规则集版本号已存在",
    RiskCode.WARNING_CLOSED: "预警已处理或已排除",
    RiskCode.TASK_CLOSED: "催收任务已结束",
    AuthCode.BAD_CREDENTIALS: "用户名或密码错误（不区分哪一项不对）",
    AuthCode.THROTTLED: "尝试过于频繁，请稍后再试",
    AuthCode.INVALID_PHONE: "手机号格式不对（须为 11 位手机号码）",
    AuthCode.INVALID_DEVICE: "设备标识无效",
    AuthCode.PHONE_AMBIGUOUS: "该手机号登记在多位客户名下，无法登录",
    AuthCode.INVALID_TOKEN: "登录凭证无效",
    AuthCode.TOKEN_EXPIRED: "登录凭证已过期，请重新登录",
    AuthCode.TOKEN_REUSED: "刷新凭证被重复使用，为保护账户已全部退出登录",
    AuthCode.ALREADY_REVOKED: "凭证已注销",
    SmsCode.RATE_LIMITED: "短信验证码发送过于频繁，请稍后再试",
    SmsCode.SMS_UNAVAILABLE: "短信服务暂不可用",
    SmsCode.BAD_CODE: "短信验证码错误",
    SmsCode.CODE_EXPIRED: "短信验证码已过期，请重新获取",
    SmsCode.CODE_LOCKED: "短信验证码错误次数过多，已失效，须重新发起",
    CustomerCode.INVALID_CARD_NUMBER: "银行卡号格式不对",
    CustomerCode.CARD_CHECKSUM: "银行卡号校验位不对",
    CustomerCode.HOLDER_MISMATCH: "银行卡户名与客户不一致",
    CustomerCode.CARD_BOUND_ELSEWHERE: "该卡已绑定在其他客户名下",
    CustomerCode.ALREADY_BOUND: "该卡已绑定",
    CustomerCode.CARD_IN_USE: "该卡是未结清借款的还款卡或默认卡，暂不能解绑",
    CustomerCode.CARD_NOT_VERIFIED: "该卡尚未完成短信验证",
    CustomerCode.CARD_NOT_ELIGIBLE: "放款账户须为本行（授信所在法人行）的银行卡",
    MakerCheckerCode.UNKNOWN_KIND: "该业务尚未接入双人复核",
    MakerCheckerCode.COMMAND_DECIDED: "该申请已由他人处理（通过、退回或过期）",
    MakerCheckerCode.REQUEST_EXPIRED: "该申请已过期，须由发起人重新提交",
    MakerCheckerCode.EFFECT_CHANGED: "发起后影响已变化，请重新查看后再审批",
    MakerCheckerCode.EXECUTION_FAILED: "复核通过但业务无法执行，未做任何变更，申请记为执行失败",
    ContractCode.CONTRACT_EXISTS: "该额度已有合同（共同借款人不一致）",
    ContractCode.CONTRACT_CHANGED: "合同已被另一操作更新（并发签署或盖章）：刷新后重试",
    ContractCode.RENDER_PENDING: "合同 PDF 仍在生成中：稍后重试",
    ContractCode.INVALID_CO_BORROWER: "共同借款人无效（不能是借款人本人）",
    ContractCode.FACE_CHECK_USED: "该人脸核验已用于其他签名：重新核验",
    ContractCode.SIGNATURE_IMAGE_REQUIRED: "缺少手写签名图片",
    ContractCode.BAD_SIGNATURE_IMAGE: "手写签名图片无法读取（须为 PNG）",
    ContractCode.BLANK_SIGNATURE: "手写签名为空白",
    ContractCode.ARCHIVE_DAMAGED: "合同文件缺失或与存档哈希不符：已停止签署，请联系开户行",
    VisitCode.WRONG_STATE: "合同当前状态不允许这一步（如有共同借款人的合同须在走访现场签署）",
    VisitCode.FACE_CHECK_REQUIRED: "签署前须完成人脸核验",
    VisitCode.FACE_CHECK_FAILED: "人脸核验未通过，不能签署",
    VisitCode.NO_CO_BORROWER: "本合同没有共同借款人",
    VisitCode.INVALID_LOCATION: "签署地点坐标无效",
    OnlineCreditCode.NOT_ONLINE_PRODUCT: "该成员行的这一产品不支持在线申请授信",
    OnlineCreditCode.NO_SOURCE_CONSENT: "缺少产品数据来源（公积金、保单、国网等）的有效查询授权：先签署 externalDataConsentSign，未向数据来源查询",
    OnlineCreditCode.OUTSIDE_REGION: "客户不在该行服务区域内，不能在线申请",
    OnlineCreditCode.NOT_OFFERED: "该申请没有待签署的授信额度（未通过、转人工或已签署以外的状态）",
    OnlineCreditCode.NOT_REFUSED: "只有自动审批未通过的申请可以申请人工复核",
    OnlineCreditCode.NOT_REFERRED: "该申请不在待审批人审查状态（已由他人处理，或未转人工）",
    OnlineCreditCode.OFFER_EXPIRED: "出具的额度已过签约有效期（CUNXIN_ONLINE_OFFER_VALID_DAYS）未签署，已失效：可重新申请",
}


def meaning(code: StrEnum) -> str | None:
    """What a code means (Simplified Chinese), or None for a PAD-only code the API does not publish."""
    return MEANINGS.get(code)


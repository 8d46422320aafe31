"""The visit (走访/面签) as a guided flow: its steps in order, where to resume, and credit authority (授信权限).

Pure rules, no I/O. The services keep which steps are done (and which were skipped) on the
visit row and ask here what comes next; a step can be worked on only when every step before it
is done or skipped, and a done step is final. Amounts are integer fen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from app.domain.error_codes import CommonCode, CreditCheckCode, VisitCode
from app.domain.errors import Conflict, DomainError, Forbidden, ValidationError
from app.domain.money import Money


class VisitStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    AWAITING_APPROVAL = "awaiting_approval"  # above the officer's authority (or a risk review): in an approver's queue
    GRANTED = "granted"  # the line exists; the contract is signed next
    DECLINED = "declined"  # by an approver, with a reason
    SIGNED = "signed"  # contract signed by the customers and sealed by the bank: finished
    ABANDONED = "abandoned"  # the officer stopped it (customer absent, refused, identity failed...)


STATUS_LABELS = {
    VisitStatus.IN_PROGRESS: "进行中",
    VisitStatus.AWAITING_APPROVAL: "待审批",
    VisitStatus.GRANTED: "已授信，待签约",
    VisitStatus.DECLINED: "审批未通过",
    VisitStatus.SIGNED: "已签约",
    VisitStatus.ABANDONED: "已终止",
}
CLOSED = frozenset({VisitStatus.DECLINED, VisitStatus.SIGNED, VisitStatus.ABANDONED})

# The steps, in order. "done" is not a step: it is where a finished flow resumes.
LOCATION = "location"
BORROWER_ID = "borrower_id"
BORROWER_IDENTITY = "borrower_identity"
BORROWER_FACE = "borrower_face"
CO_ID = "co_id"
CO_IDENTITY = "co_identity"
CO_FACE = "co_face"
PHOTOS = "photos"
AUTHORISATION = "authorisation"
CREDIT_CHECK = "credit_check"
DECISION = "decision"
SIGNING = "signing"
DONE = "done"

STEPS = (
    LOCATION, BORROWER_ID, BORROWER_IDENTITY, BORROWER_FACE, CO_ID, CO_IDENTITY, CO_FACE,
    PHOTOS, AUTHORISATION, CREDIT_CHECK, DECISION, SIGNING,
)
STEP_LABELS = {
    LOCATION: "到达定位",
    BORROWER_ID: "借款人身份证",
    BORROWER_IDENTITY: "借款人联网核查",
    BORROWER_FACE: "借款人人脸比对",
    CO_ID: "共同借款人身份证",
    CO_IDENTITY: "共同借款人联网核查",
    CO_FACE: "共同借款人人脸比对",
    PHOTOS: "资料与资产照片",
    AUTHORISATION: "征信查询授权书",
    CREDIT_CHECK: "征信风险检查",
    DECISION: "授信决定",
    SIGNING: "合同签署",
    DONE: "已完成",
}
CO_BORROWER_STEPS = (CO_ID, CO_IDENTITY, CO_FACE)
# Who a person step is about.
BORROWER = "borrower"
CO_BORROWER = "co_borrower"
WHO_LABELS = {BORROWER: "借款人", CO_BORROWER: "共同借款人"}
ID_STEP = {BORROWER: BORROWER_ID, CO_BORROWER: CO_ID}
IDENTITY_STEP = {BORROWER: BORROWER_IDENTITY, CO_BORROWER: CO_IDENTITY}
FACE_STEP = {BORROWER: BORROWER_FACE, CO_BORROWER: CO_FACE}
# Steps worked on while the visit is in progress; signing once the line is granted.
_STATUS_FOR_STEP = {step: VisitStatus.IN_PROGRESS for step in STEPS if step != SIGNING} | {SIGNING: VisitStatus.GRANTED}


def _known(steps: Iterable[str]) -> frozenset[str]:
    steps = frozenset(steps)
    unknown = steps - set(STEPS)
    if unknown:
        raise ValueError(f"unknown visit steps: {sorted(unknown)}")
    return steps


def resume_step(done: Iterable[str], skipped: Iterable[str] = ()) -> str:
    """The first step that is neither done nor skipped: where the officer picks up (DONE when none is left)."""
    finished = _known(done) | _known(skipped)
    return next((step for step in STEPS if step not in finished), DONE)


@dataclass(frozen=True, slots=True)
class StepState:
    step: str
    label: str
    state: str  # done / skipped / current / todo


def step_board(done: Iterable[str], skipped: Iterable[str] = ()) -> list[StepState]:
    """Every step with its state, for the step list at the side of the flow."""
    done, skipped = _known(done), _known(skipped)
    current = resume_step(done, skipped)
    board = []
    for step in STEPS:
        state = "done" if step in done else "skipped" if step in skipped else "current" if step == current else "todo"
        board.append(StepState(step, STEP_LABELS[step], state))
    return board


def check_step_open(step: str, *, status: str, done: Iterable[str], skipped: Iterable[str] = ()) -> None:
    """Refuse work on a step that is finished, not reached yet, or not open in the visit's status."""
    done, skipped = _known(done), _known(skipped)
    if step not in STEPS:
        raise ValueError(f"unknown visit step: {step}")
    if status in CLOSED:
        raise Conflict(f"走访已结束（{STATUS_LABELS[VisitStatus(status)]}），不能再修改", code=VisitCode.VISIT_CLOSED)
    if step in done or step in skipped:
        raise Conflict(f"“{STEP_LABELS[step]}”已完成，不能重复办理", code=VisitCode.STEP_DONE, field="step")
    before = STEPS[: STEPS.index(step)]
    missing = [s for s in before if s not in done and s not in skipped]
    if missing:
        raise Conflict(f"请先完成“{STEP_LABELS[missing[0]]}”", code=VisitCode.STEP_NOT_READY, field="step")
    needed = _STATUS_FOR_STEP[step]
    if status != needed:
        if status == VisitStatus.AWAITING_APPROVAL:
            raise Conflict("授信申请正在等待审批，审批通过后才能签约", code=VisitCode.AWAITING_APPROVAL)
        raise Conflict(f"走访当前状态（{STATUS_LABELS[VisitStatus(status)]}）不能办理“{STEP_LABELS[step]}”", code=CommonCode.WRONG_STATUS)


# --- signing -------------------------------------------------------------------------------------

SIGNING_STAGE_LABELS = {
    "create": "生成合同",
    "render": "合同生成中",
    "borrower": "借款人签署",
    "co_borrower": "共同借款人签署",
    "seal": "银行盖章",
    "sealed": "已盖章生效",
}


def signing_stage(contract_status: str | None, *, has_co_borrower: bool) -> str:
    """Which part of signing is next, from the contract's status (None: no contract yet)."""
    if contract_status is None:
        return "create"
    stages = {
        "draft": "render",
        "rendered": "borrower",
        "borrower_signed": "co_borrower" if has_co_borrower else "seal",
        "co_borrower_signed": "seal",
        "sealed": "sealed",
    }
    if contract_status not in stages:
        raise ValueError(f"unknown contract status: {contract_status}")
    return stages[contract_status]


# --- photos --------------------------------------------------------------------------------------

# category -> (label, document kind value)
PHOTO_CATEGORIES = {
    "household_register": ("户口簿", "other"),
    "marriage": ("结婚证", "other"),
    "income": ("收入证明/流水", "other"),
    "house": ("房屋", "asset_photo"),
    "land": ("承包地/林地", "asset_photo"),
    "machinery": ("农机具/车辆", "asset_photo"),
    "livestock": ("养殖/种植", "asset_photo"),
    "business": ("经营场所", "asset_photo"),
    "other": ("其他", "other"),
}


def photo_category(code: str) -> tuple[str, str]:
    if code not in PHOTO_CATEGORIES:
        raise ValidationError("请选择照片类别", code=VisitCode.BAD_CATEGORY, field="category")
    return PHOTO_CATEGORIES[code]


# --- credit authority (授信权限) ------------------------------------------------------------------

ROLE_NAMES = {"officer": "客户经理", "approver": "审批人", "branch_manager": "支行行长"}


@dataclass(frozen=True, slots=True)
class Authority:
    """The largest line each role may grant, in fen (from settings). Other roles grant nothing."""

    officer_fen: int
    approver_fen: int
    branch_manager_fen: int

    def __post_init__(self) -> None:
        for value in (self.officer_fen, self.approver_fen, self.branch_manager_fen):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError("authority limits are non-negative integer fen")

    def limit_for(self, role: str | None) -> int:
        return {"officer": self.officer_fen, "approver": self.approver_fen, "branch_manager": self.branch_manager_fen}.get(role or "", 0)

    def within(self, role: str | None, amount_fen: int) -> bool:
        return 0 < amount_fen <= self.limit_for(role)


def proposed_amount(
    *, pre_credit_fen: int | None, product_max_fen: int, strategy_limit_fen: int | None = None, requested_fen: int | None = None,
) -> int:
    """The line to grant: the pre-credit amount (预授信额度) capped by the product and the strategy's limit, or less if asked."""
    if pre_credit_fen is None:
        raise DomainError("该户尚未完成评议审定（无预授信额度），不能授信", code=VisitCode.NO_PRE_CREDIT)
    if pre_credit_fen <= 0:
        raise DomainError("该户评议审定结果为不予授信，不能授信", code=VisitCode.NO_PRE_CREDIT)
    if strategy_limit_fen is not None and strategy_limit_fen <= 0:
        raise DomainError("按额度策略测算的可授信额度为 0，不能授信", code=VisitCode.NO_STRATEGY_LIMIT)
    cap = min(pre_credit_fen, product_max_fen, strategy_limit_fen if strategy_limit_fen is not None else product_max_fen)
    if requested_fen is None:
        return cap
    if requested_fen <= 0:
        raise ValidationError("申请额度必须大于 0", code=CommonCode.INVALID_AMOUNT, field="requested")
    if requested_fen > cap:
        raise ValidationError(f"申请额度不能超过可授信额度 {Money(cap).format_yuan()}", code=VisitCode.ABOVE_PRE_CREDIT, field="requested")
    return requested_fen


def route_decision(*, role: str | None, amount_fen: int, risk_outcome: str, authority: Authority) -> str:
    """"grant" when the officer may grant it at once; "approval" when it goes to an approver's queue.

    A risk review (not a pass) always needs an approver; a reject never gets here (the credit gate).
    """
    if risk_outcome == "reject":
        raise DomainError("征信风险检查结论为拒绝，不能授信", code=CreditCheckCode.RISK_REJECTED)
    if risk_outcome == "pass" and authority.within(role, amount_fen):
        return "grant"
    return "approval"


def check_approval_authority(*, role: str | None, amount_fen: int, authority: Authority) -> None:
    """An approver may grant only within their own authority."""
    limit = authority.limit_for(role)
    if role not in ("approver", "branch_manager") or limit <= 0:
        raise Forbidden("只有审批人或支行行长可以审批授信", code=CommonCode.FORBIDDEN)
    if amount_fen > limit:
        raise Forbidden(
            f"授信额度 {Money(amount_fen).format_yuan()} 超出您的授信权限（{ROLE_NAMES[role]}最高 {Money(limit).format_yuan()}），请提交上级审批",
            code=VisitCode.ABOVE_AUTHORITY, field="amount",
        )

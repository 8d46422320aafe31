"""Back-to-back appraisal (背靠背评议): the state machine, votes and their aggregation.

Each panel member rates each household alone (初评); the officer reviews with the aggregate
(复评); a branch approver confirms the pre-credit amounts (支行审定); the results are published
(公示) with an objection window. docs/domain-facts.md#village-appraisal says what real systems do;
the defaults here:

- exclusion (不予授信) when one severe reason is given, or any reason by `min_members` members,
  or reasons appear in `min_rounds` rounds (初评 = round 1, 复评 = round 2);
- grade = the median grade of the members who know the household (for an even count the lower
  of the two middle grades: the cautious choice); too few knowing votes ⇒ no grade, the officer
  decides at review;
- amount = the scorecard amount when the officer scored the household at review, else the
  median suggested amount, else (nobody suggested one: the amount is optional on a ballot) the
  grade's default amount; at approval max(scorecard, review amount), as a production system does;
  always capped by the grade's cap and the product maximum, floored to `amount_step`. A grade's
  band runs from its default amount to its cap (`grade_defaults_yuan`, `grade_caps_yuan`);
- ¥0 means a decline and only a decline: a ballot or a review that grades a household 优秀/较好/一般
  gives a positive amount or none; 不予授信 is printed for a household only when its grade is
  不予授信 (`published_grade`), never beside an amount.

The rules are data (`DEFAULT_RULES`, same shape as a YAML rules file); `rules_from_data` checks
them, and every appraisal keeps the copy it was created with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from app.domain.error_codes import AppraisalCode, CommonCode
from app.domain.errors import Conflict, ValidationError
from app.domain.scorecard import SCORECARDS, Scorecard, scorecard_from_data

FEN_PER_YUAN = 100


class Grade(StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    FAIR = "fair"
    DECLINE = "decline"


GRADE_LABELS = {Grade.EXCELLENT: "优秀", Grade.GOOD: "较好", Grade.FAIR: "一般", Grade.DECLINE: "不予授信"}
WORST_FIRST = (Grade.DECLINE, Grade.FAIR, Grade.GOOD, Grade.EXCELLENT)


class Status(StrEnum):
    DRAFT = "draft"
    FIRST_ROUND = "first_round"
    REVIEW = "review"
    APPROVAL = "approval"
    PUBLISHED = "published"
    CLOSED = "closed"


STATUS_LABELS = {
    Status.DRAFT: "筹备（组建评议小组）",
    Status.FIRST_ROUND: "初评进行中",
    Status.REVIEW: "复评",
    Status.APPROVAL: "支行审定",
    Status.PUBLISHED: "公示",
    Status.CLOSED: "已结束",
}

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.FIRST_ROUND}),
    Status.FIRST_ROUND: frozenset({Status.REVIEW}),
    Status.REVIEW: frozenset({Status.APPROVAL}),
    Status.APPROVAL: frozenset({Status.PUBLISHED, Status.REVIEW}),
    Status.PUBLISHED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


def check_transition(current: str, target: Status) -> None:
    if target not in TRANSITIONS[Status(current)]:
        raise Conflict(f"评议当前处于“{STATUS_LABELS[Status(current)]}”阶段，不能进入“{STATUS_LABELS[target]}”", code=CommonCode.WRONG_STATUS)


class PanelRole(StrEnum):
    VILLAGE_CADRE = "village_cadre"
    VILLAGER_REP = "villager_rep"
    OFFICER = "officer"


PANEL_ROLE_LABELS = {PanelRole.VILLAGE_CADRE: "村干部", PanelRole.VILLAGER_REP: "村民代表", PanelRole.OFFICER: "客户经理"}


@dataclass(frozen=True, slots=True)
class ExclusionReason:
    code: str
    label: str
    severe: bool


@dataclass(frozen=True, slots=True)
class AppraisalRules:
    reasons: tuple[ExclusionReason, ...]
    scorecard: Scorecard
    grade_caps_fen: Mapping[str, int]
    grade_defaults_fen: Mapping[str, int] = field(default_factory=dict)  # the amount of a grade when nobody gave one
    exclude_min_members: int = 2
    exclude_min_rounds: int = 2
    severe_excludes: bool = True
    min_knowing_votes: int = 1
    amount_step_fen: int = 1_000 * FEN_PER_YUAN
    objection_days: int = 7

    def default_fen(self, grade: Grade) -> int:
        return self.grade_defaults_fen.get(grade.value, 0)

    def reason(self, code: str) -> ExclusionReason | None:
        return next((r for r in self.reasons if r.code == code), None)

    @property
    def reason_labels(self) -> dict[str, str]:
        return {r.code: r.label for r in self.reasons}


DEFAULT_RULES: dict = {
    "exclusion_reasons": [
        {"code": "gambling", "label": "赌博", "severe": True},
        {"code": "drugs", "label": "吸毒", "severe": True},
        {"code": "crime", "label": "违法犯罪（服刑、涉黑涉恶）", "severe": True},
        {"code": "wilful_default", "label": "恶意拖欠", "severe": False},
        {"code": "bad_habits", "label": "不良嗜好", "severe": False},
        {"code": "family_discord", "label": "家庭不和", "severe": False},
        {"code": "high_interest_debt", "label": "民间高息借款", "severe": False},
        {"code": "absent", "label": "长期不在本地居住", "severe": False},
        {"code": "no_income", "label": "无劳动能力或稳定收入", "severe": False},
    ],
    "exclusion": {"min_members": 2, "min_rounds": 2, "severe_excludes": True},
    "grade": {"min_knowing_votes": 1},
    "grade_caps_yuan": {"excellent": 200_000, "good": 100_000, "fair": 50_000, "decline": 0},
    # the low end of each grade's band: the amount when neither the panel nor the reviewer gave one
    "grade_defaults_yuan": {"excellent": 100_000, "good": 50_000, "fair": 20_000, "decline": 0},
    "scorecard": "additive",
    "amount_step_yuan": 1_000,
    "objection_days": 7,
}


def _positive_int(value: object, what: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(f"评议规则配置错误：{what} 应为不小于 {minimum} 的整数", code=AppraisalCode.INVALID_RULES)
    return value


def rules_from_data(data: Mapping) -> AppraisalRules:
    """Check a rules dict (DEFAULT_RULES shape; missing keys take the defaults)."""
    merged = {**DEFAULT_RULES, **data}
    try:
        reasons = tuple(ExclusionReason(code=str(r["code"]), label=str(r["label"]), severe=bool(r.get("severe", False))) for r in merged["exclusion_reasons"])
        if not reasons or len({r.code for r in reasons}) != len(reasons):
            raise ValidationError("评议规则配置错误：不予授信情形为空或代码重复", code=AppraisalCode.INVALID_RULES)
        card_data = merged["scorecard"]
        if isinstance(card_data, str):
            if card_data not in SCORECARDS:
                raise ValidationError(f"评议规则配置错误：未知评分卡 {card_data}", code=AppraisalCode.INVALID_RULES)
            card_data = SCORECARDS[card_data]
        caps = {g.value: _positive_int(merged["grade_caps_yuan"][g.value], f"grade_caps_yuan.{g.value}", minimum=0) * FEN_PER_YUAN for g in Grade}
        defaults = {g.value: _positive_int(merged["grade_defaults_yuan"][g.value], f"grade_defaults_yuan.{g.value}", minimum=0) * FEN_PER_YUAN
                    for g in Grade}
        if defaults[Grade.DECLINE.value] != 0 or any(defaults[g] > caps[g] for g in defaults):
            raise ValidationError("评议规则配置错误：等级默认额度应不超过该等级上限，不予授信的默认额度应为 0", code=AppraisalCode.INVALID_RULES)
        exclusion = {**DEFAULT_RULES["exclusion"], **merged["exclusion"]}
        grade = {**DEFAULT_RULES["grade"], **merged["grade"]}
        return AppraisalRules(
            reasons=reasons,
            scorecard=scorecard_from_data(card_data),
            grade_caps_fen=caps,
            grade_defaults_fen=defaults,
            exclude_min_members=_positive_int(exclusion["min_members"], "exclusion.min_members"),
            exclude_min_rounds=_positive_int(exclusion["min_rounds"], "exclusion.min_rounds"),
            severe_excludes=bool(exclusion["severe_excludes"]),
            min_knowing_votes=_positive_int(grade["min_knowing_votes"], "grade.min_knowing_votes"),
            amount_step_fen=_positive_int(merged["amount_step_yuan"], "amount_step_yuan") * FEN_PER_YUAN,
            objection_days=_positive_int(merged["objection_days"], "objection_days"),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValidationError(f"评议规则配置错误：缺少或错误的字段 {exc}", code=AppraisalCode.INVALID_RULES) from None


@dataclass(frozen=True, slots=True)
class Ballot:
    """One member's vote on one household in one round (1 = 初评, 2 = 复评)."""

    member: str
    knows: bool
    grade: Grade | None = None
    amount_fen: int | None = None
    reasons: tuple[str, ...] = ()
    round: int = 1


def check_ballot(
    *, knows: bool, grade: str | None, amount_fen: int | None, reasons: Iterable[str], rules: AppraisalRules, max_amount_fen: int
) -> tuple[Grade | None, int | None, tuple[str, ...]]:
    """Validate a vote's content; returns (grade, amount, reasons) normalised."""
    reasons = tuple(dict.fromkeys(r for r in reasons if r))
    if not knows:
        if grade or amount_fen is not None or reasons:
            raise ValidationError("不了解该户时不评定等级、额度和不予授信情形", code=AppraisalCode.INVALID_VOTE, field="knows")
        return None, None, ()
    if not grade:
        raise ValidationError("请选择评定等级", code=AppraisalCode.INVALID_VOTE, field="grade")
    try:
        g = Grade(grade)
    except ValueError:
        raise ValidationError("评定等级不正确", code=AppraisalCode.INVALID_VOTE, field="grade") from None
    unknown = [r for r in reasons if rules.reason(r) is None]
    if unknown:
        raise ValidationError("不予授信情形不在配置的列表中", code=AppraisalCode.INVALID_VOTE, field="reasons")
    if amount_fen is not None:
        if amount_fen < 0 or amount_fen > max_amount_fen:
            raise ValidationError(f"建议额度应在 0 至 {max_amount_fen // FEN_PER_YUAN:,} 元之间", code=CommonCode.INVALID_AMOUNT, field="amount")
        if g == Grade.DECLINE and amount_fen > 0:
            raise ValidationError("评为不予授信时建议额度应为 0", code=CommonCode.INVALID_AMOUNT, field="amount")
        if g != Grade.DECLINE and amount_fen == 0:
            raise ValidationError(f"评为{GRADE_LABELS[g]}时建议额度应大于 0（不填则按等级默认额度）；不予授信请选“不予授信”",
                                  code=CommonCode.INVALID_AMOUNT, field="amount")
    return g, amount_fen, reasons


def lower_median(values: list) -> object:
    """The middle value; for an even count the lower of the two middle values."""
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


@dataclass(frozen=True, slots=True)
class Aggregate:
    votes: int
    knowing: int
    grade: Grade | None
    panel_amount_fen: int | None
    reason_counts: Mapping[str, int] = field(default_factory=dict)  # reason code -> members (and reviewer) giving it
    excluded: bool = False
    basis: str = ""  # why excluded: "severe" / "members" / "rounds"
    flagged: bool = False  # a reason was given, not enough to exclude: the reviewer looks at it

    @property
    def insufficient(self) -> bool:
        return self.grade is None and not self.excluded


def aggregate(ballots: Iterable[Ballot], rules: AppraisalRules) -> Aggregate:
    """Combine the ballots of one household (round 1 votes, plus a round 2 review ballot if any)."""
    ballots = list(ballots)
    knowing = [b for b in ballots if b.knows]
    counts: dict[str, int] = {}
    members_with_reason: set[str] = set()
    rounds_with_reason: set[int] = set()
    severe = False
    for b in knowing:
        for code in b.reasons:
            counts[code] = counts.get(code, 0) + 1
            reason = rules.reason(code)
            severe = severe or bool(reason and reason.severe)
        if b.reasons:
            rounds_with_reason.add(b.round)
            if b.round == 1:
                members_with_reason.add(b.member)
    basis = ""
    if severe and rules.severe_excludes:
        basis = "severe"
    elif len(members_with_reason) >= rules.exclude_min_members:
        basis = "members"
    elif len(rounds_with_reason) >= rules.exclude_min_rounds:
        basis = "rounds"
    first_round = [b for b in knowing if b.round == 1]
    graded = [WORST_FIRST.index(b.grade) for b in first_round if b.grade is not None]
    grade = WORST_FIRST[lower_median(graded)] if len(graded) >= rules.min_knowing_votes and graded else None
    amounts = [b.amount_fen for b in first_round if b.amount_fen is not None]
    return Aggregate(
        votes=sum(1 for b in ballots if b.round == 1),
        knowing=len(first_round),
        grade=grade,
        panel_amount_fen=lower_median(amounts) if amounts else None,
        reason_counts=dict(sorted(counts.items())),
        excluded=bool(basis),
        basis=basis,
        flagged=bool(counts) and not basis,
    )


EXCLUSION_BASIS_LABELS = {"severe": "有严重不予授信情形", "members": "多名评议员提出不予授信情形", "rounds": "初评和复评均提出不予授信情形"}


def cap_fen(grade: Grade | None, rules: AppraisalRules, *, product_max_fen: int) -> int:
    if grade is None:
        return 0
    return min(rules.grade_caps_fen[grade.value], product_max_fen)


def floor_to_step(fen: int, step: int) -> int:
    return fen // step * step


def proposed_amount_fen(
    agg: Aggregate,
    rules: AppraisalRules,
    *,
    product_max_fen: int,
    grade: Grade | None = None,
    model_fen: int | None = None,
    review_fen: int | None = None,
) -> int:
    """The pre-credit amount to propose: 0 when excluded or declined; else the larger of the scorecard
    and review amounts (or the panel's median suggestion when neither exists, or the grade's default
    when nobody gave an amount), capped and floored. A ¥0 amount of a graded household (older data)
    counts as no amount."""
    grade = grade or agg.grade
    if agg.excluded or grade is None or grade == Grade.DECLINE:
        return 0
    given = [x for x in (model_fen, review_fen) if x]
    base = max(given) if given else (agg.panel_amount_fen or rules.default_fen(grade))
    return floor_to_step(min(base, cap_fen(grade, rules, product_max_fen=product_max_fen)), rules.amount_step_fen)


def check_approved_amount(amount_fen: int, *, product_max_fen: int, excluded: bool) -> None:
    if amount_fen < 0 or amount_fen > product_max_fen:
        raise ValidationError(f"预授信额度应在 0 至 {product_max_fen // FEN_PER_YUAN:,} 元之间", code=CommonCode.INVALID_AMOUNT, field="amount")
    if excluded and amount_fen > 0:
        raise ValidationError("该户已被评为不予授信，预授信额度只能为 0", code=CommonCode.INVALID_AMOUNT, field="amount")


def published_grade(grade: Grade | str, amount_fen: int) -> str:
    """The 公示's grade column: 不予授信 only for an explicit decline (the grade) at ¥0, never beside an amount."""
    g = Grade(grade)
    if g == Grade.DECLINE:
        return GRADE_LABELS[g] if amount_fen == 0 else "予以授信（异议成立）"
    return GRADE_LABELS[g]

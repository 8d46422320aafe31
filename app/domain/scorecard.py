"""Amount scorecards for the pre-credit amount (基础模型测算额度), as data.

Two kinds (docs/domain-facts.md#village-appraisal):
- "additive": each answer adds an amount in yuan (the generic model `jcmxcs`: 农村房产 良好 +30,000 …);
- "points": each answer adds points, the total picks an amount from a tier table (the XINHUA
  scorecard: ≥90 points → 200,000 … else 40,000).

The answers (facts about the household) are entered by the officer at 复评. A scorecard is a
plain dict (so it can live in a YAML rules file); `scorecard_from_data` checks it once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.domain.error_codes import AppraisalCode
from app.domain.errors import ValidationError

FEN_PER_YUAN = 100


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str
    score: int  # yuan for "additive", points for "points"


@dataclass(frozen=True, slots=True)
class Factor:
    code: str
    label: str
    options: tuple[Option, ...]

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True, slots=True)
class Scorecard:
    code: str
    name: str
    kind: str  # "additive" | "points"
    factors: tuple[Factor, ...]
    tiers: tuple[tuple[int, int], ...] = ()  # (min points, amount fen), highest first ("points" only)
    floor_fen: int = 0  # amount below the lowest tier ("points") or the base amount ("additive")


@dataclass(frozen=True, slots=True)
class ScoreLine:
    factor: str
    answer: str
    score: int


@dataclass(frozen=True, slots=True)
class ScoreResult:
    points: int  # total points ("points") or total yuan added ("additive")
    amount_fen: int
    lines: tuple[ScoreLine, ...]


def score(card: Scorecard, facts: Mapping[str, str]) -> ScoreResult:
    """Score a household; every factor needs an answer from its options."""
    lines, total = [], 0
    for factor in card.factors:
        answer = facts.get(factor.code, "")
        option = factor.option(answer)
        if option is None:
            raise ValidationError(f"请选择“{factor.label}”", code=AppraisalCode.INVALID_FACTS, field=f"facts.{factor.code}")
        lines.append(ScoreLine(factor=factor.label, answer=option.label, score=option.score))
        total += option.score
    if card.kind == "additive":
        amount = card.floor_fen + total * FEN_PER_YUAN
    else:
        amount = next((fen for minimum, fen in card.tiers if total >= minimum), card.floor_fen)
    return ScoreResult(points=total, amount_fen=amount, lines=tuple(lines))


def _int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"评分卡配置错误：{what} 应为整数", code=AppraisalCode.INVALID_RULES)
    return value


def scorecard_from_data(data: Mapping) -> Scorecard:
    """Build and check a scorecard from its data form (see ADDITIVE_GENERIC / XINHUA)."""
    try:
        kind = data["kind"]
        if kind not in ("additive", "points"):
            raise ValidationError("评分卡配置错误：kind 应为 additive 或 points", code=AppraisalCode.INVALID_RULES)
        factors = []
        for f in data["factors"]:
            options = tuple(Option(value=str(o["value"]), label=str(o["label"]), score=_int(o["score"], f"{f['code']}.{o['value']}")) for o in f["options"])
            if not options or len({o.value for o in options}) != len(options):
                raise ValidationError(f"评分卡配置错误：{f['code']} 的选项为空或重复", code=AppraisalCode.INVALID_RULES)
            factors.append(Factor(code=str(f["code"]), label=str(f["label"]), options=options))
        if len({f.code for f in factors}) != len(factors):
            raise ValidationError("评分卡配置错误：因素代码重复", code=AppraisalCode.INVALID_RULES)
        tiers = tuple(sorted(((_int(t[0], "tier"), _int(t[1], "tier") * FEN_PER_YUAN) for t in data.get("tiers_yuan", ())), reverse=True))
        if kind == "points" and not tiers:
            raise ValidationError("评分卡配置错误：积分制需要额度档位", code=AppraisalCode.INVALID_RULES)
        return Scorecard(code=str(data["code"]), name=str(data["name"]), kind=kind, factors=tuple(factors), tiers=tiers,
                         floor_fen=_int(data.get("floor_yuan", 0), "floor_yuan") * FEN_PER_YUAN)
    except (KeyError, TypeError, IndexError) as exc:
        raise ValidationError(f"评分卡配置错误：缺少或错误的字段 {exc}", code=AppraisalCode.INVALID_RULES) from None


def _opt(value: str, label: str, score: int) -> dict:
    return {"value": value, "label": label, "score": score}


# The generic additive model (基础模型), amounts in yuan.
ADDITIVE_GENERIC: dict = {
    "code": "additive",
    "name": "基础模型（加额制）",
    "kind": "additive",
    "floor_yuan": 0,
    "factors": [
        {"code": "rural_house", "label": "农村房产情况", "options": [_opt("good", "良好", 30_000), _opt("fair", "一般", 20_000), _opt("none", "无或较差", 0)]},
        {"code": "town_house", "label": "城区有无房产", "options": [_opt("yes", "有", 10_000), _opt("no", "无", 0)]},
        {"code": "vehicle", "label": "有无车辆", "options": [_opt("yes", "有", 10_000), _opt("no", "无", 0)]},
        {"code": "work", "label": "工作类型", "options": [_opt("business", "经营类", 10_000), _opt("public", "公职人员", 0), _opt("migrant", "务工", 0), _opt("farming", "务农", 0)]},
        {"code": "income", "label": "家庭年收入", "options": [
            _opt("lt1", "1 万元以下", 0), _opt("1to5", "1–5 万元", 10_000), _opt("5to10", "5–10 万元", 20_000),
            _opt("10to15", "10–15 万元", 30_000), _opt("gt15", "15 万元以上", 40_000)]},
    ],
}

# The XINHUA points scorecard (docs/domain-facts.md#village-appraisal). The point values and tiers are the
# ones read from the code; the band labels for house value and vehicle are ours (the code's
# dictionary text was not recorded), so a bank adjusts them in its rules file.
XINHUA: dict = {
    "code": "xinhua",
    "name": "新化积分卡",
    "kind": "points",
    "floor_yuan": 40_000,
    "tiers_yuan": [[90, 200_000], [80, 150_000], [70, 100_000], [60, 80_000], [50, 60_000]],
    "factors": [
        {"code": "deposit", "label": "存款日均", "options": [
            _opt("ge50k", "5 万元及以上", 10), _opt("ge40k", "4–5 万元", 7), _opt("ge30k", "3–4 万元", 5),
            _opt("gt0", "3 万元以下", 3), _opt("none", "无", 0)]},
        {"code": "health", "label": "健康状况", "options": [_opt("good", "良好", 10), _opt("fair", "一般", 7), _opt("poor", "较差", 5)]},
        {"code": "labour", "label": "家庭劳动力", "options": [_opt("4", "4 人及以上", 10), _opt("3", "3 人", 7), _opt("2", "2 人", 5), _opt("1", "1 人及以下", 0)]},
        {"code": "income", "label": "家庭年收入", "options": [
            _opt("lt1", "1 万元以下", 0), _opt("1to5", "1–5 万元", 5), _opt("5to10", "5–10 万元", 10),
            _opt("10to20", "10–20 万元", 15), _opt("gt20", "20 万元以上", 20)]},
        {"code": "house_value", "label": "房屋价值", "options": [
            _opt("lt10", "10 万元以下", 10), _opt("10to30", "10–30 万元", 14), _opt("30to50", "30–50 万元", 16),
            _opt("50to100", "50–100 万元", 18), _opt("ge100", "100 万元及以上", 20)]},
        {"code": "vehicle", "label": "车辆", "options": [
            _opt("high", "价值 20 万元以上", 10), _opt("mid", "价值 5–20 万元", 8), _opt("low", "价值 5 万元以下", 5), _opt("none", "无", 0)]},
        {"code": "reputation", "label": "信誉", "options": [_opt("good", "好", 15), _opt("fair", "较好", 10), _opt("poor", "一般", 7)]},
        {"code": "public_servant", "label": "家有公职人员", "options": [_opt("yes", "有", 5), _opt("no", "无", 0)]},
        {"code": "graduate", "label": "家有大学生", "options": [_opt("yes", "有", 5), _opt("no", "无", 0)]},
    ],
}

SCORECARDS: dict[str, dict] = {"additive": ADDITIVE_GENERIC, "xinhua": XINHUA}

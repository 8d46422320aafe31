"""The admission and anti-fraud rules a strategy rule set can switch on, over gathered facts.

Unlike the reject rules (which read a credit report), these read `StrategyFacts`: plain
values the service collects from the database (ages, list entries, counts of other
customers sharing a phone/device/card, distances, OCR and identity-check fields). Each
evaluator returns the evidence dict of a hit, or None. Unknown facts (None) never hit:
the rule cannot tell, and says nothing rather than guessing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.domain.external_data import ExternalSource, GrainSubsidyFacts, HousingFundFacts, SocialInsuranceFacts
from app.domain.rules.catalogue import Param

Evidence = dict[str, Any]
Params = Mapping[str, Any]


# what an external source's fact can be in a strategy: used (answered with data) or not, and why not
USED, NO_RECORD, NO_CONSENT, UNANSWERED, NOT_CONNECTED = "used", "no_record", "no_consent", "unanswered", "not_connected"


@dataclass(frozen=True, slots=True)
class ExternalFact:
    """One external source as the strategy saw it (app/services/risk/strategy.py asks it only under a consent).

    `status`: USED (the source answered with facts: `facts`, `query_id`, `data_on`), NO_RECORD (it answered that it
    holds nothing), NO_CONSENT (no valid consent for the source and 授信申请: not asked), UNANSWERED (a timeout or an
    error: never a pass), NOT_CONNECTED (the caller gave no sources). `reason` says in Chinese why it was not used."""

    source: ExternalSource
    status: str
    reason: str = ""
    facts: Any = None
    query_id: str | None = None
    data_on: date | None = None  # the business date the source answered (or the file was imported)
    reused: bool = False

    @property
    def used(self) -> bool:
        return self.status == USED and self.facts is not None

    def cited(self) -> Evidence:
        """The data a term or a rule relied on: the source, its date and its query."""
        return {"source": self.source.value, "dataOn": self.data_on.isoformat() if self.data_on else None, "queryId": self.query_id}

    def to_json(self) -> Evidence:
        out: Evidence = {"source": self.source.value, "status": self.status}
        if self.query_id is not None:
            out.update(queryId=self.query_id, dataOn=self.data_on.isoformat() if self.data_on else None, reused=self.reused)
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True, slots=True)
class StrategyFacts:
    """What the strategy rules look at; the service gathers it, tests build it by hand."""

    as_of: date
    age: int | None = None  # from the ID number, on `as_of`
    resides_in_village: bool | None = None  # the customer's household is in the village of the line/visit
    village_name: str = ""
    black_list_reasons: tuple[str, ...] = ()
    grey_list_reasons: tuple[str, ...] = ()
    phone_shared_with: int = 0  # customers of other households with the same phone
    device_shared_with: int = 0  # customers of other households who signed in on the same device
    card_shared_with: int = 0  # other customers with the same bank card bound
    id_card_valid_until: date | None = None  # None: unknown, or 长期 when `id_card_long_term`
    id_card_long_term: bool = False
    visit_distance_m: int | None = None  # from the visit location to the village centroid
    ocr_name: str | None = None
    checked_name: str | None = None  # the name the identity check (联网核查) confirmed
    ocr_id_number_masked: str | None = None
    checked_id_number_masked: str | None = None
    id_number_matches: bool | None = None  # OCR number vs identity-check number (compared by hash)
    # limit and pricing
    pre_credit_fen: int | None = None  # appraisal pre-credit amount of the household
    product_max_fen: int = 0
    annual_income_fen: int | None = None
    open_debt_fen: int | None = None  # open balances on the latest credit report
    grade: str | None = None  # appraisal grade: excellent / good / fair
    product_spread_bp_by_grade: Mapping[str, int] = field(default_factory=dict)
    product_default_spread_bp: int = 0
    # external sources the strategy needs (its terms and rules), each used or skipped with the reason
    external: Mapping[ExternalSource, ExternalFact] = field(default_factory=dict)

    def used(self, source: ExternalSource) -> ExternalFact | None:
        fact = self.external.get(source)
        return fact if fact is not None and fact.used else None


@dataclass(frozen=True, slots=True)
class StrategyRuleType:
    code: str
    category: str  # admission | antifraud
    title: str
    params: Mapping[str, Param]
    evidence_keys: frozenset[str]
    evaluate: Callable[[StrategyFacts, Params], Evidence | None]
    check: Callable[[Params], str | None] = lambda p: None
    sources: tuple[ExternalSource, ...] = ()  # the external sources the rule reads (asked only under a consent)


def _age(f: StrategyFacts, p: Params) -> Evidence | None:
    if f.age is None or p["min_age"] <= f.age <= p["max_age"]:
        return None
    return {"age": f.age}


def _residence(f: StrategyFacts, p: Params) -> Evidence | None:
    if f.resides_in_village is not False:
        return None
    return {"village": f.village_name or "—"}


def _black(f: StrategyFacts, p: Params) -> Evidence | None:
    return {"reasons": list(f.black_list_reasons)} if f.black_list_reasons else None


def _grey(f: StrategyFacts, p: Params) -> Evidence | None:
    return {"reasons": list(f.grey_list_reasons)} if f.grey_list_reasons else None


def _shared(attr: str) -> Callable[[StrategyFacts, Params], Evidence | None]:
    def evaluate(f: StrategyFacts, p: Params) -> Evidence | None:
        others = getattr(f, attr)
        return {"others": others} if others > p["max_others"] else None

    return evaluate


def _id_card_expired(f: StrategyFacts, p: Params) -> Evidence | None:
    if f.id_card_long_term or f.id_card_valid_until is None:
        return None
    # valid through its last day; `grace_days` lets a just-expired card through for renewal
    if (f.as_of - f.id_card_valid_until).days <= p["grace_days"]:
        return None
    return {"validUntil": f.id_card_valid_until.isoformat()}


def _distance(f: StrategyFacts, p: Params) -> Evidence | None:
    if f.visit_distance_m is None or f.visit_distance_m <= p["max_km"] * 1000:
        return None
    return {"distanceKm": f"{f.visit_distance_m / 1000:.1f}", "distanceM": f.visit_distance_m, "village": f.village_name or "—"}


def _normal_name(name: str) -> str:
    return "".join(name.split()).replace("·", "").replace("•", "")


def _ocr_name(f: StrategyFacts, p: Params) -> Evidence | None:
    if not f.ocr_name or not f.checked_name or _normal_name(f.ocr_name) == _normal_name(f.checked_name):
        return None
    return {"ocrName": f.ocr_name, "checkedName": f.checked_name}


def _ocr_id(f: StrategyFacts, p: Params) -> Evidence | None:
    if f.id_number_matches is not False:
        return None
    return {"ocrIdNumber": f.ocr_id_number_masked or "—", "checkedIdNumber": f.checked_id_number_masked or "—"}


def _housing_fund_arrears(f: StrategyFacts, p: Params) -> Evidence | None:
    fact = f.used(ExternalSource.HOUSING_FUND)
    if fact is None or not isinstance(fact.facts, HousingFundFacts) or fact.facts.arrears_months <= p["max_arrears_months"]:
        return None
    hf = fact.facts
    return {"arrearsMonths": hf.arrears_months, "arrearsYuan": f"{hf.arrears_fen // 100:,}.{hf.arrears_fen % 100:02d}", "arrearsFen": hf.arrears_fen,
            "employer": hf.employer, "lastPaidMonth": hf.last_paid_month, **fact.cited()}


NORMAL_INSURED = "正常参保"


def _social_insurance_lapsed(f: StrategyFacts, p: Params) -> Evidence | None:
    fact = f.used(ExternalSource.SOCIAL_INSURANCE)
    if fact is None or not isinstance(fact.facts, SocialInsuranceFacts):
        return None
    lapsed = [k for k in fact.facts.kinds if k.kind in p["kinds"] and k.status != NORMAL_INSURED]
    if not lapsed:
        return None
    return {"kinds": [f"{k.kind}{k.status}（最近缴费 {k.last_paid_month}）" for k in lapsed], **fact.cited()}


def _unanswered(f: StrategyFacts, p: Params) -> Evidence | None:
    silent = [x for x in f.external.values() if x.status == UNANSWERED]
    if not silent:
        return None
    return {"sources": [x.source.label for x in silent], "reasons": [x.reason for x in silent]}


def _age_check(p: Params) -> str | None:
    return "min_age 不能大于 max_age" if p["min_age"] > p["max_age"] else None


_OTHERS = {"max_others": Param("int", 0, 0, 1000)}

STRATEGY_CATALOGUE: dict[str, StrategyRuleType] = {
    t.code: t
    for t in (
        StrategyRuleType("AGE_WINDOW", "admission", "年龄准入", {"min_age": Param("int", 18, 16, 100), "max_age": Param("int", 60, 16, 100)},
                         frozenset({"age"}), _age, _age_check),
        StrategyRuleType("RESIDENCE", "admission", "本村居住", {}, frozenset({"village"}), _residence),
        StrategyRuleType("BLACK_LIST", "admission", "黑名单", {}, frozenset({"reasons"}), _black),
        StrategyRuleType("GREY_LIST", "admission", "灰名单", {}, frozenset({"reasons"}), _grey),
        StrategyRuleType("SHARED_PHONE", "antifraud", "手机号多人共用", _OTHERS, frozenset({"others"}), _shared("phone_shared_with")),
        StrategyRuleType("SHARED_DEVICE", "antifraud", "设备多人共用", _OTHERS, frozenset({"others"}), _shared("device_shared_with")),
        StrategyRuleType("SHARED_CARD", "antifraud", "银行卡多人共用", _OTHERS, frozenset({"others"}), _shared("card_shared_with")),
        StrategyRuleType("ID_CARD_EXPIRED", "antifraud", "身份证过期", {"grace_days": Param("int", 0, 0, 365)},
                         frozenset({"validUntil"}), _id_card_expired),
        StrategyRuleType("VISIT_DISTANCE", "antifraud", "走访位置偏离", {"max_km": Param("int", 5, 1, 1000)},
                         frozenset({"distanceKm", "distanceM", "village"}), _distance),
        StrategyRuleType("OCR_NAME_MISMATCH", "antifraud", "证件姓名与核查不符", {}, frozenset({"ocrName", "checkedName"}), _ocr_name),
        StrategyRuleType("OCR_ID_NUMBER_MISMATCH", "antifraud", "证件号码与核查不符", {},
                         frozenset({"ocrIdNumber", "checkedIdNumber"}), _ocr_id),
        # external data (docs/external-data.md): read only when the customer consented to the source for 授信申请
        StrategyRuleType("HOUSING_FUND_ARREARS", "admission", "公积金欠缴", {"max_arrears_months": Param("int", 0, 0, 120)},
                         frozenset({"arrearsMonths", "arrearsYuan", "employer", "lastPaidMonth", "dataOn"}), _housing_fund_arrears,
                         sources=(ExternalSource.HOUSING_FUND,)),
        StrategyRuleType("SOCIAL_INSURANCE_LAPSED", "admission", "社保停缴",
                         {"kinds": Param("strings", ("养老",), choices=frozenset({"养老", "医疗", "失业", "工伤", "生育"}))},
                         frozenset({"kinds", "dataOn"}), _social_insurance_lapsed, sources=(ExternalSource.SOCIAL_INSURANCE,)),
        StrategyRuleType("EXTERNAL_DATA_UNANSWERED", "admission", "外部数据源未答复", {}, frozenset({"sources", "reasons"}), _unanswered),
    )
}

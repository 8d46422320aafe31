"""Early warnings from external data (外部数据预警, issue 20): pure rules over one answer of a source.

The service (`app.services.risk.external_warnings`) hands each rule the latest answer of a source for an active
borrower whose consent covers post-loan monitoring (贷后监测), the answer before it when there is one, and the
date of the data (the day the source answered or the file was imported, in business time). Each finding cites
the data: the source, the facts that fired, the data date and the recorded query (`queryId`).

- 公积金断缴 / 社保断缴: no contribution for at least `months` whole months between the last paid month and the
  month of the data (`Thresholds.contributions_stopped_months`, default 3);
- 新增欠税: the tax arrears are higher than in the previous answer (or than nothing, when there is none);
- 保单退保: a policy is 退保 that was not in the previous answer (every 退保 policy, when there is none);
- 电费欠费: the electricity account owes money.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from app.domain.external_data import HousingFundFacts, InsuranceFacts, SocialInsuranceFacts, StateGridFacts, TaxFacts
from app.domain.money import yuan_str
from app.domain.warnings import Finding, Severity, WarningKind


@dataclass(frozen=True, slots=True)
class Answer:
    """One recorded answer: its facts, the date of the data and the query that holds it."""

    facts: Any
    data_on: date
    query_id: UUID
    imported_from: str | None = None  # the batch file's name when the answer came from `cunxin external-import`


def months_unpaid(last_paid_month: str, data_on: date) -> int:
    """Whole months after `last_paid_month` ("YYYY-MM") and before the month of `data_on`."""
    year, month = (int(x) for x in last_paid_month.split("-"))
    return max(0, (data_on.year * 12 + data_on.month) - (year * 12 + month) - 1)


def _cite(source: str, answer: Answer) -> dict[str, Any]:
    cited = {"source": source, "dataOn": answer.data_on.isoformat(), "queryId": str(answer.query_id)}
    if answer.imported_from:
        cited["importedFrom"] = answer.imported_from
    return cited


def housing_fund_stopped(answer: Answer, *, months: int) -> Finding | None:
    facts: HousingFundFacts = answer.facts
    stopped = months_unpaid(facts.last_paid_month, answer.data_on)
    if stopped < months:
        return None
    return Finding(
        kind=WarningKind.HOUSING_FUND_STOPPED,
        severity=Severity.HIGH if stopped >= 2 * months else Severity.MEDIUM,
        message=f"公积金已 {stopped} 个月未缴存（最近缴存 {facts.last_paid_month}，缴存单位 {facts.employer}；数据日期 {answer.data_on.isoformat()}）",
        evidence={**_cite("housing_fund", answer), "employer": facts.employer, "lastPaidMonth": facts.last_paid_month, "monthsStopped": stopped,
                  "arrearsMonths": facts.arrears_months, "arrears": yuan_str(facts.arrears_fen)},
        level=stopped,
    )


def social_insurance_stopped(answer: Answer, *, months: int) -> Finding | None:
    facts: SocialInsuranceFacts = answer.facts
    stopped = [(k, months_unpaid(k.last_paid_month, answer.data_on)) for k in facts.kinds]
    stopped = [(k, n) for k, n in stopped if n >= months]
    if not stopped:
        return None
    longest = max(n for _, n in stopped)
    names = "、".join(k.kind for k, _ in stopped)
    last = min(k.last_paid_month for k, _ in stopped)
    return Finding(
        kind=WarningKind.SOCIAL_INSURANCE_STOPPED,
        severity=Severity.HIGH if longest >= 2 * months else Severity.MEDIUM,
        message=f"社保{names}已 {longest} 个月未缴费（最近缴费 {last}；数据日期 {answer.data_on.isoformat()}）",
        evidence={**_cite("social_insurance", answer),
                  "kinds": [{"kind": k.kind, "status": k.status, "lastPaidMonth": k.last_paid_month, "monthsStopped": n} for k, n in stopped]},
        level=longest,
    )


def new_tax_arrears(answer: Answer, previous: Answer | None) -> Finding | None:
    facts: TaxFacts = answer.facts
    before = previous.facts.arrears_fen if previous is not None else 0
    if facts.arrears_fen <= before:
        return None
    evidence = {**_cite("tax", answer), "businessName": facts.business_name, "arrears": yuan_str(facts.arrears_fen),
                "previousArrears": yuan_str(before), "previousDataOn": previous.data_on.isoformat() if previous else None}
    since = f"，上次数据（{previous.data_on.isoformat()}）欠税 {yuan_str(before)} 元" if previous else ""
    return Finding(
        kind=WarningKind.NEW_TAX_ARREARS,
        severity=Severity.MEDIUM,
        message=f"{facts.business_name}新增欠税：欠税 {yuan_str(facts.arrears_fen)} 元{since}（数据日期 {answer.data_on.isoformat()}）",
        evidence=evidence,
        level=0,
    )


def policy_surrendered(answer: Answer, previous: Answer | None) -> Finding | None:
    facts: InsuranceFacts = answer.facts
    already = {(p.insurer, p.product) for p in previous.facts.policies if p.status == "退保"} if previous is not None else set()
    new = [p for p in facts.policies if p.status == "退保" and (p.insurer, p.product) not in already]
    if not new:
        return None
    names = "、".join(f"{p.insurer}「{p.product}」" for p in new)
    return Finding(
        kind=WarningKind.POLICY_SURRENDERED,
        severity=Severity.MEDIUM,
        message=f"保单已退保：{names}（数据日期 {answer.data_on.isoformat()}）",
        evidence={**_cite("insurance", answer), "previousDataOn": previous.data_on.isoformat() if previous else None,
                  "policies": [{"insurer": p.insurer, "product": p.product, "annualPremium": yuan_str(p.annual_premium_fen),
                                "cashValue": yuan_str(p.cash_value_fen)} for p in new]},
        level=len(new),
    )


def electricity_arrears(answer: Answer) -> Finding | None:
    facts: StateGridFacts = answer.facts
    if facts.arrears_fen <= 0:
        return None
    late = [m.month for m in facts.months if not m.paid_on_time]
    return Finding(
        kind=WarningKind.ELECTRICITY_ARREARS,
        severity=Severity.HIGH if len(late) >= 3 else Severity.MEDIUM,
        message=f"电费欠费 {yuan_str(facts.arrears_fen)} 元（户号 {facts.account_number}，未按时缴费 {len(late)} 个月；数据日期 {answer.data_on.isoformat()}）",
        evidence={**_cite("state_grid", answer), "accountNumber": facts.account_number, "arrears": yuan_str(facts.arrears_fen), "lateMonths": late},
        level=len(late),
    )

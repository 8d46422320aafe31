"""The reject/review rules a rule set can switch on, with their parameters.

A rule set (YAML, see rulesets/) picks rules from this catalogue by code, sets
each one's kind ("reject" or "review"), its Chinese message template and its
parameters. The code here decides what a rule means; the data decides how strict
it is. Every evaluator yields one evidence dict per thing it found (an account, a
guarantee, a window of queries); evidence is JSON-able and self-explaining.

Windows: "the last N months" of a repayment string are the N months ending at the
report month (reportDate's month); months the string does not cover count as not
overdue. Query windows are dates: from reportDate minus N calendar months
(inclusive) to reportDate (inclusive).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.credit_report.model import (
    ACCOUNT_STATUS_NAMES,
    FIVE_CLASS_NAMES,
    OVERDUE_SYMBOLS,
    SYMBOL_NAMES,
    UNCLASSIFIED,
    CreditReport,
    YearMonth,
    yuan,
)

Evidence = dict[str, Any]
Params = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter: 'int' (with bounds), 'symbols' (a string of status symbols),
    'strings' (a non-empty list of strings, optionally from `choices`)."""

    type: str
    default: Any
    low: int = 0
    high: int = 10**12
    choices: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class RuleType:
    code: str
    title: str
    params: Mapping[str, Param]
    evidence_keys: frozenset[str]
    evaluate: Callable[[CreditReport, Params], Iterator[Evidence]]
    check: Callable[[Params], str | None] = lambda p: None  # cross-parameter check -> Chinese problem or None


def _shift_date(d: date, months: int) -> date:
    m = YearMonth.of(d).shift(months)
    day = d.day
    while True:
        try:
            return date(m.year, m.month, day)
        except ValueError:
            day -= 1


# --- repayment history --------------------------------------------------------------------


def _lian_san_lei_liu(report: CreditReport, p: Params) -> Iterator[Evidence]:
    last = report.report_month
    window = p["window_months"]
    for a in report.accounts:
        if a.repayment is None:
            continue
        months: list[str] = []
        run = best = 0
        for month, symbol in a.repayment.window(last, window):
            if symbol in OVERDUE_SYMBOLS:
                months.append(str(month))
                run += 1
                best = max(best, run)
            else:
                run = 0
        if best >= p["consecutive"] or len(months) >= p["cumulative"]:
            yield {
                "account": a.id,
                "accountKind": a.kind.value,
                "windowMonths": window,
                "months": months,
                "maxConsecutive": best,
                "totalMonths": len(months),
            }


def _check_lian_san_lei_liu(p: Params) -> str | None:
    if p["consecutive"] > p["window_months"] or p["cumulative"] > p["window_months"]:
        return "consecutive 和 cumulative 不能大于 window_months"
    return None


def _bad_symbols(report: CreditReport, p: Params) -> Iterator[Evidence]:
    last = report.report_month
    wanted = p["symbols"]
    for a in report.accounts:
        if a.repayment is None:
            continue
        found = [(str(m), s) for m, s in a.repayment.window(last, p["window_months"]) if s in wanted]
        if found:
            symbols = "".join(sorted({s for _, s in found}, key=wanted.index))
            yield {
                "account": a.id,
                "accountKind": a.kind.value,
                "windowMonths": p["window_months"],
                "months": [m for m, _ in found],
                "foundSymbols": symbols,
                "foundNames": [SYMBOL_NAMES[s] for s in symbols],
            }


def _current_overdue(report: CreditReport, p: Params) -> Iterator[Evidence]:
    for a in report.accounts:
        if a.current_overdue_amount_fen > p["tolerance_fen"]:
            yield {
                "account": a.id,
                "accountKind": a.kind.value,
                "periods": a.current_overdue_periods,
                "amount": yuan(a.current_overdue_amount_fen),
                "reportedOn": a.reported_on.isoformat(),
            }


def _bad_status(report: CreditReport, p: Params) -> Iterator[Evidence]:
    for a in report.accounts:
        if a.status in p["statuses"]:
            yield {"account": a.id, "accountKind": a.kind.value, "status": a.status, "statusName": a.status_name}


def _five_class(report: CreditReport, p: Params) -> Iterator[Evidence]:
    for a in report.accounts:
        c = a.five_class
        if a.is_loan and a.is_open and c is not None and c != UNCLASSIFIED and c >= p["min_class"]:
            yield {"account": a.id, "accountKind": a.kind.value, "class": c, "className": FIVE_CLASS_NAMES[c]}


# --- guarantees, queries, public records --------------------------------------------------


def _problem_guarantee(report: CreditReport, p: Params) -> Iterator[Evidence]:
    for i, g in enumerate(report.guarantees, start=1):
        if g.five_class != UNCLASSIFIED and g.five_class >= p["min_class"]:
            yield {
                "guarantee": i,
                "institution": g.institution,
                "relation": g.relation,
                "class": g.five_class,
                "className": FIVE_CLASS_NAMES[g.five_class],
                "balance": yuan(g.balance_fen),
            }


def _hard_queries(report: CreditReport, p: Params) -> Iterator[Evidence]:
    to = report.report_date
    start = _shift_date(to, -p["window_months"])
    dates = sorted((r.on.isoformat() for r in report.query_records if r.is_hard and start <= r.on <= to), reverse=True)
    if len(dates) > p["max_count"]:
        yield {
            "windowMonths": p["window_months"],
            "from": start.isoformat(),
            "to": to.isoformat(),
            "count": len(dates),
            "maxCount": p["max_count"],
            "dates": dates,
        }


def _public_record(report: CreditReport, p: Params) -> Iterator[Evidence]:
    for i, r in enumerate(report.public_records, start=1):
        if r.kind in p["kinds"] and r.status not in p["completed_statuses"]:
            evidence: Evidence = {"record": i, "recordKind": r.kind, "on": r.on.isoformat(), "status": r.status or "未知"}
            if r.amount_fen is not None:
                evidence["amount"] = yuan(r.amount_fen)
            yield evidence


_ACCOUNT = frozenset({"account", "accountKind"})
_WINDOW = _ACCOUNT | {"windowMonths", "months"}


def _hard_queries_type(code: str, months: int) -> RuleType:
    return RuleType(
        code=code,
        title=f"近{months}个月硬查询次数过多",
        params={
            "window_months": Param("int", months, months, months),
            "max_count": Param("int", {1: 4, 3: 6, 6: 10}[months], 0, 1000),
        },
        evidence_keys=frozenset({"windowMonths", "from", "to", "count", "maxCount", "dates"}),
        evaluate=_hard_queries,
    )


CATALOGUE: dict[str, RuleType] = {
    t.code: t
    for t in (
        RuleType(
            code="LIAN_SAN_LEI_LIU",
            title="连三累六",
            params={
                "window_months": Param("int", 24, 1, 60),
                "consecutive": Param("int", 3, 1, 60),
                "cumulative": Param("int", 6, 1, 60),
            },
            evidence_keys=_WINDOW | {"maxConsecutive", "totalMonths"},
            evaluate=_lian_san_lei_liu,
            check=_check_lian_san_lei_liu,
        ),
        RuleType(
            code="CURRENT_OVERDUE",
            title="当前逾期",
            params={"tolerance_fen": Param("int", 0, 0, 10**12)},
            evidence_keys=_ACCOUNT | {"periods", "amount", "reportedOn"},
            evaluate=_current_overdue,
        ),
        RuleType(
            code="BAD_ACCOUNT_STATUS",
            title="账户状态异常",
            params={
                "statuses": Param("strings", ("4", "5", "6", "8", "冻结", "止付"), choices=frozenset(ACCOUNT_STATUS_NAMES))
            },
            evidence_keys=_ACCOUNT | {"status", "statusName"},
            evaluate=_bad_status,
        ),
        RuleType(
            code="BAD_REPAYMENT_SYMBOL",
            title="呆账/代偿/以资抵债记录",
            params={"symbols": Param("symbols", "BDZ"), "window_months": Param("int", 24, 1, 60)},
            evidence_keys=_WINDOW | {"foundSymbols", "foundNames"},
            evaluate=_bad_symbols,
        ),
        RuleType(
            code="FIVE_CLASS",
            title="贷款五级分类关注及以下",
            params={"min_class": Param("int", 2, 2, 5)},
            evidence_keys=_ACCOUNT | {"class", "className"},
            evaluate=_five_class,
        ),
        RuleType(
            code="PROBLEM_GUARANTEE",
            title="对外担保五级分类异常",
            params={"min_class": Param("int", 2, 2, 5)},
            evidence_keys=frozenset({"guarantee", "institution", "relation", "class", "className", "balance"}),
            evaluate=_problem_guarantee,
        ),
        _hard_queries_type("HARD_QUERIES_1M", 1),
        _hard_queries_type("HARD_QUERIES_3M", 3),
        _hard_queries_type("HARD_QUERIES_6M", 6),
        RuleType(
            code="PUBLIC_RECORD",
            title="未结公共记录",
            params={"kinds": Param("strings", ("强制执行",)), "completed_statuses": Param("strings", ("执行完毕", "结案"))},
            evidence_keys=frozenset({"record", "recordKind", "on", "status", "amount"}),
            evaluate=_public_record,
        ),
    )
}

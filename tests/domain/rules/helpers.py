"""Building blocks for rule tests: the shipped rule set and hand-made accounts."""

from dataclasses import replace
from datetime import date
from importlib import resources

from app.domain.credit_report import Account, AccountKind, CreditReport, Repayment, YearMonth
from app.integrations.sandbox import generate_report
from app.domain.rules import DEFAULT_REJECT_RULESET, Decision, RuleSet, evaluate, load_ruleset

REPORT_DATE = date(2026, 11, 29)  # report month 2026-11; the 24-month window is 2024-12 .. 2026-11


def default_text() -> str:
    return resources.files("app.domain.rules").joinpath(DEFAULT_REJECT_RULESET).read_text(encoding="utf-8")


def default_rules() -> RuleSet:
    return load_ruleset(default_text())


def statuses(overdue: dict[str, str] | None = None, end: str = "2026-10", fill: str = "N") -> str:
    """60 symbols ending at `end`, all `fill` except the given months ({"2025-03": "1"})."""
    y, m = map(int, end.split("-"))
    last = YearMonth(y, m)
    out = [fill] * 60
    for month, symbol in (overdue or {}).items():
        y, m = map(int, month.split("-"))
        offset = last.index - YearMonth(y, m).index
        assert 0 <= offset < 60, month
        out[59 - offset] = symbol
    return "".join(out)


def account(
    history: str | None = None, *, id: str = "A9", end: str = "2026-10", kind: AccountKind = AccountKind.D1, **kw
) -> Account:
    y, m = map(int, end.split("-"))
    fields = dict(
        id=id,
        kind=kind,
        status="1",
        opened_on=date(2021, 1, 5),
        amount_fen=10_000_000,
        balance_fen=4_000_000,
        current_overdue_periods=0,
        current_overdue_amount_fen=0,
        reported_on=date(2026, 10, 31),
        loan_type="51" if kind in (AccountKind.D1, AccountKind.R1, AccountKind.R4) else None,
        five_class=1 if kind in (AccountKind.D1, AccountKind.R1, AccountKind.R4) else None,
        repayment=Repayment(end=YearMonth(y, m), statuses=history if history is not None else statuses(end=end)),
    )
    fields.update(kw)
    return Account(**fields)


def thin_report(**changes) -> CreditReport:
    """A report with no credit history (only today's query), then the given sections."""
    return replace(generate_report(7, report_date=REPORT_DATE, profile="thin"), **changes)


def with_account(acc: Account) -> CreditReport:
    return thin_report(accounts=(acc,))


def run(report: CreditReport, rules: RuleSet | None = None) -> Decision:
    return evaluate(rules or default_rules(), report, report.report_date)


def codes(decision: Decision) -> list[str]:
    return [h.code for h in decision.hits]


def hits(decision: Decision, code: str) -> list:
    return [h for h in decision.hits if h.code == code]

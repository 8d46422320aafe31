"""A small legacy book, as the old credit system would export it on the eve of the migration date (issue 18).

Five customers in 西街村 (demo bank 襄汾农商行), their cards, credit lines and one loan each, in the states a
migration must carry: current (等额本息, 先息后本 with the old system's 关注), overdue 72 days (等额本金, 关注, penalty),
overdue 98 days (等额本息, 次级, penalty), and an instalment falling due on the migration date itself. The old system
runs the contract rules (the schedule code), so its figures are computed here from each loan's terms and paid history;
the loans file ends with its control row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from app.domain import cards, idcard
from app.domain.extension import extension_dates, rebuild
from app.domain.portfolio_import import LOANS
from app.domain.schedule import Method, amortize, build_schedule, days_interest_fen

VILLAGE = "141023100201"  # 西街村 (demo seed)


def id_number(n: int) -> str:
    return idcard.make_number("141002", date(1960 + n, 4, n), n)


def card_number(n: int) -> str:
    body = f"621700000001{n:06d}"
    return body + cards.check_digit(body)


@dataclass(frozen=True)
class LegacyLoan:
    n: int
    method: str  # the file's Chinese label
    principal_yuan: int
    term: int
    start: date
    rate_percent: str
    unpaid_from: int | None  # the first unpaid row's number (all rows due on or before the migration date from it on are unpaid)
    penalty_fen: int
    loan_class: str
    card: bool  # cards only for borrowers who pay: the overdue ones stay overdue through end-of-day
    non_accrual_on: date | None = None  # 非应计日: the old system keeps its interest off the balance sheet since then
    written_off_on: date | None = None  # 核销日: written off (账销案存); rows due after it are not the old system's concern
    extended_on: date | None = None  # 展期日: extended by `extension_months` (the rate unchanged), as Cunxin's extension rebuilds it
    extension_months: int = 0
    observing_since: date | None = None  # 观察期起始日: a non-performing loan observed since it repaid its arrears
    repaid_yuan: int = 0  # 随借随还: principal repaid before the current settlement period (interest always paid when due)
    restructured: bool = False  # 重组: the extension was a restructuring (the borrower in financial difficulty)
    compound_fen: int = 0  # 复利 owed on the overdue interest
    original_rate: str | None = None  # 发放时年利率: a 等额本息 loan repriced on `repriced_on` (a due date) from this rate to `rate_percent`
    repriced_on: date | None = None
    recovered_fen: tuple[int, int] = (0, 0)  # 核销后已收回 principal and interest, in the old system
    interest_paid_fen: int = 0  # 已收利息: interest the borrower paid in the old system before the migration


LOANS_OF_BOOK = (
    LegacyLoan(1, "等额本息", 60_000, 12, date(2026, 5, 10), "4.45", None, 0, "正常", True),
    LegacyLoan(2, "先息后本", 50_000, 24, date(2026, 3, 1), "4", None, 0, "关注", True),
    LegacyLoan(3, "等额本金", 36_000, 12, date(2026, 1, 15), "4.5", 8, 20_00, "关注", False),
    LegacyLoan(4, "等额本息", 24_000, 12, date(2025, 12, 20), "5", 8, 55_00, "次级", False),
    LegacyLoan(5, "等额本金", 12_000, 6, date(2026, 6, 27), "4.35", 5, 0, "正常", True),  # row 5 falls due on the migration date
)

# the states the lifecycle adds (docs/import.md "Loans in other states"): a current loan, a non-accrual one (unpaid since
# 2026-06-20, off the balance sheet since 2026-09-19, 159 days past due) and a written-off one (unpaid since 2025-10-10,
# written off 2026-06-30) whose borrower still has a card that pays, so money can be recovered after the migration
STATE_LOANS = (
    LOANS_OF_BOOK[0],
    LegacyLoan(6, "等额本息", 24_000, 12, date(2025, 12, 20), "5", 6, 80_00, "次级", False, non_accrual_on=date(2026, 9, 19)),
    LegacyLoan(7, "等额本金", 30_000, 12, date(2025, 6, 10), "5", 4, 0, "损失", True, written_off_on=date(2026, 6, 30)),
)
# a revolving drawdown (随借随还) of 30,000.00 on 2026-05-08 for 12 months, 10,000.00 repaid in July: 20,000.00 left,
# interest of the settlement period from 2026-09-21 accrued by 积数 on it
REVOLVING_LOANS = (LegacyLoan(9, "随借随还", 30_000, 12, date(2026, 5, 8), "4.35", None, 0, "正常", True, repaid_yuan=10_000),)

# a 次级 loan that repaid all its arrears on 2026-08-01 and has paid on time since: under observation for an upgrade
OBSERVED_LOANS = (LegacyLoan(10, "等额本息", 12_000, 12, date(2026, 3, 10), "4.5", None, 0, "次级", True, observing_since=date(2026, 8, 1)),)

# a six-month loan extended by six months on 2026-08-20 (before its maturity 2026-09-05): it now runs to 2027-03-05
EXTENDED_LOANS = (LegacyLoan(8, "等额本息", 20_000, 6, date(2026, 3, 5), "4.5", None, 0, "正常", True, extended_on=date(2026, 8, 20), extension_months=6),)

# the states carried since (docs/import.md): the same extension as a restructuring (重组, 关注); a loan overdue since
# 2026-10-20 owing penalty and compound interest (复利) on its overdue interest, without a card (it stays overdue); a
# 等额本息 loan repriced from 4.75 % to 4.45 % on its due date 2026-01-15; a written-off loan of which the old system
# recovered 2,000.00 of principal and 100.00 of interest after the write-off; the repriced loan's borrower paid 1,380.12 of
# interest in the old system (已收利息)
RESTRUCTURED, COMPOUND, REPRICED, RECOVERED = (
    LegacyLoan(11, "等额本息", 20_000, 6, date(2026, 3, 5), "4.5", None, 0, "关注", True, extended_on=date(2026, 8, 20), extension_months=6,
               restructured=True),
    LegacyLoan(12, "等额本息", 24_000, 12, date(2026, 1, 20), "5", 9, 30_00, "关注", False, compound_fen=1_25),
    LegacyLoan(13, "等额本息", 36_000, 24, date(2025, 10, 15), "4.45", None, 0, "正常", True, original_rate="4.75", repriced_on=date(2026, 1, 15),
               interest_paid_fen=1_380_12),
    LegacyLoan(14, "等额本金", 30_000, 12, date(2025, 6, 10), "5", 4, 0, "损失", True, written_off_on=date(2026, 6, 30), recovered_fen=(2_000_00, 100_00)),
)
CARRIED_LOANS = (RESTRUCTURED, COMPOUND, REPRICED, RECOVERED)

METHODS = {"等额本息": "equal_installment", "等额本金": "equal_principal", "先息后本": "interest_first", "随借随还": "revolving"}


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _write(path: Path, rows: list[list[str]]) -> Path:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    path.write_bytes(out.getvalue().encode("gb18030"))
    return path


@dataclass
class Book:
    customers: Path
    cards: Path
    lines: Path
    loans: Path
    loan_rows: list[list[str]]
    control: dict[str, int]  # fen: principal, overdue_principal, overdue_interest, accrued, penalty; and count

    def loans_file(self, path: Path, rows: list[list[str]], control: list[str] | None = None) -> Path:
        return _write(path, [LOANS.headers, *rows, control if control is not None else self.control_row()])

    def control_row(self) -> list[str]:
        c = self.control
        sums = {"贷款编号": "合计", "额度编号": str(c["count"]), "剩余本金": _yuan(c["principal"]), "逾期本金": _yuan(c["overdue_principal"]),
                "逾期利息": _yuan(c["overdue_interest"]), "应计利息": _yuan(c["accrued"]), "罚息": _yuan(c["penalty"]), "复利": _yuan(c["compound"])}
        return [sums.get(h, "") for h in LOANS.headers]


def loan_row(loan: LegacyLoan, on: date) -> tuple[list[str], dict[str, int]]:
    """The old system's row for `loan` as at the close of the day before `on`, and its figures (fen)."""
    rate_ppm = int(float(loan.rate_percent) * 10_000)
    if loan.original_rate is not None:  # the old system re-amortised the balance at the new rate from the repricing date's period on
        rows = build_schedule(loan.principal_yuan * 100, int(float(loan.original_rate) * 10_000), loan.term, METHODS[loan.method], loan.start).installments
        later = [r for r in rows if r.due_on > loan.repriced_on]
        rows = [r for r in rows if r.due_on <= loan.repriced_on] + amortize(
            sum(r.principal_fen for r in later), rate_ppm, Method(METHODS[loan.method]), [r.due_on for r in later], first_number=later[0].number)
    else:
        rows = build_schedule(loan.principal_yuan * 100, rate_ppm, loan.term, METHODS[loan.method], loan.start).installments
    if loan.extended_on is not None:
        future = [r for r in rows if r.due_on > loan.extended_on]
        dates = [r.due_on for r in future] + list(extension_dates(rows[0].due_on, loan.term, loan.extension_months, loan.start.day))
        rows = [r for r in rows if r.due_on <= loan.extended_on] + rebuild(
            sum(r.principal_fen for r in future), rate_ppm, METHODS[loan.method], dates, current_interest_fen=future[0].interest_fen,
            first_number=future[0].number)
    past = [r for r in rows if r.due_on <= (loan.written_off_on or on)]
    unpaid = [r for r in past if loan.unpaid_from is not None and r.number >= loan.unpaid_from]
    recovered_principal, recovered_interest = loan.recovered_fen
    paid = sum(r.principal_fen for r in past if r not in unpaid) + loan.repaid_yuan * 100 + recovered_principal
    remaining = loan.principal_yuan * 100 - paid
    period_start = past[-1].due_on if past else loan.start
    overdue_principal = sum(r.principal_fen for r in unpaid) - recovered_principal
    not_due = remaining - overdue_principal
    accrued = 0 if loan.written_off_on else days_interest_fen(not_due, rate_ppm, (on - period_start).days)
    figures = {"principal": remaining, "overdue_principal": overdue_principal,
               "overdue_interest": sum(r.interest_fen for r in unpaid) - recovered_interest, "accrued": accrued, "penalty": loan.penalty_fen,
               "compound": loan.compound_fen}
    row = [f"D{loan.n:04d}", f"L{loan.n:04d}", "BIANLI", loan.method, "1y", "150", loan.rate_percent, str(loan.principal_yuan),
           loan.start.isoformat(), rows[0].due_on.isoformat(), rows[-1].due_on.isoformat(), str(loan.term), _yuan(paid), _yuan(remaining),
           _yuan(figures["overdue_principal"]), _yuan(figures["overdue_interest"]), unpaid[0].due_on.isoformat() if unpaid else "",
           _yuan(accrued), _yuan(loan.penalty_fen), loan.loan_class]
    extra = {"非应计日": loan.non_accrual_on.isoformat() if loan.non_accrual_on else "", "核销日": loan.written_off_on.isoformat() if loan.written_off_on else "",
             "展期日": loan.extended_on.isoformat() if loan.extended_on else "", "展期月数": str(loan.extension_months) if loan.extended_on else "",
             "观察期起始日": loan.observing_since.isoformat() if loan.observing_since else "", "重组": "是" if loan.restructured else "",
             "复利": _yuan(loan.compound_fen), "发放时年利率": loan.original_rate or "", "已收利息": _yuan(loan.interest_paid_fen) if loan.interest_paid_fen else "",
             "核销后已收回本金": _yuan(recovered_principal) if recovered_principal else "", "核销后已收回利息": _yuan(recovered_interest) if recovered_interest else ""}
    row += [extra.get(h, "") for h in LOANS.headers[20:]]
    return row, figures


def legacy_book(folder: Path, on: date, loans: tuple[LegacyLoan, ...] = LOANS_OF_BOOK) -> Book:
    """The four files of the legacy book (of `loans`) for a migration on business date `on`."""
    customers = [["客户编号", "姓名", "身份证号码", "手机号", "村区划代码", "户号", "与户主关系"]]
    card_rows = [["卡记录编号", "客户编号", "银行卡号", "开户行"]]
    lines = [["额度编号", "客户编号", "产品代码", "授信金额", "已用金额", "利率基准", "加点", "期限（月）", "生效日", "到期日", "状态"]]
    loan_rows = []
    control = {"count": 0, "principal": 0, "overdue_principal": 0, "overdue_interest": 0, "accrued": 0, "penalty": 0, "compound": 0}
    for loan in loans:
        customers.append([f"C{loan.n:04d}", "赵" + "一二三四五六七八九十甲乙丙丁"[loan.n - 1] + "娃", id_number(loan.n), f"1380000{loan.n:04d}", VILLAGE,
                          f"91{loan.n:02d}", "户主"])
        if loan.card:
            card_rows.append([f"K{loan.n:04d}", f"C{loan.n:04d}", card_number(loan.n), "山西农信"])
        row, figures = loan_row(loan, on)
        loan_rows.append(row)
        control["count"] += 1
        for k, v in figures.items():
            control[k] += v
        used = 0 if loan.written_off_on else figures["principal"]  # written-off principal no longer uses the line
        lines.append([f"L{loan.n:04d}", f"C{loan.n:04d}", "BIANLI", str(loan.principal_yuan), _yuan(used), "1y", "150", "36",
                      loan.start.isoformat(), "2028-12-31", "有效"])
    book = Book(_write(folder / "customers.csv", customers), _write(folder / "cards.csv", card_rows), _write(folder / "lines.csv", lines),
                folder / "loans.csv", loan_rows, control)
    book.loans_file(book.loans, loan_rows)
    return book

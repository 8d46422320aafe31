"""A bank moves in (issue 18 "Done means"): a generated legacy book — customers, cards, credit lines and loans current,
overdue and classed 关注/次级 — imported through `cunxin import`, then 60 days of `cunxin eod --days`; `ledger-check`
stays clean, the reconciliation printed on confirm matches the control totals, and the loans' balances still account for
them (what is outstanding plus what was repaid since is what the old system handed over)."""

import re
from datetime import date

from app.domain.money import yuan_str
from app.domain.classification import FloorKind
from app.models import Installment, LedgerEntry, Loan, LoanExtension, LoanRisk, LoanWriteOff
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.portfolio_import import loan_reconciliation
from tests.cli.test_import_cli import _cunxin
from tests.services.portfolio_import.legacy_book import CARRIED_LOANS, EXTENDED_LOANS, LOANS_OF_BOOK, OBSERVED_LOANS, REVOLVING_LOANS, STATE_LOANS, \
    legacy_book

BANK = "14102301"


async def test_a_legacy_book_imported_through_the_cli_lives_through_60_days_of_end_of_day(demo, tmp_path):
    on = await business_date.current()
    book = legacy_book(tmp_path, on)
    for kind, path in (("customers", book.customers), ("cards", book.cards), ("credit_lines", book.lines)):
        done = _cunxin("import", kind, str(path), "--bank", BANK, "--confirm")
        assert done.returncode == 0 and "已导入" in done.stdout, done.stderr
    preview = _cunxin("import", "loans", str(book.loans), "--bank", BANK)
    assert preview.returncode == 0 and "预览通过（未写入）。襄汾农商行 贷款：共 5 行，新增 5 行" in preview.stdout, preview.stderr
    assert await Loan.all().count() == 0

    confirmed = _cunxin("import", "loans", str(book.loans), "--bank", BANK, "--confirm")
    assert confirmed.returncode == 0, confirmed.stderr
    c = book.control
    out = confirmed.stdout
    assert "已导入。襄汾农商行 贷款：共 5 行，新增 5 行" in out
    assert f"导入合计：5 笔，本金 {yuan_str(c['principal'])} 元，应收利息 {yuan_str(c['overdue_interest'])} 元，" \
           f"应计利息 {yuan_str(c['accrued'])} 元，罚息 {yuan_str(c['penalty'])} 元" in out
    assert f"控制合计：5 笔，本金 {yuan_str(c['principal'])} 元" in out
    assert "按产品：\n  便利贷：5 笔" in out and re.search(r"按五级分类：\n(  .+\n)*  次级：1 笔", out), out
    assert "迁移过渡科目余额：0.00 元" in out and "对账相符" in out
    checked = _cunxin("ledger-check", "--bank", BANK)
    assert checked.returncode == 0 and "总账核对通过" in checked.stdout, checked.stderr

    closed = _cunxin("eod", "--days", "60")
    assert closed.returncode == 0, closed.stderr
    assert await business_date.current() == on.replace(year=on.year + 1, month=1, day=26)  # 60 closes later
    checked = _cunxin("ledger-check")
    assert checked.returncode == 0 and "总账核对通过" in checked.stdout, checked.stderr + checked.stdout

    # the imported loans lived as native ones: the paying borrowers were debited, the others aged and accrued penalty
    loans = {lo.disbursement_ref: lo for lo in await Loan.all()}
    repaid = {lo: sum(i.paid_principal_fen for i in await Installment.filter(loan_id=lo.id)) for lo in loans.values()}
    assert all(repaid[loans[f"D000{n}"]] > 0 for n in (1, 5))  # due dates passed with a card that pays
    assert repaid[loans["D0003"]] == repaid[loans["D0004"]] == 0
    assert loans["D0004"].days_past_due == 98 + 60 and loans["D0004"].classification == "substandard"
    assert loans["D0003"].penalty_fen > 20_00
    # and what they hold now plus what was repaid is exactly the principal the control row handed over
    assert sum(lo.outstanding_principal_fen + repaid[lo] for lo in loans.values()) == c["principal"]
    report = await loan_reconciliation(actor=SYSTEM, bank_code=BANK)
    assert report.matches and report.imported.principal_fen == report.control.principal_fen == c["principal"]


def test_a_bad_loans_file_exits_1_and_writes_nothing(demo, tmp_path):
    bad = tmp_path / "loans.csv"
    bad.write_bytes("贷款编号,额度编号,产品代码,还款方式,利率基准,加点,执行年利率,原始本金,起息日,首期还款日,到期日,期限（月）,已还本金,剩余本金,五级分类\n"
                    "D1,L404,BIANLI,等额本息,1y,150,4.45,12000,2026-06-15,2026-07-15,2027-06-15,12,0,12000,正常\n"
                    "合计,1,,,,,,,,,,,,12000,\n".encode("gb18030"))
    result = _cunxin("import", "loans", str(bad), "--bank", BANK, "--confirm")
    assert result.returncode == 1, result.stdout
    assert "第 2 行「额度编号」：找不到额度编号为 L404 的授信额度（请先导入授信额度文件）" in result.stderr
    assert "未写入任何数据" in result.stderr


async def test_a_legacy_book_in_every_state_imported_through_the_cli_lives_through_60_days_of_end_of_day(demo, tmp_path):
    """Current, overdue, non-accrual, written-off, extended, revolving and observed loans in one book (docs/import.md), and
    the states carried since: a restructured extension (重组), compound interest owed (复利), a repriced 等额本息 loan and
    a written-off loan with the old system's recoveries."""
    on = await business_date.current()
    book = legacy_book(tmp_path, on, (*LOANS_OF_BOOK, *STATE_LOANS[1:], *EXTENDED_LOANS, *REVOLVING_LOANS, *OBSERVED_LOANS, *CARRIED_LOANS))
    for kind, path in (("customers", book.customers), ("cards", book.cards), ("credit_lines", book.lines), ("loans", book.loans)):
        done = _cunxin("import", kind, str(path), "--bank", BANK, "--confirm")
        assert done.returncode == 0 and "已导入" in done.stdout, done.stderr + done.stdout
    assert "按核算状态：" in done.stdout and "已核销：2 笔" in done.stdout and "非应计：1 笔" in done.stdout, done.stdout
    assert f"导入合计：14 笔，本金 {yuan_str(book.control['principal'])} 元" in done.stdout and "复利 1.25 元" in done.stdout, done.stdout
    assert "迁移过渡科目余额：0.00 元" in done.stdout and "对账相符" in done.stdout
    checked = _cunxin("ledger-check", "--bank", BANK)
    assert checked.returncode == 0 and "总账核对通过" in checked.stdout, checked.stderr + checked.stdout

    closed = _cunxin("eod", "--days", "60")
    assert closed.returncode == 0, closed.stderr
    checked = _cunxin("ledger-check")
    assert checked.returncode == 0 and "总账核对通过" in checked.stdout, checked.stderr + checked.stdout
    loans = {lo.disbursement_ref: lo for lo in await Loan.all()}
    assert len(loans) == 14 and loans["D0007"].status == loans["D0014"].status == "written_off"
    assert (await LoanRisk.get(loan_id=loans["D0006"].id)).non_accrual_since == date(2026, 9, 19)
    assert await LoanExtension.filter(loan_id=loans["D0008"].id).count() == 1
    paid = {ref: [i.due_on for i in await Installment.filter(loan_id=loans[ref].id, status="paid")] for ref in ("D0008", "D0009")}
    assert paid == {"D0008": [date(2026, 12, 5), date(2027, 1, 5)], "D0009": [date(2026, 12, 21)]}
    assert (await LoanRisk.get(loan_id=loans["D0011"].id)).floor_kind == FloorKind.RESTRUCTURED
    assert loans["D0011"].classification == "special_mention" and (await LoanExtension.get(loan_id=loans["D0011"].id)).restructured
    # the imported 复利 went on growing with the overdue interest (off the balance sheet since the loan passed 90 days)
    compound = sum(e.debit_fen - e.credit_fen for e in await LedgerEntry.filter(loan_id=loans["D0012"].id, account__in=("compound_receivable", "off_compound")))
    assert compound == loans["D0012"].compound_fen > 1_25 and (await LoanRisk.get(loan_id=loans["D0012"].id)).non_accrual_since is not None
    assert [i.due_on for i in await Installment.filter(loan_id=loans["D0013"].id, status="paid").order_by("due_on")] == [
        date(2026, 12, 15), date(2027, 1, 15)]  # the repriced 等额本息 loan's rebuilt rows were debited
    assert (await LoanWriteOff.get(loan_id=loans["D0014"].id)).recovered_principal_fen == 2_000_00
    assert loans["D0013"].legacy_interest_paid_fen == 1_380_12  # 已收利息: reported as received, never booked (ledger-check above)
    report = await loan_reconciliation(actor=SYSTEM, bank_code=BANK)
    assert report.matches and report.imported.count == 14 and report.imported.principal_fen == book.control["principal"]

"""Portfolio import of loans as of the migration date (issue 18): schedules rebuilt and checked, opening entries against
the migration suspense, the file's control row as its contra entry, the reconciliation; bad files change nothing."""

from datetime import timedelta

import pytest

from app.domain.classification import LoanClass
from app.domain.vocabulary import InstallmentStatus
from app.models import AuditEvent, Installment, LedgerEntry, LedgerTransaction, Loan, LoanRisk
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.ledger import ledger_check, trial_balance
from app.services.portfolio_import import import_cards, import_credit_lines, import_customers, import_loans, loan_reconciliation
from tests.services.portfolio_import.legacy_book import legacy_book

BANK = "14102301"
MAX = 10 * 1024 * 1024


async def _run(service, path, *, confirm, vault):
    return await service(actor=SYSTEM, vault=vault, bank_code=BANK, path=path, confirm=confirm, max_bytes=MAX)


async def _book_without_loans(vault, tmp_path):
    on = await business_date.current()
    book = legacy_book(tmp_path, on)
    for service, path in ((import_customers, book.customers), (import_cards, book.cards), (import_credit_lines, book.lines)):
        assert (await _run(service, path, confirm=True, vault=vault)).committed
    return on, book


async def _nothing_written():
    return (await Loan.all().count(), await Installment.all().count(), await LedgerEntry.all().count(), await AuditEvent.filter(action="import.loans").count())


async def test_legacy_book_opens_with_entries_against_the_migration_suspense_and_reconciles(demo, vault, tmp_path):
    on, book = await _book_without_loans(vault, tmp_path)
    preview = await _run(import_loans, book.loans, confirm=False, vault=vault)
    assert [str(e) for e in preview.errors] == [] and (preview.rows, preview.new, preview.committed) == (5, 5, False)
    assert await Loan.all().count() == 0

    done = await _run(import_loans, book.loans, confirm=True, vault=vault)
    assert (done.rows, done.new, done.committed) == (5, 5, True)
    c = book.control
    loans = {lo.disbursement_ref: lo for lo in await Loan.all()}
    assert sum(lo.outstanding_principal_fen for lo in loans.values()) == c["principal"]
    assert sum(lo.accrued_interest_fen for lo in loans.values()) == c["accrued"]
    # the overdue loans: arrears as one overdue row at the earliest unpaid due date; DPD and class as the old system had them
    d3, d4, d5 = loans["D0003"], loans["D0004"], loans["D0005"]
    assert (d4.classification, d4.days_past_due, d4.penalty_fen) == (LoanClass.SUBSTANDARD, 98, 55_00)
    arrears = await Installment.filter(loan_id=d3.id).order_by("number").first()
    assert (arrears.number, arrears.due_on.isoformat(), arrears.status) == (8, "2026-09-15", InstallmentStatus.OVERDUE)
    assert d3.overdue_principal_fen + d4.overdue_principal_fen == c["overdue_principal"] - (await Installment.get(loan_id=d5.id, due_on=on)).principal_fen
    # a current loan the old system held at 关注 keeps that class as a floor
    floor = await LoanRisk.get(loan_id=loans["D0002"].id)
    assert floor.floor_class == LoanClass.SPECIAL_MENTION and "原系统认定为关注" in floor.floor_reason

    # one opening transaction per loan and one contra for the file: the suspense nets to zero, the books agree
    assert await LedgerTransaction.filter(kind="migration_opening").count() == 5
    assert await LedgerTransaction.filter(kind="migration_control").count() == 1
    balances = {t.account: t.debit_fen - t.credit_fen for t in await trial_balance()}
    assert balances["migration_suspense"] == 0
    assert -balances["migration_legacy"] == c["principal"] + c["overdue_interest"] + c["accrued"] + c["penalty"]
    assert await ledger_check(today=on - timedelta(days=1)) == []

    report = await loan_reconciliation(actor=SYSTEM, bank_code=BANK)
    assert report.matches and report.suspense_fen == 0
    assert (report.imported.count, report.imported.principal_fen, report.imported.interest_fen, report.imported.penalty_fen) == (
        5, c["principal"], c["overdue_interest"], c["penalty"])
    by_class = {line.label: line.figures.count for line in report.lines if line.dimension == "五级分类"}
    assert by_class == {"正常": 2, "关注": 2, "次级": 1}

    # the same file again: every key imported before, nothing added, no second contra
    again = await _run(import_loans, book.loans, confirm=True, vault=vault)
    assert (again.new, again.skipped, again.committed) == (0, 5, True)
    assert await Loan.all().count() == 5 and await LedgerTransaction.filter(kind="migration_control").count() == 1
    assert (await loan_reconciliation(actor=SYSTEM, bank_code=BANK)).matches


async def test_balance_not_matching_the_schedule_unknown_product_and_duplicate_keys_change_nothing(demo, vault, tmp_path):
    _, book = await _book_without_loans(vault, tmp_path)
    rows = [list(r) for r in book.loan_rows]
    rows[0][13] = str(int(float(rows[0][13])) + 100)  # 剩余本金 100 yuan above the schedule (and the paid history)
    rows[0][12] = str(int(float(rows[0][12])) - 100)  # paid 100 less: only the schedule disagrees
    rows[1][2] = "NOSUCH"
    rows[2][0] = "D0001"
    before = await _nothing_written()
    result = await _run(import_loans, book.loans_file(tmp_path / "bad.csv", rows), confirm=True, vault=vault)
    messages = [str(e) for e in result.errors]
    assert any(m.startswith("第 2 行「剩余本金」：贷款余额与还款计划不符") for m in messages), messages
    assert "第 3 行「产品代码」：襄汾农商行没有产品代码为 NOSUCH 的产品" in messages
    assert "第 4 行「贷款编号」：与第 2 行的贷款编号重复" in messages
    assert result.committed is False and await _nothing_written() == before


async def test_control_row_must_agree_and_be_there(demo, vault, tmp_path):
    _, book = await _book_without_loans(vault, tmp_path)
    control = book.control_row()
    control[13] = f"{book.control['principal'] // 100 + 1}.{book.control['principal'] % 100:02d}"
    before = await _nothing_written()
    result = await _run(import_loans, book.loans_file(tmp_path / "c.csv", book.loan_rows, control), confirm=True, vault=vault)
    assert [str(e).split("：")[0] for e in result.errors] == ["第 7 行「剩余本金」"] and "合计行与明细不符" in str(result.errors[0])
    assert result.committed is False and await _nothing_written() == before

    from app.domain.portfolio_import import ImportFileError

    path = tmp_path / "none.csv"
    book.loans_file(path, book.loan_rows)
    path.write_bytes(b"\n".join(path.read_bytes().splitlines()[:-1]))  # the control row dropped
    with pytest.raises(ImportFileError, match="控制合计行"):
        await _run(import_loans, path, confirm=False, vault=vault)
    assert await _nothing_written() == before


def test_the_loans_template_has_a_loan_row_and_its_control_row_that_check_clean(tmp_path):
    from app.domain.portfolio_import import LOANS, cells_of, check_control, check_loan, header_columns
    from app.services.portfolio_import.files import read_rows, template_xlsx

    path = tmp_path / "loans.xlsx"
    path.write_bytes(template_xlsx(LOANS))
    header, loan, control = list(read_rows(path))[:3]
    columns = header_columns(LOANS, header)
    row, errors = check_loan(2, cells_of(columns, loan))
    assert errors == [] and row["method"] == "interest_first" and row["accrued_fen"] == 17_80
    totals, errors = check_control(3, cells_of(columns, control))
    assert errors == [] and (totals.count, totals.principal_fen, totals.accrued_fen) == (1, 12_000_00, 17_80)


async def test_loans_beyond_the_lines_used_amount_bad_dates_and_arrears_off_the_schedule_are_refused(demo, vault, tmp_path):
    _, book = await _book_without_loans(vault, tmp_path)
    rows = [list(r) for r in book.loan_rows]
    twin = list(rows[0])
    twin[0] = "D0009"  # a second loan on L0001: together above the line's 已用金额 (the first loan's balance)
    rows[1][10] = "2028-04-01"  # 到期日 not the schedule's last due date (24 months from 2026-03-01)
    rows[2][16] = "2026-09-16"  # 最早逾期日 not a due date of the schedule
    rows[3][9] = "2026-12-31"  # 首期还款日 more than two months after 起息日
    before = await _nothing_written()
    result = await _run(import_loans, book.loans_file(tmp_path / "bad.csv", [*rows, twin]), confirm=True, vault=vault)
    messages = [str(e) for e in result.errors]
    assert "第 3 行「到期日」：到期日与按期限推算的最后一期还款日 2028-03-01 不符" in messages
    assert "第 4 行「最早逾期日」：有逾期金额时，最早逾期日应为迁移日及之前还款计划中的某一还款日" in messages
    assert "第 5 行「首期还款日」：首期还款日不能晚于起息日后两个月" in messages
    assert any(m.startswith("第 7 行「剩余本金」：额度 L0001 下贷款余额合计") and "超过额度的已用金额" in m for m in messages), messages
    assert result.committed is False and await _nothing_written() == before

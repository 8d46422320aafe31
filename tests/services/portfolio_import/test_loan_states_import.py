"""Portfolio import of loans in the states the lifecycle models (issue 18): a non-accrual loan (非应计) comes in with its
interest, penalty and accrued share off the balance sheet, a written-off loan (核销, 账销案存) with its off-balance record so
money recovered after the migration books as for a native one; the suspense still nets to zero, `ledger-check` is
clean, end-of-day treats them as native loans; bad rows get Chinese errors per row and column and change nothing."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.classification import ClassificationPolicy, LoanClass
from app.domain.errors import ValidationError
from app.domain.maker_checker import MakerCheckerPolicy
from app.domain.vocabulary import CreditLineStatus, LoanStatus
from app.integrations.core_banking import SandboxCoreBanking
from app.models import AuditEvent, ClassUpgradeProposal, CreditLine, Installment, LedgerEntry, LedgerTransaction, Loan, LoanExtension, LoanRisk, LoanWriteOff
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.eod import run_eod
from app.services.lending.extension import propose_extension
from app.services.lending.ledger import ledger_check, trial_balance
from app.services.lending.write_off import record_recovery
from app.services.portfolio_import import import_cards, import_credit_lines, import_customers, import_loans, loan_reconciliation
from tests.services.lending.test_classification_state import _actor
from tests.services.portfolio_import.legacy_book import EXTENDED_LOANS, OBSERVED_LOANS, REVOLVING_LOANS, STATE_LOANS, legacy_book

BANK = "14102301"
MAX = 10 * 1024 * 1024
NA, WO = 1, 2  # the rows of STATE_LOANS (and of the file: +2)


async def _run(service, path, *, confirm, vault):
    return await service(actor=SYSTEM, vault=vault, bank_code=BANK, path=path, confirm=confirm, max_bytes=MAX)


async def _book(vault, tmp_path):
    on = await business_date.current()
    book = legacy_book(tmp_path, on, STATE_LOANS)
    for service, path in ((import_customers, book.customers), (import_cards, book.cards), (import_credit_lines, book.lines)):
        assert (await _run(service, path, confirm=True, vault=vault)).committed
    return on, book


async def _loan_balance(loan_id, *accounts) -> int:
    return sum(e.debit_fen - e.credit_fen for e in await LedgerEntry.filter(loan_id=loan_id, account__in=accounts))


async def _nothing_written():
    return (await Loan.all().count(), await LoanRisk.all().count(), await LoanWriteOff.all().count(), await LedgerEntry.all().count(),
            await AuditEvent.filter(action="import.loans").count())


def _figures(row: list[str]) -> dict[str, int]:
    def fen(text: str) -> int:
        yuan, _, cents = text.partition(".")
        return int(yuan) * 100 + int((cents or "0").ljust(2, "0"))

    return {"principal": fen(row[13]), "interest": fen(row[15]), "accrued": fen(row[17]), "penalty": fen(row[18])}


async def test_non_accrual_and_written_off_loans_come_across_off_balance_and_live_on_as_native_ones(demo, vault, tmp_path):
    on, book = await _book(vault, tmp_path)
    preview = await _run(import_loans, book.loans, confirm=False, vault=vault)
    assert [str(e) for e in preview.errors] == [] and (preview.rows, preview.new) == (3, 3)
    done = await _run(import_loans, book.loans, confirm=True, vault=vault)
    assert done.committed and done.new == 3
    loans = {lo.disbursement_ref: lo for lo in await Loan.all()}
    na, wo = loans["D0006"], loans["D0007"]
    fna, fwo = _figures(book.loan_rows[NA]), _figures(book.loan_rows[WO])
    assert fna["interest"] > 0 and fna["accrued"] > 0 and fna["penalty"] == 80_00 and fwo["interest"] > 0

    # 非应计: the borrower owes what the file says; the bank holds the interest, penalty and accrued share off the balance sheet
    risk = await LoanRisk.get(loan_id=na.id)
    assert risk.non_accrual_since == date(2026, 9, 19)
    assert (risk.off_interest_fen, risk.off_penalty_fen, risk.off_accrued_fen) == (fna["interest"], fna["penalty"], fna["accrued"])
    assert (na.status, na.classification, na.days_past_due, na.penalty_fen) == (LoanStatus.ACTIVE, LoanClass.SUBSTANDARD, 159, 80_00)
    assert await _loan_balance(na.id, "interest_receivable", "penalty_receivable") == 0
    assert await _loan_balance(na.id, "off_interest") == fna["interest"] and await _loan_balance(na.id, "off_penalty") == fna["penalty"]
    assert await _loan_balance(na.id, "loan_principal") == fna["principal"]

    # 核销: the loan is off the books, its principal and interest kept in the written-off register (账销案存)
    assert (wo.status, wo.outstanding_principal_fen, wo.accrued_interest_fen) == (LoanStatus.WRITTEN_OFF, 0, 0)
    record = await LoanWriteOff.get(loan_id=wo.id)
    assert (record.written_off_on, record.class_at_write_off, record.principal_fen, record.interest_fen) == (
        date(2026, 6, 30), LoanClass.LOSS, fwo["principal"], fwo["interest"])
    assert await _loan_balance(wo.id, "loan_principal", "interest_receivable") == 0
    assert await _loan_balance(wo.id, "written_off_principal") == fwo["principal"]
    assert await _loan_balance(wo.id, "written_off_interest") == fwo["interest"]
    assert (await CreditLine.get(id=wo.credit_line_id)).status == CreditLineStatus.FROZEN  # a written-off borrower is not paid out again

    # the suspense nets to zero: the contra books only what came onto the balance sheet
    balances = {t.account: t.debit_fen - t.credit_fen for t in await trial_balance()}
    f0 = _figures(book.loan_rows[0])
    assert balances["migration_suspense"] == 0
    assert -balances["migration_legacy"] == f0["principal"] + f0["interest"] + f0["accrued"] + f0["penalty"] + fna["principal"]
    assert await ledger_check(today=on - timedelta(days=1)) == []
    report = await loan_reconciliation(actor=SYSTEM, bank_code=BANK)
    assert report.matches and report.imported.count == 3
    assert report.imported.principal_fen == book.control["principal"] and report.imported.interest_fen == book.control["overdue_interest"]
    states = {line.label: line.figures.count for line in report.lines if line.dimension == "核算状态"}
    assert states == {"表内计息": 1, "非应计": 1, "已核销": 1}

    # end-of-day runs on them as on native loans: the non-accrual loan's daily accrual goes off the balance sheet
    core = SandboxCoreBanking()
    for _ in range(5):
        await run_eod(core=core, vault=vault)
        assert await ledger_check(today=await business_date.current() - timedelta(days=1)) == []
    risk = await LoanRisk.get(loan_id=na.id)
    na = await Loan.get(id=na.id)
    assert risk.non_accrual_since == date(2026, 9, 19) and risk.off_accrued_fen == na.accrued_interest_fen > fna["accrued"]
    assert risk.off_penalty_fen == na.penalty_fen > 80_00
    assert await _loan_balance(na.id, "interest_receivable", "penalty_receivable", "compound_receivable") == 0
    assert (await Loan.get(id=wo.id)).status == LoanStatus.WRITTEN_OFF

    # money recovered on the imported written-off loan: principal first, the register shrinks
    today = await business_date.current()
    recovery = await record_recovery(actor=SYSTEM, loan_id=wo.id, amount_fen=fwo["principal"] + 1_00, idempotency_key=uuid.uuid4(), today=today,
                                     core=core, vault=vault)
    assert (recovery.principal_fen, recovery.interest_fen) == (fwo["principal"], 1_00)
    assert await _loan_balance(wo.id, "written_off_principal") == 0
    assert await _loan_balance(wo.id, "written_off_interest") == fwo["interest"] - 1_00
    assert await ledger_check(today=today - timedelta(days=1)) == []

    # the same file again adds nothing
    again = await _run(import_loans, book.loans, confirm=True, vault=vault)
    assert (again.new, again.skipped, again.committed) == (0, 3, True)
    assert await LoanWriteOff.all().count() == 1 and await LedgerTransaction.filter(kind="migration_control").count() == 1
    assert (await loan_reconciliation(actor=SYSTEM, bank_code=BANK)).suspense_fen == 0


async def test_non_accrual_and_write_off_columns_are_checked_per_row_and_a_bad_file_changes_nothing(demo, vault, tmp_path):
    on, book = await _book(vault, tmp_path)
    col = {h: i for i, h in enumerate(book_headers())}
    current = list(book.loan_rows[0])
    current[col["非应计日"]] = "2026-10-01"  # a 正常 loan is never non-accrual
    na = list(book.loan_rows[NA])
    na[col["非应计日"]] = on.isoformat()  # not before the migration date
    wo = list(book.loan_rows[WO])
    wo[col["应计利息"]] = "1.00"  # a written-off loan accrues nothing
    wo[col["非应计日"]] = "2026-05-01"  # and is not also non-accrual
    before = await _nothing_written()
    rows = [current, na, wo]
    control = book.control_row()
    control[col["应计利息"]] = f"{(book.control['accrued'] + 100) / 100:.2f}"
    result = await _run(import_loans, book.loans_file(tmp_path / "bad.csv", rows, control), confirm=True, vault=vault)
    messages = [str(e) for e in result.errors]
    assert "第 2 行「五级分类」：非应计贷款的五级分类应为次级、可疑或损失" in messages, messages
    assert f"第 3 行「非应计日」：非应计日应早于迁移日 {on.isoformat()}" in messages, messages
    assert "第 4 行「应计利息」：已核销的贷款没有计提利息，应为 0" in messages, messages
    assert "第 4 行「非应计日」：已核销的贷款不填非应计日" in messages, messages
    assert result.committed is False and await _nothing_written() == before

    wo = list(book.loan_rows[WO])
    wo[col["五级分类"]] = "关注"
    late = list(book.loan_rows[WO])
    late[col["贷款编号"]] = "D0017"
    late[col["核销日"]] = "2027-01-01"
    result = await _run(import_loans, book.loans_file(tmp_path / "bad2.csv", [wo, late], _control_of(book, WO)), confirm=False, vault=vault)
    messages = [str(e) for e in result.errors]
    assert "第 2 行「五级分类」：已核销贷款的五级分类应为次级、可疑或损失" in messages, messages
    assert f"第 3 行「核销日」：核销日应早于迁移日 {on.isoformat()}" in messages, messages
    assert await _nothing_written() == before


def book_headers() -> list[str]:
    from app.domain.portfolio_import import LOANS

    return LOANS.headers


def _control_of(book, index: int) -> list[str]:
    f = _figures(book.loan_rows[index])
    row = book.control_row()
    col = {h: i for i, h in enumerate(book_headers())}
    row[col["额度编号"]] = "1"
    for column, value in (("剩余本金", f["principal"]), ("逾期本金", int(round(float(book.loan_rows[index][14]) * 100))), ("逾期利息", f["interest"]),
                          ("应计利息", f["accrued"]), ("罚息", f["penalty"])):
        row[col[column]] = f"{value / 100:.2f}"
    return row


async def test_an_extended_loan_comes_across_with_its_extension_and_is_not_extended_again(demo, vault, tmp_path):
    on = await business_date.current()
    book = legacy_book(tmp_path, on, EXTENDED_LOANS)
    for service, path in ((import_customers, book.customers), (import_cards, book.cards), (import_credit_lines, book.lines)):
        assert (await _run(service, path, confirm=True, vault=vault)).committed
    col = {h: i for i, h in enumerate(book_headers())}
    row = book.loan_rows[0]
    assert (row[col["期限（月）"]], row[col["到期日"]], row[col["展期日"]], row[col["展期月数"]]) == ("6", "2027-03-05", "2026-08-20", "6")

    # the limits of 贷款通则 and the dates are checked per row; nothing is written
    too_long, late = list(row), list(row)
    too_long[col["展期月数"]] = "7"
    late[col["展期日"]] = "2026-09-05"
    late[col["贷款编号"]] = "D0018"
    bad = await _run(import_loans, book.loans_file(tmp_path / "bad.csv", [too_long, late]), confirm=True, vault=vault)
    messages = [str(e) for e in bad.errors]
    assert "第 2 行「展期月数」：短期贷款展期累计不得超过原贷款期限：原期限 6 个月，最多可展期 6 个月" in messages, messages
    assert "第 3 行「展期日」：展期日应早于原到期日 2026-09-05（到期后不能展期）" in messages, messages
    assert bad.committed is False and await Loan.all().count() == 0 and await LoanExtension.all().count() == 0

    done = await _run(import_loans, book.loans, confirm=True, vault=vault)
    assert [str(e) for e in done.errors] == [] and done.committed
    loan = await Loan.get(disbursement_ref="D0008")
    assert (loan.term_months, loan.maturity_on) == (12, date(2027, 3, 5))
    extension = await LoanExtension.get(loan_id=loan.id)
    assert (extension.business_on, extension.months, extension.original_term_months, extension.old_maturity_on, extension.new_maturity_on) == (
        date(2026, 8, 20), 6, 6, date(2026, 9, 5), date(2027, 3, 5))
    rows = await Installment.filter(loan_id=loan.id).order_by("number")
    assert [i.due_on for i in rows] == [date(2026, 12, 5), date(2027, 1, 5), date(2027, 2, 5), date(2027, 3, 5)]
    assert sum(i.principal_fen for i in rows) == loan.outstanding_principal_fen == _figures(row)["principal"]
    assert extension.balance_fen > loan.outstanding_principal_fen

    core = SandboxCoreBanking()
    for _ in range(10):  # through the due date of 2026-12-05: the card pays it as a native loan's
        await run_eod(core=core, vault=vault)
        assert await ledger_check(today=await business_date.current() - timedelta(days=1)) == []
    assert (await Installment.get(loan_id=loan.id, due_on=date(2026, 12, 5))).status == "paid"

    # once per loan: the imported extension counts
    today = await business_date.current()
    with pytest.raises(ValidationError) as again:
        await propose_extension(actor=await _actor("officer1"), loan_id=loan.id, months=1, restructured=False, reason="再次展期", today=today,
                                now=datetime(2027, 1, 1, tzinfo=UTC), policy=MakerCheckerPolicy())
    assert again.value.message == "该借据已展期 1 次，每笔贷款最多展期一次"


async def test_a_revolving_drawdown_comes_across_and_settles_its_quarter_as_a_native_one(demo, vault, tmp_path):
    on = await business_date.current()
    book = legacy_book(tmp_path, on, REVOLVING_LOANS)
    for service, path in ((import_customers, book.customers), (import_cards, book.cards), (import_credit_lines, book.lines)):
        assert (await _run(service, path, confirm=True, vault=vault)).committed
    col = {h: i for i, h in enumerate(book_headers())}
    row = book.loan_rows[0]
    figures = _figures(row)
    assert (row[col["还款方式"]], row[col["首期还款日"]], figures["principal"]) == ("随借随还", "2026-06-21", 20_000_00)

    # a first due date that is not the first 付息日 is refused per row
    wrong_first = list(row)
    wrong_first[col["首期还款日"]] = "2026-06-08"
    bad = await _run(import_loans, book.loans_file(tmp_path / "bad.csv", [wrong_first]), confirm=False, vault=vault)
    assert [str(e) for e in bad.errors] == ["第 2 行「首期还款日」：随借随还的首期还款日应为首个付息日 2026-06-21"]
    assert await Loan.all().count() == 0

    done = await _run(import_loans, book.loans, confirm=True, vault=vault)
    assert [str(e) for e in done.errors] == [] and done.committed
    loan = await Loan.get(disbursement_ref="D0009")
    assert (loan.method, loan.outstanding_principal_fen, loan.accrued_interest_fen) == ("revolving", 20_000_00, figures["accrued"])
    rows = await Installment.filter(loan_id=loan.id).order_by("number")
    assert [(i.due_on, i.principal_fen) for i in rows] == [(date(2026, 12, 21), 0), (date(2027, 3, 21), 0), (date(2027, 5, 8), 20_000_00)]
    assert await ledger_check(today=on - timedelta(days=1)) == []

    # end-of-day through the 付息日 2026-12-21: the quarter's 积数 interest (2026-09-21 to 12-20 on 20,000.00) is written
    # on the row the evening before and debited from the card, as for a native drawdown
    core = SandboxCoreBanking()
    while await business_date.current() <= date(2026, 12, 21):
        await run_eod(core=core, vault=vault)
        assert await ledger_check(today=await business_date.current() - timedelta(days=1)) == []
    settled = await Installment.get(loan_id=loan.id, due_on=date(2026, 12, 21))
    quarter = 20_000_00 * 43_500 * (date(2026, 12, 21) - date(2026, 9, 21)).days / 1_000_000 / 360
    assert settled.status == "paid" and abs(settled.interest_fen - quarter) <= 1, (settled.interest_fen, quarter)
    assert (await Loan.get(id=loan.id)).outstanding_principal_fen == 20_000_00


async def test_an_observed_non_performing_loan_keeps_its_observation_and_is_proposed_for_upgrade_when_it_ends(demo, vault, tmp_path):
    on = await business_date.current()
    book = legacy_book(tmp_path, on, OBSERVED_LOANS)
    for service, path in ((import_customers, book.customers), (import_cards, book.cards), (import_credit_lines, book.lines)):
        assert (await _run(service, path, confirm=True, vault=vault)).committed
    col = {h: i for i, h in enumerate(book_headers())}
    normal = list(book.loan_rows[0])
    normal[col["五级分类"]] = "正常"
    bad = await _run(import_loans, book.loans_file(tmp_path / "bad.csv", [normal]), confirm=True, vault=vault)
    assert "第 2 行「五级分类」：处于观察期的贷款五级分类应为次级、可疑或损失" in [str(e) for e in bad.errors]
    assert bad.committed is False and await Loan.all().count() == 0

    done = await _run(import_loans, book.loans, confirm=True, vault=vault)
    assert [str(e) for e in done.errors] == [] and done.committed
    loan = await Loan.get(disbursement_ref="D0010")
    risk = await LoanRisk.get(loan_id=loan.id)
    assert (loan.classification, risk.observing_since, risk.floor_class) == (LoanClass.SUBSTANDARD, date(2026, 8, 1), None)

    # a month's observation and one period (short, for the test): it ended with the first due date after the migration
    # (2026-12-10), so that end-of-day proposes the upgrade; an observation started at the migration would not have ended
    policy = ClassificationPolicy(observation_months=1, observation_periods=1)
    core = SandboxCoreBanking()
    while await business_date.current() <= date(2026, 12, 10):
        await run_eod(core=core, vault=vault, policy=policy)
        assert await ledger_check(today=await business_date.current() - timedelta(days=1)) == []
    proposal = await ClassUpgradeProposal.get(loan_id=loan.id)
    assert (proposal.from_class, proposal.proposed_class, proposal.observed_from) == (LoanClass.SUBSTANDARD, LoanClass.NORMAL, date(2026, 8, 1))
    assert (await Loan.get(id=loan.id)).classification == LoanClass.SUBSTANDARD  # a proposal, never an upgrade by itself

"""Allowance, write-off and recovery (issue 17): a 损失 loan proposed by the branch, approved by a head-office approver
through maker-checker, leaves the balance sheet against the allowance and is kept off it (账销案存); a recovery
restores the allowance (principal) and is income (interest); ledger-check stays clean throughout."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.allowance import DEFAULT_POLICY as ALLOWANCE
from app.domain.classification import LoanClass
from app.domain.errors import Forbidden, ValidationError
from app.domain.maker_checker import CommandStatus, MakerCheckerPolicy
from app.domain.vocabulary import LoanStatus, Role
from app.models import Bank, BankCard, Installment, LedgerEntry, Loan, LoanWriteOff, OutboxMessage, PendingCommand
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.auth.officers import actor_for
from app.services.customers.identifiers import card_fields
from app.services.lending.ledger import ledger_check
from app.services.lending.write_off import allowance_of, propose_write_off, provide_allowance, record_recovery
from app.services.maker_checker.commands import approve, command_view
from app.domain.money import yuan_str
from app.models import Officer
from app.services import reporting
from ui.report_csv import Params, render_csv
from tests.services.lending.test_classification_state import PAYS, SHORT, _actor, _loan, _until

NOW = datetime(2027, 1, 1, tzinfo=UTC)
MC = MakerCheckerPolicy()
CSV_PARAMS = Params(reporting.GroupBy.BRANCH, reporting.Interval.MONTH, reporting.ReportFilter())


async def create_report_key_actor():
    key = await reporting.create_report_key(actor=SYSTEM, name="总行报表工具", branch_code="XF000")
    return await reporting.resolve_report_key(key.token, now=NOW, request_id="test", ip="127.0.0.1")


async def head_office_approver():
    """The demo's 总行审批人: an approver at the bank's head branch."""
    officer = await Officer.get(username="hq_approver")
    assert officer.branch_id == (await Bank.get(code="14102301")).head_branch_id and officer.role == Role.APPROVER
    return await actor_for(officer)


async def _balance(*accounts, loan_id=None) -> int:
    query = LedgerEntry.filter(account__in=accounts)
    if loan_id is not None:
        query = query.filter(loan_id=loan_id)
    return sum(e.debit_fen - e.credit_fen for e in await query)


async def _loss_loan(core, vault):
    loan = await _loan(core, vault)
    first = await Installment.get(loan_id=loan.id, number=1)
    await _until(core, vault, first.due_on + timedelta(days=14), SHORT)
    loan = await Loan.get(id=loan.id)
    assert loan.classification == LoanClass.LOSS
    return loan


async def test_write_off_and_recovery_keep_the_books_exact(bank, core, vault):
    loan = await _loss_loan(core, vault)
    today = await business_date.current()
    bank_id = (await Bank.get(code="14102301")).id
    # the month's provision: 100 % of the 损失 balance
    provision = await provide_allowance(actor=SYSTEM, bank_id=bank_id, today=today, policy=ALLOWANCE)
    assert provision.required_fen == loan.outstanding_principal_fen == await allowance_of(bank_id)
    assert (await provide_allowance(actor=SYSTEM, bank_id=bank_id, today=today, policy=ALLOWANCE)).posted_fen == provision.posted_fen
    assert await allowance_of(bank_id) == provision.required_fen  # once a month
    owed_interest = -await _balance("off_balance_contra")  # every off-balance line of the non-accrual loan
    assert owed_interest > 0

    maker = await _actor("officer1")
    command = await propose_write_off(actor=maker, loan_id=loan.id, reason="借款人死亡，无遗产可供清偿", today=today, now=NOW, policy=MC, allowance=ALLOWANCE)
    assert command.status == CommandStatus.PENDING
    figures = {f["label"]: (f["before"], f["after"]) for f in command.preview["figures"]}
    assert figures["贷款本金（表内）"] == (loan.outstanding_principal_fen, 0)
    assert figures["已核销利息（表外，账销案存）"] == (0, owed_interest)
    assert figures["本行贷款损失准备"] == (provision.required_fen, 0)
    # a branch approver has the role, not the place; the maker never checks
    with pytest.raises(Forbidden) as branch:
        await approve(actor=await _actor("approver"), command_id=command.id, today=today, now=NOW)
    assert "总行" in branch.value.message
    checker = await head_office_approver()
    view = await command_view(actor=checker, command_id=command.id, today=today, now=NOW)
    assert view.may_check and not view.changed
    await approve(actor=checker, command_id=command.id, today=today, now=NOW, seen=view.now.to_json())

    loan = await Loan.get(id=loan.id)
    record = await LoanWriteOff.get(loan_id=loan.id)
    assert loan.status == LoanStatus.WRITTEN_OFF and loan.outstanding_principal_fen == 0
    assert (record.principal_fen, record.interest_fen) == (provision.required_fen, owed_interest)
    assert record.command_id == command.id and record.checker_id == checker.id and record.maker_id == maker.id
    assert await _balance("loan_principal", "interest_receivable", "penalty_receivable", "compound_receivable", "off_interest", loan_id=loan.id) == 0
    assert await _balance("written_off_principal", loan_id=loan.id) == record.principal_fen
    assert await _balance("written_off_interest", loan_id=loan.id) == record.interest_fen
    assert await allowance_of(bank_id) == 0
    assert await ledger_check(today=today - timedelta(days=1)) == []
    assert await OutboxMessage.filter(key=f"loan_written_off:{loan.id}").count() == 1
    assert (await PendingCommand.get(id=command.id)).result["principal_fen"] == record.principal_fen

    # end-of-day leaves a written-off loan alone
    await _until(core, vault, today + timedelta(days=3), SHORT)
    today = await business_date.current()
    assert await _balance("written_off_interest", loan_id=loan.id) == record.interest_fen

    # a recovery: principal first (back into the allowance), then interest (income); the record shrinks
    await BankCard.filter(id=loan.card_id).update(**card_fields(vault, PAYS))
    income_before = -await _balance("interest_income")
    amount = record.principal_fen + 1_234
    recovery = await record_recovery(actor=maker, loan_id=loan.id, amount_fen=amount, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    assert (recovery.principal_fen, recovery.interest_fen) == (record.principal_fen, 1_234)
    assert await allowance_of(bank_id) == record.principal_fen
    assert -await _balance("interest_income") == income_before + 1_234
    assert await _balance("written_off_principal", loan_id=loan.id) == 0
    assert await _balance("written_off_interest", loan_id=loan.id) == record.interest_fen - 1_234
    assert await ledger_check(today=today - timedelta(days=1)) == []
    # per component: on-balance + written-off principal = disbursed − repaid − recovered
    disbursed = loan.principal_fen
    repaid = sum(i.paid_principal_fen for i in await Installment.filter(loan_id=loan.id))
    assert 0 + await _balance("written_off_principal", loan_id=loan.id) == disbursed - repaid - recovery.principal_fen
    with pytest.raises(ValidationError):  # never more than is still written off
        await record_recovery(actor=maker, loan_id=loan.id, amount_fen=record.interest_fen, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)

    # the reports' CSV 拨备与核销: written-off stock, recoveries, the NPL ratio now and as if not written off, to the fen
    exported = await render_csv("allowance", checker, CSV_PARAMS)
    header, row = list(csv.reader(io.StringIO(exported.text.removeprefix("\ufeff"))))
    got = dict(zip(header, row, strict=True))
    assert got["法人行"] == (await Bank.get(code="14102301")).name and got["贷款余额"] == "0.00" and got["拨备覆盖率(%)"] == ""  # no NPL left: no ratio
    assert (got["已核销笔数"], got["核销本金"], got["核销利息"]) == ("1", yuan_str(record.principal_fen), yuan_str(record.interest_fen))
    assert (got["已收回本金"], got["已收回利息"]) == (yuan_str(record.principal_fen), "12.34")
    assert (got["账销案存本金"], got["账销案存利息"]) == ("0.00", yuan_str(record.interest_fen - 1_234))
    assert (got["贷款损失准备"], got["不良贷款率(%)"], got["不良贷款率(若未核销)(%)"]) == (yuan_str(record.principal_fen), "0.0000", "0.0000")
    with pytest.raises(Forbidden):  # a report key: whole-bank books are for the head office's staff
        await render_csv("allowance", await create_report_key_actor(), CSV_PARAMS)
    assert (await render_csv("allowance", await _actor("officer1"), CSV_PARAMS)).headers["X-Total-Rows"] == "0"  # a branch officer: no row


async def test_only_a_loss_loan_is_proposed(bank, core, vault):
    loan = await _loan(core, vault)
    today = await business_date.current()
    with pytest.raises(ValidationError) as refused:
        await propose_write_off(actor=await _actor("officer1"), loan_id=loan.id, reason="测试", today=today, now=NOW, policy=MC, allowance=ALLOWANCE)
    assert refused.value.message == "只有损失类贷款可以核销（本笔为正常）"
    assert await PendingCommand.all().count() == 0


async def test_the_allowance_report_is_for_the_head_office_only(bank):
    """The bank's allowance, coverage and write-offs are whole-bank figures: a branch officer, whose reports cover
    their own branch tree, is not shown them (the reports page once put a whole-bank 贷款余额 beside the branch's)."""
    from app.services.lending.write_off import write_off_report

    branch = await actor_for(await Officer.get(username="manager"))
    head_office = await head_office_approver()
    assert not branch.in_branch((await Bank.get(code="14102301")).head_branch_id)
    assert await write_off_report(actor=branch) is None
    report = await write_off_report(actor=head_office)
    assert report is not None and report.bank_name


async def test_a_written_off_borrower_cannot_draw_again(bank, core, vault):
    """A write-off takes the loan off the line and freezes the borrower's lines at the bank: the written-off principal
    is no longer on the line (used = the line's loans still on the books), and no new drawdown is paid out. Before,
    the line kept the written-off principal as used and the borrower could draw what was left."""
    from app.domain.vocabulary import CreditLineStatus
    from app.models import CreditLine
    from app.services.lending.drawdown import DrawdownError, draw_down

    loan = await _loss_loan(core, vault)
    today = await business_date.current()
    bank_id = (await Bank.get(code="14102301")).id
    await provide_allowance(actor=SYSTEM, bank_id=bank_id, today=today, policy=ALLOWANCE)
    command = await propose_write_off(actor=await _actor("officer1"), loan_id=loan.id, reason="借款人死亡，无遗产可供清偿", today=today, now=NOW,
                                      policy=MC, allowance=ALLOWANCE)
    await approve(actor=await head_office_approver(), command_id=command.id, today=today, now=NOW)
    line = await CreditLine.get(id=loan.credit_line_id)
    assert line.status == CreditLineStatus.FROZEN and line.used_fen == 0
    with pytest.raises(DrawdownError) as refused:
        await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=100_00, term_months=3, method="equal_installment",
                        idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    assert refused.value.message == "额度已冻结，暂不能用信"
    assert await Loan.filter(credit_line_id=line.id).count() == 1

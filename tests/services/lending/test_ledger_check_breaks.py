"""ledger-check proves more: each planted break makes it fail (and the CLI exit 1)."""

import os
import subprocess
import sys
import uuid

from app.config import ROOT
from app.models import CoreInstruction, Installment, LedgerEntry, Loan
from app.domain.vocabulary import CoreOutcome, InstallmentStatus, LoanStatus
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from app.services.lending.ledger import ledger_check
from tests.factories import customer_with_line
from tests.services.lending.conftest import TODAY


def _cunxin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)


async def _loan(core, vault):
    _, line = await customer_with_line(vault)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=300_000, term_months=3, method="equal_installment",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)
    assert await ledger_check(today=TODAY) == []
    return loan


async def test_a_settled_loan_with_a_receivable_is_a_break(bank, core, vault):
    loan = await _loan(core, vault)
    # the revolving fault: a row left with unpaid interest on a loan marked settled, ledger and rows agreeing
    from app.domain.ledger import Account, Posting
    from app.services.lending import ledger

    await ledger.post(kind="interest_due", business_on=TODAY, loan_id=loan.id, memo="t",
                      postings=[Posting(Account.INTEREST_RECEIVABLE, debit_fen=955), Posting(Account.INTEREST_INCOME, credit_fen=955)])
    await ledger.post(kind="repayment", business_on=TODAY, loan_id=loan.id, memo="t",
                      postings=[Posting(Account.CLEARING, debit_fen=300_000), Posting(Account.LOAN_PRINCIPAL, credit_fen=300_000)])
    for inst in await Installment.filter(loan_id=loan.id):
        inst.paid_principal_fen, inst.paid_interest_fen, inst.status = inst.principal_fen, inst.interest_fen, InstallmentStatus.PAID
        await inst.save()
    first = await Installment.get(loan_id=loan.id, number=1)
    await Installment.filter(id=first.id).update(interest_fen=first.interest_fen + 955, status=InstallmentStatus.OVERDUE, due_on=TODAY)
    await Loan.filter(id=loan.id).update(status=LoanStatus.SETTLED, outstanding_principal_fen=0)
    problems = await ledger_check(today=TODAY)
    assert {(p.what, p.ledger_fen) for p in problems} == {("settled loan: interest_receivable not zero", 955), ("settled loan: installments not zero", 955)}


async def test_a_confirmed_core_debit_without_a_ledger_entry_is_a_break(bank, core, vault):
    loan = await _loan(core, vault)
    await CoreInstruction.create(reference="eod:lost", kind="debit", purpose="auto_debit", loan_id=loan.id, amount_fen=1000, business_on=TODAY,
                                 outcome=CoreOutcome.DONE)
    assert [(p.loan_id, p.what, p.ledger_fen, p.books_fen) for p in await ledger_check(today=TODAY)] == [
        ("eod:lost", "core movement (done): ledger entries", 0, 1)
    ]
    checked = _cunxin("ledger-check")
    assert checked.returncode == 1 and "core movement (done)" in checked.stderr


async def test_a_ledger_entry_for_a_refused_debit_is_a_break(bank, core, vault):
    loan = await _loan(core, vault)
    ref = (await LedgerEntry.get(loan_id=loan.id, account="clearing")).core_reference
    await CoreInstruction.filter(reference=ref).update(outcome=CoreOutcome.REFUSED)
    assert [p.what for p in await ledger_check(today=TODAY)] == ["core movement (refused): ledger entries"]


async def test_an_overpayment_with_nowhere_to_go_is_a_break(bank, core, vault):
    loan = await _loan(core, vault)
    first = await Installment.get(loan_id=loan.id, number=1)
    # 500 fen more paid on principal than the row asks, the ledger and the loan moved with it
    await Installment.filter(id=first.id).update(paid_principal_fen=first.principal_fen + 500, status=InstallmentStatus.PAID)
    problems = await ledger_check(today=TODAY)
    assert ("overpaid installment (nowhere to go)", 500) in {(p.what, p.books_fen) for p in problems}


async def test_reconcile_from_the_command_line(bank, core, vault):
    await _loan(core, vault)
    clean = _cunxin("reconcile", "--date", TODAY.isoformat())
    assert clean.returncode == 0 and "对账平" in clean.stdout, clean.stderr
    await LedgerEntry.filter(account="clearing").update(credit_fen=299_999)  # booked one fen short
    broken = _cunxin("reconcile", "--date", TODAY.isoformat())
    assert broken.returncode == 1 and "金额不符" in broken.stderr and "核心 300000 分, 账务 299999 分" in broken.stderr


async def test_the_days_close_reconciles_and_raises_a_warning_on_a_break(bank, core, vault, tmp_path):
    from app.models import EarlyWarning
    from app.services.day_end import DayEndTools, close_business_day
    from app.services.documents import MediaStore

    loan = await _loan(core, vault)
    await LedgerEntry.filter(loan_id=loan.id, account="clearing").update(credit_fen=299_999)  # booked one fen short
    await LedgerEntry.filter(loan_id=loan.id, account="loan_principal").update(debit_fen=299_999)
    reports = await close_business_day(tools=DayEndTools(core=core, vault=vault, media=MediaStore(tmp_path)), today=TODAY)
    assert [r.stage for r in reports] == ["lending", "risk", "tags"]
    assert reports[1].detail.startswith("对账差错 1 处")
    warning = await EarlyWarning.get(kind="reconciliation_break")
    assert (warning.loan_id, warning.severity.value, warning.evidence["what"]) == (loan.id, "high", "金额不符")
    assert (warning.evidence["coreFen"], warning.evidence["ledgerFen"]) == (300_000, 299_999)


async def test_a_clean_day_closes_without_a_reconciliation_warning(bank, core, vault, tmp_path):
    from app.models import EarlyWarning
    from app.services.day_end import DayEndTools, close_business_day
    from app.services.documents import MediaStore

    await _loan(core, vault)
    reports = await close_business_day(tools=DayEndTools(core=core, vault=vault, media=MediaStore(tmp_path)), today=TODAY)
    assert reports[1].detail.startswith("对账差错 0 处")
    assert not await EarlyWarning.filter(kind="reconciliation_break").exists()

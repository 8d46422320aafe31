"""`cunxin ledger-check` and `cunxin reconcile` per bank (--bank CODE) and consolidated (default: a section per bank
and the consolidated total), issue 15."""

from __future__ import annotations

import re

from app.integrations.core_banking import SandboxCoreBanking
from app.models import AuditEvent, Loan
from app.services import business_date
from tests.cli.test_lending_cli import _cunxin
from tests.factories.banks import FIRST_BANK_CODE, SECOND_BANK_CODE, YC_BRANCH
from tests.services.lending.conftest import TODAY
from tests.services.lending.test_books_per_bank import loan_at
from tests.services.lending.test_classification_state import PAYS

TOTALS = re.compile(r"^【(.+?)】 借方合计 (\d+) 分，贷方合计 (\d+) 分$", re.M)


async def _two_banks(vault) -> tuple[Loan, Loan]:
    await business_date.set_current(TODAY)
    core = SandboxCoreBanking()
    a = await loan_at(vault, core, branch_code="XF010", sequence=357, card=PAYS)
    b = await loan_at(vault, core, branch_code=YC_BRANCH, sequence=358, card=PAYS)
    return a, b


async def test_ledger_check_prints_each_bank_and_the_consolidated_total_that_they_add_up_to(demo, vault):
    # given two banks with a loan each, a few days closed
    await _two_banks(vault)
    ran = _cunxin("eod", "--days", "3")
    assert ran.returncode == 0, ran.stderr
    # (the one close reports each bank's figures: the second bank's one loan of 12,000.00, accruing)
    assert re.search(r"^  翼城农商行（14102201）：在贷 1 笔，余额 12000\.00 元，逾期 0 笔，计息 [1-9]\d*\.\d\d 元", ran.stdout, re.M), ran.stdout
    assert re.search(r"^  襄汾农商行（14102301）：在贷 \d+ 笔", ran.stdout, re.M)
    [recorded] = await AuditEvent.filter(action="eod.bank_figures", entity_id=TODAY.isoformat())
    assert recorded.after[SECOND_BANK_CODE]["activeLoans"] == 1 and recorded.after[SECOND_BANK_CODE]["accruedFen"] > 0
    # when ledger-check runs for every bank
    checked = _cunxin("ledger-check")
    # then one section per bank (by code) and the consolidated one, each balanced, the banks adding up to it
    assert checked.returncode == 0, checked.stderr
    totals = {name: (int(d), int(c)) for name, d, c in TOTALS.findall(checked.stdout)}
    assert list(totals) == [f"翼城农商行（{SECOND_BANK_CODE}）", f"襄汾农商行（{FIRST_BANK_CODE}）", "合并（全部法人行）"]  # by code
    assert all(d == c > 0 for d, c in totals.values())
    banks = [v for k, v in totals.items() if not k.startswith("合并")]
    assert sum(d for d, _ in banks) == totals["合并（全部法人行）"][0]
    assert "总账核对通过" in checked.stdout
    # and --bank keeps one bank
    one = _cunxin("ledger-check", "--bank", SECOND_BANK_CODE)
    assert one.returncode == 0, one.stderr
    assert [name for name, *_ in TOTALS.findall(one.stdout)] == [f"翼城农商行（{SECOND_BANK_CODE}）"]
    unknown = _cunxin("ledger-check", "--bank", "99999999")
    assert unknown.returncode == 1 and "法人行 99999999 不存在" in unknown.stderr


async def test_a_tampered_loan_fails_its_own_banks_check_only(demo, vault):
    # given the second bank's loan with a tampered balance
    _a, b = await _two_banks(vault)
    await Loan.filter(id=b.id).update(outstanding_principal_fen=1)
    # when each bank is checked
    theirs = _cunxin("ledger-check", "--bank", SECOND_BANK_CODE)
    ours = _cunxin("ledger-check", "--bank", FIRST_BANK_CODE)
    # then only the second bank's check fails, naming the loan
    assert theirs.returncode == 1 and f"【翼城农商行（{SECOND_BANK_CODE}）】 不一致 {b.id} principal vs loan" in theirs.stderr
    assert ours.returncode == 0, ours.stderr


async def test_reconcile_per_bank_and_consolidated(demo, vault):
    # given two banks whose disbursements the core booked today
    await _two_banks(vault)
    # when the day is reconciled for every bank, then for one
    every = _cunxin("reconcile", "--date", TODAY.isoformat())
    one = _cunxin("reconcile", "--date", TODAY.isoformat(), "--bank", SECOND_BANK_CODE)
    # then each bank and the consolidated total are reconciled
    assert every.returncode == 0, every.stderr
    assert f"【襄汾农商行（{FIRST_BANK_CODE}）】 对账平" in every.stdout and f"【翼城农商行（{SECOND_BANK_CODE}）】 对账平" in every.stdout
    assert "【合并（全部法人行）】 对账平" in every.stdout
    assert one.returncode == 0 and "襄汾" not in one.stdout

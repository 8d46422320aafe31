"""无还本续贷 (issue 17): at maturity, a business-purpose loan in 正常 with no overdue in the period and a fresh strategy
pass, whose interest the borrower paid in cash, is renewed through maker-checker: a new loan of the outstanding
principal repays the old one with no cash movement (借新还旧, linked both ways), the ledger balances through the
transfer account and ledger-check stays clean through the following end-of-days. Each refusal is in Chinese and
changes nothing."""

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.classification import LoanClass
from app.domain.errors import Conflict, DomainError, Forbidden
from app.domain.maker_checker import CommandStatus, MakerCheckerPolicy
from app.domain.renewal import RenewalPolicy
from app.domain.vocabulary import InstallmentStatus, LoanStatus
from app.models import BankCard, Customer, Document, GuaranteeRenewal, CoreInstruction, CreditLine, Installment, LedgerEntry, Loan, LoanRenewal, PendingCommand, RiskStrategyDecision
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.customers.identifiers import card_fields
from app.services.lending.drawdown import draw_down
from app.services.reporting import GroupBy, Interval, ReportFilter, portfolio_summary
from ui.report_csv import Params, render_csv
from app.services.lending.ledger import ledger_check, trial_balance
from app.services.contracts.pdfsign import validate_pdf
from app.services.contracts.textpdf import _hex
from app.services.customers.archive import verify_archive
from app.services.guarantees import form_group
from app.services.lending.renewal import propose_renewal, renewal_guarantees_of, renewal_links, sign_renewal_guarantee
from app.services.lending.repayment import repay
from app.services.maker_checker.commands import approve, command_view
from tests.factories import customer_with_line
from tests.factories.guarantees import households, in_household, members, signing_kit
from tests.services.lending.conftest import TODAY
from tests.services.lending.test_classification_state import FAILS, PAYS, _actor, _days, _owed, _until

MC = MakerCheckerPolicy()


def _now(today: date) -> datetime:
    return datetime(today.year, today.month, today.day, 2, tzinfo=UTC)


async def _loan(core, vault, *, card=PAYS, product="BIANLI", term=1, method="interest_first", sequence=357):
    _, line = await customer_with_line(vault, card=card, product=product, sequence=sequence)
    return await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=300_000, term_months=term, method=method,
                           idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)


async def _strategy(loan, outcome: str, on: date):
    await RiskStrategyDecision.create(
        customer_id=loan.customer_id, product_code="BIANLI", ruleset_version="test", decision=outcome, hits=[], limit_fen=300_000,
        limit_binding="product_max", limit_detail={}, spread_bp=150, pricing_source="grade", explanation="策略评估", decided_at=_now(on),
    )


async def _refused(maker, loan, today, term=12) -> str:
    with pytest.raises(DomainError) as err:
        await propose_renewal(actor=maker, loan_id=loan.id, term_months=term, reason="经营周转，借款人申请续贷", today=today, now=_now(today), policy=MC)
    return err.value.message


async def test_the_strategy_pass_is_dated_in_the_business_time_zone(bank, core, vault):
    # given a loan at maturity whose strategy pass was made at 17:00 UTC 31 days ago: 01:00 the next morning in Shanghai
    loan = await _loan(core, vault)
    await _until(core, vault, loan.maturity_on)
    today = await business_date.current()
    maker = await _actor("officer1")
    day = today - timedelta(days=31)
    await RiskStrategyDecision.create(
        customer_id=loan.customer_id, product_code="BIANLI", ruleset_version="test", decision="pass", hits=[], limit_fen=300_000,
        limit_binding="product_max", limit_detail={}, spread_bp=150, pricing_source="grade", explanation="策略评估",
        decided_at=datetime(day.year, day.month, day.day, 17, tzinfo=UTC),
    )
    # when the business time zone is UTC, the pass is dated 31 days ago: stale
    with pytest.raises(DomainError) as err:
        await propose_renewal(actor=maker, loan_id=loan.id, term_months=12, reason="经营周转，借款人申请续贷", today=today, now=_now(today),
                              policy=MC, renewal=RenewalPolicy(business_tz="UTC"))
    assert err.value.message.startswith("策略评估结论已超过 30 天")
    # then in Asia/Shanghai (the default) it is dated 30 days ago: fresh, and the next check (interest owed) speaks
    assert (await _refused(maker, loan, today)).startswith("旧贷款尚欠利息")


async def test_a_renewal_repays_the_old_principal_with_a_new_loan_and_no_cash(bank, core, vault):
    # given a 3,000.00 yuan one-month 先息后本 loan of 便利贷 (a business-purpose product) at its maturity date
    loan = await _loan(core, vault)
    await _until(core, vault, loan.maturity_on)
    today = await business_date.current()
    assert today == loan.maturity_on == date(2026, 12, 27)
    maker, checker = await _actor("officer1"), await _actor("approver")
    # when the strategy pass is missing, stale, or not a pass, or the interest is still owed: refused, nothing proposed
    assert await _refused(maker, loan, today) == "客户尚无该产品的策略评估结论，请先重新进行策略评估"
    await _strategy(loan, "pass", today - timedelta(days=40))
    assert await _refused(maker, loan, today) == "策略评估结论已超过 30 天（2026-11-17），请重新进行策略评估"
    await _strategy(loan, "reject", today - timedelta(days=2))
    assert await _refused(maker, loan, today) == "最近一次策略评估未通过，不能无还本续贷"
    await _strategy(loan, "pass", today)
    interest = (await Installment.get(loan_id=loan.id, number=1)).interest_fen
    assert interest == 1_125  # 300,000 fen × 4.50 % / 12
    assert await _refused(maker, loan, today) == "旧贷款尚欠利息、罚息共 ¥11.25，须先以现金结清（不得计入新贷款）"
    assert await PendingCommand.filter(kind="renewal").count() == 0
    # when the borrower pays the interest in cash and the officer proposes a 12-month renewal (twice: a retry)
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=interest, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    command = await propose_renewal(actor=maker, loan_id=loan.id, term_months=12, reason="经营周转，借款人申请续贷", today=today, now=_now(today), policy=MC)
    again = await propose_renewal(actor=maker, loan_id=loan.id, term_months=12, reason="经营周转，借款人申请续贷", today=today, now=_now(today), policy=MC)
    # then one pending request shows the effect, and nothing changes before the checker approves
    assert again.id == command.id and command.status == CommandStatus.PENDING
    figures = {f["label"]: (f["before"], f["after"]) for f in command.preview["figures"]}
    assert figures["旧借据本金余额"] == (300_000, 0) and figures["新借据本金"] == (0, 300_000) and figures["资金划转"] == (0, 0)
    assert figures["五级分类"] == ("正常", "正常")
    assert (await Loan.get(id=loan.id)).status == LoanStatus.ACTIVE
    with pytest.raises(Forbidden):
        await approve(actor=maker, command_id=command.id, today=today, now=_now(today))
    view = await command_view(actor=checker, command_id=command.id, today=today, now=_now(today))
    assert view.may_check and not view.changed
    used_before = (await CreditLine.get(id=loan.credit_line_id)).used_fen
    instructions_before = await CoreInstruction.filter(loan_id=loan.id).count()
    await approve(actor=checker, command_id=command.id, today=today, now=_now(today), seen=view.now.to_json())

    # then the old loan is settled by the new loan's principal, linked both ways
    old = await Loan.get(id=loan.id)
    record = await LoanRenewal.get(old_loan_id=loan.id)
    new = await Loan.get(id=record.new_loan_id)
    assert (old.status, old.outstanding_principal_fen, old.settled_on) == (LoanStatus.SETTLED, 0, today)
    assert (new.status, new.principal_fen, new.outstanding_principal_fen, new.start_on, new.term_months) == (LoanStatus.ACTIVE, 300_000, 300_000, today, 12)
    assert (new.classification, new.credit_line_id, new.card_id, new.method) == (LoanClass.NORMAL, old.credit_line_id, old.card_id, old.method)
    assert await renewal_links(actor=checker, loan_id=new.id) == (record, None)
    assert await renewal_links(actor=checker, loan_id=old.id) == (None, record)
    total = (await portfolio_summary(actor=checker)).total  # the portfolio counts the renewal: the new loan's balance
    assert (total.renewed, total.renewed_outstanding_fen, total.extended) == (1, 300_000, 0)
    totals = (await render_csv("portfolio", checker, Params(GroupBy.BRANCH, Interval.MONTH, ReportFilter()), part="totals")).text.splitlines()[1]
    assert totals.endswith(",1,3000.00,0,0.00")  # the CSV download carries them too: 无还本续贷笔数, 余额, 展期笔数, 余额
    assert (record.principal_fen, record.term_months, record.old_maturity_on, record.new_maturity_on) == (300_000, 12, date(2026, 12, 27), new.maturity_on)
    # the new loan's own schedule sums to its principal; the old rows are paid
    rows = await Installment.filter(loan_id=new.id).order_by("number")
    assert len(rows) == 12 and sum(r.principal_fen for r in rows) == 300_000 and rows[-1].due_on == new.maturity_on == date(2027, 12, 27)
    # 先息后本 at today's 1-year LPR + the contract's spread (4.50 %): 11.25 interest a month, the principal at the end
    assert new.annual_rate_ppm == 45_000
    assert [(r.due_on, r.principal_fen, r.interest_fen) for r in (rows[0], rows[-1])] == [(date(2027, 1, 27), 0, 1_125), (date(2027, 12, 27), 300_000, 1_125)]
    assert {r.interest_fen for r in rows} == {1_125}
    assert {r.status for r in await Installment.filter(loan_id=old.id)} == {InstallmentStatus.PAID}
    # no cash: no core instruction for either loan, the line's use unchanged, the transfer account nets to zero
    assert await CoreInstruction.filter(loan_id=loan.id).count() == instructions_before
    assert not await CoreInstruction.filter(loan_id=new.id).exists()
    assert (await CreditLine.get(id=loan.credit_line_id)).used_fen == used_before
    transfer = await LedgerEntry.filter(account="renewal_transfer")
    assert sum(e.debit_fen for e in transfer) == sum(e.credit_fen for e in transfer) == 300_000
    assert not await LedgerEntry.filter(loan_id=new.id, account="clearing").exists()
    assert {t.account: t.debit_fen - t.credit_fen for t in await trial_balance()}["renewal_transfer"] == 0
    assert await ledger_check(today=today) == []
    # and a second approval runs nothing again; the next end-of-days keep the books clean
    with pytest.raises(Conflict):
        await approve(actor=checker, command_id=command.id, today=today, now=_now(today))
    assert await LoanRenewal.filter(old_loan_id=loan.id).count() == 1
    await _days(core, vault, 3)
    assert (await Loan.get(id=new.id)).accrued_interest_fen > 0


async def test_a_renewal_is_refused_for_a_consumer_product_and_before_the_maturity_window(bank, core, vault):
    # given a fresh consumer loan (公积金贷, 个人消费) and a fresh 便利贷 loan, not at maturity
    maker = await _actor("officer1")
    consumer = await _loan(core, vault, product="GJJ", term=6, method="equal_installment", sequence=358)
    business = await _loan(core, vault)
    # when the officer proposes renewing them, then both are refused in Chinese and nothing is stored
    assert await _refused(maker, consumer, TODAY) == "该产品不是经营用途贷款产品（农户生产经营、个体工商户、小微企业），不能无还本续贷"
    assert await _refused(maker, business, TODAY) == "无还本续贷须在贷款到期时办理：到期日（2026-12-27）当天"
    assert await PendingCommand.filter(kind="renewal").count() == 0


async def test_a_renewal_is_refused_after_an_overdue_installment_in_the_period(bank, core, vault):
    # given a two-month loan whose first installment was paid three days late
    loan = await _loan(core, vault, card=FAILS, term=2)
    first = await Installment.get(loan_id=loan.id, number=1)
    await _until(core, vault, first.due_on + timedelta(days=3))
    await BankCard.filter(id=loan.card_id).update(**card_fields(vault, PAYS))
    today = await business_date.current()
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=await _owed(loan.id, today), idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    await _until(core, vault, loan.maturity_on)
    today = await business_date.current()
    await _strategy(loan, "pass", today)
    # when the officer proposes a renewal at maturity, then it is refused for the late installment
    message = await _refused(await _actor("officer1"), loan, today)
    assert message == "近 12 个月内有 1 期逾期还款，不能无还本续贷"
    assert await PendingCommand.filter(kind="renewal").count() == 0


SIGNED = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # a signature's moment: not after the wall clock (the certificates are checked against it)


async def test_a_guaranteed_loan_is_renewed_only_after_each_guarantor_signs_a_contract_for_the_new_loan(bank, core, vault):
    """借新还旧 needs the guarantor's agreement: each guarantor of the borrower's 联保 group signs a guarantee contract
    for the new loan (a signed, sealed PDF in their e-archive) before the renewal; the renewal links each to the new loan."""
    loan = await _loan(core, vault)
    await _until(core, vault, loan.maturity_on)
    today = await business_date.current()
    maker, checker = await _actor("officer1"), await _actor("approver")
    borrower = await Customer.get(id=loan.customer_id)
    await in_household(borrower, "900")
    others = await households(vault, 4)
    kit = signing_kit()
    await form_group(actor=maker, name="西街村联保小组", members=members([borrower, *others]), on=today, now=SIGNED, kit=kit)
    await _strategy(loan, "pass", today)
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=1_125, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    # refused, naming the guarantors, until each has signed for the new loan
    assert await _refused(maker, loan, today) == "保证人联保户1、联保户2、联保户3、联保户4尚未为续贷的新借据（12 个月）签订保证合同，请先在借据页签订"
    guarantors = await renewal_guarantees_of(actor=maker, loan_id=loan.id)
    assert [(m.customer.name, c) for m, c in guarantors] == [(f"联保户{i}", None) for i in range(1, 5)]
    for member, _ in guarantors[:3]:
        await sign_renewal_guarantee(actor=maker, loan_id=loan.id, member_id=member.id, term_months=12, now=SIGNED, kit=kit)
    short = await sign_renewal_guarantee(actor=maker, loan_id=loan.id, member_id=guarantors[3][0].id, term_months=6, now=SIGNED, kit=kit)
    assert await _refused(maker, loan, today) == "保证人联保户4尚未为续贷的新借据（12 个月）签订保证合同，请先在借据页签订"
    last = await sign_renewal_guarantee(actor=maker, loan_id=loan.id, member_id=guarantors[3][0].id, term_months=12, now=SIGNED, kit=kit)
    # signing again (a second tap) returns the contract already signed: no second PDF
    documents = await Document.all().count()
    again = await sign_renewal_guarantee(actor=maker, loan_id=loan.id, member_id=guarantors[3][0].id, term_months=12, now=SIGNED, kit=kit)
    assert again.id == last.id and await Document.all().count() == documents and last.id != short.id
    # each contract is a PDF signed by the guarantor and sealed by the bank, for the outstanding principal
    pdf = kit.media.get((await Document.get(id=last.document_id)).sha256)
    checks = await asyncio.to_thread(validate_pdf, pdf, kit.pki.trust_roots)
    assert [(c.field, c.signer, c.ok) for c in checks] == [("signer", "联保户4", True), ("bank", "村信开发银行 合同专用章", True)]
    assert last.principal_fen == 300_000 and _hex("借新还旧保证合同").encode() in pdf and _hex("期限不超过 12 个月").encode() in pdf
    # then the renewal goes through, and the contracts of the new loan point at it
    command = await propose_renewal(actor=maker, loan_id=loan.id, term_months=12, reason="经营周转，借款人申请续贷", today=today, now=_now(today), policy=MC)
    assert any("已为新借据重新签订保证合同" in n for n in command.preview["notes"])
    await approve(actor=checker, command_id=command.id, today=today, now=_now(today))
    new_id = (await LoanRenewal.get(old_loan_id=loan.id)).new_loan_id
    linked = await GuaranteeRenewal.filter(new_loan_id=new_id).order_by("created_at")
    assert len(linked) == 4 and last.id in {c.id for c in linked} and short.id not in {c.id for c in linked}
    assert await GuaranteeRenewal.filter(old_loan_id=loan.id, new_loan_id__isnull=True).count() == 1  # the 6-month one, unused
    # the guarantor's archive verifies: the group contract and both renewal contracts, two signatures each
    report = await verify_archive(actor=SYSTEM, customer_id=others[3].id, media=kit.media, trust_roots=kit.pki.trust_roots)
    expected = {c.document.id: c.expected_signatures for c in report.checks}
    assert report.ok and expected[last.document_id] == 2 and expected[short.document_id] == 2 and len(expected) == 3

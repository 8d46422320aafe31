"""Reports over loans made by the lending services themselves: drawdown, then end-of-day past the first due date."""

from datetime import timedelta

from app.integrations.core_banking import SandboxCoreBanking
from app.models import Installment, Loan
from app.services import business_date
from app.services.insight import customer_contributions
from app.services.lending.eod import run_eod
from app.services.lending.ledger import ledger_check
from app.services.reporting import Interval, disbursement_series, portfolio_summary, repayment_series
from tests.factories.risk import actor
from tests.factories.worklists import FAILING_CARD, TODAY, drawn_loan


async def test_series_portfolio_and_contribution_agree_with_the_lending_postings(demo, vault):
    await business_date.set_current(TODAY)
    _, _, paying = await drawn_loan(vault)  # 12,000.00 at 4.5 %, 12 equal instalments; the sandbox debits succeed
    _, _, failing = await drawn_loan(vault, card=FAILING_CARD, sequence=359)  # every debit fails
    first = await Installment.get(loan_id=paying.id, number=1)
    core = SandboxCoreBanking()
    for _ in range((first.due_on - TODAY).days + 3):
        await run_eod(core=core, vault=vault)
    assert await ledger_check(today=await business_date.current() - timedelta(days=1)) == []
    admin = await actor("admin")

    disbursed = await disbursement_series(actor=admin, interval=Interval.DAY)
    assert [(p.period, p.count, p.amount_fen) for p in disbursed.points.rows] == [(TODAY.isoformat(), 2, 2_400_000)]
    repaid = await repayment_series(actor=admin, interval=Interval.DAY)
    assert first.interest_fen == 4_500  # 12,000.00 × 4.5 % / 12
    assert [(p.period, p.count, p.total_fen, p.principal_fen, p.interest_fen, p.penalty_fen) for p in repaid.points.rows] == [
        (first.due_on.isoformat(), 1, first.principal_fen + 4_500, first.principal_fen, 4_500, 0)]

    paying, failing = await Loan.get(id=paying.id), await Loan.get(id=failing.id)
    assert failing.days_past_due == 2 and failing.classification == "special_mention" and failing.penalty_fen > 0
    portfolio = await portfolio_summary(actor=admin)
    total = portfolio.total
    assert (total.loans, total.outstanding_fen) == (2, 2_400_000 - first.principal_fen)
    assert total.by_class["special_mention"] == 1_200_000 and total.overdue_principal_fen == failing.overdue_principal_fen == first.principal_fen
    assert total.npl_fen == 0 and str(total.npl_percent) == "0.0000"

    by_customer = {r.customer_id: r.figures for r in (await customer_contributions(actor=admin)).customers.rows}
    good, bad = by_customer[paying.customer_id], by_customer[failing.customer_id]
    assert (good.interest_earned_fen, good.interest_collected_fen, good.interest_accrued_fen) == (4_500, 4_500, paying.accrued_interest_fen)
    assert bad.interest_earned_fen == 4_500 + failing.penalty_fen + failing.compound_fen and bad.interest_collected_fen == 0
    assert good.interest_accrued_fen > 0

import uuid
from datetime import date, timedelta

from app.models import AuditEvent, Installment, Loan
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from app.services.lending.eod import run_eod
from app.services.lending.ledger import ledger_check
from app.services.lending.pricing import publish_lpr
from tests.factories import customer_with_line
from tests.services.lending.conftest import TODAY


async def test_jan1_repricing_takes_the_new_lpr_for_later_periods(bank, core, vault):
    # given a 12-month loan at 1Y LPR 3.00% + 150 bp, drawn 2026-11-27
    _, line = await customer_with_line(vault)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=1_200_000, term_months=12, method="equal_installment",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)
    assert loan.next_repricing_on == date(2027, 1, 1)
    before = {i.number: i for i in await Installment.filter(loan_id=loan.id)}
    # and a lower LPR published on 2026-12-21
    await publish_lpr(actor=SYSTEM, published_on=date(2026, 12, 21), one_year_ppm=29_000, five_year_ppm=34_000, scheduled=True)  # entered in advance
    # when end-of-day runs through 1 January
    while await business_date.current() <= date(2027, 1, 1):
        await run_eod(core=core, vault=vault)
    # then the rate is 2.90% + 150 bp from the period starting after the repricing date
    loan = await Loan.get(id=loan.id)
    assert loan.annual_rate_ppm == 44_000
    assert loan.next_repricing_on is None  # the next 1 January (2028) is after maturity (2027-11-27)
    after = {i.number: i for i in await Installment.filter(loan_id=loan.id)}
    assert after[2].interest_fen == before[2].interest_fen  # 2026-12-27 → 2027-01-27 runs across 1 January: unchanged
    assert after[3].interest_fen < before[3].interest_fen
    assert sum(i.principal_fen for i in after.values()) == 1_200_000
    assert await AuditEvent.filter(action="loan.reprice", entity_id=str(loan.id)).exists()
    assert await ledger_check(today=await business_date.current() - timedelta(days=1)) == []


async def test_unchanged_lpr_moves_the_date_without_touching_the_schedule(bank, core, vault):
    _, line = await customer_with_line(vault)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=2_400_000, term_months=24, method="equal_principal",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)
    while await business_date.current() <= date(2027, 1, 1):
        await run_eod(core=core, vault=vault)
    loan = await Loan.get(id=loan.id)
    assert loan.annual_rate_ppm == 45_000 and loan.next_repricing_on == date(2028, 1, 1)
    assert not await AuditEvent.filter(action="loan.reprice").exists()


async def test_repricing_on_a_due_date_takes_the_period_starting_that_day(demo, core, vault):
    # given a 12-month 等额本息 loan drawn 2026-12-01 at 3.00 % + 150 bp: it falls due on the 1st, 1 January included
    await business_date.set_current(date(2026, 12, 1))
    _, line = await customer_with_line(vault)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=1_200_000, term_months=12, method="equal_installment",
                           idempotency_key=uuid.uuid4(), today=date(2026, 12, 1), core=core, vault=vault)
    first = await Installment.get(loan_id=loan.id, number=1)
    assert first.due_on == loan.next_repricing_on == date(2027, 1, 1)
    await publish_lpr(actor=SYSTEM, published_on=date(2026, 12, 21), one_year_ppm=29_000, five_year_ppm=34_000, scheduled=True)
    # when end-of-day runs through 1 January
    while await business_date.current() <= date(2027, 1, 1):
        await run_eod(core=core, vault=vault)
    # then the period 1 Jan – 1 Feb (row 2) is the first at 4.40 %: (1,200,000 − row 1's principal) × 4.40 % / 12
    # (issue 11, fault 8: it kept 4.50 % and the new rate started a period late)
    second = await Installment.get(loan_id=loan.id, number=2)
    balance = 1_200_000 - first.principal_fen
    assert second.interest_fen == (2 * balance * 44_000 + 12_000_000) // 24_000_000
    assert (await Installment.get(id=first.id)).interest_fen == first.interest_fen  # the period before keeps its interest
    assert await ledger_check(today=date(2027, 1, 1)) == []

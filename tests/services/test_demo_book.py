"""The living demo (issue 18): ~18 months lived through the real services and day's close leave a book with every
method and every class, clean books, warnings and collection tasks; a second run adds nothing."""

from datetime import date, timedelta

import pytest

from app.domain.classification import LoanClass
from app.integrations.bureau import SandboxBureau
from app.integrations.core_banking import SandboxCoreBanking
from app.models import CollectionTask, CreditLine, Customer, EarlyWarning, Loan
from app.domain.vocabulary import LoanStatus, RepaymentMethod
from app.services import business_date, demo_book
from app.services.day_end import DayEndTools
from app.services.documents import MediaStore
from app.services.lending.books import check_books
from app.services.seed import seed_demo

TODAY = date(2026, 11, 27)


@pytest.fixture
async def full_demo(db, vault, settings):
    """The demo as `cunxin seed-demo` makes it before the book: both banks, 8 households per village."""
    return await seed_demo(vault=vault, demo_password=settings.demo_password.get_secret_value(), today=TODAY, households_per_village=8,
                           second_bank=True)


def _tools(vault, settings) -> DayEndTools:
    return DayEndTools(core=SandboxCoreBanking(), vault=vault, media=MediaStore(settings.media_dir))


@pytest.mark.slow
async def test_the_living_demo_has_every_method_and_class_clean_books_and_is_idempotent(full_demo, vault, settings):
    # when the book is lived for 540 days up to today
    made = await demo_book.seed_book(tools=_tools(vault, settings), bureau_at=lambda at: SandboxBureau(clock=at), today=TODAY)
    # then the business date is today and every day was closed
    assert made.days_closed == demo_book.DAYS and await business_date.current() == TODAY
    loans = await Loan.all()
    assert len(loans) == made.loans == sum(len(b.draws) for b in demo_book.BOOK)
    # every repayment method, settled (matured or paid off) and active loans, prepayments, every class
    assert {loan.method for loan in loans} == {m.value for m in RepaymentMethod}
    assert {LoanStatus.SETTLED, LoanStatus.ACTIVE} <= {loan.status for loan in loans}
    assert made.prepayments == sum(len(d.prepay) for b in demo_book.BOOK for d in b.draws)
    active = [loan for loan in loans if loan.status == LoanStatus.ACTIVE]
    assert {loan.classification for loan in active} == {c.value for c in LoanClass}
    assert any(loan.days_past_due >= 361 for loan in active)
    # the books agree with the loans, per bank and consolidated
    sections = await check_books(today=TODAY - timedelta(days=1), bank_code=None)
    assert sections and all(s.debit_fen == s.credit_fen and not s.problems for s in sections)
    # the risk stage had something to say
    assert await EarlyWarning.exists() and await CollectionTask.exists()
    # the app's demo borrowers exist with their phones
    assert [phone for phone, _ in made.borrowers] == ["13900000001", "13900000002", "13900000003"]
    # and a second run adds nothing
    counts = (await Customer.all().count(), await CreditLine.all().count(), len(loans))
    again = await demo_book.seed_book(tools=_tools(vault, settings), bureau_at=lambda at: SandboxBureau(clock=at), today=TODAY + timedelta(days=3))
    assert again.skipped and (again.customers, again.loans, again.days_closed) == (0, 0, 0)
    assert (await Customer.all().count(), await CreditLine.all().count(), await Loan.all().count()) == counts
    assert await business_date.current() == TODAY


async def test_the_book_starts_with_a_finished_appraisal_and_ends_with_one_in_progress(full_demo, vault, settings):
    from app.models import Appraisal, Objection, Vote

    # when only the last 20 days are lived (the appraisals' days; no loan is that young)
    made = await demo_book.seed_book(tools=_tools(vault, settings), bureau_at=lambda at: SandboxBureau(clock=at), today=TODAY, days=20)
    assert made.days_closed == 20
    # then 西街村's appraisal went through 公示 and closed, its objection answered
    finished = await Appraisal.get(village__division_code=demo_book.FINISHED_VILLAGE)
    assert finished.status == "closed" and finished.published_on is not None and finished.approved_at is not None
    assert [(o.status, o.resolution) for o in await Objection.filter(appraisal_id=finished.id)] == [("upheld", "经核实属实，额度下调")]
    # and 汾城村's is in its first round, half of its households rated
    opened = await Appraisal.get(village__division_code=demo_book.OPEN_VILLAGE)
    assert opened.status == "first_round" and await Vote.filter(member__appraisal_id=opened.id).exists()

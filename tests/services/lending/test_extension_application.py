"""展期 applied for by the borrower in the app (issue 17): checked against the same rules as the officer's proposal
(typed errors: not their loan, matured, already extended, the limits of 贷款通则), kept for the officer — on the
workbench and the loan page — and carried on by the officer's `propose_extension`."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.errors import DomainError
from app.domain.maker_checker import MakerCheckerPolicy
from app.domain.vocabulary import ActorType, ExtensionApplicationStatus
from app.models import AuditEvent, ExtensionApplication, Loan
from app.services import business_date
from app.services.actor import SYSTEM, Actor
from app.services.lending.drawdown import draw_down
from app.services.lending.extension import apply_for_extension, extension_applications, propose_extension
from app.services.workbench import workbench
from tests.factories import customer_with_line
from tests.services.lending.test_classification_state import _actor, _until
from tests.services.lending.test_extension import _three_month_loan

NOW = datetime(2027, 1, 1, tzinfo=UTC)


async def _other_loan(core, vault, *, term=3):
    """A loan of another person (another ID number and card)."""
    _, line = await customer_with_line(vault, card="6217000010008888", sequence=359)
    return await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=100_000, term_months=term, method="equal_installment",
                           idempotency_key=uuid.uuid4(), today=await business_date.current(), core=core, vault=vault)


def _borrower(loan) -> Actor:
    return Actor(type=ActorType.CUSTOMER, id=loan.customer_id)


async def _code(actor, loan_id, months, reason="春耕资金周转") -> str:
    with pytest.raises(DomainError) as refused:
        await apply_for_extension(actor=actor, loan_id=loan_id, months=months, reason=reason, today=await business_date.current())
    return refused.value.code


async def test_the_borrowers_application_goes_to_the_officer_who_proposes_it(bank, core, vault):
    loan = await _three_month_loan(core, vault)
    other = await _other_loan(core, vault)
    today = await business_date.current()
    borrower = _borrower(loan)
    # refused, nothing kept: another person's loan, no reason, beyond the limit of a 3-month loan, an officer applying
    assert await _code(_borrower(other), loan.id, 2) == "NOT_FOUND"
    assert await _code(borrower, loan.id, 2, reason="  ") == "REASON_REQUIRED"
    assert await _code(borrower, loan.id, 4) == "INVALID_TERM"
    assert await _code(await _actor("officer1"), loan.id, 2) == "FORBIDDEN"
    assert not await ExtensionApplication.exists()
    application = await apply_for_extension(actor=borrower, loan_id=loan.id, months=2, reason="春耕资金周转", today=today)
    assert (application.months, application.status, application.applied_on) == (2, ExtensionApplicationStatus.PENDING, today)
    assert await _code(borrower, loan.id, 1) == "EXTENSION_PENDING"
    assert await AuditEvent.filter(action="loan.extension_apply", entity_id=str(loan.id)).count() == 1
    # the officer sees it on the workbench and the loan page (the borrower sees their own)
    officer = await _actor("officer1")
    section = next(s for s in (await workbench(actor=officer, on=today, tz="Asia/Shanghai")).sections if s.key == "extension_applications")
    assert [(i.kind, i.target_id) for i in section.items] == [("extension_application", loan.id)]
    assert [a.id for a in await extension_applications(actor=officer, loan_id=loan.id)] == [application.id]
    assert [a.id for a in await extension_applications(actor=borrower)] == [application.id]
    assert await extension_applications(actor=_borrower(other)) == []
    # the officer proposes it: the application is carried by the request and leaves the workbench
    command = await propose_extension(actor=officer, loan_id=loan.id, months=2, restructured=False, reason="借款人申请：春耕资金周转",
                                      today=today, now=NOW, policy=MakerCheckerPolicy())
    stored = await ExtensionApplication.get(id=application.id)
    assert (stored.status, stored.command_id) == (ExtensionApplicationStatus.PROPOSED, command.id)
    section = next(s for s in (await workbench(actor=officer, on=today, tz="Asia/Shanghai")).sections if s.key == "extension_applications")
    assert section.items == []


async def test_a_matured_or_already_extended_loan_is_refused_with_its_own_code(bank, core, vault):
    loan = await _three_month_loan(core, vault)
    today = await business_date.current()
    at_once = MakerCheckerPolicy(kinds=frozenset())  # the extension runs when proposed
    await propose_extension(actor=await _actor("officer1"), loan_id=loan.id, months=1, restructured=False, reason="展期", today=today,
                            now=NOW, policy=at_once)
    assert await _code(_borrower(loan), loan.id, 1) == "ALREADY_EXTENDED"
    matured = await _other_loan(core, vault, term=1)
    await _until(core, vault, (await Loan.get(id=matured.id)).maturity_on)
    assert await _code(_borrower(matured), matured.id, 1) == "LOAN_MATURED"


# --- declined by the officer, expired at maturity (before: an application waited for ever) ---------------------------


async def test_the_officer_declines_an_application_with_a_reason_the_borrower_reads(bank, core, vault):
    from app.domain.errors import Conflict, NotFound, ValidationError
    from app.services.lending.extension import decline_extension_application, my_extension_applications

    loan = await _three_month_loan(core, vault)
    today = await business_date.current()
    borrower = _borrower(loan)
    application = await apply_for_extension(actor=borrower, loan_id=loan.id, months=2, reason="春耕资金周转", today=today)
    officer = await _actor("officer1")
    with pytest.raises(ValidationError):  # a reason is required (the borrower reads it)
        await decline_extension_application(actor=officer, application_id=application.id, reason=" ", today=today)
    with pytest.raises(NotFound):  # another branch's officer does not see it
        await decline_extension_application(actor=await _actor("officer2"), application_id=application.id, reason="不符合条件", today=today)
    declined = await decline_extension_application(actor=officer, application_id=application.id, reason="经营流水不足，暂不受理", today=today)
    assert (declined.status, declined.decline_reason, declined.decided_on, declined.declined_by_id) == (
        ExtensionApplicationStatus.DECLINED, "经营流水不足，暂不受理", today, officer.id)
    with pytest.raises(Conflict):  # decided once
        await decline_extension_application(actor=officer, application_id=application.id, reason="再次", today=today)
    assert await AuditEvent.filter(action="loan.extension_decline", entity_id=str(loan.id)).count() == 1
    [state] = await my_extension_applications(actor=borrower)
    assert (state.status, state.reason, state.decided_on) == ("declined", "经营流水不足，暂不受理", today)
    assert await extension_applications(actor=officer, loan_id=loan.id) == []  # off the workbench and the loan page
    # the borrower may apply again
    again = await apply_for_extension(actor=borrower, loan_id=loan.id, months=1, reason="春耕资金周转", today=today)
    assert again.status == ExtensionApplicationStatus.PENDING


async def test_an_application_not_acted_on_by_maturity_expires_at_that_days_close(bank, core, vault):
    from app.services.lending.extension import my_extension_applications

    loan = await _three_month_loan(core, vault)
    borrower = _borrower(loan)
    application = await apply_for_extension(actor=borrower, loan_id=loan.id, months=2, reason="春耕资金周转",
                                            today=await business_date.current())
    maturity = (await Loan.get(id=loan.id)).maturity_on
    await _until(core, vault, maturity)  # closes every day before maturity: still waiting
    assert (await ExtensionApplication.get(id=application.id)).status == ExtensionApplicationStatus.PENDING
    await _until(core, vault, maturity + timedelta(days=1))  # the maturity date's close
    stored = await ExtensionApplication.get(id=application.id)
    assert (stored.status, stored.decided_on) == (ExtensionApplicationStatus.EXPIRED, maturity)
    [state] = await my_extension_applications(actor=borrower)
    assert state.status == "expired" and "到期前" in state.reason

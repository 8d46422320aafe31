import logging
import uuid
from datetime import date

import pytest

from app.domain.errors import DomainError
from app.models import AuditEvent, CreditLine, IdempotencyRecord, Installment, LedgerEntry, Loan
from app.domain.vocabulary import CreditLineStatus
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down, quote_drawdown
from app.services.lending.ledger import ledger_check
from tests.factories import customer_with_line
from tests.services.lending.conftest import TODAY


async def _draw(line, core, vault, amount_fen=1_200_000, term=12, method="equal_installment", key=None):
    return await draw_down(
        actor=SYSTEM, credit_line_id=line.id, amount_fen=amount_fen, term_months=term, method=method,
        idempotency_key=key or uuid.uuid4(), today=TODAY, core=core, vault=vault,
    )


async def test_drawdown_creates_loan_schedule_ledger_and_uses_the_line(bank, core, vault):
    # given a line of 100,000 on 便利贷 (1Y LPR 3.00% + 150 bp for grade good)
    _, line = await customer_with_line(vault)
    # when 12,000 is drawn over 12 months
    loan = await _draw(line, core, vault)
    # then
    assert loan.principal_fen == 1_200_000 and loan.annual_rate_ppm == 45_000
    assert loan.start_on == TODAY and loan.first_due_on == date(2026, 12, 27) and loan.maturity_on == date(2027, 11, 27)
    rows = await Installment.filter(loan_id=loan.id).order_by("number")
    assert len(rows) == 12 and sum(r.principal_fen for r in rows) == 1_200_000
    assert (await CreditLine.get(id=line.id)).used_fen == 1_200_000
    entries = await LedgerEntry.filter(loan_id=loan.id)
    assert {(e.account, e.debit_fen, e.credit_fen) for e in entries} == {("loan_principal", 1_200_000, 0), ("clearing", 0, 1_200_000)}
    assert loan.disbursement_ref.startswith("SBX")
    assert await AuditEvent.filter(action="loan.drawdown", entity_id=str(loan.id)).exists()
    assert await ledger_check(today=TODAY) == []


async def test_a_retry_with_the_same_key_returns_the_first_loan(bank, core, vault):
    _, line = await customer_with_line(vault)
    key = uuid.uuid4()
    first = await _draw(line, core, vault, key=key)
    again = await _draw(line, core, vault, key=key)
    assert again.id == first.id
    assert await Loan.all().count() == 1
    assert (await CreditLine.get(id=line.id)).used_fen == 1_200_000


async def test_the_same_key_for_a_different_request_is_refused(bank, core, vault):
    _, line = await customer_with_line(vault)
    key = uuid.uuid4()
    await _draw(line, core, vault, key=key)
    with pytest.raises(DomainError) as err:
        await _draw(line, core, vault, key=key, amount_fen=1_300_000)
    assert err.value.code == "IDEMPOTENCY_KEY_REUSED"


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"amount_fen": 0}, "INVALID_AMOUNT", "amount"),
        ({"amount_fen": -10_000}, "INVALID_AMOUNT", "amount"),
        ({"amount_fen": 50_000}, "INVALID_AMOUNT", "amount"),  # below the product's minimum of 1,000
        ({"amount_fen": 10_000_001}, "AMOUNT_ABOVE_AVAILABLE", "amount"),
        ({"term": 37}, "INVALID_TERM", "term_months"),
        ({"term": 0}, "INVALID_TERM", "term_months"),
        ({"method": "balloon"}, "INVALID_METHOD", "method"),
    ],
)
async def test_bad_drawdowns_are_refused_and_write_nothing(bank, core, vault, kwargs, code, field):
    _, line = await customer_with_line(vault)
    with pytest.raises(DomainError) as err:
        await _draw(line, core, vault, **kwargs)
    assert (err.value.code, err.value.field) == (code, field)
    assert await Loan.all().count() == 0 and await LedgerEntry.all().count() == 0 and await IdempotencyRecord.all().count() == 0
    assert (await CreditLine.get(id=line.id)).used_fen == 0


async def test_method_not_allowed_by_the_product(bank, core, vault):
    _, line = await customer_with_line(vault, product="GJJ")
    with pytest.raises(DomainError) as err:
        await _draw(line, core, vault, method="interest_first", term=12)
    assert err.value.code == "INVALID_METHOD"


@pytest.mark.parametrize(("status", "code"), [(CreditLineStatus.FROZEN, "LINE_NOT_ACTIVE"), (CreditLineStatus.CLOSED, "LINE_NOT_ACTIVE")])
async def test_frozen_or_closed_lines_cannot_be_drawn(bank, core, vault, status, code):
    _, line = await customer_with_line(vault)
    await CreditLine.filter(id=line.id).update(status=status)
    with pytest.raises(DomainError) as err:
        await _draw(line, core, vault)
    assert err.value.code == code
    assert await Loan.all().count() == 0


async def test_expired_line_cannot_be_drawn(bank, core, vault):
    _, line = await customer_with_line(vault, valid_from=date(2024, 1, 1), valid_until=date(2026, 11, 26))
    with pytest.raises(DomainError) as err:
        await _draw(line, core, vault)
    assert err.value.code == "LINE_EXPIRED"


async def test_failed_disbursement_rolls_everything_back(bank, core, vault):
    _, line = await customer_with_line(vault, card="6217000010000003")  # sandbox: frozen account
    with pytest.raises(DomainError) as err:
        await _draw(line, core, vault)
    assert err.value.code == "DISBURSEMENT_FAILED" and "账户冻结" in err.value.message
    assert await Loan.all().count() == 0 and await Installment.all().count() == 0
    assert (await CreditLine.get(id=line.id)).used_fen == 0


async def test_two_drawdowns_cannot_pass_the_limit(bank, core, vault):
    _, line = await customer_with_line(vault, limit_yuan=20_000)
    await _draw(line, core, vault, amount_fen=1_500_000)
    with pytest.raises(DomainError) as err:
        await _draw(line, core, vault, amount_fen=600_000)
    assert err.value.code == "AMOUNT_ABOVE_AVAILABLE" and "5,000.00" in err.value.message


async def test_another_branchs_officer_cannot_see_the_line(bank, core, vault):
    from app.services.auth.officers import actor_for
    from tests.factories import officer

    _, line = await customer_with_line(vault)
    outsider = await actor_for(await officer("officer2"))
    with pytest.raises(DomainError) as err:
        await quote_drawdown(actor=outsider, credit_line_id=line.id, amount_fen=100_000, term_months=12, method="equal_installment", today=TODAY)
    assert err.value.code == "NOT_FOUND"


async def test_quote_uses_lpr_plus_spread_and_writes_nothing(bank, core, vault):
    _, line = await customer_with_line(vault)
    quote = await quote_drawdown(actor=SYSTEM, credit_line_id=line.id, amount_fen=1_000_000, term_months=6, method="equal_principal", today=TODAY)
    assert quote.annual_rate_ppm == 30_000 + 150 * 100
    assert quote.schedule.installments[0].principal_fen == 166_667
    assert await Loan.all().count() == 0


async def test_a_rejected_credit_check_blocks_drawdown(bank, core, vault):
    # sequence 931: the sandbox bureau returns a bad-debt report; the default rules reject it
    _, line = await customer_with_line(vault, sequence=931)
    with pytest.raises(DomainError) as err:
        await _draw(line, core, vault)
    assert err.value.code == "RISK_REJECTED" and "禁止用信" in err.value.message
    assert await Loan.all().count() == 0 and (await CreditLine.get(id=line.id)).used_fen == 0


async def test_no_credit_check_no_drawdown(bank, core, vault):
    _, line = await customer_with_line(vault, checked=False)
    with pytest.raises(DomainError) as err:
        await _draw(line, core, vault)
    assert err.value.code == "NO_RISK_DECISION"


async def test_nobody_sees_lines_or_loans(bank, core, vault):
    from app.services.lending import queries

    await customer_with_line(vault)
    assert await queries.lines_query(None).count() == 0
    assert await queries.loans_query(None).count() == 0


async def test_a_drawdown_is_a_small_number_of_statements(bank, core, vault, caplog):
    # given a line, and every statement the database clients send counted from here on (tortoise logs each one)
    _, line = await customer_with_line(vault)
    caplog.set_level(logging.DEBUG, logger="tortoise.db_client")
    caplog.clear()
    # when one drawdown runs (its loan returned to the caller)
    loan = await _draw(line, core, vault)
    # then it took a handful of statements in one transaction: the idempotency check, one read of the line with its
    # product, customer and bank, the risk gate, card and LPR, and one insert per table written (the sandbox core's own included)
    statements = [r.getMessage() for r in caplog.records if r.name == "tortoise.db_client" and not r.getMessage().startswith(("Created", "Closed"))]
    assert len(statements) <= 15, "\n".join(s[:120] for s in statements)
    assert loan.status == "active" and len(await Installment.filter(loan_id=loan.id)) == 12

"""Test data for warnings and collections: drawn loans, overdue states, stored credit reports."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from app.domain.credit_report import QueryRecord
from app.integrations.sandbox import generate_report, to_xml
from app.integrations.core_banking import SandboxCoreBanking
from app.models import CreditLine, CreditQuery, Customer, Installment, Loan, Officer, Village
from app.domain.vocabulary import DocumentKind
from app.models.risk import CreditQueryStatus
from app.services.actor import SYSTEM
from app.services.documents import MediaStore, store_document
from app.services.lending.drawdown import draw_down
from tests.factories import customer_with_line

TODAY = date(2026, 11, 27)
FAILING_CARD = "6217000010000002"  # sandbox core: every debit fails (余额不足)


async def assign_village(customer: Customer, division_code: str = "141023100201") -> Village:
    """Put the customer in a demo village (西街村 is officer1's)."""
    village = await Village.get(division_code=division_code)
    await Customer.filter(id=customer.id).update(village_id=village.id)
    return village


async def drawn_loan(vault, *, amount_fen: int = 1_200_000, card: str = "6217000010001234", sequence: int = 357, village: str | None = "141023100201",
                     line_officer: str | None = None, limit_yuan: int = 100_000, valid_from: date | None = None, today: date = TODAY):
    customer, line = await customer_with_line(vault, card=card, sequence=sequence, limit_yuan=limit_yuan, valid_from=valid_from)
    if village:
        await assign_village(customer, village)
    if line_officer:
        await CreditLine.filter(id=line.id).update(officer_id=(await Officer.get(username=line_officer)).id)
    loan = await draw_down(
        actor=SYSTEM, credit_line_id=line.id, amount_fen=amount_fen, term_months=12, method="equal_installment",
        idempotency_key=uuid.uuid4(), today=today, core=SandboxCoreBanking(), vault=vault,
    )
    return customer, line, loan


async def make_overdue(loan: Loan, *, days_past_due: int, installments: int = 1) -> None:
    """The state end-of-day leaves: the first installments overdue, DPD counted from the oldest."""
    rows = await Installment.filter(loan_id=loan.id, number__lte=installments).order_by("number")
    await Installment.filter(id__in=[r.id for r in rows]).update(status="overdue")
    await Loan.filter(id=loan.id).update(
        days_past_due=days_past_due, classification="special_mention",
        overdue_principal_fen=sum(r.principal_fen for r in rows), overdue_interest_fen=sum(r.interest_fen for r in rows),
    )


async def cure(loan: Loan) -> None:
    await Installment.filter(loan_id=loan.id, status="overdue").update(status="paid", paid_principal_fen=0)
    await Loan.filter(id=loan.id).update(days_past_due=0, classification="normal", overdue_principal_fen=0, overdue_interest_fen=0)


async def stored_report(media: MediaStore, customer: Customer, vault, *, report_on: date, queries: list[tuple[date, str, str]],
                        institution: str = "襄汾农商行") -> CreditQuery:
    """A finished bureau query whose stored report carries exactly `queries` (on, institution, reason)."""
    number = vault.decrypt(customer.id_number_enc, context=b"id_number")
    report = generate_report(7, number, customer.name, report_on, "clean")
    report = replace(report, query_records=tuple(QueryRecord(on=on, institution=inst, reason=reason) for on, inst, reason in queries))
    doc = await store_document(
        actor=SYSTEM, media=media, data=to_xml(report), kind=DocumentKind.CREDIT_REPORT, content_type="application/xml",
        customer_id=customer.id, max_bytes=5 * 1024 * 1024,
    )
    return await CreditQuery.create(
        customer=customer, reason="贷后管理", institution=institution, hard=False,
        requested_at=datetime(report_on.year, report_on.month, report_on.day, 2, tzinfo=UTC) + timedelta(minutes=1),
        status=CreditQueryStatus.OK, report_document=doc, report_date=report_on,
    )



async def settled_loan(vault, customer: Customer, *, amount_fen: int = 6_000_000, paid_late: int = 0, today: date = TODAY) -> Loan:
    """A one-year loan on the customer's first line, repaid in full last month: every installment paid on its due date
    (the first `paid_late` of them a week late). The bank's own repayment record that 线上便利贷 reads."""
    from app.domain.schedule.dates import add_months

    line = await CreditLine.filter(customer_id=customer.id).order_by("created_at").prefetch_related("product").first()
    assert line is not None
    start = add_months(today, -13)
    loan = await Loan.create(
        credit_line=line, customer=customer, product_id=line.product_id, branch_id=line.branch_id, principal_fen=amount_fen, annual_rate_ppm=45_000,
        lpr_tenor="1y", spread_bp=150, method="equal_installment", term_months=12, start_on=start, first_due_on=add_months(start, 1),
        maturity_on=add_months(start, 12), status="settled", outstanding_principal_fen=0, settled_on=add_months(start, 12),
    )
    share = amount_fen // 12
    for n in range(1, 13):
        due = add_months(start, n)
        principal = share if n < 12 else amount_fen - share * 11
        await Installment.create(loan=loan, number=n, due_on=due, principal_fen=principal, interest_fen=20_000, paid_principal_fen=principal,
                                 paid_interest_fen=20_000, status="paid", paid_on=due + timedelta(days=7 if n <= paid_late else 0))
    return loan

"""A small portfolio with hand-computed figures for the reporting tests (needs the `demo` bank).

Rows are written directly (customers, lines, loans, ledger postings, appraisal results,
warnings, collection tasks) so every figure below can be worked out by hand:

| loan | branch | village | line officer | product | outstanding | class            | overdue p. | start      |
|------|--------|---------|--------------|---------|-------------|------------------|------------|------------|
| L1   | XF010  | 西街村  | officer1     | BIANLI  | 100,000.00  | normal           | 0          | 2026-01-10 |
| L2   | XF010  | 西街村  | officer1     | BIANLI  |  50,000.00  | special_mention  | 5,000.00   | 2026-02-15 |
| L3   | XF010  | 南关村  | (none)       | GJJ     |  20,000.00  | substandard      | 20,000.00  | 2025-06-01 |
| L4   | XF020  | 汾城村  | officer2     | BIANLI  |  30,000.00  | doubtful         | 30,000.00  | 2025-03-01 |
| L5   | XF020  | 汾城村  | officer2     | GJJ     |  10,000.00  | loss             | 10,000.00  | 2024-12-01 |
| L6   | XF010  | 南关村  | (none)       | GJJ     | settled (not in the portfolio)                 | 2025-06-20 |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from app.domain import idcard
from app.domain.ledger import Account, Posting
from app.models import (
    Bank,
    Appraisal,
    AppraisalOutcome,
    Approval,
    Branch,
    CollectionAction,
    CollectionTask,
    CreditLine,
    Customer,
    CustomerRelationship,
    EarlyWarning,
    Household,
    HouseholdMember,
    Installment,
    LedgerTransaction,
    Loan,
    Officer,
    Product,
    ReviewDecision,
    Village,
)
from app.services.lending.ledger import post, reverse
from app.services.customers.identifiers import id_number_fields

Y = 100  # fen per yuan
WEST, SOUTH, FEN = "141023100201", "141023100205", "141023103210"  # 西街村, 南关村 (XF010, officer1), 汾城村 (XF020, officer2)


@dataclass
class Book:
    customers: dict[str, Customer]
    loans: dict[str, Loan]
    lines: dict[str, CreditLine]


LOANS = [
    # name, branch, village, officer, product, principal, outstanding, class, dpd, overdue p, overdue i, start, status, line limit
    ("L1", "XF010", WEST, "officer1", "BIANLI", 120_000, 100_000, "normal", 0, 0, 0, date(2026, 1, 10), "active", 200_000),
    ("L2", "XF010", WEST, "officer1", "BIANLI", 55_000, 50_000, "special_mention", 30, 5_000, 300, date(2026, 2, 15), "active", 100_000),
    ("L3", "XF010", SOUTH, None, "GJJ", 20_000, 20_000, "substandard", 100, 20_000, 0, date(2025, 6, 1), "active", 30_000),
    ("L4", "XF020", FEN, "officer2", "BIANLI", 30_000, 30_000, "doubtful", 300, 30_000, 0, date(2025, 3, 1), "active", 50_000),
    ("L5", "XF020", FEN, "officer2", "GJJ", 10_000, 10_000, "loss", 400, 10_000, 0, date(2024, 12, 1), "active", 20_000),
    ("L6", "XF010", SOUTH, None, "GJJ", 8_000, 0, "normal", 0, 0, 0, date(2025, 6, 20), "settled", 10_000),
]


async def _customer(vault, n: int, branch: Branch, village: Village) -> Customer:
    number = idcard.make_number("141023", date(1955, 1, n), 500 + 2 * n)
    info = idcard.parse(number)
    return await Customer.create(
        name=f"客户{n}", sex=info.sex, birth_on=info.birth_date, branch=branch, bank_id=branch.bank_id, village=village, **id_number_fields(vault, number)
    )


async def build_book(vault) -> Book:
    branches = {b.code: b for b in await Branch.all()}
    villages = {v.division_code: v for v in await Village.all()}
    officers = {o.username: o for o in await Officer.all()}
    products = {p.code: p for p in await Product.all()}
    customers, loans, lines = {}, {}, {}
    for n, (name, branch, village, officer, product, principal, outstanding, cls, dpd, odp, odi, start, status, limit) in enumerate(LOANS, 1):
        customer = await _customer(vault, n, branches[branch], villages[village])
        line = await CreditLine.create(
            customer=customer, product=products[product], branch=branches[branch], officer=officers.get(officer) if officer else None,
            limit_fen=limit * Y, used_fen=outstanding * Y, valid_from=start, valid_until=date(2028, 12, 31), allowed_methods=["equal_installment"],
            max_term_months=36, spread_bp=150,
        )
        loan = await Loan.create(
            credit_line=line, customer=customer, product=products[product], branch=branches[branch], principal_fen=principal * Y,
            annual_rate_ppm=45_000, lpr_tenor="1y", spread_bp=150, method="equal_installment", term_months=12, start_on=start,
            first_due_on=start.replace(day=28), maturity_on=date(start.year + 1, start.month, 28), status=status,
            outstanding_principal_fen=outstanding * Y, overdue_principal_fen=odp * Y, overdue_interest_fen=odi * Y, days_past_due=dpd,
            classification=cls, settled_on=date(2025, 12, 20) if status == "settled" else None,
        )
        customers[f"C{n}"], loans[name], lines[name] = customer, loan, line
    # accrued, not yet due (end-of-day keeps it on the loan; the ledger has it per portfolio)
    await Loan.filter(id=loans["L1"].id).update(accrued_interest_fen=1_250)
    await Loan.filter(id=loans["L2"].id).update(accrued_interest_fen=600)
    return Book(customers=customers, loans=loans, lines=lines)


async def _repay(loan: Loan, on: date, *, principal: int, interest: int = 0, penalty: int = 0, compound: int = 0, kind: str = "repayment") -> LedgerTransaction:
    total = principal + interest + penalty + compound
    postings = [
        Posting(Account.CLEARING, debit_fen=total),
        Posting(Account.PENALTY_RECEIVABLE, credit_fen=penalty),
        Posting(Account.COMPOUND_RECEIVABLE, credit_fen=compound),
        Posting(Account.INTEREST_RECEIVABLE, credit_fen=interest),
        Posting(Account.LOAN_PRINCIPAL, credit_fen=principal),
    ]
    return await post(kind=kind, business_on=on, loan_id=loan.id, postings=postings)


async def _eod(kind: str, on: date, lines: list[tuple[Loan, Account, int]], income: list[tuple[Account, int]]) -> None:
    """An end-of-day style transaction: per-loan receivable lines, one aggregate (portfolio) line per credit account."""
    from app.models import LedgerEntry

    txn = await LedgerTransaction.create(kind=kind, business_on=on, bank_id=(await Bank.first()).id)  # the one demo bank
    for loan, account, fen in lines:
        await LedgerEntry.create(transaction=txn, account=account.value, loan=loan, debit_fen=fen)
    for account, fen in income:
        await LedgerEntry.create(transaction=txn, account=account.value, loan=None, credit_fen=fen)


async def post_ledger(book: Book) -> None:
    """Disbursements at each loan's start; repayments, a reversal, accruals, penalty and a prepayment.

    Interest: 250.00 (L1) and 120.00 (L2) fall due on 2026-02-28; penalty 10.00 + compound 2.00 charged on L2 on
    03-01; the L1 prepayment recognises 30.00. Repaid by month: 2026-02 one repayment of 1,350.00 (principal 1,000.00, interest 300.00,
    penalty 30.00 + compound 20.00); a 500.00 repayment on 02-20 reversed on 02-21.
    2026-03: L2 5,400.00 (5,000.00 + 400.00 interest) on 03-15 (an end-of-day debit) and the L1
    prepayment of 10,030.00 (10,000.00 + 30.00 interest recognised and collected) on 03-20.
    """
    for name, *_rest in LOANS:
        loan = book.loans[name]
        await post(
            kind="disbursement", business_on=loan.start_on, loan_id=loan.id,
            postings=[Posting(Account.LOAN_PRINCIPAL, debit_fen=loan.principal_fen), Posting(Account.CLEARING, credit_fen=loan.principal_fen)],
        )
    l1, l2 = book.loans["L1"], book.loans["L2"]
    await _repay(l1, date(2026, 2, 10), principal=1_000 * Y, interest=300 * Y, penalty=30 * Y, compound=20 * Y)
    mistaken = await _repay(l1, date(2026, 2, 20), principal=500 * Y)
    await reverse(mistaken.id, business_on=date(2026, 2, 21))
    # daily accrual is one portfolio pair (应计利息 / 利息收入); on the due date the period's interest moves to each loan
    await post(kind="accrual", business_on=date(2026, 2, 27), loan_id=None, bank_id=(await Bank.first()).id,
               postings=[Posting(Account.ACCRUED_INTEREST, debit_fen=370 * Y), Posting(Account.INTEREST_INCOME, credit_fen=370 * Y)])
    await _eod("interest_due", date(2026, 2, 28), [(l1, Account.INTEREST_RECEIVABLE, 250 * Y), (l2, Account.INTEREST_RECEIVABLE, 120 * Y)],
               [(Account.ACCRUED_INTEREST, 370 * Y)])
    await _eod("penalty", date(2026, 3, 1), [(l2, Account.PENALTY_RECEIVABLE, 10 * Y), (l2, Account.COMPOUND_RECEIVABLE, 2 * Y)],
               [(Account.PENALTY_INCOME, 10 * Y), (Account.COMPOUND_INCOME, 2 * Y)])
    await _repay(l2, date(2026, 3, 15), principal=5_000 * Y, interest=400 * Y, kind="auto_debit")
    prepay = [Posting(Account.INTEREST_RECEIVABLE, debit_fen=30 * Y), Posting(Account.ACCRUED_INTEREST, credit_fen=20 * Y),
              Posting(Account.INTEREST_INCOME, credit_fen=10 * Y),
              Posting(Account.CLEARING, debit_fen=10_030 * Y), Posting(Account.INTEREST_RECEIVABLE, credit_fen=30 * Y),
              Posting(Account.LOAN_PRINCIPAL, credit_fen=10_000 * Y)]
    await post(kind="prepayment", business_on=date(2026, 3, 20), loan_id=l1.id, postings=prepay)


async def link_households(book: Book) -> list[Household]:
    """C1 and C2 live in 西街村's first household; C3 in 南关村's first. Returns 西街村's households by number."""
    west = await Household.filter(village__division_code=WEST).order_by("household_no")
    south = await Household.filter(village__division_code=SOUTH).order_by("household_no").first()
    members = await HouseholdMember.filter(household_id=west[0].id).order_by("created_at", "id")
    await HouseholdMember.filter(id=members[0].id).update(customer_id=book.customers["C1"].id)
    if len(members) > 1:
        await HouseholdMember.filter(id=members[1].id).update(customer_id=book.customers["C2"].id)
    else:  # a one-person household: add C2 to it
        first = members[0]
        await HouseholdMember.create(household_id=west[0].id, name="客户2", relation="spouse", sex=first.sex, birth_on=first.birth_on,
                                     id_number_enc=b"x", id_number_hash="reporting-test-c2", id_number_masked="", customer_id=book.customers["C2"].id,
                                     bank_id=first.bank_id)
    member = await HouseholdMember.filter(household_id=south.id).order_by("created_at", "id").first()
    await HouseholdMember.filter(id=member.id).update(customer_id=book.customers["C3"].id)
    return list(west)


async def appraise_west(households: list[Household]) -> None:
    """西街村: households 1 and 2 known to the panel, household 3 reviewed; 1 approved with 100,000.00, 2 approved at 0."""
    village = await Village.get(division_code=WEST)
    product = await Product.get(code="BIANLI")
    now = datetime(2026, 1, 5, 2, tzinfo=UTC)
    appraisal = await Appraisal.create(village=village, product=product, status="published", rules={}, approved_at=now)
    for h, knowing in zip(households[:2], (3, 2), strict=True):
        await AppraisalOutcome.create(appraisal=appraisal, household=h, votes=3, knowing=knowing, grade="good")
    await AppraisalOutcome.create(appraisal=appraisal, household=households[2], votes=3, knowing=0)
    await ReviewDecision.create(appraisal=appraisal, household=households[2], grade="fair", amount_fen=0, decided_at=now)
    await Approval.create(appraisal=appraisal, household=households[0], grade="good", pre_credit_amount_fen=100_000 * Y, approved_at=now)
    await Approval.create(appraisal=appraisal, household=households[1], grade="decline", pre_credit_amount_fen=0, approved_at=now)


async def warnings_and_tasks(book: Book) -> None:
    """XF010: L2 open (medium), L3 open (high), C1 dismissed; XF020: L4 handled. Tasks: L2 open (2 actions), L4 closed (1)."""
    officers = {o.username: o for o in await Officer.all()}
    c, lo = book.customers, book.loans
    rows = [
        ("rising_dpd", "medium", c["C2"], lo["L2"], officers["officer1"], "open", date(2026, 3, 16)),
        ("rising_dpd", "high", c["C3"], lo["L3"], None, "open", date(2025, 9, 10)),
        ("new_overdue", "low", c["C1"], None, officers["officer1"], "dismissed", date(2026, 3, 2)),
        ("rising_dpd", "medium", c["C4"], lo["L4"], officers["officer2"], "handled", date(2025, 6, 1)),
    ]
    for kind, severity, customer, loan, officer, status, on in rows:
        await EarlyWarning.create(
            kind=kind, severity=severity, customer=customer, loan=loan, subject_id=(loan or customer).id, branch_id=customer.branch_id,
            officer=officer, business_on=on, message="测试预警", evidence={}, status=status,
        )
    at = datetime(2026, 3, 17, 2, tzinfo=UTC)
    open_task = await CollectionTask.create(loan=lo["L2"], customer=c["C2"], branch_id=c["C2"].branch_id, officer=officers["officer1"],
                                            open_loan_id=lo["L2"].id, opened_on=date(2026, 3, 16), opened_dpd=30)
    closed = await CollectionTask.create(loan=lo["L4"], customer=c["C4"], branch_id=c["C4"].branch_id, officer=officers["officer2"],
                                         status="closed", opened_on=date(2025, 5, 1), closed_on=date(2025, 6, 1), close_reason="cured")
    for task, kind in ((open_task, "call"), (open_task, "visit"), (closed, "call")):
        await CollectionAction.create(task=task, officer=None, kind=kind, outcome="已联系", at=at)


async def installments_for_tags(book: Book) -> None:
    """L2 has an overdue installment now; settled L6 once paid an installment late."""
    await Installment.create(loan=book.loans["L2"], number=1, due_on=date(2026, 2, 28), principal_fen=5_000 * Y, interest_fen=300 * Y, status="overdue")
    await Installment.create(loan=book.loans["L6"], number=1, due_on=date(2025, 7, 20), principal_fen=8_000 * Y, interest_fen=30 * Y,
                             paid_principal_fen=8_000 * Y, paid_interest_fen=30 * Y, status="paid", paid_on=date(2025, 7, 25))
    await Installment.create(loan=book.loans["L1"], number=1, due_on=date(2026, 2, 28), principal_fen=10_000 * Y, interest_fen=375 * Y,
                             paid_principal_fen=10_000 * Y, paid_interest_fen=375 * Y, status="paid", paid_on=date(2026, 2, 28))


async def relationships(book: Book) -> None:
    """C2 guarantees C4 (another branch); C4 and C5 are co-borrowers; C3 is C1's family (a cycle with the household)."""
    c = book.customers
    await CustomerRelationship.create(customer=c["C4"], related=c["C2"], kind="guarantor")
    await CustomerRelationship.create(customer=c["C4"], related=c["C5"], kind="co_borrower")
    await CustomerRelationship.create(customer=c["C1"], related=c["C3"], kind="family")
    await CustomerRelationship.create(customer=c["C3"], related=c["C2"], kind="family")


async def full_book(vault) -> Book:
    book = await build_book(vault)
    await post_ledger(book)
    households = await link_households(book)
    await appraise_west(households)
    await warnings_and_tasks(book)
    await installments_for_tags(book)
    await relationships(book)
    return book

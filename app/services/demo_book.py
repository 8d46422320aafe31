"""The living demo (`cunxin seed-demo` without `--empty`): a loan book made by the real services over ~18 months.

On a database whose book is empty (no loan, no closed day), the business date is moved back
`DAYS` days and every day up to today is lived: customers from the demo villages' households are
credit-checked and granted lines, draw loans of every repayment method, prepay, pay off, and some
miss payments (their cards answer 余额不足 in the sandbox core, docs/sandbox.md); each day ends with
the real day's close (`close_business_day`: lending, then warnings, collections and post-loan checks,
then tags). Before the loans, 西街村 goes through a whole back-to-back appraisal (panel, blind votes,
review, approval, 公示 with an objection answered, closed); in the last days 汾城村's appraisal opens and
is half voted. So every report, chart, warning and collection list has data, the classes reach 损失,
and `ledger-check` holds. Only raw facts are written directly (the customers taken from the village
records, as an officer's visit does, and their counter-bound cards); everything derived goes through
the service functions the doors call.

Sandbox only: the caller (`cunxin seed-demo`) refuses outside the sandbox core and in production.
Idempotent: a book that already has a loan or a closed day is left as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.crypto import Vault
from app.domain.vocabulary import Relation
from app.integrations.bureau import CreditBureau
from app.integrations.core_banking import CoreBanking, sandbox_card_number
from app.domain.money import Money
from app.models import BankCard, Branch, Customer, EodRun, Household, HouseholdMember, Loan, Officer, Village
from app.models.risk import RiskPurpose
from app.services import audit, business_date
from app.services.actor import SYSTEM, Actor
from app.services.appraisal import approval as appraisal_approval
from app.services.appraisal import review as appraisal_review
from app.services.appraisal.common import load_rules
from app.services.appraisal.setup import add_panel_member, create_appraisal, open_round
from app.services.appraisal.voting import link_actor, submit_vote
from app.services.auth.officers import actor_for
from app.services.customers.identifiers import card_fields, phone_fields
from app.services.day_end import DayEndTools, close_business_day
from app.services.lending.drawdown import draw_down
from app.services.lending.lines import grant_credit_line
from app.services.lending.repayment import prepay
from app.services.risk import check_credit, record_authorisation

DAYS = 540  # about 18 months of business days lived before today
PAYS, FAILS = "1234", "0002"  # sandbox core: 0002 answers every debit 余额不足


@dataclass(frozen=True, slots=True)
class Draw:
    days_ago: int  # drawn on today − days_ago
    yuan: int
    term: int
    method: str
    product: str = "BIANLI"
    prepay: tuple[tuple[int, int | None], ...] = ()  # (days_ago, yuan); None = payoff


@dataclass(frozen=True, slots=True)
class Borrower:
    village: str  # division code
    household: str  # household number
    card: str  # the card's last four digits
    lines: dict[str, int]  # product code -> limit in yuan
    draws: tuple[Draw, ...]
    phone: str | None = None  # a demo borrower's own phone (else the member's)


EI, EP, IF, RV = "equal_installment", "equal_principal", "interest_first", "revolving"

BOOK = (
    # the app's demo borrowers
    Borrower("141023100201", "001", PAYS, {"BIANLI": 200_000, "GJJ": 150_000}, (
        Draw(300, 50_000, 12, RV, prepay=((120, 20_000),)), Draw(200, 120_000, 36, EI, product="GJJ"),
    ), phone="13900000001"),
    Borrower("141023100201", "002", FAILS, {"BIANLI": 80_000}, (Draw(75, 30_000, 12, EI),), phone="13900000002"),
    Borrower("141023100205", "001", PAYS, {"BIANLI": 100_000, "GUOWANG": 150_000}, (
        Draw(480, 60_000, 24, EP, prepay=((200, None),)), Draw(40, 100_000, 24, EI, product="GUOWANG"),
    ), phone="13900000003"),
    # borrowers who pay: every method, matured, prepaid (keep term), paid off
    Borrower("141023100201", "003", PAYS, {"BIANLI": 100_000}, (Draw(530, 36_000, 12, EI), Draw(100, 40_000, 12, IF))),
    Borrower("141023100201", "004", PAYS, {"BIANLI": 150_000}, (Draw(500, 80_000, 24, EP, prepay=((260, 20_000),)),)),
    Borrower("141023100201", "005", PAYS, {"BIANLI": 100_000}, (Draw(420, 50_000, 12, IF), Draw(60, 30_000, 6, RV))),
    Borrower("141023100205", "002", PAYS, {"BIANLI": 120_000, "BAODAN": 100_000}, (
        Draw(365, 60_000, 24, EI, prepay=((150, None),)), Draw(90, 50_000, 12, EP, product="BAODAN"),
    )),
    Borrower("141023100205", "003", PAYS, {"GJJ": 300_000}, (Draw(450, 200_000, 60, EI, product="GJJ", prepay=((30, 50_000),)),)),
    Borrower("141023103210", "001", PAYS, {"BIANLI": 100_000, "GUOWANG": 200_000}, (
        Draw(330, 100_000, 24, IF, product="GUOWANG"), Draw(20, 20_000, 3, RV),
    )),
    Borrower("141023103210", "002", PAYS, {"BIANLI": 200_000}, (Draw(250, 150_000, 36, EP),)),
    # borrowers who stopped paying: one in each class by today's days past due
    Borrower("141023100205", "004", FAILS, {"BIANLI": 50_000}, (Draw(50, 20_000, 12, EI),)),  # 关注
    Borrower("141023103210", "003", FAILS, {"BIANLI": 80_000}, (Draw(180, 40_000, 12, EP),)),  # 次级
    Borrower("141023100201", "006", FAILS, {"BIANLI": 60_000}, (Draw(340, 30_000, 12, IF),)),  # 可疑
    Borrower("141023103210", "004", FAILS, {"BIANLI": 100_000}, (Draw(460, 50_000, 12, RV),)),  # 损失
    # bank #2 (翼城农商行), when seeded
    Borrower("141022100201", "001", PAYS, {"BIANLI": 100_000}, (Draw(400, 50_000, 12, EI), Draw(45, 30_000, 12, EP))),
    Borrower("141022100201", "002", FAILS, {"BIANLI": 60_000}, (Draw(150, 30_000, 12, EI),)),
)


@dataclass(slots=True)
class BookReport:
    customers: int = 0
    lines: int = 0
    loans: int = 0
    prepayments: int = 0
    days_closed: int = 0
    skipped: str = ""  # why nothing was done (a book already there)
    borrowers: list[tuple[str, str]] = field(default_factory=list)  # the app's demo borrowers: (phone, masked name)


def _noon(on: date, tz: str) -> datetime:
    return datetime.combine(on, time(10, 0), tzinfo=ZoneInfo(tz)).astimezone(UTC)


async def seed_book(
    *, tools: DayEndTools, bureau_at: Callable[[Callable[[], datetime]], CreditBureau], today: date, business_tz: str = "Asia/Shanghai",
    days: int = DAYS, on_day: Callable[[date], Awaitable[None]] | None = None,
) -> BookReport:
    """Live `days` business days up to `today` over the demo villages (run after `seed.seed_demo`).

    `bureau_at(clock)`: the credit bureau answering as of `clock()` (the sandbox's, so a report is dated the day it is pulled).
    """
    report = BookReport()
    if await Loan.exists() or await EodRun.exists():
        report.skipped = "已有贷款或日终记录，示范账本保持不变"
        return report
    start = today - timedelta(days=days)
    await business_date.set_current(start)
    moment = [_noon(start, business_tz)]
    bureau = bureau_at(lambda: moment[0])
    plans = [b for b in BOOK if await Village.exists(division_code=b.village)]
    customers: dict[int, Customer] = {}
    lines: dict[tuple[int, str], uuid.UUID] = {}
    loans: dict[tuple[int, int], uuid.UUID] = {}
    opened = {i: start + timedelta(days=max(0, days - max(d.days_ago for d in b.draws) - 5)) for i, b in enumerate(plans)}
    appraisals = Appraisals()
    day = start
    while day < today:
        moment[0] = _noon(day, business_tz)
        ago = (today - day).days
        await appraisals.on(day, ago, moment[0], days)
        for i, plan in enumerate(plans):
            if opened[i] == day:
                customers[i] = await _customer(plan, tools.vault, moment[0])
                await _check_and_grant(plan, customers[i], lines, i, day, moment[0], bureau, tools)
                report.customers += 1
                report.lines += len(plan.lines)
            for n, draw in enumerate(plan.draws):
                if draw.days_ago == ago:
                    loan = await draw_down(
                        actor=SYSTEM, credit_line_id=lines[i, draw.product], amount_fen=draw.yuan * 100, term_months=draw.term, method=draw.method,
                        idempotency_key=uuid.uuid4(), today=day, core=tools.core, vault=tools.vault,
                    )
                    loans[i, n] = loan.id
                    report.loans += 1
                for when, yuan in draw.prepay:
                    if when == ago:
                        await prepay(actor=SYSTEM, loan_id=loans[i, n], amount_fen=None if yuan is None else yuan * 100, payoff=yuan is None,
                                     idempotency_key=uuid.uuid4(), today=day, core=tools.core, vault=tools.vault)
                        report.prepayments += 1
        await close_business_day(tools=tools, today=today)
        if on_day is not None:
            await on_day(day)
        report.days_closed += 1
        day = await business_date.current()
    report.borrowers = [(p.phone, customers[i].name) for i, p in enumerate(plans) if p.phone]
    await audit.record(SYSTEM, "demo.book", "system", None, after={"customers": report.customers, "loans": report.loans, "days": report.days_closed})
    return report


async def _customer(plan: Borrower, vault: Vault, now: datetime) -> Customer:
    """The household's head as a customer of the village's bank (what an officer's visit records), with a card bound at the counter."""
    village = await Village.get(division_code=plan.village)
    member = await HouseholdMember.get(household__village_id=village.id, household__household_no=plan.household, relation=Relation.HEAD)
    branch = await Branch.get(id=village.branch_id)
    number = vault.decrypt(member.id_number_enc, context=b"id_number")
    if plan.phone:
        await HouseholdMember.filter(id=member.id).update(**phone_fields(vault, plan.phone))
        phone = plan.phone
    else:
        phone = vault.decrypt(member.phone_enc, context=b"phone")
    customer = await Customer.create(
        name=member.name, sex=member.sex, birth_on=member.birth_on, branch_id=branch.id, bank_id=branch.bank_id, village_id=village.id,
        id_number_enc=member.id_number_enc, id_number_hash=member.id_number_hash, id_number_masked=member.id_number_masked,
        **phone_fields(vault, phone),
    )
    await HouseholdMember.filter(id=member.id).update(customer_id=customer.id)
    prefix = "6230" if village.division_code.startswith("141022") else "6217"
    card = sandbox_card_number(name=member.name, id_number=number, phone=phone, last4=plan.card, prefix=prefix)
    await BankCard.create(customer=customer, bank_name="山西农信", verified_at=now, **card_fields(vault, card))
    return customer


async def _check_and_grant(plan: Borrower, customer: Customer, lines: dict, i: int, day: date, now: datetime, bureau: CreditBureau,
                           tools: DayEndTools) -> None:
    await record_authorisation(actor=SYSTEM, customer_id=customer.id, signed_at=now, valid_until=day + timedelta(days=365 * 3))
    await check_credit(actor=SYSTEM, customer_id=customer.id, purpose=RiskPurpose.SIGNING, bureau=bureau, media=tools.media, vault=tools.vault,
                       now=now, today=day, reuse_days=30)
    village = await Village.get(division_code=plan.village)
    # the village's officer grants (their figures in the reports)
    officer = await actor_for(await Officer.get(id=village.officer_id)) if village.officer_id else SYSTEM
    for product, limit_yuan in plan.lines.items():
        line = await grant_credit_line(actor=officer, customer_id=customer.id, product_code=product, limit_fen=limit_yuan * 100,
                                       valid_from=day, valid_until=day + timedelta(days=365 * 3))
        lines[i, product] = line.id



# --- the back-to-back appraisals (docs/appraisal.md) -------------------------------------------------

FINISHED_VILLAGE, OPEN_VILLAGE = "141023100201", "141023103210"  # 西街村 (officer1, 新城支行), 汾城村 (officer2, 汾城支行)
GRADES = ("excellent", "good", "good", "fair")


class Appraisals:
    """西街村's appraisal lived from the first days of the book to its close; 汾城村's opened three days before today."""

    def __init__(self) -> None:
        self.finished = None
        self.panel: list = []

    async def on(self, day: date, ago: int, now: datetime, days: int) -> None:
        lived = days - ago  # days since the book started
        if lived == 1:
            self.finished, self.panel = await _open(FINISHED_VILLAGE, "officer1", now)
            if self.finished is not None:
                await _vote_all(self.finished, self.panel, now, share=1.0)
        if self.finished is None:
            return
        officer, approver = await _officer("officer1"), await _officer("approver")
        if lived == 4:
            await appraisal_review.close_round(actor=officer, appraisal_id=self.finished.id, now=now)
            await appraisal_review.accept_aggregates(actor=officer, appraisal_id=self.finished.id, now=now)
            await appraisal_review.submit_for_approval(actor=officer, appraisal_id=self.finished.id, now=now)
        elif lived == 5:
            await appraisal_approval.approve(actor=approver, appraisal_id=self.finished.id, amounts={}, now=now)
            await appraisal_approval.publish(actor=officer, appraisal_id=self.finished.id, today=day)
        elif lived == 7:  # a villager objects to one household's amount; the approver upholds it with a lower amount
            household = (await Household.filter(village__division_code=FINISHED_VILLAGE).order_by("household_no"))[-1]
            objection = await appraisal_approval.record_objection(
                actor=officer, appraisal_id=self.finished.id, household_id=household.id, raised_by="村民代表 赵大伯",
                content="该户近期在外地有一笔未还清的借款，额度偏高", today=day)
            await appraisal_approval.resolve_objection(actor=approver, objection_id=objection.id, upheld=True,
                                                      resolution="经核实属实，额度下调", amount=Money.from_yuan("30000"), now=now)
        elif lived == 15:
            await appraisal_approval.close_appraisal(actor=officer, appraisal_id=self.finished.id, today=day, now=now)
        elif ago == 3:
            opened, panel = await _open(OPEN_VILLAGE, "officer2", now)
            if opened is not None:
                await _vote_all(opened, panel, now, share=0.5)


async def _officer(username: str) -> Actor:
    return await actor_for(await Officer.get(username=username))


async def _open(village_code: str, username: str, now: datetime):
    """A panel of the village cadre, a villagers' representative and the village's officer; 初评 opened."""
    village = await Village.get_or_none(division_code=village_code)
    if village is None:
        return None, []
    who = await _officer(username)
    appraisal = await create_appraisal(actor=who, village_id=village.id, rules=load_rules(None))
    officer = await Officer.get(username=username)
    panel = [await add_panel_member(actor=who, appraisal_id=appraisal.id, role="village_cadre", name="李村长"),
             await add_panel_member(actor=who, appraisal_id=appraisal.id, role="villager_rep", name="赵大伯"),
             await add_panel_member(actor=who, appraisal_id=appraisal.id, role="officer", officer_id=officer.id)]
    return await open_round(actor=who, appraisal_id=appraisal.id, now=now), panel


async def _vote_all(appraisal, panel: list, now: datetime, *, share: float) -> None:
    """Every member rates the first `share` of the households; one household draws a severe reason (赌博) and is excluded."""
    households = await Household.filter(village_id=appraisal.village_id).order_by("household_no")
    households = households[: max(1, round(len(households) * share))]
    for m, member in enumerate(panel):
        who = await actor_for(await Officer.get(id=member.officer_id)) if member.officer_id else link_actor(member)
        for h, household in enumerate(households):
            grade = GRADES[(h + m) % len(GRADES)]
            reasons = ["gambling"] if h == 2 and m == 0 else []
            amount = Money.from_yuan(str(30_000 + 10_000 * ((h * 3 + m) % 5)))
            await submit_vote(actor=who, member_id=member.id, household_id=household.id, knows=True, grade=grade, amount=amount,
                              reasons=reasons, now=now)

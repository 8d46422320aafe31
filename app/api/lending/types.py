"""Lending types: calculator, products, LPR, credit lines, loans, installments, ledger transactions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from uuid import UUID

import strawberry
from strawberry import relay

from app.api.enums import domain_enum
from app.api.context import Info
from app.api.errors import error_enum
from app.api.scalars import DecimalString
from app.domain import error_codes as codes
from app.domain.schedule.conventions import Method
from app.domain.classification import CLASS_LABELS
from app.domain.money import percent_str, yuan_str
from app.domain.schedule import Schedule
from app.models import CreditLine as CreditLineModel
from app.models import Installment as InstallmentModel
from app.models import LedgerTransaction as TransactionModel
from app.models import Loan as LoanModel
from app.models import LprPublication
from app.models import Product as ProductModel
from app.services.lending import queries as lending_queries
from app.services.lending.products import products_visible

RepaymentMethod = domain_enum(Method, name="RepaymentMethod", description="还款方式")


LoanErrorCode = error_enum("LoanErrorCode", "借款相关错误代码", codes.CommonCode, codes.LendingCode, codes.CreditCheckCode, codes.RiskCode.BAD_RULESET)


@strawberry.type(description="借款相关错误")
class LoanError:
    field: str | None
    code: LoanErrorCode
    message: str


@strawberry.input(description="还款计划试算")
class SchedulePreviewInput:
    principal: DecimalString = strawberry.field(description='借款本金（元），如 "12000.00"')
    annual_rate_percent: DecimalString = strawberry.field(description='年利率（百分数），如 "3.45"')
    term_months: int = strawberry.field(description="期数（月）")
    method: RepaymentMethod
    start_date: date = strawberry.field(description="起息日")
    first_due_date: date | None = strawberry.field(default=None, description="首期还款日；默认起息日后一个月")


@strawberry.type(description="还款计划中的一期")
class ScheduleInstallment:
    number: int
    due_date: date
    principal: DecimalString
    interest: DecimalString
    payment: DecimalString
    remaining_principal: DecimalString


def schedule_rows(s: Schedule) -> list[ScheduleInstallment]:
    return [
        ScheduleInstallment(
            number=r.number, due_date=r.due_on, principal=yuan_str(r.principal_fen), interest=yuan_str(r.interest_fen),
            payment=yuan_str(r.payment_fen), remaining_principal=yuan_str(r.remaining_principal_fen),
        )
        for r in s.installments
    ]


@strawberry.type(description="还款计划试算结果；输入有误时 errors 非空且其余字段为空")
class SchedulePreview:
    installments: list[ScheduleInstallment]
    total_interest: DecimalString | None
    total_payment: DecimalString | None
    errors: list[LoanError]

    @classmethod
    def from_schedule(cls, s: Schedule) -> SchedulePreview:
        return cls(installments=schedule_rows(s), total_interest=yuan_str(s.total_interest_fen), total_payment=yuan_str(s.total_payment_fen), errors=[])


@strawberry.type(description="贷款市场报价利率（LPR）")
class LprRate:
    published_on: date
    tenor: str = strawberry.field(description="1y = 1年期，5y = 5年期以上")
    rate_percent: DecimalString

    @classmethod
    def from_model(cls, m: LprPublication) -> LprRate:
        return cls(published_on=m.published_on, tenor=m.tenor.value, rate_percent=percent_str(m.rate_ppm))


@strawberry.type(description="贷款产品")
class Product(relay.Node):
    key: relay.NodeID[str]
    code: str
    name: str
    description: str
    min_amount: DecimalString
    max_amount: DecimalString
    min_term_months: int
    max_term_months: int
    methods: list[RepaymentMethod]
    default_spread_bp: int

    @classmethod
    def from_model(cls, m: ProductModel) -> Product:
        return cls(
            key=str(m.id), code=m.code, name=m.name, description=m.description, min_amount=yuan_str(m.min_principal_fen),
            max_amount=yuan_str(m.max_principal_fen), min_term_months=m.min_term_months, max_term_months=m.max_term_months,
            methods=[RepaymentMethod(x) for x in m.allowed_methods], default_spread_bp=m.default_spread_bp,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        found = await products_visible(info.context.actor, [UUID(i) for i in node_ids])
        return [cls.from_model(found[UUID(i)]) if UUID(i) in found else None for i in node_ids]


@strawberry.type(description="授信额度")
class CreditLine(relay.Node):
    key: relay.NodeID[str]
    status: str
    limit: DecimalString
    used: DecimalString
    available: DecimalString
    valid_from: date
    valid_until: date
    max_term_months: int
    methods: list[RepaymentMethod]
    spread_bp: int
    product_id: strawberry.Private[UUID]
    customer_name: str

    @strawberry.field(description="产品")
    async def product(self, info: Info) -> Product:
        return Product.from_model(await info.context.loaders.product_by_id.load(self.product_id))

    @classmethod
    def from_model(cls, m: CreditLineModel, customer_name: str = "") -> CreditLine:
        return cls(
            key=str(m.id), status=m.status.value, limit=yuan_str(m.limit_fen), used=yuan_str(m.used_fen),
            available=yuan_str(m.limit_fen - m.used_fen), valid_from=m.valid_from, valid_until=m.valid_until,
            max_term_months=m.max_term_months, methods=[RepaymentMethod(x) for x in m.allowed_methods], spread_bp=m.spread_bp,
            product_id=m.product_id, customer_name=customer_name,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        found = await lending_queries.lines_visible(info.context.actor, [UUID(i) for i in node_ids])
        return [cls.from_model(found[UUID(i)]) if UUID(i) in found else None for i in node_ids]


@strawberry.type(description="还款计划的一期（借据）")
class Installment:
    number: int
    due_date: date
    status: str
    principal: DecimalString
    interest: DecimalString
    penalty: DecimalString
    compound: DecimalString
    paid_principal: DecimalString
    paid_interest: DecimalString
    paid_penalty: DecimalString
    paid_compound: DecimalString
    paid_on: date | None

    @classmethod
    def from_model(cls, m: InstallmentModel) -> Installment:
        return cls(
            number=m.number, due_date=m.due_on, status=m.status.value, principal=yuan_str(m.principal_fen),
            interest=yuan_str(m.interest_fen), penalty=yuan_str(m.penalty_fen), compound=yuan_str(m.compound_fen),
            paid_principal=yuan_str(m.paid_principal_fen), paid_interest=yuan_str(m.paid_interest_fen),
            paid_penalty=yuan_str(m.paid_penalty_fen), paid_compound=yuan_str(m.paid_compound_fen), paid_on=m.paid_on,
        )


@strawberry.type(description="账务分录")
class LedgerLine:
    account: str
    debit: DecimalString
    credit: DecimalString


@strawberry.type(description="账务交易（放款、还款、计息、罚息、冲正……）")
class Transaction:
    id: strawberry.ID
    kind: str
    business_on: date
    memo: str
    created_at: datetime
    lines: list[LedgerLine]

    @classmethod
    def from_model(cls, m: TransactionModel, entries) -> Transaction:
        lines = [LedgerLine(account=e.account, debit=yuan_str(e.debit_fen), credit=yuan_str(e.credit_fen)) for e in entries]
        return cls(id=strawberry.ID(str(m.id)), kind=m.kind, business_on=m.business_on, memo=m.memo, created_at=m.created_at, lines=lines)


@strawberry.type(description="借据")
class Loan(relay.Node):
    key: relay.NodeID[str]
    status: str
    status_label: str = strawberry.field(description="状态：未结清、放款处理中、已结清……；自动扣款或还款结果未确认时含「扣款处理中」")
    principal: DecimalString
    outstanding_principal: DecimalString
    overdue_principal: DecimalString
    overdue_interest: DecimalString
    penalty: DecimalString
    compound: DecimalString
    annual_rate_percent: DecimalString
    lpr_tenor: str
    spread_bp: int
    method: RepaymentMethod
    term_months: int
    start_date: date
    first_due_date: date
    maturity_date: date
    days_past_due: int
    classification: str
    classification_label: str
    credit_line_id: strawberry.Private[UUID]

    @strawberry.field(description="还款计划")
    async def installments(self, info: Info) -> list[Installment]:
        rows = await info.context.loaders.installments_by_loan.load(UUID(self.key))
        return [Installment.from_model(r) for r in rows]

    @strawberry.field(description="账务交易，最新在前")
    async def transactions(self, info: Info) -> list[Transaction]:
        rows = await info.context.loaders.transactions_by_loan.load(UUID(self.key))
        return [Transaction.from_model(txn, entries) for txn, entries in rows]

    @classmethod
    def from_model(cls, m: LoanModel) -> Loan:
        return cls(
            key=str(m.id), status=m.status.value, status_label=lending_queries.status_label(m), principal=yuan_str(m.principal_fen),
            outstanding_principal=yuan_str(m.outstanding_principal_fen), overdue_principal=yuan_str(m.overdue_principal_fen),
            overdue_interest=yuan_str(m.overdue_interest_fen), penalty=yuan_str(m.penalty_fen), compound=yuan_str(m.compound_fen),
            annual_rate_percent=percent_str(m.annual_rate_ppm), lpr_tenor=m.lpr_tenor.value, spread_bp=m.spread_bp,
            method=RepaymentMethod(m.method.value), term_months=m.term_months, start_date=m.start_on, first_due_date=m.first_due_on,
            maturity_date=m.maturity_on, days_past_due=m.days_past_due, classification=m.classification.value,
            classification_label=CLASS_LABELS[m.classification], credit_line_id=m.credit_line_id,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        found = await lending_queries.loans_visible(info.context.actor, [UUID(i) for i in node_ids])
        return [cls.from_model(found[UUID(i)]) if UUID(i) in found else None for i in node_ids]


@strawberry.type(description="用信试算")
class DrawdownQuote:
    annual_rate_percent: DecimalString | None
    lpr_tenor: str | None
    installments: list[ScheduleInstallment]
    total_interest: DecimalString | None
    errors: list[LoanError]


@strawberry.type(description="提前还款试算")
class PrepaymentQuote:
    full: bool | None
    principal: DecimalString | None
    interest: DecimalString | None
    total: DecimalString | None
    new_installments: list[ScheduleInstallment]
    errors: list[LoanError]

"""Lending types: the repayment calculator (more come with credit lines and loans)."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from app.api.scalars import DecimalString
from app.domain.money import yuan_str
from app.domain.schedule import Schedule


@strawberry.enum(description="还款方式")
class RepaymentMethod(Enum):
    EQUAL_INSTALLMENT = "equal_installment"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    INTEREST_FIRST = "interest_first"  # 先息后本


@strawberry.enum(description="借款相关错误代码")
class LoanErrorCode(Enum):
    INVALID = "invalid"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_TERM = "invalid_term"
    INVALID_RATE = "invalid_rate"
    INVALID_DATE = "invalid_date"
    INVALID_METHOD = "invalid_method"


@strawberry.type(description="借款相关错误")
class LoanError:
    field: str | None
    code: LoanErrorCode
    message: str


@strawberry.input(description="还款计划试算")
class SchedulePreviewInput:
    principal: DecimalString = strawberry.field(description="借款本金（元），如 \"12000.00\"")
    annual_rate_percent: DecimalString = strawberry.field(description="年利率（百分数），如 \"3.45\"")
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


@strawberry.type(description="还款计划试算结果；输入有误时 errors 非空且其余字段为空")
class SchedulePreview:
    installments: list[ScheduleInstallment]
    total_interest: DecimalString | None
    total_payment: DecimalString | None
    errors: list[LoanError]

    @classmethod
    def from_schedule(cls, s: Schedule) -> SchedulePreview:
        rows = [
            ScheduleInstallment(
                number=r.number,
                due_date=r.due_on,
                principal=yuan_str(r.principal_fen),
                interest=yuan_str(r.interest_fen),
                payment=yuan_str(r.payment_fen),
                remaining_principal=yuan_str(r.remaining_principal_fen),
            )
            for r in s.installments
        ]
        return cls(installments=rows, total_interest=yuan_str(s.total_interest_fen), total_payment=yuan_str(s.total_payment_fen), errors=[])

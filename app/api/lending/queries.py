from __future__ import annotations

from typing import Annotated

import strawberry

from app.api.arguments import AFTER, FIRST
from app.api.context import Info
from app.api.enums import CreditLineStatusEnum, LoanStatusEnum, LprTenor
from app.api.errors import payload_error
from app.api.ids import decode_id
from app.api.lending.types import (
    CreditLine,
    DrawdownQuote,
    Loan,
    LoanError,
    LoanErrorCode,
    LprRate,
    PrepaymentQuote,
    Product,
    RepaymentMethod,
    SchedulePreview,
    SchedulePreviewInput,
    schedule_rows,
)
from app.api.pagination import Connection, paginate_newest_first
from app.api.permissions import IsSignedIn
from app.api.scalars import DecimalString, fen, optional_fen, rate_ppm
from app.domain.errors import DomainError
from app.domain.money import percent_str, yuan_str
from app.models import LprPublication
from app.services import business_date
from app.services.lending.calculator import preview_schedule
from app.services.lending.products import products_query
from app.services.lending import queries as lending_queries
from app.services.lending.drawdown import quote_drawdown
from app.services.lending.repayment import quote_prepayment


def loan_error(exc: DomainError) -> LoanError:
    return payload_error(LoanError, LoanErrorCode, exc)


@strawberry.input(description="用信试算")
class DrawdownQuoteInput:
    credit_line_id: strawberry.ID = strawberry.field(description="授信额度的全局 ID（CreditLine.id）")
    amount: DecimalString = strawberry.field(description="借款金额（元，两位小数的字符串，如 \"1200.00\"）")
    term_months: int = strawberry.field(description="期限（月）")
    method: RepaymentMethod = strawberry.field(description="还款方式")


@strawberry.input(description="提前还款试算；amount 为空表示全部结清")
class LoanPrepaymentQuoteInput:
    loan_id: strawberry.ID = strawberry.field(description="借据的全局 ID（Loan.id）")
    amount: DecimalString | None = strawberry.field(default=None, description="提前归还的本金（元，两位小数的字符串，如 \"1200.00\"）；为空表示全部结清")


@strawberry.type
class LendingQuery:
    @strawberry.field(description="还款计划试算（公开计算器，无需登录）")
    def schedule_preview(self, input: Annotated[SchedulePreviewInput, strawberry.argument(description="试算条件")]) -> SchedulePreview:
        try:
            schedule = preview_schedule(
                principal_fen=fen(input.principal, field="principal"),
                annual_rate_ppm=rate_ppm(input.annual_rate_percent, field="annual_rate_percent"), term_months=input.term_months,
                method=input.method.value, start_on=input.start_date, first_due_on=input.first_due_date,
            )
        except DomainError as exc:
            return SchedulePreview(installments=[], total_interest=None, total_payment=None, errors=[loan_error(exc)])
        return SchedulePreview.from_schedule(schedule)

    @strawberry.field(description="在售贷款产品")
    async def products(self, info: Info) -> list[Product]:
        return [Product.from_model(p) for p in await products_query(info.context.actor).filter(is_active=True).order_by("code")]

    @strawberry.field(description="LPR 报价，最新在前")
    async def lpr_rates(
        self,
        tenor: Annotated[LprTenor | None, strawberry.argument(description="只列该期限品种；为空时两者都返回")] = None,
        first: Annotated[int, strawberry.argument(description="最多返回条数，1–100")] = 24,
    ) -> list[LprRate]:
        query = LprPublication.all().order_by("-published_on", "tenor")
        if tenor is not None:
            query = query.filter(tenor=tenor.value)
        return [LprRate.from_model(r) for r in await query.limit(min(max(first, 1), 100))]

    @strawberry.field(description="授信额度（工作人员：辖内；客户：本人）", permission_classes=[IsSignedIn])
    async def credit_lines(
        self, info: Info, first: Annotated[int, FIRST] = 20, after: Annotated[str | None, AFTER] = None,
        status: Annotated[CreditLineStatusEnum | None, strawberry.argument(description="只看该状态的额度；为空时全部")] = None,
    ) -> Connection[CreditLine]:
        query = lending_queries.lines_query(info.context.actor, status=status.value if status is not None else None)
        return await paginate_newest_first(query, first, after, CreditLine.from_model)

    @strawberry.field(description="借据（工作人员：辖内；客户：本人）", permission_classes=[IsSignedIn])
    async def loans(
        self, info: Info, first: Annotated[int, FIRST] = 20, after: Annotated[str | None, AFTER] = None,
        status: Annotated[LoanStatusEnum | None, strawberry.argument(description="只看该状态的借据；为空时全部")] = None,
    ) -> Connection[Loan]:
        query = lending_queries.loans_query(info.context.actor, status=status.value if status is not None else None)
        return await paginate_newest_first(query, first, after, Loan.from_model)

    @strawberry.field(description="用信试算：今日利率与还款计划", permission_classes=[IsSignedIn])
    async def drawdown_quote(self, info: Info, input: Annotated[DrawdownQuoteInput, strawberry.argument(description="试算条件")]) -> DrawdownQuote:
        try:
            quote = await quote_drawdown(
                actor=info.context.actor, credit_line_id=decode_id(input.credit_line_id, "CreditLine", field="credit_line_id"),
                amount_fen=fen(input.amount, field="amount"), term_months=input.term_months, method=input.method.value,
                today=await business_date.current(),
            )
        except DomainError as exc:
            return DrawdownQuote(annual_rate_percent=None, lpr_tenor=None, installments=[], total_interest=None, errors=[loan_error(exc)])
        return DrawdownQuote(
            annual_rate_percent=percent_str(quote.annual_rate_ppm), lpr_tenor=LprTenor(quote.tenor),
            installments=schedule_rows(quote.schedule), total_interest=yuan_str(quote.schedule.total_interest_fen), errors=[],
        )

    @strawberry.field(description="提前还款试算", permission_classes=[IsSignedIn])
    async def loan_prepayment_quote(self, info: Info, input: Annotated[LoanPrepaymentQuoteInput, strawberry.argument(description="试算条件")]) -> PrepaymentQuote:
        try:
            plan = await quote_prepayment(
                actor=info.context.actor, loan_id=decode_id(input.loan_id, "Loan", field="loan_id"),
                amount_fen=optional_fen(input.amount, field="amount"), today=await business_date.current(),
            )
        except DomainError as exc:
            return PrepaymentQuote(full=None, principal=None, interest=None, total=None, new_installments=[], errors=[loan_error(exc)])
        quote = plan.payoff or plan.partial
        rows = [] if plan.full else schedule_rows(plan.partial.schedule)
        return PrepaymentQuote(
            full=plan.full, principal=yuan_str(quote.principal_fen), interest=yuan_str(quote.interest_fen),
            total=yuan_str(quote.total_fen), new_installments=rows, errors=[],
        )

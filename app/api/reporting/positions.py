"""Loan positions as of a business date and portfolio history from month-end snapshots (issue 16), for staff and report keys.

`loanPositions(asOf:)` pages by loan id (keyset: the cursor names the last loan of the page, so a
page costs the same wherever it is); `portfolioHistory(from:, to:)` gives one point per month-end.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

import strawberry

from app.api.context import Info
from app.api.enums import LoanStatusEnum
from app.api.lending.classification import LoanClassification
from app.api.pagination import MAX_FIRST, Connection, Edge, page_info
from app.api.reporting.filters import to_filter
from app.api.reporting.permissions import CanReadReports
from app.api.reporting.types import GuaranteeMethod, PortfolioFigures, ReportFilter, gid, money
from app.api.scalars import DecimalString
from app.domain.error_codes import CommonCode
from app.domain import cursor
from app.domain.errors import ValidationError
from app.domain.money import percent_str
from app.services.reporting import positions as svc

FilterArg = Annotated[ReportFilter | None, strawberry.argument(name="filter", description="报表筛选：法人行、机构（含下级）、村庄、客户经理、产品；日期范围不适用")]


def _cursor(loan_id: UUID) -> str:
    return cursor.encode("position", str(loan_id))


def _after(after: str | None) -> UUID | None:
    if not after:
        return None
    (value,) = cursor.decode(after, "position", 1)
    try:
        return UUID(value)
    except (TypeError, ValueError, AttributeError):
        raise cursor.invalid() from None


@strawberry.type(description="一笔贷款在一个会计日期日终后的头寸（金额为元，字符串两位小数）；含监管报送字段：机构代码、合同号、借据号、贷款用途、担保方式、涉农与普惠标识")
class LoanPosition:
    business_date: date = strawberry.field(description="会计日期（该日日终后的头寸，Asia/Shanghai 业务日）")
    loan_id: strawberry.ID = strawberry.field(description="借据（Loan 的全局 ID）")
    bank_id: strawberry.ID = strawberry.field(description="法人行（Bank 的全局 ID）")
    branch_id: strawberry.ID = strawberry.field(description="经办机构（Branch 的全局 ID）")
    customer_id: strawberry.ID = strawberry.field(description="客户（Customer 的全局 ID）")
    product_id: strawberry.ID = strawberry.field(description="产品（Product 的全局 ID）")
    status: LoanStatusEnum = strawberry.field(description="贷款状态")
    classification: LoanClassification = strawberry.field(description="五级分类")
    days_past_due: int = strawberry.field(description="逾期天数（DPD）")
    annual_rate_percent: DecimalString = strawberry.field(description="执行年利率，百分数（\"4.5000\" 即 4.5%）")
    outstanding_principal: DecimalString = strawberry.field(description="贷款余额（本金），元")
    overdue_principal: DecimalString = strawberry.field(description="逾期本金，元")
    overdue_interest: DecimalString = strawberry.field(description="逾期利息（已到期未还，含表外），元")
    accrued_interest: DecimalString = strawberry.field(description="本期应计未到期利息（含表外），元")
    penalty: DecimalString = strawberry.field(description="未还罚息，元")
    compound: DecimalString = strawberry.field(description="未还复利，元")
    non_accrual: bool = strawberry.field(description="是否非应计（利息不再确认收入，转表外）")
    off_balance_interest: DecimalString = strawberry.field(description="表外应收利息，元")
    off_balance_penalty: DecimalString = strawberry.field(description="表外应收罚息，元")
    off_balance_compound: DecimalString = strawberry.field(description="表外应收复利，元")
    off_balance_accrued: DecimalString = strawberry.field(description="表外应计利息，元")
    institution_code: str = strawberry.field(description="法人行金融机构代码")
    branch_code: str = strawberry.field(description="经办机构代码")
    contract_number: str | None = strawberry.field(description="借款合同编号（额度的授信合同；未签合同时为 null）")
    iou_number: str = strawberry.field(description="借据号：核心系统放款流水号（放款处理中时为空串）")
    loan_purpose: str = strawberry.field(description="贷款用途（取自产品的当前设置；空串表示产品未声明）")
    guarantee_method: GuaranteeMethod = strawberry.field(description="担保方式（取自产品的当前设置）")
    is_agricultural: bool = strawberry.field(description="是否涉农贷款（取自产品的当前设置）")
    is_inclusive: bool = strawberry.field(description="是否普惠金融贷款（取自产品的当前设置）")

    @classmethod
    def build(cls, p: svc.Position) -> LoanPosition:
        return cls(
            business_date=p.business_on, loan_id=gid("Loan", p.loan_id), bank_id=gid("Bank", p.bank_id), branch_id=gid("Branch", p.branch_id),
            customer_id=gid("Customer", p.customer_id), product_id=gid("Product", p.product_id), status=p.status,
            classification=LoanClassification(p.classification.value), days_past_due=p.days_past_due,
            annual_rate_percent=DecimalString(percent_str(p.annual_rate_ppm)),
            outstanding_principal=money(p.outstanding_principal_fen), overdue_principal=money(p.overdue_principal_fen),
            overdue_interest=money(p.overdue_interest_fen), accrued_interest=money(p.accrued_interest_fen), penalty=money(p.penalty_fen),
            compound=money(p.compound_fen), non_accrual=p.non_accrual, off_balance_interest=money(p.off_interest_fen),
            off_balance_penalty=money(p.off_penalty_fen), off_balance_compound=money(p.off_compound_fen), off_balance_accrued=money(p.off_accrued_fen),
            institution_code=p.institution_code, branch_code=p.branch_code, contract_number=p.contract_number, iou_number=p.iou_number,
            loan_purpose=p.loan_purpose, guarantee_method=p.guarantee_method, is_agricultural=p.is_agricultural,
            is_inclusive=p.is_inclusive,
        )


@strawberry.type(description="月末快照中的一个月末：当日在贷贷款的组合指标")
class PortfolioHistoryPoint:
    business_date: date = strawberry.field(description="月末会计日期（该月最后一个会计日期）")
    figures: PortfolioFigures = strawberry.field(description="当日日终后在贷贷款的笔数、余额、逾期、五级分类与不良")


@strawberry.type
class PositionsQuery:
    @strawberry.field(description="每日贷款头寸：某会计日期日终后每笔贷款的余额、利息、逾期、分类（按借据 ID 键集分页；每日头寸保留天数有限，月末日期永久可查）",
                      permission_classes=[CanReadReports])
    async def loan_positions(
        self, info: Info,
        as_of: Annotated[date | None, strawberry.argument(description="会计日期（YYYY-MM-DD）；省略为最近一个已日终的会计日期")] = None,
        where: FilterArg = None,
        first: Annotated[int, strawberry.argument(description=f"本页条数，1 到 {MAX_FIRST}")] = 100,
        after: Annotated[str | None, strawberry.argument(description="上一页的 endCursor")] = None,
    ) -> Connection[LoanPosition]:
        if not 1 <= first <= MAX_FIRST:
            raise ValidationError(f"first 应在 1 到 {MAX_FIRST} 之间", code=CommonCode.INVALID, field="first")
        page = await svc.loan_positions(actor=info.context.actor, as_of=as_of, filt=to_filter(where), first=first, after=_after(after))
        edges = [Edge(cursor=_cursor(p.loan_id), node=LoanPosition.build(p)) for p in page.rows]
        return Connection(edges=edges, page_info=page_info(edges, has_next=page.has_next, has_previous=after is not None),
                          total_count=page.total_count)

    @strawberry.field(description="资产质量历史：每个月末的在贷笔数、余额、逾期、五级分类与不良率（取自月末快照，最多 120 个月）",
                      permission_classes=[CanReadReports])
    async def portfolio_history(
        self, info: Info,
        date_from: Annotated[date | None, strawberry.argument(name="from", description="起始会计日期（含）；省略为最早")] = None,
        date_to: Annotated[date | None, strawberry.argument(name="to", description="截止会计日期（含）；省略为最近")] = None,
        where: FilterArg = None,
    ) -> list[PortfolioHistoryPoint]:
        points = await svc.portfolio_history(actor=info.context.actor, date_from=date_from, date_to=date_to, filt=to_filter(where))
        return [PortfolioHistoryPoint(business_date=p.business_on, figures=PortfolioFigures.build(p.figures)) for p in points]

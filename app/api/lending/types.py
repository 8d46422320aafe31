"""Lending types: calculator, products, LPR, credit lines, loans, installments, ledger transactions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from uuid import UUID

import strawberry
from strawberry import relay

from app.api.enums import (
    CreditLineStatusEnum,
    InstallmentStatusEnum,
    LedgerAccount,
    LedgerKindEnum,
    LoanClassification,
    LoanStatusEnum,
    LprTenor,
    RepaymentMethod,
)
from app.api.context import Info
from app.api.errors import error_enum
from app.api.lending.guarantees import ExtensionConsentState, Guarantee, LoanGuarantor, RenewalGuaranteeState, extension_consents, \
    guarantees_of_loan, guarantors_seen, renewal_guarantees
from app.api.scalars import DecimalString
from app.domain import error_codes as codes
from app.domain.classification import CLASS_LABELS, LoanClass
from app.domain.money import percent_str, yuan_str
from app.domain.schedule import Schedule
from app.models import CreditLine as CreditLineModel
from app.models import LedgerTransaction as TransactionModel
from app.models import Loan as LoanModel
from app.models import LprPublication
from app.models import Product as ProductModel
from app.services.lending import queries as lending_queries
from app.services.lending.products import products_visible



LoanErrorCode = error_enum("LoanErrorCode", "借款相关错误代码", codes.CommonCode, codes.LendingCode, codes.CreditCheckCode, codes.RiskCode.BAD_RULESET)


@strawberry.type(description="借款相关错误")
class LoanError:
    field: str | None = strawberry.field(description="出错的输入字段（camelCase 路径，如 amount）；与某个输入无关时为 null")
    code: LoanErrorCode = strawberry.field(description="错误代码：客户端据此分支处理")
    message: str = strawberry.field(description="给用户看的中文说明")


@strawberry.input(description="还款计划试算")
class SchedulePreviewInput:
    principal: DecimalString = strawberry.field(description='借款本金（元），如 "12000.00"')
    annual_rate_percent: DecimalString = strawberry.field(description='年利率（百分数），如 "3.45"')
    term_months: int = strawberry.field(description="期数（月）")
    method: RepaymentMethod = strawberry.field(description="还款方式")
    start_date: date = strawberry.field(description="起息日")
    first_due_date: date | None = strawberry.field(default=None, description="首期还款日；默认起息日后一个月")


@strawberry.type(description="还款计划中的一期")
class ScheduleInstallment:
    number: int = strawberry.field(description="期次，从 1 开始")
    due_date: date = strawberry.field(description="还款日（业务日期，Asia/Shanghai）")
    principal: DecimalString = strawberry.field(description="本期本金（元，两位小数的字符串，如 \"1200.00\"）")
    interest: DecimalString = strawberry.field(description="本期利息（元，两位小数的字符串，如 \"1200.00\"）")
    payment: DecimalString = strawberry.field(description="本期应还合计（本金 + 利息）（元，两位小数的字符串，如 \"1200.00\"）")
    remaining_principal: DecimalString = strawberry.field(description="本期还款后剩余本金（元，两位小数的字符串，如 \"1200.00\"）")


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
    installments: list[ScheduleInstallment] = strawberry.field(description="各期计划；输入有误时为空列表")
    total_interest: DecimalString | None = strawberry.field(description="利息合计（元，两位小数的字符串，如 \"1200.00\"）；输入有误时为 null")
    total_payment: DecimalString | None = strawberry.field(description="本息合计（元，两位小数的字符串，如 \"1200.00\"）；输入有误时为 null")
    errors: list[LoanError] = strawberry.field(description="输入错误；成功时为空列表")

    @classmethod
    def from_schedule(cls, s: Schedule) -> SchedulePreview:
        return cls(installments=schedule_rows(s), total_interest=yuan_str(s.total_interest_fen), total_payment=yuan_str(s.total_payment_fen), errors=[])


@strawberry.type(description="贷款市场报价利率（LPR）")
class LprRate:
    published_on: date = strawberry.field(description="发布日期（生效日）（业务日期，Asia/Shanghai）")
    tenor: LprTenor = strawberry.field(description="期限品种")
    rate_percent: DecimalString = strawberry.field(description="年利率（百分数字符串，如 \"3.45\" 表示 3.45%）")

    @classmethod
    def from_model(cls, m: LprPublication) -> LprRate:
        return cls(published_on=m.published_on, tenor=LprTenor(m.tenor), rate_percent=percent_str(m.rate_ppm))


@strawberry.type(description="贷款产品。谁能读：法人行工作人员与报表密钥读本行的产品；平台工作人员、客户与未登录的产品目录读各行的")
class Product(relay.Node):
    key: relay.NodeID[str]
    code: str = strawberry.field(description="产品代码（法人行内唯一）")
    name: str = strawberry.field(description="产品名称")
    description: str = strawberry.field(description="产品说明")
    min_amount: DecimalString = strawberry.field(description="单笔授信/借款下限（元，两位小数的字符串，如 \"1200.00\"）")
    max_amount: DecimalString = strawberry.field(description="单笔授信/借款上限（元，两位小数的字符串，如 \"1200.00\"）")
    min_term_months: int = strawberry.field(description="最短期限（月）")
    max_term_months: int = strawberry.field(description="最长期限（月）")
    methods: list[RepaymentMethod] = strawberry.field(description="允许的还款方式")
    default_spread_bp: int = strawberry.field(description="默认加点（基点，1 基点 = 0.01%，在 LPR 上加）")

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


@strawberry.type(description="授信额度。谁能读：客户本人（在各成员行的额度）；工作人员读本人辖内机构的额度；报表密钥不能经 creditLines 或 node 读取")
class CreditLine(relay.Node):
    key: relay.NodeID[str]
    status: CreditLineStatusEnum = strawberry.field(description="额度状态")
    limit: DecimalString = strawberry.field(description="授信额度（元，两位小数的字符串，如 \"1200.00\"）")
    used: DecimalString = strawberry.field(description="已用额度（借款占用，还本后恢复）（元，两位小数的字符串，如 \"1200.00\"）")
    available: DecimalString = strawberry.field(description="可用额度 = limit − used（元，两位小数的字符串，如 \"1200.00\"）")
    valid_from: date = strawberry.field(description="额度生效日（业务日期，Asia/Shanghai）")
    valid_until: date = strawberry.field(description="额度到期日（含当日）（业务日期，Asia/Shanghai）")
    max_term_months: int = strawberry.field(description="单笔借款最长期限（月）")
    methods: list[RepaymentMethod] = strawberry.field(description="允许的还款方式")
    spread_bp: int = strawberry.field(description="定价加点（基点，1 基点 = 0.01%），借款年利率 = 当日 LPR + 加点")
    product_id: strawberry.Private[UUID]
    customer_id: strawberry.Private[UUID]
    updated_at: datetime | None = strawberry.field(description="最近一次业务变动时刻（UTC；交易、状态、分类、额度变化时更新，每日计息不更新；用于增量同步）")

    @strawberry.field(description="产品")
    async def product(self, info: Info) -> Product:
        return Product.from_model(await info.context.loaders.product_by_id.load(self.product_id))

    @strawberry.field(description="客户姓名（全名）：工作人员读辖内额度的客户姓名，客户读本人的姓名（能读到额度即能读到姓名）")
    async def customer_name(self, info: Info) -> str:
        return await info.context.loaders.customer_name_by_id.load(self.customer_id)

    @classmethod
    def from_model(cls, m: CreditLineModel) -> CreditLine:
        return cls(
            key=str(m.id), status=CreditLineStatusEnum(m.status), limit=yuan_str(m.limit_fen), used=yuan_str(m.used_fen),
            available=yuan_str(m.limit_fen - m.used_fen), valid_from=m.valid_from, valid_until=m.valid_until,
            max_term_months=m.max_term_months, methods=[RepaymentMethod(x) for x in m.allowed_methods], spread_bp=m.spread_bp,
            product_id=m.product_id, customer_id=m.customer_id, updated_at=m.updated_at,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        found = await lending_queries.lines_visible(info.context.actor, [UUID(i) for i in node_ids])
        return [cls.from_model(found[UUID(i)]) if UUID(i) in found else None for i in node_ids]


@strawberry.type(description="借据还款计划的一期（随借据读取，可读借据者可读）")
class Installment:
    number: int = strawberry.field(description="期次，从 1 开始")
    due_date: date = strawberry.field(description="到期日（业务日期，Asia/Shanghai）")
    status: InstallmentStatusEnum = strawberry.field(description="本期状态")
    principal: DecimalString = strawberry.field(description="本期应还本金（元，两位小数的字符串，如 \"1200.00\"）")
    interest: DecimalString = strawberry.field(description="本期应还利息（元，两位小数的字符串，如 \"1200.00\"）")
    penalty: DecimalString = strawberry.field(description="本期累计罚息（逾期本金 × 罚息利率，按日计）（元，两位小数的字符串，如 \"1200.00\"）")
    compound: DecimalString = strawberry.field(description="本期累计复利（逾期利息 × 罚息利率，按日计）（元，两位小数的字符串，如 \"1200.00\"）")
    paid_principal: DecimalString = strawberry.field(description="已还本金（元，两位小数的字符串，如 \"1200.00\"）")
    paid_interest: DecimalString = strawberry.field(description="已还利息（元，两位小数的字符串，如 \"1200.00\"）")
    paid_penalty: DecimalString = strawberry.field(description="已还罚息（元，两位小数的字符串，如 \"1200.00\"）")
    paid_compound: DecimalString = strawberry.field(description="已还复利（元，两位小数的字符串，如 \"1200.00\"）")
    paid_on: date | None = strawberry.field(description="还清日（业务日期，Asia/Shanghai）；未还清时为 null")
    updated_at: datetime | None = strawberry.field(description="最近一次业务变动时刻（UTC；交易、状态、分类、额度变化时更新，每日计息不更新；用于增量同步）")

    @classmethod
    def from_row(cls, r: dict) -> Installment:
        """From a `.values()` row (app/api/loaders.py: INSTALLMENT_COLUMNS): no model object per installment."""
        return cls(
            number=r["number"], due_date=r["due_on"], status=InstallmentStatusEnum(r["status"]), principal=yuan_str(r["principal_fen"]),
            interest=yuan_str(r["interest_fen"]), penalty=yuan_str(r["penalty_fen"]), compound=yuan_str(r["compound_fen"]),
            paid_principal=yuan_str(r["paid_principal_fen"]), paid_interest=yuan_str(r["paid_interest_fen"]),
            paid_penalty=yuan_str(r["paid_penalty_fen"]), paid_compound=yuan_str(r["paid_compound_fen"]), paid_on=r["paid_on"],
            updated_at=r.get("updated_at"),
        )


@strawberry.type(description="账务分录")
class LedgerLine:
    account: LedgerAccount = strawberry.field(description="会计科目")
    debit: DecimalString = strawberry.field(description="借方金额（元，两位小数的字符串，如 \"1200.00\"），无借方时为 \"0.00\"")
    credit: DecimalString = strawberry.field(description="贷方金额（元，两位小数的字符串，如 \"1200.00\"），无贷方时为 \"0.00\"")


@strawberry.type(description="账务交易（放款、还款、计息、罚息、冲正……）")
class Transaction:
    id: strawberry.ID = strawberry.field(description="交易 ID")
    kind: LedgerKindEnum = strawberry.field(description="交易类型")
    business_on: date = strawberry.field(description="会计日期（业务日期，Asia/Shanghai）")
    memo: str = strawberry.field(description="摘要")
    created_at: datetime = strawberry.field(description="记账时刻（UTC，带时区偏移）")
    lines: list[LedgerLine] = strawberry.field(description="借贷分录；借方合计等于贷方合计")

    @classmethod
    def from_model(cls, m: TransactionModel, entries) -> Transaction:
        lines = [LedgerLine(account=LedgerAccount(e.account), debit=yuan_str(e.debit_fen), credit=yuan_str(e.credit_fen)) for e in entries]
        return cls(id=strawberry.ID(str(m.id)), kind=LedgerKindEnum(m.kind), business_on=m.business_on, memo=m.memo, created_at=m.created_at, lines=lines)


@strawberry.type(description="借据（一笔借款）。谁能读：借款客户本人；工作人员读本人辖内机构的借据；报表密钥不能经 loans 或 node 读取。金额为元的字符串，日期为业务日期（Asia/Shanghai）")
class Loan(relay.Node):
    key: relay.NodeID[str]
    status: LoanStatusEnum = strawberry.field(description="借据状态；statusLabel 另含「扣款处理中」等说明")
    status_label: str = strawberry.field(description="状态：未结清、放款处理中、已结清……；自动扣款或还款结果未确认时含「扣款处理中」")
    principal: DecimalString = strawberry.field(description="借款本金（放款金额）（元，两位小数的字符串，如 \"1200.00\"）")
    outstanding_principal: DecimalString = strawberry.field(description="未还本金（含逾期本金）（元，两位小数的字符串，如 \"1200.00\"）")
    overdue_principal: DecimalString = strawberry.field(description="逾期本金（元，两位小数的字符串，如 \"1200.00\"）")
    overdue_interest: DecimalString = strawberry.field(description="逾期利息（到期未还的利息）（元，两位小数的字符串，如 \"1200.00\"）")
    penalty: DecimalString = strawberry.field(description="未还罚息（元，两位小数的字符串，如 \"1200.00\"）")
    compound: DecimalString = strawberry.field(description="未还复利（元，两位小数的字符串，如 \"1200.00\"）")
    annual_rate_percent: DecimalString = strawberry.field(description="执行年利率（百分数字符串，如 \"3.95\"）= 定价 LPR + 加点")
    lpr_tenor: LprTenor = strawberry.field(description="定价所用的 LPR 期限品种")
    spread_bp: int = strawberry.field(description="加点（基点，1 基点 = 0.01%）")
    method: RepaymentMethod = strawberry.field(description="还款方式")
    term_months: int = strawberry.field(description="期限（月）")
    start_date: date = strawberry.field(description="起息日（放款日）（业务日期，Asia/Shanghai）")
    first_due_date: date = strawberry.field(description="首期还款日（业务日期，Asia/Shanghai）")
    maturity_date: date = strawberry.field(description="到期日（业务日期，Asia/Shanghai）")
    days_past_due: int = strawberry.field(description="逾期天数（最早一笔未还到期款项起算，按会计日期；未逾期为 0）")
    classification: LoanClassification = strawberry.field(description="五级分类")
    classification_label: str = strawberry.field(description="五级分类的中文名（正常、关注、次级、可疑、损失）")
    updated_at: datetime | None = strawberry.field(description="最近一次业务变动时刻（UTC；交易、状态、分类、额度变化时更新，每日计息不更新；用于增量同步）")
    credit_line_id: strawberry.Private[UUID]

    @strawberry.field(description="还款计划")
    async def installments(self, info: Info) -> list[Installment]:
        rows = await info.context.loaders.installments_by_loan.load(UUID(self.key))
        return [Installment.from_row(r) for r in rows]

    @strawberry.field(description="联保担保：借款人所在有效联保小组中其他成员的有效保证（保证人、合同编号、担保最高额），按签约先后；"
                               "仅工作人员可读（保证人姓名未遮蔽），客户读为空列表，借款人请读 guarantors")
    async def guarantees(self, info: Info) -> list[Guarantee]:
        actor = info.context.actor
        if actor is None or not actor.is_officer:
            return []
        return await guarantees_of_loan(info, UUID(self.key))

    @strawberry.field(description="展期的保证人书面同意：每名保证人（同 guarantees）及其自上次展期后签署的同意书（未同意为 null）；"
                               "每人均同意不少于所提月数后才能提出展期。仅工作人员可读，客户读为空列表")
    async def extension_consents(self, info: Info) -> list[ExtensionConsentState]:
        actor = info.context.actor
        if actor is None or not actor.is_officer:
            return []
        return await extension_consents(info, UUID(self.key))

    @strawberry.field(description="无还本续贷的保证人合同：每名保证人（同 guarantees）及其为新借据签订、尚未用于续贷的借新还旧保证合同（未签订为 null）；"
                               "每人均签订后才能提出续贷。仅工作人员可读，客户读为空列表")
    async def renewal_guarantees(self, info: Info) -> list[RenewalGuaranteeState]:
        actor = info.context.actor
        if actor is None or not actor.is_officer:
            return []
        return await renewal_guarantees(info, UUID(self.key))

    @strawberry.field(description="借款人所见的联保保证人（手机银行）：与 guarantees 相同的有效保证，按签约先后，保证人姓名已遮蔽、不含证件号、手机号和客户 ID；"
                               "仅本人借据的借款人可读，工作人员与其他人读为空列表（工作人员请读 guarantees）")
    async def guarantors(self, info: Info) -> list[LoanGuarantor]:
        return await guarantors_seen(info, UUID(self.key))

    @strawberry.field(description="账务交易，最新在前")
    async def transactions(self, info: Info) -> list[Transaction]:
        rows = await info.context.loaders.transactions_by_loan.load(UUID(self.key))
        return [Transaction.from_model(txn, entries) for txn, entries in rows]

    @classmethod
    def from_model(cls, m: LoanModel) -> Loan:
        return cls(
            key=str(m.id), status=LoanStatusEnum(m.status), status_label=lending_queries.status_label(m), principal=yuan_str(m.principal_fen),
            outstanding_principal=yuan_str(m.outstanding_principal_fen), overdue_principal=yuan_str(m.overdue_principal_fen),
            overdue_interest=yuan_str(m.overdue_interest_fen), penalty=yuan_str(m.penalty_fen), compound=yuan_str(m.compound_fen),
            annual_rate_percent=percent_str(m.annual_rate_ppm), lpr_tenor=LprTenor(m.lpr_tenor), spread_bp=m.spread_bp,
            method=RepaymentMethod(m.method.value), term_months=m.term_months, start_date=m.start_on, first_due_date=m.first_due_on,
            maturity_date=m.maturity_on, days_past_due=m.days_past_due, classification=LoanClassification(m.classification),
            classification_label=CLASS_LABELS[m.classification], credit_line_id=m.credit_line_id, updated_at=m.updated_at,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        found = await lending_queries.loans_visible(info.context.actor, [UUID(i) for i in node_ids])
        return [cls.from_model(found[UUID(i)]) if UUID(i) in found else None for i in node_ids]


@strawberry.type(description="用信试算")
class DrawdownQuote:
    annual_rate_percent: DecimalString | None = strawberry.field(description="今日执行年利率（百分数字符串）；出错时为 null")
    lpr_tenor: LprTenor | None = strawberry.field(description="定价所用的 LPR 期限品种；出错时为 null")
    installments: list[ScheduleInstallment] = strawberry.field(description="还款计划；出错时为空列表")
    total_interest: DecimalString | None = strawberry.field(description="利息合计（元，两位小数的字符串，如 \"1200.00\"）；出错时为 null")
    errors: list[LoanError] = strawberry.field(description="输入或业务错误；成功时为空列表")


@strawberry.type(description="提前还款试算")
class PrepaymentQuote:
    full: bool | None = strawberry.field(description="是否为全部结清；出错时为 null")
    principal: DecimalString | None = strawberry.field(description="本次归还本金（元，两位小数的字符串，如 \"1200.00\"）；出错时为 null")
    interest: DecimalString | None = strawberry.field(description="本次应付利息（上一还款日至今日的应计利息）（元，两位小数的字符串，如 \"1200.00\"）；出错时为 null")
    total: DecimalString | None = strawberry.field(description="本次应还合计（元，两位小数的字符串，如 \"1200.00\"）；出错时为 null")
    new_installments: list[ScheduleInstallment] = strawberry.field(description="部分提前还款后的新还款计划；全部结清或出错时为空列表")
    errors: list[LoanError] = strawberry.field(description="输入或业务错误；成功时为空列表")

"""Flat reporting tables over GraphQL (issue 16): one row per record, keyset-paged, for report keys and staff.

Rows come from app/services/reporting/tables.py as plain dicts of typed columns (one SQL statement, no ORM
objects) and become these strawberry dataclasses field by field. Closed sets (statuses, classes, kinds, methods)
are the domain's enums: stored lowercase, published as the members' UPPER_CASE names (`ENUM_COLUMNS`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import strawberry

from app.api.context import Info
from app.api.enums import (
    CollectionCloseReason,
    CollectionTaskStatus,
    CreditLineStatusEnum,
    InstallmentStatusEnum,
    LoanClassification,
    LoanStatusEnum,
    LprTenor,
    RepaymentMethod,
    Role,
    WarningKind,
    WarningSeverity,
    WarningStatus,
)
from app.api.reporting.filters import to_filter
from app.api.reporting.permissions import CanReadReports
from app.api.reporting.types import AppraisalGrade, BranchLevel, CollectionSource, GuaranteeMethod, ProductKind, ReportFilter, money
from app.api.scalars import DecimalString
from app.services.reporting import tables as svc

FilterArg = Annotated[ReportFilter | None, strawberry.argument(name="filter", description="筛选：只用其中的 bankId 与 branchId（含下级机构）")]
FirstArg = Annotated[int, strawberry.argument(description="本页条数，1 到 100")]
AfterArg = Annotated[str | None, strawberry.argument(description="上一页的 endCursor（不透明字符串）；省略则从头开始")]
UpdatedAfterArg = Annotated[
    datetime | None, strawberry.argument(description="只取此时刻（不含）之后有业务变动的行，用于增量同步；时刻按 UTC 比较")
]


def _m(value: int | None) -> DecimalString | None:
    return None if value is None else money(value)


def _pct(ppm: int) -> DecimalString:
    return DecimalString(format(Decimal(ppm).scaleb(-4), "f"))


@strawberry.type(description="报表明细的分页信息（键集分页）")
class TablePageInfo:
    has_next_page: bool = strawberry.field(description="之后是否还有数据")
    has_previous_page: bool = strawberry.field(description="本页之前是否还有数据（带 after 翻到的页为 true，第一页为 false）")
    start_cursor: str | None = strawberry.field(description="本页第一行的游标；本页为空时为 null")
    end_cursor: str | None = strawberry.field(description="本页最后一行的游标，作为下一页的 after；本页为空时为 null")
    total_count: int = strawberry.field(description="符合条件的总行数（不止本页）")


def _info(page: svc.TablePage) -> TablePageInfo:
    return TablePageInfo(has_next_page=page.has_next, has_previous_page=page.has_previous, start_cursor=page.start_cursor,
                         end_cursor=page.end_cursor, total_count=page.total_count)


@strawberry.type(description="借据明细（一笔贷款一行）")
class ReportLoanRow:
    id: strawberry.ID = strawberry.field(description="借据ID（UUID）")
    bank_id: strawberry.ID = strawberry.field(description="法人行ID（UUID）")
    institution_code: str = strawberry.field(description="法人行金融机构代码")
    branch_id: strawberry.ID = strawberry.field(description="经办机构ID（UUID）")
    branch_code: str = strawberry.field(description="经办机构代码")
    customer_id: strawberry.ID = strawberry.field(description="借款人客户ID（UUID）")
    credit_line_id: strawberry.ID = strawberry.field(description="授信额度ID（UUID）")
    officer_id: strawberry.ID | None = strawberry.field(description="管户客户经理ID（额度的客户经理；未指定时为 null）")
    product_id: strawberry.ID = strawberry.field(description="产品ID（UUID）")
    product_code: str = strawberry.field(description="产品代码（行内唯一）")
    contract_number: str | None = strawberry.field(description="借款合同编号（额度的授信合同；未签合同时为 null）")
    iou_number: str = strawberry.field(description="借据号：核心系统放款流水号（放款处理中时为空串）")
    loan_purpose: str = strawberry.field(description="贷款用途（取自产品；空串表示产品未声明）")
    guarantee_method: GuaranteeMethod = strawberry.field(description="担保方式（取自产品）")
    is_agricultural: bool = strawberry.field(description="是否涉农贷款（取自产品）")
    is_inclusive: bool = strawberry.field(description="是否普惠金融贷款（取自产品）")
    principal: DecimalString = strawberry.field(description="放款金额，元")
    annual_rate_percent: DecimalString = strawberry.field(description="执行年利率，百分数（\"3.4500\" 即 3.45%）")
    lpr_tenor: LprTenor = strawberry.field(description="定价所依 LPR 期限")
    spread_bp: int = strawberry.field(description="LPR 加点，基点")
    method: RepaymentMethod = strawberry.field(description="还款方式")
    term_months: int = strawberry.field(description="期限，月")
    start_on: date = strawberry.field(description="放款日（业务日期，Asia/Shanghai）")
    maturity_on: date = strawberry.field(description="到期日（业务日期）")
    status: LoanStatusEnum = strawberry.field(description="借据状态")
    classification: LoanClassification = strawberry.field(description="五级分类")
    outstanding_principal: DecimalString = strawberry.field(description="贷款余额（本金），元")
    overdue_principal: DecimalString = strawberry.field(description="逾期本金，元（每日数字以日头寸为准）")
    overdue_interest: DecimalString = strawberry.field(description="逾期利息，元（每日数字以日头寸为准）")
    days_past_due: int = strawberry.field(description="逾期天数（每日变化，不改变 updatedAt；以日头寸为准）")
    settled_on: date | None = strawberry.field(description="结清日（业务日期）；未结清为 null")
    renewed_from_loan_id: strawberry.ID | None = strawberry.field(description="无还本续贷：本笔借据续贷（借新还旧）的原借据ID（UUID）；不是续贷为 null")
    is_extended: bool = strawberry.field(description="是否展期：有经审批的展期记录为 true")
    created_at: datetime = strawberry.field(description="创建时刻（UTC）")
    updated_at: datetime | None = strawberry.field(description="最近一次业务变动时刻（UTC；交易、状态、分类变化时更新，每日计息不更新）")

    @classmethod
    def build(cls, r: dict[str, Any]) -> ReportLoanRow:
        r = _enums(cls, r)
        return cls(
            id=strawberry.ID(str(r["id"])), bank_id=strawberry.ID(str(r["bank_id"])), institution_code=r["institution_code"],
            branch_id=strawberry.ID(str(r["branch_id"])), branch_code=r["branch_code"], customer_id=strawberry.ID(str(r["customer_id"])),
            credit_line_id=strawberry.ID(str(r["credit_line_id"])), officer_id=strawberry.ID(str(r["officer_id"])) if r["officer_id"] else None,
            product_id=strawberry.ID(str(r["product_id"])), product_code=r["product_code"], contract_number=r["contract_number"],
            iou_number=r["iou_number"] or "", loan_purpose=r["loan_purpose"], guarantee_method=r["guarantee_method"],
            is_agricultural=r["is_agricultural"], is_inclusive=r["is_inclusive"], principal=money(r["principal_fen"]),
            annual_rate_percent=_pct(r["annual_rate_ppm"]), lpr_tenor=r["lpr_tenor"], spread_bp=r["spread_bp"], method=r["method"],
            term_months=r["term_months"], start_on=r["start_on"], maturity_on=r["maturity_on"], status=r["status"], classification=r["classification"],
            outstanding_principal=money(r["outstanding_principal_fen"]), overdue_principal=money(r["overdue_principal_fen"]),
            overdue_interest=money(r["overdue_interest_fen"]), days_past_due=r["days_past_due"], settled_on=r["settled_on"],
            renewed_from_loan_id=strawberry.ID(str(r["renewed_from_loan_id"])) if r["renewed_from_loan_id"] else None, is_extended=r["is_extended"],
            created_at=r["created_at"], updated_at=r["updated_at"],
        )


@strawberry.type(description="还款计划明细（一期一行）")
class ReportInstallmentRow:
    id: strawberry.ID = strawberry.field(description="还款计划行ID（UUID）")
    bank_id: strawberry.ID = strawberry.field(description="法人行ID（UUID）")
    institution_code: str = strawberry.field(description="法人行金融机构代码")
    loan_id: strawberry.ID = strawberry.field(description="借据ID（UUID）")
    iou_number: str = strawberry.field(description="借据号：核心系统放款流水号")
    number: int = strawberry.field(description="期次，从 1 开始")
    due_on: date = strawberry.field(description="应还日（业务日期）")
    principal: DecimalString = strawberry.field(description="应还本金，元")
    interest: DecimalString = strawberry.field(description="应还利息，元")
    penalty: DecimalString = strawberry.field(description="已计罚息，元")
    compound: DecimalString = strawberry.field(description="已计复利，元")
    paid_principal: DecimalString = strawberry.field(description="已还本金，元")
    paid_interest: DecimalString = strawberry.field(description="已还利息，元")
    paid_penalty: DecimalString = strawberry.field(description="已还罚息，元")
    paid_compound: DecimalString = strawberry.field(description="已还复利，元")
    status: InstallmentStatusEnum = strawberry.field(description="本期状态")
    paid_on: date | None = strawberry.field(description="还清日（业务日期）；未还清为 null")
    updated_at: datetime | None = strawberry.field(description="最近一次业务变动时刻（UTC；还款、逾期、重新定价时更新，每日计罚息不更新）")

    @classmethod
    def build(cls, r: dict[str, Any]) -> ReportInstallmentRow:
        r = _enums(cls, r)
        return cls(
            id=strawberry.ID(str(r["id"])), bank_id=strawberry.ID(str(r["bank_id"])), institution_code=r["institution_code"],
            loan_id=strawberry.ID(str(r["loan_id"])), iou_number=r["iou_number"] or "", number=r["number"], due_on=r["due_on"],
            principal=money(r["principal_fen"]), interest=money(r["interest_fen"]), penalty=money(r["penalty_fen"]), compound=money(r["compound_fen"]),
            paid_principal=money(r["paid_principal_fen"]), paid_interest=money(r["paid_interest_fen"]), paid_penalty=money(r["paid_penalty_fen"]),
            paid_compound=money(r["paid_compound_fen"]), status=r["status"], paid_on=r["paid_on"], updated_at=r["updated_at"],
        )


@strawberry.type(description="客户明细（姓名、证件号、手机号均脱敏；有个人信息权限的报表密钥另见完整姓名、证件号、手机号，每次读取留痕）")
class ReportCustomerRow:
    id: strawberry.ID = strawberry.field(description="客户ID（UUID）")
    bank_id: strawberry.ID = strawberry.field(description="法人行ID（UUID；客户档案属于一个法人行）")
    institution_code: str = strawberry.field(description="法人行金融机构代码")
    branch_id: strawberry.ID = strawberry.field(description="管户机构ID（UUID）")
    branch_code: str = strawberry.field(description="管户机构代码")
    village_id: strawberry.ID | None = strawberry.field(description="所在行政村ID；未归属时为 null")
    name_masked: str = strawberry.field(description="姓名（脱敏：只留姓，如 张**）")
    sex: str = strawberry.field(description="性别：男 / 女")
    id_number_masked: str = strawberry.field(description="身份证号（脱敏）")
    phone_masked: str = strawberry.field(description="手机号（脱敏；未留手机号为空串）")
    name: str | None = strawberry.field(description="完整姓名：仅有个人信息权限（--pii）的报表密钥可见，每次读取留痕；其他读者为 null")
    id_number: str | None = strawberry.field(description="完整身份证号：仅有个人信息权限（--pii）的报表密钥可见，每次读取留痕；其他读者为 null")
    phone: str | None = strawberry.field(description="完整手机号：仅有个人信息权限（--pii）的报表密钥可见，每次读取留痕；未留手机号或其他读者为 null")
    grade: AppraisalGrade | None = strawberry.field(description="评议等级；未评议为 null")
    created_at: datetime = strawberry.field(description="建档时刻（UTC）")
    updated_at: datetime | None = strawberry.field(description="最近一次业务变动时刻（UTC）")

    @classmethod
    def build(cls, r: dict[str, Any]) -> ReportCustomerRow:
        r = _enums(cls, r)
        return cls(
            id=strawberry.ID(str(r["id"])), bank_id=strawberry.ID(str(r["bank_id"])), institution_code=r["institution_code"],
            branch_id=strawberry.ID(str(r["branch_id"])), branch_code=r["branch_code"],
            village_id=strawberry.ID(str(r["village_id"])) if r["village_id"] else None, name_masked=r["name_masked"], sex=r["sex"],
            id_number_masked=r["id_number_masked"], phone_masked=r["phone_masked"] or "", name=r.get("name"), id_number=r.get("id_number"),
            phone=r.get("phone"), grade=r["grade"], created_at=r["created_at"], updated_at=r["updated_at"],
        )


@strawberry.type(description="授信额度明细（一个额度一行）")
class ReportCreditLineRow:
    id: strawberry.ID = strawberry.field(description="授信额度ID（UUID）")
    bank_id: strawberry.ID = strawberry.field(description="法人行ID（UUID）")
    institution_code: str = strawberry.field(description="法人行金融机构代码")
    branch_id: strawberry.ID = strawberry.field(description="经办机构ID（UUID）")
    branch_code: str = strawberry.field(description="经办机构代码")
    customer_id: strawberry.ID = strawberry.field(description="客户ID（UUID）")
    officer_id: strawberry.ID | None = strawberry.field(description="管户客户经理ID；未指定为 null")
    product_id: strawberry.ID = strawberry.field(description="产品ID（UUID）")
    product_code: str = strawberry.field(description="产品代码")
    contract_number: str | None = strawberry.field(description="授信合同编号；未签合同为 null")
    limit: DecimalString = strawberry.field(description="授信额度，元")
    used: DecimalString = strawberry.field(description="已用额度（未还本金），元")
    valid_from: date = strawberry.field(description="额度起始日（业务日期）")
    valid_until: date = strawberry.field(description="额度到期日（业务日期）")
    status: CreditLineStatusEnum = strawberry.field(description="额度状态")
    spread_bp: int = strawberry.field(description="LPR 加点，基点")
    max_term_months: int = strawberry.field(description="单笔最长期限，月")
    granted_at: datetime | None = strawberry.field(description="走访授信时刻（UTC）；柜面或导入的额度为 null")
    created_at: datetime = strawberry.field(description="创建时刻（UTC）")
    updated_at: datetime | None = strawberry.field(description="最近一次业务变动时刻（UTC；用信、还款、额度或状态变化时更新）")

    @classmethod
    def build(cls, r: dict[str, Any]) -> ReportCreditLineRow:
        r = _enums(cls, r)
        return cls(
            id=strawberry.ID(str(r["id"])), bank_id=strawberry.ID(str(r["bank_id"])), institution_code=r["institution_code"],
            branch_id=strawberry.ID(str(r["branch_id"])), branch_code=r["branch_code"], customer_id=strawberry.ID(str(r["customer_id"])),
            officer_id=strawberry.ID(str(r["officer_id"])) if r["officer_id"] else None, product_id=strawberry.ID(str(r["product_id"])),
            product_code=r["product_code"], contract_number=r["contract_number"], limit=money(r["limit_fen"]), used=money(r["used_fen"]),
            valid_from=r["valid_from"], valid_until=r["valid_until"], status=r["status"], spread_bp=r["spread_bp"], max_term_months=r["max_term_months"],
            granted_at=r["granted_at"], created_at=r["created_at"], updated_at=r["updated_at"],
        )


@strawberry.type(description="预警明细（一条预警一行；不含提示文字与证据，其中可能有个人信息）")
class ReportWarningRow:
    id: strawberry.ID = strawberry.field(description="预警ID（UUID）")
    bank_id: strawberry.ID = strawberry.field(description="法人行ID（UUID）")
    institution_code: str = strawberry.field(description="法人行金融机构代码")
    branch_id: strawberry.ID = strawberry.field(description="机构ID（UUID）")
    branch_code: str = strawberry.field(description="机构代码")
    customer_id: strawberry.ID = strawberry.field(description="客户ID（UUID）")
    loan_id: strawberry.ID | None = strawberry.field(description="借据ID；客户层面的预警为 null")
    officer_id: strawberry.ID | None = strawberry.field(description="负责的客户经理ID；未指定为 null")
    kind: WarningKind = strawberry.field(description="预警类型")
    severity: WarningSeverity = strawberry.field(description="预警级别")
    warning_level: int = strawberry.field(description="预警档位：逾期上升预警为越过的天数阈值（30/60/90），其他类型为次数")
    business_on: date = strawberry.field(description="预警日期（业务日期）")
    status: WarningStatus = strawberry.field(description="预警状态")
    handled_at: datetime | None = strawberry.field(description="处理时刻（UTC）；未处理为 null")
    created_at: datetime = strawberry.field(description="生成时刻（UTC）")
    updated_at: datetime | None = strawberry.field(description="最近一次变动时刻（UTC；生成、处理或排除时更新；增量同步用）")


@strawberry.type(description="催收任务明细（一个任务一行）")
class ReportCollectionRow:
    id: strawberry.ID = strawberry.field(description="催收任务ID（UUID）")
    bank_id: strawberry.ID = strawberry.field(description="法人行ID（UUID）")
    institution_code: str = strawberry.field(description="法人行金融机构代码")
    branch_id: strawberry.ID = strawberry.field(description="机构ID（UUID）")
    branch_code: str = strawberry.field(description="机构代码")
    loan_id: strawberry.ID = strawberry.field(description="借据ID（UUID）")
    customer_id: strawberry.ID = strawberry.field(description="客户ID（UUID）")
    officer_id: strawberry.ID | None = strawberry.field(description="催收客户经理ID；未指定为 null")
    status: CollectionTaskStatus = strawberry.field(description="催收任务状态")
    opened_on: date = strawberry.field(description="开立日期（业务日期）")
    opened_dpd: int = strawberry.field(description="开立时的逾期天数")
    closed_on: date | None = strawberry.field(description="结束日期（业务日期）；未结束为 null")
    close_reason: CollectionCloseReason | None = strawberry.field(description="结束原因；未结束为 null")
    next_action_on: date | None = strawberry.field(description="下次跟进日期；未安排为 null")
    source: CollectionSource = strawberry.field(description="任务来源")
    action_count: int = strawberry.field(description="催收记录条数")
    last_action_at: datetime | None = strawberry.field(description="最近一次催收记录时刻（UTC）；没有记录为 null")
    created_at: datetime = strawberry.field(description="创建时刻（UTC）")
    updated_at: datetime | None = strawberry.field(description="最近一次变动时刻（UTC；开立、记录催收、结束时更新；增量同步用）")


@strawberry.type(description="维度：机构")
class ReportBranchRow:
    id: strawberry.ID = strawberry.field(description="机构ID（UUID）")
    bank_id: strawberry.ID = strawberry.field(description="法人行ID（UUID）")
    institution_code: str = strawberry.field(description="法人行金融机构代码")
    code: str = strawberry.field(description="机构代码")
    name: str = strawberry.field(description="机构名称")
    level: BranchLevel = strawberry.field(description="机构层级")
    parent_id: strawberry.ID | None = strawberry.field(description="上级机构ID；顶层为 null")


@strawberry.type(description="维度：行政村")
class ReportVillageRow:
    id: strawberry.ID = strawberry.field(description="行政村ID（UUID）")
    bank_id: strawberry.ID = strawberry.field(description="法人行ID（UUID）")
    institution_code: str = strawberry.field(description="法人行金融机构代码")
    branch_id: strawberry.ID = strawberry.field(description="所属机构ID（UUID）")
    division_code: str = strawberry.field(description="12 位统计用区划代码")
    name: str = strawberry.field(description="村名")
    town: str = strawberry.field(description="乡镇")
    county: str = strawberry.field(description="县（区）")
    officer_id: strawberry.ID | None = strawberry.field(description="包村客户经理ID；未指定为 null")


@strawberry.type(description="维度：员工（不含登录凭据）")
class ReportOfficerRow:
    id: strawberry.ID = strawberry.field(description="员工ID（UUID）")
    bank_id: strawberry.ID = strawberry.field(description="法人行ID（UUID）")
    institution_code: str = strawberry.field(description="法人行金融机构代码")
    branch_id: strawberry.ID = strawberry.field(description="所属机构ID（UUID）")
    username: str = strawberry.field(description="登录名")
    display_name: str = strawberry.field(description="姓名")
    role: Role = strawberry.field(description="角色")
    is_active: bool = strawberry.field(description="是否启用")


@strawberry.type(description="维度：贷款产品（含监管报送字段）")
class ReportProductRow:
    id: strawberry.ID = strawberry.field(description="产品ID（UUID）")
    bank_id: strawberry.ID = strawberry.field(description="法人行ID（UUID）")
    institution_code: str = strawberry.field(description="法人行金融机构代码")
    code: str = strawberry.field(description="产品代码（行内唯一）")
    name: str = strawberry.field(description="产品名称")
    kind: ProductKind = strawberry.field(description="产品类别")
    loan_purpose: str = strawberry.field(description="贷款用途；空串表示未声明")
    guarantee_method: GuaranteeMethod = strawberry.field(description="担保方式")
    is_agricultural: bool = strawberry.field(description="是否涉农贷款")
    is_inclusive: bool = strawberry.field(description="是否普惠金融贷款")
    min_principal: DecimalString = strawberry.field(description="最低金额，元")
    max_principal: DecimalString = strawberry.field(description="最高金额，元")
    min_term_months: int = strawberry.field(description="最短期限，月")
    max_term_months: int = strawberry.field(description="最长期限，月")
    is_active: bool = strawberry.field(description="是否在售")


# each table's closed sets: the stored lowercase value becomes the domain member (published by its UPPER_CASE name)
ENUM_COLUMNS: dict[type, dict[str, type[Enum]]] = {
    ReportLoanRow: {"guarantee_method": GuaranteeMethod, "lpr_tenor": LprTenor, "method": RepaymentMethod, "status": LoanStatusEnum,
                    "classification": LoanClassification},
    ReportInstallmentRow: {"status": InstallmentStatusEnum},
    ReportCustomerRow: {"grade": AppraisalGrade},
    ReportCreditLineRow: {"status": CreditLineStatusEnum},
    ReportWarningRow: {"kind": WarningKind, "severity": WarningSeverity, "status": WarningStatus},
    ReportCollectionRow: {"status": CollectionTaskStatus, "close_reason": CollectionCloseReason, "source": CollectionSource},
    ReportBranchRow: {"level": BranchLevel},
    ReportOfficerRow: {"role": Role},
    ReportProductRow: {"kind": ProductKind, "guarantee_method": GuaranteeMethod},
}


def _enums(cls: type, r: dict[str, Any]) -> dict[str, Any]:
    return {**r, **{k: None if r[k] is None else enum(r[k]) for k, enum in ENUM_COLUMNS.get(cls, {}).items()}}


def _ids(r: dict[str, Any]) -> dict[str, Any]:
    return {k: (strawberry.ID(str(v)) if v is not None else None) if (k == "id" or k.endswith("_id")) else v for k, v in r.items()}


def _dimension(cls, r: dict[str, Any]):
    r = _enums(cls, _ids(r))
    if cls is ReportProductRow:
        r["min_principal"], r["max_principal"] = money(r.pop("min_principal_fen")), money(r.pop("max_principal_fen"))
    return cls(**r)


@strawberry.type(description="借据明细的一页")
class ReportLoanPage:
    rows: list[ReportLoanRow] = strawberry.field(description="本页各行，按分页键排序")
    page_info: TablePageInfo = strawberry.field(description="分页信息与总行数")


@strawberry.type(description="还款计划明细的一页")
class ReportInstallmentPage:
    rows: list[ReportInstallmentRow] = strawberry.field(description="本页各行，按分页键排序")
    page_info: TablePageInfo = strawberry.field(description="分页信息与总行数")


@strawberry.type(description="客户明细的一页")
class ReportCustomerPage:
    rows: list[ReportCustomerRow] = strawberry.field(description="本页各行，按分页键排序")
    page_info: TablePageInfo = strawberry.field(description="分页信息与总行数")


@strawberry.type(description="授信额度明细的一页")
class ReportCreditLinePage:
    rows: list[ReportCreditLineRow] = strawberry.field(description="本页各行，按分页键排序")
    page_info: TablePageInfo = strawberry.field(description="分页信息与总行数")


@strawberry.type(description="预警明细的一页")
class ReportWarningPage:
    rows: list[ReportWarningRow] = strawberry.field(description="本页各行，按分页键排序")
    page_info: TablePageInfo = strawberry.field(description="分页信息与总行数")


@strawberry.type(description="催收任务明细的一页")
class ReportCollectionPage:
    rows: list[ReportCollectionRow] = strawberry.field(description="本页各行，按分页键排序")
    page_info: TablePageInfo = strawberry.field(description="分页信息与总行数")


@strawberry.type(description="机构维度的一页")
class ReportBranchPage:
    rows: list[ReportBranchRow] = strawberry.field(description="本页各行，按分页键排序")
    page_info: TablePageInfo = strawberry.field(description="分页信息与总行数")


@strawberry.type(description="行政村维度的一页")
class ReportVillagePage:
    rows: list[ReportVillageRow] = strawberry.field(description="本页各行，按分页键排序")
    page_info: TablePageInfo = strawberry.field(description="分页信息与总行数")


@strawberry.type(description="员工维度的一页")
class ReportOfficerPage:
    rows: list[ReportOfficerRow] = strawberry.field(description="本页各行，按分页键排序")
    page_info: TablePageInfo = strawberry.field(description="分页信息与总行数")


@strawberry.type(description="产品维度的一页")
class ReportProductPage:
    rows: list[ReportProductRow] = strawberry.field(description="本页各行，按分页键排序")
    page_info: TablePageInfo = strawberry.field(description="分页信息与总行数")


async def _page(info: Info, table: str, where, first: int, after: str | None, updated_after: datetime | None = None) -> svc.TablePage:
    return await svc.table_page(actor=info.context.actor, table=table, filt=to_filter(where), first=first, after=after, updated_after=updated_after,
                                vault=info.context.vault)


@strawberry.type
class TablesQuery:
    @strawberry.field(description="报表明细：借据（按 updatedAt、id 键集分页；含合同号、借据号、贷款用途、担保方式、涉农、普惠与法人行机构代码）",
                      permission_classes=[CanReadReports])
    async def report_loans(self, info: Info, where: FilterArg = None, first: FirstArg = 100, after: AfterArg = None,
                           updated_after: UpdatedAfterArg = None) -> ReportLoanPage:
        page = await _page(info, "loans", where, first, after, updated_after)
        return ReportLoanPage(rows=[ReportLoanRow.build(r) for r in page.rows], page_info=_info(page))

    @strawberry.field(description="报表明细：还款计划（按 updatedAt、id 键集分页）", permission_classes=[CanReadReports])
    async def report_installments(self, info: Info, where: FilterArg = None, first: FirstArg = 100, after: AfterArg = None,
                                  updated_after: UpdatedAfterArg = None) -> ReportInstallmentPage:
        page = await _page(info, "installments", where, first, after, updated_after)
        return ReportInstallmentPage(rows=[ReportInstallmentRow.build(r) for r in page.rows], page_info=_info(page))

    @strawberry.field(description="报表明细：客户（个人信息脱敏；有个人信息权限的报表密钥另见完整姓名、证件号、手机号，每页读取留痕；按 updatedAt、id 键集分页）",
                      permission_classes=[CanReadReports])
    async def report_customers(self, info: Info, where: FilterArg = None, first: FirstArg = 100, after: AfterArg = None,
                               updated_after: UpdatedAfterArg = None) -> ReportCustomerPage:
        page = await _page(info, "customers", where, first, after, updated_after)
        return ReportCustomerPage(rows=[ReportCustomerRow.build(r) for r in page.rows], page_info=_info(page))

    @strawberry.field(description="报表明细：授信额度（按 updatedAt、id 键集分页）", permission_classes=[CanReadReports])
    async def report_credit_lines(self, info: Info, where: FilterArg = None, first: FirstArg = 100, after: AfterArg = None,
                                  updated_after: UpdatedAfterArg = None) -> ReportCreditLinePage:
        page = await _page(info, "credit_lines", where, first, after, updated_after)
        return ReportCreditLinePage(rows=[ReportCreditLineRow.build(r) for r in page.rows], page_info=_info(page))

    @strawberry.field(description="报表明细：预警（按 updatedAt、id 键集分页；处理或排除时 updatedAt 更新）", permission_classes=[CanReadReports])
    async def report_warnings(self, info: Info, where: FilterArg = None, first: FirstArg = 100, after: AfterArg = None,
                              updated_after: UpdatedAfterArg = None) -> ReportWarningPage:
        page = await _page(info, "warnings", where, first, after, updated_after)
        return ReportWarningPage(rows=[_dimension(ReportWarningRow, r) for r in page.rows], page_info=_info(page))

    @strawberry.field(description="报表明细：催收任务（按 updatedAt、id 键集分页；记录催收、结束时 updatedAt 更新）", permission_classes=[CanReadReports])
    async def report_collections(self, info: Info, where: FilterArg = None, first: FirstArg = 100, after: AfterArg = None,
                                 updated_after: UpdatedAfterArg = None) -> ReportCollectionPage:
        page = await _page(info, "collections", where, first, after, updated_after)
        return ReportCollectionPage(rows=[_dimension(ReportCollectionRow, r) for r in page.rows], page_info=_info(page))

    @strawberry.field(description="维度表：机构（按 id 键集分页）", permission_classes=[CanReadReports])
    async def report_branches(self, info: Info, where: FilterArg = None, first: FirstArg = 100, after: AfterArg = None) -> ReportBranchPage:
        page = await _page(info, "branches", where, first, after)
        return ReportBranchPage(rows=[_dimension(ReportBranchRow, r) for r in page.rows], page_info=_info(page))

    @strawberry.field(description="维度表：行政村（按 id 键集分页）", permission_classes=[CanReadReports])
    async def report_villages(self, info: Info, where: FilterArg = None, first: FirstArg = 100, after: AfterArg = None) -> ReportVillagePage:
        page = await _page(info, "villages", where, first, after)
        return ReportVillagePage(rows=[_dimension(ReportVillageRow, r) for r in page.rows], page_info=_info(page))

    @strawberry.field(description="维度表：员工（按 id 键集分页）", permission_classes=[CanReadReports])
    async def report_officers(self, info: Info, where: FilterArg = None, first: FirstArg = 100, after: AfterArg = None) -> ReportOfficerPage:
        page = await _page(info, "officers", where, first, after)
        return ReportOfficerPage(rows=[_dimension(ReportOfficerRow, r) for r in page.rows], page_info=_info(page))

    @strawberry.field(description="维度表：贷款产品（按 id 键集分页；分支机构的读者看到本法人行的全部产品）", permission_classes=[CanReadReports])
    async def report_products(self, info: Info, where: FilterArg = None, first: FirstArg = 100, after: AfterArg = None) -> ReportProductPage:
        page = await _page(info, "products", where, first, after)
        return ReportProductPage(rows=[_dimension(ReportProductRow, r) for r in page.rows], page_info=_info(page))

"""The `reporting` PostgreSQL schema for SQL tools (Metabase, Superset) and its read-only roles (issue 16).

`install_reporting_sql` (the command `cunxin reporting-sql`) creates or replaces, in one transaction:

- schema `reporting`: one documented view per subject (COMMENT ON VIEW / COLUMN, in Chinese), every
  view with the member bank (`bank_id`); customers carry masked ID number and phone only (the
  encrypted columns are not in any view) and a masked name;
- schema `reporting_private`: the table `role_bank` (role name → bank id; NULL: every bank),
  readable by the views' owner only;
- a login role with `default_transaction_read_only`, USAGE on `reporting` and SELECT on its views,
  nothing else: no base table, no `reporting_private`.

Bank scoping: every view is `security_barrier` and keeps only the rows whose bank the connected
role is granted in `reporting_private.role_bank` (`current_user`); the views read the base tables
with their owner's rights. A role made with a bank code sees that bank only; a role made without
one sees every bank (the platform). One set of views serves every role; re-running the command
replaces the views and grants them again to every role on record.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain.error_codes import CommonCode
from app.domain.errors import ValidationError
from app.models import Bank
from app.services.reporting.tables import IS_EXTENDED_SQL, RENEWED_FROM_SQL
from app.sql import execute, fetch, is_postgres

SCHEMA = "reporting"
PRIVATE = "reporting_private"
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True, slots=True)
class View:
    name: str
    comment: str
    source: str  # FROM … (aliases used by the column expressions)
    bank: str  # the expression of the row's bank
    columns: tuple[tuple[str, str, str], ...]  # (name, expression, comment)


def _masked_name(expr: str) -> str:
    return f"CASE WHEN char_length({expr}) <= 1 THEN {expr} ELSE left({expr}, 1) || repeat('*', char_length({expr}) - 1) END"


# the product's regulatory fields (migration 0030), on the products, the loans and the positions (the product's current setting)
REGULATORY_COLUMNS = (
    ("loan_purpose", "pr.loan_purpose", "贷款用途（取自产品，如 农业生产经营；未设置为空串）"),
    ("guarantee_method", "pr.guarantee_method", "担保方式（取自产品）：credit 信用，guarantee 保证，mortgage 抵押，pledge 质押"),
    ("is_agricultural", "pr.is_agricultural", "是否涉农贷款（取自产品）"),
    ("is_inclusive", "pr.is_inclusive", "是否普惠贷款（取自产品）"),
)

# institution codes and the contract and 借据 numbers, on the loans and the positions (joined: bk bank, br branch, ct contract, l loan)
IDENTIFIER_COLUMNS = (
    ("institution_code", "bk.code", "法人行金融机构代码"),
    ("branch_code", "br.code", "经办机构代码"),
    ("contract_number", "ct.number", "授信合同编号（借据在该合同项下支用；未生成合同时为空）"),
    ("iou_number", "l.disbursement_ref", "借据号（核心系统放款流水号；放款处理中为空串）"),
)
POSITION_SOURCE = (" p JOIN product pr ON pr.id = p.product_id JOIN bank bk ON bk.id = p.bank_id JOIN branch br ON br.id = p.branch_id"
                   " JOIN loan l ON l.id = p.loan_id LEFT JOIN contract ct ON ct.credit_line_id = l.credit_line_id")

POSITION_COLUMNS = (
    ("business_on", "p.business_on", "会计日期（该日日终后的头寸）"),
    ("loan_id", "p.loan_id", "借据ID（贷款）"),
    ("bank_id", "p.bank_id", "法人行ID"),
    ("branch_id", "p.branch_id", "经办机构ID"),
    ("customer_id", "p.customer_id", "客户ID"),
    ("product_id", "p.product_id", "产品ID"),
    ("status", "p.status", "贷款状态：active 正常在贷，settled 已结清，written_off 已核销"),
    ("classification", "p.classification", "五级分类：normal 正常，special_mention 关注，substandard 次级，doubtful 可疑，loss 损失"),
    ("days_past_due", "p.days_past_due", "逾期天数（DPD）"),
    ("annual_rate_ppm", "p.annual_rate_ppm", "执行年利率，百万分之一（45000 = 4.5%）"),
    ("outstanding_principal_fen", "p.outstanding_principal_fen", "贷款余额（本金），分"),
    ("overdue_principal_fen", "p.overdue_principal_fen", "逾期本金，分"),
    ("overdue_interest_fen", "p.overdue_interest_fen", "逾期利息（已到期未还，含表外），分"),
    ("accrued_interest_fen", "p.accrued_interest_fen", "本期应计未到期利息（含表外），分"),
    ("penalty_fen", "p.penalty_fen", "未还罚息，分"),
    ("compound_fen", "p.compound_fen", "未还复利，分"),
    ("non_accrual", "p.non_accrual", "是否非应计（利息不再确认收入，转表外）"),
    ("off_interest_fen", "p.off_interest_fen", "表外应收利息，分"),
    ("off_penalty_fen", "p.off_penalty_fen", "表外应收罚息，分"),
    ("off_compound_fen", "p.off_compound_fen", "表外应收复利，分"),
    ("off_accrued_fen", "p.off_accrued_fen", "表外应计利息，分"),
    *REGULATORY_COLUMNS,
    *IDENTIFIER_COLUMNS,
)

VIEWS: tuple[View, ...] = (
    View("banks", "法人行（成员行）维度：机构代码、简称、全称", "bank b", "b.id", (
        ("bank_id", "b.id", "法人行ID"),
        ("code", "b.code", "金融机构代码"),
        ("name", "b.name", "简称"),
        ("legal_name", "b.legal_name", "全称"),
        ("kind", "b.kind", "类型：rural_commercial 农商行，rural_credit_union 农信社"),
        ("is_active", "b.is_active", "是否启用"),
    )),
    View("branches", "机构维度：法人行下的总行、支行、网点", "branch br", "br.bank_id", (
        ("branch_id", "br.id", "机构ID"),
        ("bank_id", "br.bank_id", "法人行ID"),
        ("code", "br.code", "机构代码"),
        ("name", "br.name", "机构名称"),
        ("level", "br.level", "层级：head 总行，branch 支行，outlet 网点"),
        ("parent_branch_id", "br.parent_id", "上级机构ID"),
    )),
    View("villages", "行政村维度：所属机构和包村客户经理", "village v JOIN branch br ON br.id = v.branch_id", "br.bank_id", (
        ("village_id", "v.id", "行政村ID"),
        ("bank_id", "br.bank_id", "法人行ID"),
        ("branch_id", "v.branch_id", "所属机构ID"),
        ("division_code", "v.division_code", "12位统计用区划代码"),
        ("name", "v.name", "村名"),
        ("town", "v.town", "乡镇"),
        ("county", "v.county", "县（区）"),
        ("officer_id", "v.officer_id", "包村客户经理ID"),
    )),
    View("officers", "员工维度：客户经理、审批人、支行行长等（不含登录凭据）", "officer o JOIN branch br ON br.id = o.branch_id", "br.bank_id", (
        ("officer_id", "o.id", "员工ID"),
        ("bank_id", "br.bank_id", "法人行ID"),
        ("branch_id", "o.branch_id", "所属机构ID"),
        ("display_name", "o.display_name", "姓名"),
        ("role", "o.role", "角色：officer 客户经理，approver 审批人，branch_manager 支行行长，admin 系统管理员，auditor 审计员"),
        ("is_active", "o.is_active", "是否在职启用"),
    )),
    View("products", "贷款产品维度（每个法人行自有产品）", "product pr", "pr.bank_id", (
        ("product_id", "pr.id", "产品ID"),
        ("bank_id", "pr.bank_id", "法人行ID"),
        ("code", "pr.code", "产品代码（行内唯一）"),
        ("name", "pr.name", "产品名称"),
        ("kind", "pr.kind", "产品类别"),
        ("min_principal_fen", "pr.min_principal_fen", "最低金额，分"),
        ("max_principal_fen", "pr.max_principal_fen", "最高金额，分"),
        ("min_term_months", "pr.min_term_months", "最短期限，月"),
        ("max_term_months", "pr.max_term_months", "最长期限，月"),
        ("default_spread_bp", "pr.default_spread_bp", "默认加点，基点（LPR + 加点）"),
        ("penalty_multiplier_ppm", "pr.penalty_multiplier_ppm", "罚息倍数，百万分之一（1500000 = 合同利率上浮50%）"),
        ("is_active", "pr.is_active", "是否在售"),
        *REGULATORY_COLUMNS,
    )),
    View("customers", "客户（借款人）：证件号、手机号、姓名均已脱敏，不含任何加密字段", "customer c", "c.bank_id", (
        ("customer_id", "c.id", "客户ID"),
        ("bank_id", "c.bank_id", "法人行ID"),
        ("branch_id", "c.branch_id", "管户机构ID"),
        ("village_id", "c.village_id", "所在行政村ID"),
        ("name_masked", _masked_name("c.name"), "姓名（脱敏：仅保留姓）"),
        ("sex", "c.sex", "性别：M 男，F 女"),
        ("birth_year", "CAST(EXTRACT(YEAR FROM c.birth_on) AS INTEGER)", "出生年份"),
        ("id_number_masked", "c.id_number_masked", "身份证号（脱敏）"),
        ("phone_masked", "c.phone_masked", "手机号（脱敏）"),
        ("grade", "c.grade", "评议等级：excellent 优秀，good 良好，fair 一般"),
        ("created_at", "c.created_at", "建档时间（UTC）"),
        ("updated_at", "c.updated_at", "最近一次业务变动时间（UTC；交易、状态、分类、额度变动时更新，每日计息不更新；增量同步用）"),
    )),
    View("credit_lines", "授信额度", "credit_line cl JOIN branch br ON br.id = cl.branch_id LEFT JOIN contract ct ON ct.credit_line_id = cl.id", "br.bank_id", (
        ("credit_line_id", "cl.id", "授信ID"),
        ("bank_id", "br.bank_id", "法人行ID"),
        ("branch_id", "cl.branch_id", "经办机构ID"),
        ("customer_id", "cl.customer_id", "客户ID"),
        ("product_id", "cl.product_id", "产品ID"),
        ("officer_id", "cl.officer_id", "管户客户经理ID"),
        ("limit_fen", "cl.limit_fen", "授信额度，分"),
        ("used_fen", "cl.used_fen", "已用额度，分"),
        ("valid_from", "cl.valid_from", "额度生效日"),
        ("valid_until", "cl.valid_until", "额度到期日"),
        ("status", "cl.status", "额度状态"),
        ("max_term_months", "cl.max_term_months", "单笔最长期限，月"),
        ("spread_bp", "cl.spread_bp", "加点，基点"),
        ("contract_number", "ct.number", "授信合同编号（未生成合同时为空）"),
        ("granted_at", "cl.granted_at", "授信时间（UTC）"),
        ("created_at", "cl.created_at", "创建时间（UTC）"),
        ("updated_at", "cl.updated_at", "最近一次业务变动时间（UTC；交易、状态、分类、额度变动时更新，每日计息不更新；增量同步用）"),
    )),
    View("loans", "贷款（借据）：当前余额、逾期、五级分类、贷款用途、担保方式、涉农与普惠标识",
         "loan l JOIN branch br ON br.id = l.branch_id JOIN bank bk ON bk.id = br.bank_id JOIN credit_line cl ON cl.id = l.credit_line_id"
         " JOIN product pr ON pr.id = l.product_id LEFT JOIN contract ct ON ct.credit_line_id = l.credit_line_id", "br.bank_id", (
        ("loan_id", "l.id", "借据ID"),
        ("bank_id", "br.bank_id", "法人行ID"),
        ("branch_id", "l.branch_id", "经办机构ID"),
        ("customer_id", "l.customer_id", "客户ID"),
        ("product_id", "l.product_id", "产品ID"),
        ("credit_line_id", "l.credit_line_id", "授信ID"),
        ("officer_id", "cl.officer_id", "管户客户经理ID（授信的客户经理）"),
        ("disbursement_ref", "l.disbursement_ref", "借据号（同 iou_number，保留的旧列名）"),
        ("principal_fen", "l.principal_fen", "发放金额，分"),
        ("annual_rate_ppm", "l.annual_rate_ppm", "执行年利率，百万分之一"),
        ("lpr_tenor", "l.lpr_tenor", "定价基准 LPR 期限：1y / 5y"),
        ("spread_bp", "l.spread_bp", "加点，基点"),
        ("method", "l.method", "还款方式"),
        ("term_months", "l.term_months", "期限，月"),
        ("start_on", "l.start_on", "放款日"),
        ("first_due_on", "l.first_due_on", "首个还款日"),
        ("maturity_on", "l.maturity_on", "到期日"),
        ("status", "l.status", "贷款状态"),
        ("outstanding_principal_fen", "l.outstanding_principal_fen", "贷款余额（本金），分"),
        ("overdue_principal_fen", "l.overdue_principal_fen", "逾期本金，分"),
        ("overdue_interest_fen", "l.overdue_interest_fen", "逾期利息，分"),
        ("accrued_interest_fen", "l.accrued_interest_fen", "本期应计未到期利息，分"),
        ("penalty_fen", "l.penalty_fen", "未还罚息，分"),
        ("compound_fen", "l.compound_fen", "未还复利，分"),
        ("days_past_due", "l.days_past_due", "逾期天数（DPD）"),
        ("classification", "l.classification", "五级分类"),
        ("settled_on", "l.settled_on", "结清日"),
        ("renewed_from_loan_id", RENEWED_FROM_SQL, "无还本续贷：本笔借据续贷（借新还旧）的原借据ID；不是续贷为空"),
        ("is_extended", IS_EXTENDED_SQL, "是否展期：有经审批的展期记录"),
        ("created_at", "l.created_at", "创建时间（UTC）"),
        ("updated_at", "l.updated_at", "最近一次业务变动时间（UTC；交易、状态、分类、额度变动时更新，每日计息不更新；增量同步用）"),
        *REGULATORY_COLUMNS,
        *IDENTIFIER_COLUMNS,
    )),
    View("installments", "还款计划（每期应还与已还）", "installment i JOIN loan l ON l.id = i.loan_id JOIN branch br ON br.id = l.branch_id", "br.bank_id", (
        ("installment_id", "i.id", "还款计划行ID"),
        ("bank_id", "br.bank_id", "法人行ID"),
        ("loan_id", "i.loan_id", "借据ID"),
        ("number", "i.number", "期次"),
        ("due_on", "i.due_on", "应还日"),
        ("principal_fen", "i.principal_fen", "应还本金，分"),
        ("interest_fen", "i.interest_fen", "应还利息，分"),
        ("penalty_fen", "i.penalty_fen", "罚息，分"),
        ("compound_fen", "i.compound_fen", "复利，分"),
        ("paid_principal_fen", "i.paid_principal_fen", "已还本金，分"),
        ("paid_interest_fen", "i.paid_interest_fen", "已还利息，分"),
        ("paid_penalty_fen", "i.paid_penalty_fen", "已还罚息，分"),
        ("paid_compound_fen", "i.paid_compound_fen", "已还复利，分"),
        ("status", "i.status", "状态：pending 未到期，overdue 逾期，paid 已还清"),
        ("paid_on", "i.paid_on", "还清日"),
        ("updated_at", "i.updated_at", "最近一次业务变动时间（UTC；交易、状态、分类、额度变动时更新，每日计息不更新；增量同步用）"),
    )),
    View("warnings", "风险预警（不含证据明细和文字说明）", "early_warning w JOIN branch br ON br.id = w.branch_id", "br.bank_id", (
        ("warning_id", "w.id", "预警ID"),
        ("bank_id", "br.bank_id", "法人行ID"),
        ("branch_id", "w.branch_id", "机构ID"),
        ("customer_id", "w.customer_id", "客户ID"),
        ("loan_id", "w.loan_id", "借据ID（客户级预警为空）"),
        ("officer_id", "w.officer_id", "负责客户经理ID"),
        ("kind", "w.kind", "预警类型"),
        ("severity", "w.severity", "严重程度"),
        ("level", "w.level", "级别：逾期升级为跨过的天数阈值（30/60/90），其他类型为次数"),
        ("business_on", "w.business_on", "预警会计日期"),
        ("status", "w.status", "处理状态"),
        ("handled_at", "w.handled_at", "处理时间（UTC）"),
        ("created_at", "w.created_at", "生成时间（UTC）"),
        ("updated_at", "w.updated_at", "最近一次变动时间（UTC；生成、处理或排除时更新；增量同步用）"),
    )),
    View("collection_tasks", "催收任务", "collection_task t JOIN branch br ON br.id = t.branch_id", "br.bank_id", (
        ("task_id", "t.id", "催收任务ID"),
        ("bank_id", "br.bank_id", "法人行ID"),
        ("branch_id", "t.branch_id", "机构ID"),
        ("loan_id", "t.loan_id", "借据ID"),
        ("customer_id", "t.customer_id", "客户ID"),
        ("officer_id", "t.officer_id", "催收客户经理ID"),
        ("status", "t.status", "任务状态"),
        ("opened_on", "t.opened_on", "开立会计日期"),
        ("opened_dpd", "t.opened_dpd", "开立时逾期天数"),
        ("closed_on", "t.closed_on", "结束会计日期"),
        ("close_reason", "t.close_reason", "结束原因"),
        ("next_action_on", "t.next_action_on", "下次跟进日"),
        ("source", "t.source", "来源：eod 日终，post_loan_check 贷后检查"),
        ("updated_at", "t.updated_at", "最近一次变动时间（UTC；开立、记录催收、结束时更新；增量同步用）"),
    )),
    View("loan_positions", "每日贷款头寸：每笔贷款每个会计日期日终后的余额、利息、逾期、分类（保留天数见 CUNXIN_POSITIONS_RETENTION_DAYS）",
         "loan_position" + POSITION_SOURCE, "p.bank_id", POSITION_COLUMNS),
    View("loan_positions_month_end", "月末贷款头寸快照：每月最后一个会计日期的每日头寸，永久保留（不良与资产质量历史）",
         "loan_position_month_end" + POSITION_SOURCE, "p.bank_id", POSITION_COLUMNS),
)


def _acl(bank: str) -> str:
    return (f"EXISTS (SELECT 1 FROM {PRIVATE}.role_bank g WHERE g.role_name = current_user"
            f" AND (g.bank_id IS NULL OR g.bank_id = {bank}))")


def view_sql(view: View) -> str:
    columns = ", ".join(f"{expr} AS {name}" for name, expr, _ in view.columns)
    return f"CREATE VIEW {SCHEMA}.{view.name} WITH (security_barrier) AS SELECT {columns} FROM {view.source} WHERE {_acl(view.bank)}"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class ReportingRole:
    role: str
    bank_code: str | None  # None: every bank
    password: str | None  # set (and shown once) when the role was made or its password reset
    views: tuple[str, ...]


def default_role(bank_code: str | None) -> str:
    return "cunxin_reporting" if bank_code is None else f"cunxin_reporting_{bank_code.lower()}"


async def install_reporting_sql(*, role: str | None = None, bank_code: str | None = None, password: str | None = None,
                                reset_password: bool = False) -> ReportingRole:
    """Create or replace the `reporting` views and create (or re-grant) the read-only role for one bank or all."""
    if not is_postgres():
        raise ValidationError("报表 SQL 视图仅支持 PostgreSQL", code=CommonCode.INVALID, field="database")
    bank_id: UUID | None = None
    if bank_code is not None:
        bank = await Bank.get_or_none(code=bank_code)
        if bank is None:
            raise ValidationError(f"没有机构代码为 {bank_code} 的法人行", code=CommonCode.NOT_FOUND, field="bank")
        bank_id = bank.id
    role = role or default_role(bank_code)
    if not ROLE_NAME.match(role):
        raise ValidationError(f"角色名不合法：{role}（小写字母、数字、下划线）", code=CommonCode.INVALID, field="role")
    async with in_transaction():
        await execute(f"CREATE SCHEMA IF NOT EXISTS {PRIVATE}")
        await execute(f"REVOKE ALL ON SCHEMA {PRIVATE} FROM PUBLIC")
        await execute(f"CREATE TABLE IF NOT EXISTS {PRIVATE}.role_bank (role_name TEXT PRIMARY KEY, bank_id UUID)")
        await execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        await execute(f"CREATE SCHEMA {SCHEMA}")
        await execute(f"REVOKE ALL ON SCHEMA {SCHEMA} FROM PUBLIC")
        await execute(f"COMMENT ON SCHEMA {SCHEMA} IS {_literal('村信报表视图（只读）：每个视图都带法人行 bank_id，按连接角色的法人行过滤；金额单位为分')}")
        for view in VIEWS:
            await execute(view_sql(view))
            await execute(f"COMMENT ON VIEW {SCHEMA}.{view.name} IS {_literal(view.comment)}")
            for name, _, comment in view.columns:
                await execute(f"COMMENT ON COLUMN {SCHEMA}.{view.name}.{name} IS {_literal(comment)}")
        exists = await fetch("SELECT 1 FROM pg_roles WHERE rolname = :r", r=role)
        shown = None
        if not exists:
            shown = password or secrets.token_urlsafe(24)
            await execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD {_literal(shown)}")
        elif reset_password or password:
            shown = password or secrets.token_urlsafe(24)
            await execute(f"ALTER ROLE {role} PASSWORD {_literal(shown)}")
        await execute(f"ALTER ROLE {role} SET default_transaction_read_only = on")
        await execute(f"DELETE FROM {PRIVATE}.role_bank WHERE role_name = :r", r=role)
        await execute(f"INSERT INTO {PRIVATE}.role_bank (role_name, bank_id) VALUES (:r, :b)", r=role, b=bank_id)
        # every role on record (re)gets the new views; roles dropped since are forgotten
        await execute(f"DELETE FROM {PRIVATE}.role_bank WHERE role_name NOT IN (SELECT rolname FROM pg_roles)")
        for row in await fetch(f"SELECT role_name FROM {PRIVATE}.role_bank ORDER BY role_name"):
            grantee = row["role_name"]
            if ROLE_NAME.match(grantee):
                await execute(f"GRANT USAGE ON SCHEMA {SCHEMA} TO {grantee}")
                await execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO {grantee}")
    return ReportingRole(role=role, bank_code=bank_code, password=shown, views=tuple(v.name for v in VIEWS))

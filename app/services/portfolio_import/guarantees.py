"""Portfolio import of 联保 groups and their members' guarantees (联保担保迁移).

One row per member: the group's source key (联保小组编号) and its name, village, formation date and status; the member's
household and customer (imported before, registered in that household), the guarantee's maximum amount (担保最高额) and
the old system's paper contract (保证合同编号, 签订日期); optionally the loans the member guarantees (imported before: each
must be a loan of another member of the group; the guarantee itself follows the group's membership, as for a native group).

Rows are checked one by one (cells, references, the contract number unused), then, at the end of the file, each group as a
whole against the settings' `GroupPolicy` (size, one signer per household, a household in no more active groups than
allowed, counting the groups already in Cunxin). Confirmed, the groups and members are written at the end of the pass,
in the file's one transaction. A migrated member has no PDF (`document` null, `contract_sha256` empty): the signed
contract is the old system's paper; its `ImportRecord` (kind `guarantees`) is what marks it migrated. Its exposure
(`guarantee_exposure_fen`) counts like any active guarantee's. docs/import.md.
"""

from __future__ import annotations

from datetime import datetime, time, timezone
from pathlib import Path
from uuid import UUID

from app.crypto import Vault
from app.domain.portfolio_import import GUARANTEES, LOANS, RowError, check_guarantee
from app.models import GuaranteeGroup, GuaranteeMember, Household, HouseholdMember, ImportRecord, Loan
from app.services import business_date
from app.services.actor import Actor
from app.services.guarantees import DEFAULT_POLICY, GroupPolicy
from app.services.portfolio_import import ImportResult, _Context, _run

GROUPS = "guarantee_groups"  # ImportRecord kind of a migrated group (its 联保小组编号)


class _GuaranteeContext(_Context):
    policy: GroupPolicy = DEFAULT_POLICY

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.groups: dict[str, list[dict]] = {}  # 联保小组编号 → its new rows (checked), in file order
        self.contracts: dict[str, int] = {}  # 保证合同编号 → row

    async def finish(self, result: ImportResult) -> list[RowError]:
        errors: list[RowError] = []
        taken: dict[UUID, int] = {}  # household → active groups of this file it joins
        for rows in self.groups.values():
            first = rows[0]
            households = {}
            for r in rows:
                if r["household_id"] in households:
                    errors.append(RowError(r["line"], "户号", f"与第 {households[r['household_id']]} 行同属户号 {r['household']}，一户只能由一人代表加入联保小组"))
                households.setdefault(r["household_id"], r["line"])
            if not self.policy.min_households <= len(households) <= self.policy.max_households:
                errors.append(RowError(first["line"], "联保小组编号", f"联保小组 {first['group']} 有 {len(households)} 户，应为 "
                                                                  f"{self.policy.min_households}–{self.policy.max_households} 户"))
            members = {r["customer_id"] for r in rows}
            for r in rows:
                for key, borrower in r["loan_ids"]:
                    if borrower == r["customer_id"] or borrower not in members:
                        errors.append(RowError(r["line"], "被担保贷款编号", f"贷款 {key} 的借款人不是联保小组 {first['group']} 的其他成员"))
            if first["status"] == "active":
                for household_id, line in households.items():
                    taken[household_id] = taken.get(household_id, 0) + 1
                    existing = await GuaranteeMember.filter(household_id=household_id, status="active", group__status="active").count()
                    if existing + taken[household_id] > self.policy.max_groups_per_household:
                        errors.append(RowError(line, "户号", f"该户已在 {existing + taken[household_id] - 1} 个有效的联保小组中，每户最多加入 "
                                                            f"{self.policy.max_groups_per_household} 个"))
        if errors or not self.write:
            return errors
        for rows in self.groups.values():
            first = rows[0]
            group = await GuaranteeGroup.create(bank_id=self.bank.id, branch_id=first["branch_id"], village_id=first["village_id"], name=first["name"],
                                                status=first["status"], formed_on=first["formed_on"], formed_by_id=None)
            await self.record_as(GROUPS, first["group"], group.id)
            member_status = "active" if first["status"] == "active" else "released"
            for r in rows:
                member = await GuaranteeMember.create(
                    group_id=group.id, household_id=r["household_id"], customer_id=r["customer_id"], bank_id=self.bank.id, status=member_status,
                    amount_fen=r["amount_fen"], contract_no=r["contract_no"], contract_sha256="", document_id=None,  # the old system's paper
                    signed_at=datetime.combine(r["signed_on"], time(0), tzinfo=timezone.utc), witnessed_by_id=None,
                )
                await self.record(GUARANTEES, r["key"], member.id)
        return []

    async def record_as(self, kind: str, key: str, entity_id: UUID) -> None:
        await ImportRecord.create(bank_id=self.bank.id, kind=kind, source_key=key, entity_id=entity_id, file_sha256=self.sha)

    def audit_extra(self) -> dict:
        return {"groups": len(self.groups), "migratedContracts": sum(len(rows) for rows in self.groups.values())}


async def _guarantee_row(ctx: _GuaranteeContext, line: int, cells: dict[str, str], raw: dict[str, object]) -> list[RowError]:
    row, errors = check_guarantee(line, cells, today=await business_date.current())
    if errors:
        return errors
    group_rows = ctx.groups.get(row["group"])
    if group_rows:
        first = group_rows[0]
        for name, column in (("name", "小组名称"), ("village", "村区划代码"), ("formed_on", "组建日期"), ("status", "状态")):
            if row[name] != first[name]:
                errors.append(RowError(line, column, f"与第 {first['line']} 行（同一联保小组 {row['group']}）的{column}不同"))
    if await ImportRecord.filter(bank_id=ctx.bank.id, kind=GROUPS, source_key=row["group"]).exists():
        errors.append(RowError(line, "联保小组编号", f"联保小组 {row['group']} 已导入，不能追加成员（新成员请在本系统办理）"))
    if row["contract_no"] in ctx.contracts:
        errors.append(RowError(line, "保证合同编号", f"与第 {ctx.contracts[row['contract_no']]} 行的保证合同编号重复"))
    ctx.contracts.setdefault(row["contract_no"], line)
    if await GuaranteeMember.filter(contract_no=row["contract_no"]).exists():
        errors.append(RowError(line, "保证合同编号", f"本系统已有编号为 {row['contract_no']} 的保证合同"))
    village = await ctx.village(row["village"])
    household = None
    if village is None:
        errors.append(RowError(line, "村区划代码", f"{ctx.bank.name}没有区划代码为 {row['village']} 的村，请先建立该村"))
    else:
        household = await Household.get_or_none(village_id=village.id, household_no=row["household"])
        if household is None:
            errors.append(RowError(line, "户号", f"该村没有户号为 {row['household']} 的户（请先导入客户及其户号）"))
    customer_id, customer_errors = await ctx.customer(line, row["customer"])
    errors += customer_errors
    if customer_id is not None and household is not None and not await HouseholdMember.filter(household_id=household.id, customer_id=customer_id).exists():
        errors.append(RowError(line, "客户编号", f"客户 {row['customer']} 不是户号 {row['household']} 的成员"))
    loan_ids = []
    for key in row["loans"]:
        found = await ctx.imported(LOANS, key)
        loan = None if found is None else await Loan.get_or_none(id=found.entity_id)
        if loan is None:
            errors.append(RowError(line, "被担保贷款编号", f"找不到贷款编号为 {key} 的贷款（请先导入贷款文件）"))
        else:
            loan_ids.append((key, loan.customer_id))
    if errors:
        return errors
    ctx.groups.setdefault(row["group"], []).append({**row, "line": line, "customer_id": customer_id, "household_id": household.id,
                                                    "village_id": village.id, "branch_id": village.branch_id, "loan_ids": loan_ids})
    return []


async def import_guarantees(*, actor: Actor, vault: Vault, bank_code: str, path: Path, confirm: bool, max_bytes: int,
                            policy: GroupPolicy = DEFAULT_POLICY, **options) -> ImportResult:
    """联保 groups of imported customers and their members' guarantees (migrated paper contracts), checked against `policy`."""
    context = type("_PolicyContext", (_GuaranteeContext,), {"policy": policy})
    return await _run(GUARANTEES, _guarantee_row, actor=actor, vault=vault, bank_code=bank_code, path=path, confirm=confirm, max_bytes=max_bytes,
                      context=context, **options)

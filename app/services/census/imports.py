"""Census import: upload → preview (nothing saved to the census) → confirm (all rows or none).

The preview is kept server-side as a `CensusImport`: the valid rows as one encrypted JSON blob
(no plaintext ID number or phone at rest) and, for the page, masked values with every row
error. Confirming re-checks the rows against the database (it may have changed since the
preview) and saves every household and member in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain import idcard
from app.domain.census import (
    RELATION_LABELS,
    CensusFileError,
    CensusRow,
    Member,
    RowError,
    households_of,
    parse_census,
)
from app.domain.error_codes import CensusCode, CommonCode
from app.domain.errors import Conflict, NotFound
from app.models import Branch, Customer, Household, HouseholdMember, Officer, Village, VillageGroup
from app.models.census import CensusImport, CensusImportStatus
from app.domain.vocabulary import ActorType, Relation
from app.services import audit
from app.services.actor import Actor
from app.services.org import bank_id_of_branch
from app.services.census.access import require_census_role, village_query
from app.services.census.files import read_rows
from app.services.customers.identifiers import id_number_fields, mask_phone, phone_fields

PREVIEW_ROWS = 200  # valid rows kept (masked) for the preview page
PREVIEW_ERRORS = 1_000  # row errors kept for the preview page (the count is always exact)
CHUNK = 500  # IN (...) lists stay well below SQLite's parameter limit
_CONTEXT = b"census_import"


@dataclass
class Plan:
    """What committing the rows would do, and what stops it."""

    errors: list[RowError] = field(default_factory=list)
    villages: dict[str, Village] = field(default_factory=dict)  # division code -> village
    groups: dict[tuple[str, str], UUID | None] = field(default_factory=dict)  # (code, household no) -> group id
    existing: dict[tuple[str, str], UUID] = field(default_factory=dict)  # households already in the census
    new_households: list[tuple[str, str, str]] = field(default_factory=list)  # (code, household no, address)


def _chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i : i + size]


async def _plan(actor: Actor, vault: Vault, rows: list[CensusRow]) -> Plan:
    plan = Plan()
    codes = sorted({r.division_code for r in rows})
    for part in _chunks(codes):
        for v in await village_query(actor).filter(division_code__in=part):
            plan.villages[v.division_code] = v
    groups_by_village: dict[UUID, list[VillageGroup]] = defaultdict(list)
    for g in await VillageGroup.filter(village_id__in=[v.id for v in plan.villages.values()]):
        groups_by_village[g.village_id].append(g)
    drafts = households_of(rows)
    for village in plan.villages.values():
        numbers = [d.household_no for d in drafts if d.division_code == village.division_code]
        for part in _chunks(numbers):
            for h in await Household.filter(village_id=village.id, household_no__in=part).values("id", "household_no"):
                plan.existing[(village.division_code, h["household_no"])] = h["id"]
    heads = {h for h in plan.existing.values()}
    heads_in_db = set()
    for part in _chunks(list(heads)):
        heads_in_db |= set(await HouseholdMember.filter(household_id__in=part, relation=Relation.HEAD).values_list("household_id", flat=True))
    for d in drafts:
        first = d.lines[0]
        village = plan.villages.get(d.division_code)
        if village is None:
            plan.errors.extend(RowError(line, "村区划代码", f"村区划代码 {d.division_code} 不存在或不在您的管辖范围内") for line in d.lines)
            continue
        key = (d.division_code, d.household_no)
        if d.group:
            group = next((g for g in groups_by_village[village.id] if g.number == d.group_number or g.name == d.group), None)
            if group is None:
                plan.errors.append(RowError(first, "村民小组", f"{village.name}没有“{d.group}”"))
            plan.groups[key] = group.id if group else None
        else:
            plan.groups[key] = None
        household_id = plan.existing.get(key)
        if household_id is None:
            if not d.has_head:
                plan.errors.append(RowError(first, "与户主关系", f"新户 {d.household_no} 没有户主：请为该户填写一行“户主”"))
            plan.new_households.append((d.division_code, d.household_no, d.address))
        elif d.has_head and household_id in heads_in_db:
            line = next(r.line for r in rows if (r.division_code, r.household_no) == key and r.member.relation == "head")
            plan.errors.append(RowError(line, "与户主关系", f"户 {d.household_no} 在系统中已有户主"))
    # an ID number already registered in the bank of the row's village (another bank's census may hold the same person)
    bank_of_branch = dict(await Branch.filter(id__in=list({v.branch_id for v in plan.villages.values()})).values_list("id", "bank_id"))
    wanted = {(bank_of_branch[plan.villages[r.division_code].branch_id], vault.lookup_hash(r.member.id_number)): r.line
              for r in rows if r.division_code in plan.villages}
    hashes = list({h for _, h in wanted})
    for part in _chunks(hashes):
        for bank_id, h in await HouseholdMember.filter(id_number_hash__in=part, bank_id__in=list(set(bank_of_branch.values()))).values_list("bank_id", "id_number_hash"):
            if (bank_id, h) in wanted:
                plan.errors.append(RowError(wanted[(bank_id, h)], "身份证号码", "该身份证号码已在本行登记"))
    plan.errors.sort(key=lambda e: e.line)
    return plan


def _row_json(r: CensusRow) -> dict:
    m = r.member
    return {"line": r.line, "code": r.division_code, "group": r.group, "group_number": r.group_number, "no": r.household_no, "address": r.address,
            "name": m.name, "relation": m.relation, "id": m.id_number, "sex": m.sex, "birth": m.birth_on.isoformat(), "phone": m.phone}


def _row_from_json(d: dict) -> CensusRow:
    member = Member(name=d["name"], relation=d["relation"], id_number=d["id"], sex=d["sex"], birth_on=date.fromisoformat(d["birth"]), phone=d["phone"])
    return CensusRow(line=d["line"], division_code=d["code"], group=d["group"], group_number=d["group_number"], household_no=d["no"], address=d["address"], member=member)


def _error_json(e: RowError) -> dict:
    return {"line": e.line, "column": e.column, "message": e.message}


async def preview_import(*, actor: Actor, vault: Vault, data: bytes, filename: str, max_rows: int, max_bytes: int) -> CensusImport:
    """Parse and check a file; store the preview. A whole-file problem raises `CensusFileError` and stores nothing."""
    require_census_role(actor)
    if not data:
        raise CensusFileError("文件为空", code=CensusCode.EMPTY_FILE)
    if len(data) > max_bytes:
        raise CensusFileError(f"文件超过 {max_bytes / (1024 * 1024):g} MB 上限，请拆分后分批导入", code=CommonCode.TOO_LARGE)
    parsed = parse_census(read_rows(data, filename), max_rows=max_rows)
    plan = await _plan(actor, vault, parsed.rows)
    errors = sorted(parsed.errors + plan.errors, key=lambda e: (e.line, e.column))
    bad_lines = {e.line for e in errors}
    names = {code: v.name for code, v in plan.villages.items()}
    preview_rows = [
        {"line": r.line, "village": names.get(r.division_code, r.division_code), "group": r.group, "household_no": r.household_no,
         "name": r.member.name, "relation": RELATION_LABELS[r.member.relation], "id_masked": idcard.mask(r.member.id_number),
         "phone_masked": mask_phone(r.member.phone) if r.member.phone else "", "new_household": (r.division_code, r.household_no) not in plan.existing}
        for r in parsed.rows[:PREVIEW_ROWS]
    ]
    payload = json.dumps([_row_json(r) for r in parsed.rows], ensure_ascii=False).encode()
    async with in_transaction():
        record = await CensusImport.create(
            filename=filename[-128:] or "upload.csv",
            file_sha256=hashlib.sha256(data).hexdigest(),
            size_bytes=len(data),
            branch_id=await _actor_branch(actor, plan),
            created_by_id=actor.id if actor.is_officer else None,
            village_ids=sorted(str(v.id) for v in plan.villages.values()),
            row_count=parsed.total_rows,
            error_count=len(errors),
            household_count=len(plan.new_households),
            payload_enc=vault.encrypt(payload, context=_CONTEXT) if not errors else None,
            preview={"rows": preview_rows, "errors": [_error_json(e) for e in errors[:PREVIEW_ERRORS]], "error_lines": len(bad_lines),
                     "members": len(parsed.rows), "existing_households": len({k for k in plan.existing})},
        )
        await audit.record(actor, "census_import.preview", "census_import", record.id,
                           after={"rows": parsed.total_rows, "errors": len(errors), "sha256": record.file_sha256})
    return record


async def _actor_branch(actor: Actor, plan: Plan) -> UUID:
    """The branch that owns the import: the officer's own, else the first village's."""
    if actor.is_officer:
        officer = await Officer.get(id=actor.id)
        return officer.branch_id
    if plan.villages:
        return next(iter(plan.villages.values())).branch_id
    village = await Village.first()
    if village is None:
        raise CensusFileError("系统中还没有村庄，无法导入", code=CensusCode.NO_VILLAGE)
    return village.branch_id


async def get_import(*, actor: Actor, import_id: UUID) -> CensusImport:
    record = await CensusImport.get_or_none(id=import_id)
    visible = actor.type == ActorType.SYSTEM or (actor.is_officer and record is not None and record.branch_id in actor.branch_ids)
    if record is None or not visible:
        raise NotFound("导入记录不存在", field="import_id")
    return record


@dataclass(frozen=True, slots=True)
class CommitResult:
    households: int
    members: int
    village_ids: list[str]


async def commit_import(*, actor: Actor, vault: Vault, import_id: UUID, now: datetime) -> CommitResult:
    """Save every row of a clean preview in one transaction; refuse (saving nothing) otherwise."""
    require_census_role(actor)
    await get_import(actor=actor, import_id=import_id)
    try:
        async with in_transaction():
            record = await CensusImport.select_for_update().get(id=import_id)
            if record.status != CensusImportStatus.PREVIEWED:
                raise Conflict("该导入已确认或已放弃，不能再次确认", code=CommonCode.ALREADY_DONE)
            if record.error_count or record.payload_enc is None:
                raise Conflict(f"文件有 {record.error_count} 处错误，请修改后重新上传", code=CensusCode.HAS_ERRORS)
            rows = [_row_from_json(d) for d in json.loads(vault.decrypt_bytes(record.payload_enc, context=_CONTEXT))]
            plan = await _plan(actor, vault, rows)
            if plan.errors:
                raise Conflict(f"预览之后系统中的数据有变化（{len(plan.errors)} 处冲突，如身份证号码已被登记），请重新上传预览", code=CensusCode.STALE_PREVIEW)
            result = await _save(vault, rows, plan)
            await CensusImport.filter(id=record.id).update(status=CensusImportStatus.COMMITTED, committed_at=now, payload_enc=None)
            await audit.record(actor, "census_import.commit", "census_import", record.id,
                               after={"households": result.households, "members": result.members})
    except IntegrityError:
        raise Conflict("保存时发现重复的户号或身份证号码，未导入任何数据，请重新上传预览", code=CensusCode.STALE_PREVIEW) from None
    return result


async def _save(vault: Vault, rows: list[CensusRow], plan: Plan) -> CommitResult:
    households = {key: hid for key, hid in plan.existing.items()}
    new = [
        Household(village_id=plan.villages[code].id, group_id=plan.groups.get((code, no)), household_no=no, address=address)
        for code, no, address in plan.new_households
    ]
    for part in _chunks(new):
        await Household.bulk_create(part)
    for (code, no, _), h in zip(plan.new_households, new, strict=True):
        households[(code, no)] = h.id
    customers = {}  # (bank, ID-number hash) -> an existing customer not yet linked to a member
    hashes = [vault.lookup_hash(r.member.id_number) for r in rows]
    bank_of_village = {code: await bank_id_of_branch(v.branch_id) for code, v in plan.villages.items()}
    for part in _chunks(hashes):
        linked = set(await HouseholdMember.filter(id_number_hash__in=part, customer_id__not_isnull=True).values_list("customer_id", flat=True))
        found = Customer.filter(id_number_hash__in=part, bank_id__in=list(set(bank_of_village.values())))
        for c in await found.values("id", "id_number_hash", "bank_id"):
            if c["id"] not in linked:
                customers[(c["bank_id"], c["id_number_hash"])] = c["id"]
    members = []
    for r, h in zip(rows, hashes, strict=True):
        m = r.member
        members.append(HouseholdMember(
            household_id=households[(r.division_code, r.household_no)], name=m.name, relation=Relation(m.relation), sex=m.sex, birth_on=m.birth_on,
            bank_id=bank_of_village[r.division_code], customer_id=customers.get((bank_of_village[r.division_code], h)), **id_number_fields(vault, m.id_number), **phone_fields(vault, m.phone or None),
        ))
    for part in _chunks(members):
        await HouseholdMember.bulk_create(part)
    return CommitResult(households=len(new), members=len(members), village_ids=sorted({str(v.id) for v in plan.villages.values()}))


async def discard_import(*, actor: Actor, import_id: UUID) -> None:
    require_census_role(actor)
    await get_import(actor=actor, import_id=import_id)
    async with in_transaction():
        updated = await CensusImport.filter(id=import_id, status=CensusImportStatus.PREVIEWED).update(status=CensusImportStatus.DISCARDED, payload_enc=None)
        if not updated:
            raise Conflict("该导入已确认或已放弃", code=CommonCode.ALREADY_DONE)
        await audit.record(actor, "census_import.discard", "census_import", import_id)

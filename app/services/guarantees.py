"""联保 (joint guarantee groups): forming a group, the guarantees its members sign, and calling on them.

`form_group` takes one signing customer per household (a census household member linked to the
customer); the group's size is a setting (`GroupPolicy`, from `CUNXIN_GUARANTEE_GROUP_*`), all
members are in one member bank and in the officer's branch tree, and a household already in
`max_groups_per_household` active groups is refused. Each member signs a guarantee contract (联保保证合同):
a one-page PDF naming the group, the guarantor, the borrowers guaranteed, joint and several liability, the
maximum amount and the term, signed with a one-time certificate in the guarantor's name and sealed by the
member bank (PAdES, app/services/contracts/signed_text.py), stored in the guarantor's e-archive and linked
from the member row (`document`), next to the text's SHA-256, the moment and the witnessing officer.
`cunxin archive-verify` re-checks it. The PDFs are signed before the group is written: a refusal or a
failure records nothing, and repeating the formation is refused like any second formation of the same households.

A member leaves (`release_member`) or the whole group is dissolved (`dissolve_group`, action `guarantee.release`)
only when no active member of the group has a live loan (放款处理中, 未结清 or 已核销: a written-off loan is still
collected, 账销案存): a member answers for the others' loans and the group stands behind the member's own, so
neither ends while a loan is owed. A release that would leave fewer than the policy's minimum is refused (dissolve
the group instead). Both keep the rows (status `released` / `dissolved`) and are audited.

A guarantor's contingent exposure is the sum of its active guarantees' `amount_fen`
(`guarantee_exposure_fen`); the exposure cap counts it (app/services/lending/lines.py).
After end-of-day, `open_guarantor_tasks` gives every other member of an overdue borrower's group a
collection task on that loan and a warning citing the guarantee contract; the task closes with the
loan's cure like every collection task (app/services/risk/collections.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain.error_codes import CommonCode
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.money import Money
from app.domain.permissions import Action
from app.domain.vocabulary import ActorType, GuaranteeOrigin, LoanStatus
from app.domain.warnings import Severity, WarningKind, WarningStatus
from app.models import Bank, CollectionTask, Customer, EarlyWarning, GuaranteeGroup, GuaranteeMember, Household, HouseholdMember, Loan, Officer
from app.models.collection import CollectionStatus
from app.services import audit
from app.services.actor import SYSTEM, Actor
from app.services.census.access import visible_village
from app.services.contracts.document import yuan_in_words
from app.services.contracts.signing import SigningKit
from app.services.contracts.signed_text import SignedText, archive_signed_text, sign_text_document
from app.services.permissions import require
from app.sql import fetch

ORIGINS = tuple(GuaranteeOrigin)
GUARANTEE_NAMESPACE = uuid.UUID("5b0f6a8e-2c1d-4e57-9a53-6f0c2d8e1a47")  # subject ids of guarantor warnings


@dataclass(frozen=True, slots=True)
class GroupPolicy:
    min_households: int = 5  # the cooperative's rule (docs/lending.md); a setting
    max_households: int = 10
    max_groups_per_household: int = 1  # active groups a household may be in at once


DEFAULT_POLICY = GroupPolicy()  # the settings' defaults; the doors pass the process's policy (app/wiring.py: guarantee_policy)


@dataclass(frozen=True, slots=True)
class MemberInput:
    customer_id: UUID
    amount_fen: int  # 担保最高额


CONTRACT_TITLE = "联保保证合同"


def contract_lines(*, bank_name: str, group_name: str, contract_no: str, guarantor: str, others: list[str], amount_fen: int, on: date,
                   witness: str = "") -> tuple[str, ...]:
    """The guarantee contract a member signs: the PDF's text, line by line (the text's hash is kept with the member)."""
    return (
        f"合同编号：{contract_no}",
        f"贷款人（债权人）：{bank_name}",
        f"联保小组：{group_name}",
        f"保证人：{guarantor}",
        f"被保证人（借款人）：{'、'.join(others)}",
        "第一条 保证方式：保证人对被保证人在贷款人处的借款承担连带责任保证，与联保小组其他成员互负连带保证责任。",
        f"第二条 担保最高额：{Money(amount_fen).format_yuan()}（{yuan_in_words(amount_fen)}），包括借款本金、利息、罚息、复利及实现债权的费用。",
        "第三条 保证期间：自本合同签订之日起，至联保小组解散或保证人依约退出之日止发生的每笔借款，"
        "保证期间为该笔借款履行期限届满之日起三年；借款展期的，须经保证人书面同意，保证期间自展期后到期之日起算。",
        "第四条 借新还旧（无还本续贷）的新借款，须由保证人另行签署保证合同后方由本合同所述保证担保。",
        f"签订日期：{on.year}年{on.month}月{on.day}日" + (f"　见证客户经理：{witness}" if witness else ""),
    )


def contract_text(*, group_name: str, contract_no: str, guarantor: str, others: list[str], amount_fen: int, on: date, bank_name: str = "",
                  witness: str = "") -> str:
    """The contract's text as hashed into the member row."""
    lines = contract_lines(bank_name=bank_name, group_name=group_name, contract_no=contract_no, guarantor=guarantor, others=others,
                           amount_fen=amount_fen, on=on, witness=witness)
    return "\n".join((CONTRACT_TITLE, *lines)) + "\n"


async def witness_name(actor: Actor) -> str:
    """The officer who witnesses a signature, by name (the system or a borrower: none)."""
    if not actor.is_officer:
        return ""
    return actor.display_name or (await Officer.filter(id=actor.id).first().values_list("display_name", flat=True)) or ""


async def _household_groups_taken(customers: dict[UUID, Customer], links: dict[UUID, UUID], customer_ids: list[UUID], policy: GroupPolicy) -> None:
    for cid in customer_ids:
        active = await GuaranteeMember.filter(household_id=links[cid], status="active", group__status="active").prefetch_related("group")
        if len(active) >= policy.max_groups_per_household:
            names = "、".join(f"「{m.group.name}」" for m in active)
            raise Conflict(f"{customers[cid].name}所在的户已在有效的联保小组{names}中，不能再加入新的联保小组", field="members")


async def form_group(
    *, actor: Actor, name: str, members: list[MemberInput], on: date, now: datetime, kit: SigningKit, origin: str = "visit",
    policy: GroupPolicy = GroupPolicy(),
) -> GuaranteeGroup:
    """Form a 联保 group; every member signs its guarantee contract (PDF + PAdES, in the e-archive) for the others.
    Bad input, a refusal or a signing failure records nothing."""
    name = name.strip()
    if not name:
        raise ValidationError("请填写联保小组名称", field="name")
    if origin not in ORIGINS:
        raise ValidationError("联保小组只能在走访或评议时组建", field="origin")
    customer_ids = [m.customer_id for m in members]
    if len(set(customer_ids)) != len(customer_ids):
        raise ValidationError("同一客户不能重复加入联保小组", field="members")
    for m in members:
        if m.amount_fen <= 0:
            raise ValidationError("担保最高额必须大于零", field="members")
    customers = {c.id: c for c in await Customer.filter(id__in=customer_ids)}
    for cid in customer_ids:
        customer = customers.get(cid)
        if customer is None or (actor.is_officer and not actor.in_branch(customer.branch_id)):
            raise NotFound("客户不存在", field="members")
    banks = {c.bank_id for c in customers.values()}
    if len(banks) > 1 or (actor.bank_id is not None and banks and actor.bank_id not in banks):
        raise ValidationError("联保小组成员必须是同一家成员行的客户", field="members")
    links = {r.customer_id: r.household_id for r in await HouseholdMember.filter(customer_id__in=customer_ids)}
    for cid in customer_ids:
        if cid not in links:
            raise ValidationError(f"{customers[cid].name}尚未登记为农户家庭成员，不能加入联保小组", field="members")
    households = [links[cid] for cid in customer_ids]
    if len(set(households)) != len(households):
        raise ValidationError("同一户只能由一人代表加入联保小组", field="members")
    if len(households) < policy.min_households:
        raise ValidationError(f"联保小组至少需要 {policy.min_households} 户，现有 {len(households)} 户", field="members")
    if len(households) > policy.max_households:
        raise ValidationError(f"联保小组最多 {policy.max_households} 户，现有 {len(households)} 户", field="members")
    first = customers[customer_ids[0]]
    require(actor, Action.GUARANTEE_FORM, branch_id=first.branch_id)
    await _household_groups_taken(customers, links, customer_ids, policy)  # before signing anything; again under the locks below
    bank = await Bank.get(id=first.bank_id)
    witness = await witness_name(actor)
    signed = await asyncio.gather(*(
        _sign_guarantee(kit, bank=bank, group_name=name, guarantor=customers[m.customer_id],
                        others=[customers[c] for c in customer_ids if c != m.customer_id], amount_fen=m.amount_fen, on=on, now=now, witness=witness)
        for m in members
    ))
    async with in_transaction():
        for cid in customer_ids:  # one formation per customer at a time, then count the household's active groups
            await Customer.select_for_update().get(id=cid)
        await _household_groups_taken(customers, links, customer_ids, policy)
        village_id = first.village_id
        group = await GuaranteeGroup.create(
            bank_id=first.bank_id, branch_id=first.branch_id, village_id=village_id, name=name, status="active", origin=origin,
            formed_on=on, formed_by_id=actor.id if actor.is_officer else None,
        )
        for m, (contract_no, text, pdf) in zip(members, signed, strict=True):
            guarantor = customers[m.customer_id]
            doc = await archive_signed_text(pdf, customer_id=guarantor.id, title=f"{CONTRACT_TITLE} {contract_no}（{name}）", actor=actor)
            await GuaranteeMember.create(
                group=group, household_id=links[m.customer_id], customer_id=m.customer_id, bank_id=guarantor.bank_id, status="active",
                amount_fen=m.amount_fen, contract_no=contract_no, contract_sha256=hashlib.sha256(text.encode()).hexdigest(), document=doc,
                signed_at=now, witnessed_by_id=actor.id if actor.is_officer else None,
            )
        await audit.record(actor, "guarantee.form", "guarantee_group", group.id, after={
            "name": name, "origin": origin, "members": [str(c) for c in customer_ids], "amountsFen": [m.amount_fen for m in members],
            "contracts": [{"contractNo": no, "sha256": pdf.sha256, "signerSerial": pdf.signer_serial, "padesLevel": pdf.pades_level}
                          for no, _, pdf in signed],
        })
    return group


async def _sign_guarantee(
    kit: SigningKit, *, bank: Bank, group_name: str, guarantor: Customer, others: list[Customer], amount_fen: int, on: date, now: datetime,
    witness: str,
) -> tuple[str, str, SignedText]:
    """One member's guarantee contract: its number, its text, and the PDF signed by the guarantor and sealed by the bank."""
    contract_no = f"LB{on.strftime('%Y%m%d')}{uuid.uuid4().hex[:12].upper()}"
    args = {"bank_name": bank.legal_name or bank.name, "group_name": group_name, "contract_no": contract_no,
            "guarantor": f"{guarantor.name}（身份证 {guarantor.id_number_masked}）",
            "others": [f"{o.name}（身份证 {o.id_number_masked}）" for o in others], "amount_fen": amount_fen, "on": on, "witness": witness}
    pdf = await sign_text_document(
        kit=kit, title=CONTRACT_TITLE, lines=contract_lines(**args), signer_name=guarantor.name, signer_label="保证人", witness=witness or "—",
        reason=f"保证人签署联保保证合同 {contract_no}", seal_reason="贷款人电子合同专用章", bank=bank, now=now,
    )
    return contract_no, contract_text(**args), pdf


async def guarantee_exposure_fen(customer_ids: list[UUID]) -> int:
    """The contingent exposure of the person's active guarantees (担保最高额 summed)."""
    rows = await GuaranteeMember.filter(customer_id__in=customer_ids, status="active", group__status="active").values_list("amount_fen", flat=True)
    return sum(int(r) for r in rows)


async def group_of(actor: Actor | None, group_id: UUID) -> GuaranteeGroup:
    group = await GuaranteeGroup.get_or_none(id=group_id)
    if group is None or actor is None or (actor.type != ActorType.SYSTEM and not actor.in_branch(group.branch_id)):
        raise NotFound("联保小组不存在", field="group_id")
    await group.fetch_related("members__customer", "village")
    return group


def _may_read(actor: Actor | None, *, branch_id: UUID, customer_id: UUID) -> bool:
    """Staff of the branch tree, the person themself, the system; nobody else (report keys read no guarantees)."""
    if actor is None:
        return False
    if actor.type == ActorType.SYSTEM:
        return True
    if actor.is_officer:
        return actor.in_branch(branch_id)
    return actor.type == ActorType.CUSTOMER and actor.is_customer(customer_id)


async def guarantees_given(actor: Actor | None, customer_id: UUID) -> list[GuaranteeMember]:
    """The guarantees the customer signed (any status), newest first, with their groups; out of scope reads as none."""
    customer = await Customer.get_or_none(id=customer_id)
    if customer is None or not _may_read(actor, branch_id=customer.branch_id, customer_id=customer.id):
        return []
    return await GuaranteeMember.filter(customer_id=customer_id).order_by("-created_at").prefetch_related("group", "customer")


async def guarantees_of_loan(actor: Actor | None, loan_id: UUID) -> list[GuaranteeMember]:
    """The active guarantees standing behind a loan: the other members of its borrower's active groups."""
    loan = await Loan.get_or_none(id=loan_id)
    if loan is None or not _may_read(actor, branch_id=loan.branch_id, customer_id=loan.customer_id):
        return []
    groups = await GuaranteeMember.filter(customer_id=loan.customer_id, status="active", group__status="active").values_list("group_id", flat=True)
    return await GuaranteeMember.filter(group_id__in=list(groups), status="active").exclude(customer_id=loan.customer_id).order_by(
        "created_at", "id").prefetch_related("group", "customer")


LIVE_LOAN = (LoanStatus.DISBURSING, LoanStatus.ACTIVE, LoanStatus.WRITTEN_OFF)  # a loan still owed: its guarantees stand


# --- what a borrower sees in the app: both sides of their 联保, other people's names masked, no identifiers -----------


@dataclass(frozen=True, slots=True)
class GuarantorSeen:
    """One guarantee behind the borrower's own loan: who (the name masked), the contract, the amount, the group."""

    guarantor_name_masked: str
    contract_no: str
    amount_fen: int
    status: str
    signed_at: datetime
    group_name: str


@dataclass(frozen=True, slots=True)
class LoanGuaranteed:
    """Another member's live loan a guarantee of the borrower stands behind: whose (masked) and how it stands; no ids."""

    borrower_name_masked: str
    principal_fen: int
    outstanding_principal_fen: int
    maturity_on: date
    status: str
    days_past_due: int


@dataclass(frozen=True, slots=True)
class GuaranteeGivenSeen:
    """A guarantee the borrower signed (their own membership) and the loans it stands behind today."""

    member: GuaranteeMember
    loans: tuple[LoanGuaranteed, ...]


def _customer_only(actor: Actor | None) -> bool:
    return actor is not None and actor.type == ActorType.CUSTOMER and actor.id is not None


async def guarantors_seen_by_borrower(actor: Actor | None, loan_id: UUID) -> list[GuarantorSeen]:
    """The active guarantees behind the borrower's own loan as the app shows them (anyone else's loan: none)."""
    from app.services.customers.home import mask_name

    if not _customer_only(actor):
        return []
    return [GuarantorSeen(mask_name(m.customer.name), m.contract_no, m.amount_fen, m.status, m.signed_at, m.group.name)
            for m in await guarantees_of_loan(actor, loan_id)]


async def guarantees_given_by_borrower(actor: Actor | None) -> list[GuaranteeGivenSeen]:
    """The guarantees the signed-in borrower has given (any status, newest first) and, for each that stands (active, in
    an active group), the live loans of the group's other active members it answers for, oldest first, masked."""
    from app.services.customers.home import mask_name

    if not _customer_only(actor):
        return []
    given = await guarantees_given(actor, actor.id)
    standing = [m for m in given if m.status == "active" and m.group.status == "active"]
    others = await GuaranteeMember.filter(group_id__in=[m.group_id for m in standing], status="active").exclude(
        customer_id=actor.id).values_list("group_id", "customer_id")
    loans = await Loan.filter(customer_id__in={c for _, c in others}, status__in=LIVE_LOAN).order_by("start_on", "id").prefetch_related("customer")
    standing_ids = {m.id for m in standing}
    by_group: dict[UUID, tuple[LoanGuaranteed, ...]] = {}
    for m in standing:
        members = {c for g, c in others if g == m.group_id}
        by_group[m.group_id] = tuple(
            LoanGuaranteed(mask_name(loan.customer.name), loan.principal_fen, loan.outstanding_principal_fen, loan.maturity_on, loan.status,
                           loan.days_past_due) for loan in loans if loan.customer_id in members)
    return [GuaranteeGivenSeen(m, by_group[m.group_id] if m.id in standing_ids else ()) for m in given]


async def _live_loan_holders(group: GuaranteeGroup) -> list[GuaranteeMember]:
    """The group's active members who have a live loan (their guarantees, or the group's, still stand)."""
    members = await GuaranteeMember.filter(group_id=group.id, status="active").prefetch_related("customer")
    owing = set(await Loan.filter(customer_id__in=[m.customer_id for m in members], status__in=LIVE_LOAN).values_list("customer_id", flat=True))
    return [m for m in members if m.customer_id in owing]


async def _locked_group(actor: Actor, group_id: UUID) -> GuaranteeGroup:
    group = await GuaranteeGroup.select_for_update().get_or_none(id=group_id)
    if group is None or (actor.type != ActorType.SYSTEM and not actor.in_branch(group.branch_id)):
        raise NotFound("联保小组不存在", field="group_id")
    require(actor, Action.GUARANTEE_RELEASE, branch_id=group.branch_id)
    if group.status != "active":
        raise Conflict("联保小组已解散", code=CommonCode.WRONG_STATUS, field="group_id")
    return group


async def dissolve_group(*, actor: Actor, group_id: UUID, reason: str, now: datetime) -> GuaranteeGroup:
    """Dissolve an active group: every active member is released. Refused while any member has a live loan."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("请填写解散原因", code=CommonCode.REASON_REQUIRED, field="reason")
    async with in_transaction():
        group = await _locked_group(actor, group_id)
        owing = await _live_loan_holders(group)
        if owing:
            names = "、".join(m.customer.name for m in owing)
            raise Conflict(f"联保小组成员{names}尚有未结清的借款，保证责任未了，不能解散联保小组", field="group_id")
        released = await GuaranteeMember.filter(group_id=group.id, status="active").values_list("id", flat=True)
        await GuaranteeMember.filter(group_id=group.id, status="active").update(status="released")
        group.status = "dissolved"
        await group.save(update_fields=["status"])
        await audit.record(actor, "guarantee.dissolve", "guarantee_group", group.id, before={"status": "active"},
                           after={"status": "dissolved", "reason": reason, "released": [str(m) for m in released], "at": now.isoformat()})
    return group


async def release_member(*, actor: Actor, member_id: UUID, reason: str, now: datetime, policy: GroupPolicy = GroupPolicy()) -> GuaranteeMember:
    """One household leaves its group; its guarantee ends. Refused while any member of the group (itself included) has a
    live loan, or when fewer than the policy's minimum would remain (dissolve the group instead)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("请填写退出原因", code=CommonCode.REASON_REQUIRED, field="reason")
    member = await GuaranteeMember.get_or_none(id=member_id)
    if member is None:
        raise NotFound("联保小组成员不存在", field="member_id")
    async with in_transaction():
        group = await _locked_group(actor, member.group_id)
        member = await GuaranteeMember.select_for_update().get(id=member_id)
        await member.fetch_related("customer")
        if member.status != "active":
            raise Conflict(f"{member.customer.name}已退出联保小组", code=CommonCode.WRONG_STATUS, field="member_id")
        owing = await _live_loan_holders(group)
        if any(m.id == member.id for m in owing):
            raise Conflict(f"{member.customer.name}本人尚有未结清的借款（由联保小组担保），不能退出联保小组", field="member_id")
        if owing:
            names = "、".join(m.customer.name for m in owing)
            raise Conflict(f"{member.customer.name}仍为{names}未结清的借款承担连带保证责任，不能退出联保小组", field="member_id")
        remaining = await GuaranteeMember.filter(group_id=group.id, status="active").count() - 1
        if remaining < policy.min_households:
            raise Conflict(f"退出后联保小组只剩 {remaining} 户，少于 {policy.min_households} 户，请解散联保小组", field="member_id")
        member.status = "released"
        await member.save(update_fields=["status"])
        await audit.record(actor, "guarantee.release", "guarantee_member", member.id, before={"status": "active"},
                           after={"status": "released", "groupId": str(group.id), "reason": reason, "at": now.isoformat()})
    return member


@dataclass(frozen=True, slots=True)
class Candidate:
    """A household member of the village linked to a customer: who may sign for the household in a new group."""

    customer_id: UUID
    name: str
    id_number_masked: str
    household_id: UUID
    household_no: str
    active_groups: list[str]  # names of the household's active groups


async def group_candidates(actor: Actor, village_id: UUID) -> tuple[object, list[Candidate]]:
    """The village (in the actor's scope, else NotFound) and its members who may sign for their household, by household number."""
    village = await visible_village(actor, village_id)
    rows = await HouseholdMember.filter(household__village_id=village.id, customer_id__not_isnull=True).prefetch_related("household")
    active: dict[UUID, list[str]] = {}
    for m in await GuaranteeMember.filter(household__village_id=village.id, status="active", group__status="active").prefetch_related("group"):
        active.setdefault(m.household_id, []).append(m.group.name)
    found = [Candidate(customer_id=r.customer_id, name=r.name, id_number_masked=r.id_number_masked, household_id=r.household_id,
                       household_no=r.household.household_no, active_groups=active.get(r.household_id, [])) for r in rows]
    found.sort(key=lambda c: (c.household_no, c.name))
    return village, found


async def guarantees_of_household(actor: Actor, household_id: UUID) -> list[GuaranteeMember]:
    """The household's memberships (any status), newest first, with group and signer; out of scope reads as none."""
    household = await Household.get_or_none(id=household_id).prefetch_related("village")
    if household is None or not (actor.type == ActorType.SYSTEM or (actor.is_officer and actor.in_branch(household.village.branch_id))):
        return []
    return await GuaranteeMember.filter(household_id=household.id).order_by("-created_at").prefetch_related("group", "customer")


async def group_members(group: GuaranteeGroup) -> list[GuaranteeMember]:
    """The group's members (any status) in the order they signed, each with its customer."""
    return await GuaranteeMember.filter(group_id=group.id).order_by("created_at", "id").prefetch_related("customer")


@dataclass(frozen=True, slots=True)
class GuarantorRunReport:
    business_on: date
    opened: int


async def open_guarantor_tasks(*, on: date, actor: Actor = SYSTEM) -> GuarantorRunReport:
    """Each overdue loan of a 联保 member: a collection task and a warning for every other member, citing the guarantee (idempotent)."""
    rows = await fetch(
        "SELECT l.id AS loan_id, l.branch_id, l.days_past_due, l.customer_id AS borrower_id, c.name AS borrower_name,"
        " g.id AS guarantee_id, g.customer_id AS guarantor_id, g.contract_no, g.amount_fen, grp.name AS group_name,"
        " COALESCE(cl.officer_id, v.officer_id) AS officer_id"
        " FROM loan l JOIN credit_line cl ON cl.id = l.credit_line_id JOIN customer c ON c.id = l.customer_id"
        " LEFT JOIN village v ON v.id = c.village_id"
        " JOIN guarantee_member b ON b.customer_id = l.customer_id AND b.status = 'active'"
        " JOIN guarantee_group grp ON grp.id = b.group_id AND grp.status = 'active'"
        " JOIN guarantee_member g ON g.group_id = grp.id AND g.status = 'active' AND g.customer_id <> l.customer_id"
        " WHERE l.status = 'active' AND EXISTS (SELECT 1 FROM installment i WHERE i.loan_id = l.id AND i.status = 'overdue')"
    )
    opened = 0
    async with in_transaction():
        for r in rows:
            loan_id, guarantee_id = _uuid(r["loan_id"]), _uuid(r["guarantee_id"])
            key = f"{guarantee_id}:{loan_id}"
            if await CollectionTask.filter(open_guarantee_key=key).exists():
                continue
            task = await CollectionTask.create(
                loan_id=loan_id, customer_id=_uuid(r["guarantor_id"]), branch_id=_uuid(r["branch_id"]), officer_id=_uuid(r["officer_id"]),
                open_loan_id=None, guarantee_id=guarantee_id, open_guarantee_key=key, status=CollectionStatus.OPEN, opened_on=on,
                opened_dpd=int(r["days_past_due"]), next_action_on=on, source="guarantee",
            )
            message = (f"被担保人{r['borrower_name']}的借款已逾期 {int(r['days_past_due'])} 天；依联保保证合同 {r['contract_no']}"
                       f"（联保小组「{r['group_name']}」，担保最高额 {Money(int(r['amount_fen'])).format_yuan()}），请向保证人催收")
            await EarlyWarning.get_or_create(
                kind=WarningKind.GUARANTEE_CALLED, subject_id=uuid.uuid5(GUARANTEE_NAMESPACE, key), business_on=on,
                defaults={"severity": Severity.MEDIUM, "level": int(r["days_past_due"]), "customer_id": _uuid(r["guarantor_id"]), "loan_id": loan_id,
                          "branch_id": _uuid(r["branch_id"]), "officer_id": _uuid(r["officer_id"]), "message": message[:256],
                          "evidence": {"guaranteeId": str(guarantee_id), "contractNo": r["contract_no"], "groupName": r["group_name"],
                                       "borrowerId": str(_uuid(r["borrower_id"])), "collectionTaskId": str(task.id)},
                          "status": WarningStatus.OPEN},
            )
            opened += 1
        await audit.record(actor, "guarantee.call", "collection_task", None, after={"businessOn": on.isoformat(), "opened": opened})
    return GuarantorRunReport(business_on=on, opened=opened)


def _uuid(value) -> UUID | None:
    return None if value is None else value if isinstance(value, UUID) else UUID(str(value))

"""Shared pieces of the visit services: the policy, who may see and work on a visit, saving a step and its file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from app.domain import visit as flow
from app.domain.error_codes import CommonCode
from app.domain.errors import Forbidden, NotFound
from app.domain.permissions import Action
from app.domain.visit_file import VisitFile
from app.models import Customer, Visit
from app.domain.vocabulary import ActorType, Role
from app.services import audit
from app.services.actor import Actor
from app.services.org import authority_of_branch
from app.services.permissions import refusal, require

# Who visits customers (visit.conduct) and who approves (line.approve): app/domain/permissions.py.


@dataclass(frozen=True, slots=True)
class VisitPolicy:
    """The configurable numbers of the visit flow (app/wiring.py `visit_policy` reads them from the settings)."""

    authority: flow.Authority
    max_distance_m: int = 5_000
    product_code: str = "BIANLI"
    line_years: int = 3
    authorisation_days: int = 365
    face_fresh_minutes: int = 15
    face_threshold: float = 0.07
    max_upload_bytes: int = 10 * 1024 * 1024
    credit_report_reuse_days: int = 30
    exposure_cap_fen: int | None = 500_000_00  # a person's live lines together (app/domain/exposure.py); None: no cap


async def authority_for(visit: Visit, policy: VisitPolicy) -> flow.Authority:
    """The credit authority that applies to the visit: its bank's own matrix, else the policy's (the platform's settings)."""
    return await authority_of_branch(visit.branch_id, policy.authority)


def require_visitor(actor: Actor) -> UUID:
    if not actor.is_officer or actor.id is None:
        raise Forbidden(refusal(Action.VISIT_CONDUCT), code=CommonCode.FORBIDDEN)
    require(actor, Action.VISIT_CONDUCT)
    return actor.id


def visit_query(actor: Actor):
    """Officers see their own visits; approvers, managers, admins and auditors those of their branch tree."""
    if actor.type == ActorType.SYSTEM:
        return Visit.all()
    if not actor.is_officer or actor.id is None:
        return Visit.filter(id__in=[])
    if actor.role == Role.OFFICER:
        return Visit.filter(officer_id=actor.id)
    return Visit.filter(branch_id__in=list(actor.branch_ids))


async def visible_visit(actor: Actor, visit_id: UUID) -> Visit:
    visit = await visit_query(actor).get_or_none(id=visit_id)
    if visit is None:
        raise NotFound("走访记录不存在", field="visit_id")
    return visit


async def lock_visit(visit_id: UUID) -> Visit | None:
    """The visit's row locked for update, after its customer's row: the one lock order of everything that grants.

    A grant locks the customer (one grant per customer at a time) and the strategy's record holds a share lock on the
    customer, then on the visit. A visit locked before its customer would wait on a strategy run that waits on it, and
    PostgreSQL would kill one of the two (docs/architecture.md "Lock order").
    """
    found = await Visit.filter(id=visit_id).only("id", "customer_id").first()
    if found is None:
        return None
    await Customer.select_for_update().filter(id=found.customer_id).first()
    return await Visit.select_for_update().get_or_none(id=visit_id)


async def own_visit(actor: Actor, visit_id: UUID, *, lock: bool = False) -> Visit:
    """The visit, for its own officer only (the one at the customer's table works the steps); `lock` locks it (`lock_visit`)."""
    visit = await (lock_visit(visit_id) if lock else Visit.get_or_none(id=visit_id))
    if visit is None or actor.id is None or visit.officer_id != actor.id:
        raise NotFound("走访记录不存在", field="visit_id")
    return visit


def check_open(visit: Visit, step: str) -> None:
    flow.check_step_open(step, status=visit.status, done=visit.done_steps, skipped=visit.skipped_steps)


async def save(visit: Visit, *, file: VisitFile | None = None, done: tuple[str, ...] = (), skipped: tuple[str, ...] = (),
               **fields: Any) -> None:
    """Write the visit's file (its step data), newly done/skipped steps and other fields; recompute the resume step.

    The file is the visit's own (`visit.file`, read after the row was locked) with the step's parts replaced.
    """
    if file is not None:
        visit.data = file.to_json()
    if done:
        visit.done_steps = [s for s in flow.STEPS if s in {*visit.done_steps, *done}]
    if skipped:
        visit.skipped_steps = [s for s in flow.STEPS if s in {*visit.skipped_steps, *skipped}]
    visit.step = flow.resume_step(visit.done_steps, visit.skipped_steps)
    for name, value in fields.items():
        setattr(visit, name, value)
    await visit.save(update_fields=["data", "done_steps", "skipped_steps", "step", "updated_at", *fields.keys()])


async def complete_step(actor: Actor, visit: Visit, step: str, *, file: VisitFile | None = None, now: datetime, **fields: Any) -> None:
    """Mark a step done with its data, audited (call inside the caller's transaction)."""
    await save(visit, file=file, done=(step,), **fields)
    await audit.record(actor, f"visit.step.{step}", "visit", visit.id, after={"step": step, "at": now.isoformat()})

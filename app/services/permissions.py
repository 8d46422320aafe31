"""The one permission check every state-changing service calls: `require(actor, action, ...)`.

The policy itself is data in `app.domain.permissions`; this module maps an `Actor` to a
principal and adds the two checks that need the object in hand: scope (an officer's branch
tree, a borrower's own records) and maker-checker (nobody checks their own request).
"""

from __future__ import annotations

from uuid import UUID

from app.domain.error_codes import CommonCode
from app.domain.errors import Forbidden
from app.domain.permissions import ACTION_LABELS, CHECK_ACTIONS, HEAD_OFFICE_ACTIONS, Action, Principal, allows, allows_platform_staff
from app.domain.vocabulary import ActorType
from app.services.actor import Actor

_BY_TYPE = {ActorType.CUSTOMER: Principal.BORROWER, ActorType.API_KEY: Principal.REPORT_KEY, ActorType.SYSTEM: Principal.SYSTEM}


def principal_of(actor: Actor | None) -> Principal:
    if actor is None:
        return Principal.ANONYMOUS
    if actor.type == ActorType.OFFICER:
        return Principal(actor.role.value) if actor.role is not None else Principal.ANONYMOUS
    return _BY_TYPE[actor.type]


def may(actor: Actor | None, action: Action) -> bool:
    """The policy without the object (for doors that refuse early and for showing or hiding buttons): the role,
    and for platform staff the platform's own actions only (a bank's business is never theirs to do)."""
    if is_platform_staff(actor) and not allows_platform_staff(action):
        return False
    return allows(principal_of(actor), action)


PLATFORM_REFUSAL = "平台人员不能办理法人行业务"


def is_platform_staff(actor: Actor | None) -> bool:
    """An officer of the platform node: sees every bank, belongs to none."""
    return actor is not None and actor.type == ActorType.OFFICER and actor.bank_id is None


def refusal(action: Action) -> str:
    return f"您没有“{ACTION_LABELS[action]}”的权限"


def refusal_for(actor: Actor | None, action: Action) -> str:
    """Why `may` said no: a bank's business to platform staff, otherwise the role's missing permission."""
    return PLATFORM_REFUSAL if is_platform_staff(actor) and not allows_platform_staff(action) else refusal(action)


def require(
    actor: Actor | None, action: Action, *, branch_id: UUID | None = None, customer_id: UUID | None = None, maker_id: UUID | None = None,
    head_branch_id: UUID | None = None,
) -> None:
    """Raise `Forbidden` unless the policy allows `action` to this actor on this object.

    branch_id: the object's branch (officers must have it in their branch tree).
    customer_id: the object's customer (a borrower may act only on their own).
    maker_id: who made the request being checked (for CHECK_ACTIONS: not the checker).
    head_branch_id: the head branch of the object's bank (for HEAD_OFFICE_ACTIONS: an officer's tree must hold it, 总行).
    """
    if not may(actor, action):
        raise Forbidden(refusal_for(actor, action), code=CommonCode.FORBIDDEN)
    if actor is None:  # an anonymous caller may only sign in, which concerns no object
        return
    if branch_id is not None and actor.type == ActorType.OFFICER and not actor.in_branch(branch_id):
        raise Forbidden("该业务不在您的管辖范围内", code=CommonCode.FORBIDDEN)
    if customer_id is not None and actor.type == ActorType.CUSTOMER and not actor.is_customer(customer_id):
        raise Forbidden("仅限借款客户本人操作", code=CommonCode.FORBIDDEN)
    if action in CHECK_ACTIONS and maker_id is not None and maker_id == actor.id:
        raise Forbidden("不能审批本人发起的申请", code=CommonCode.OWN_REQUEST)
    if action in HEAD_OFFICE_ACTIONS and head_branch_id is not None and actor.type == ActorType.OFFICER and not actor.in_branch(head_branch_id):
        raise Forbidden(f"“{ACTION_LABELS[action]}”须由总行人员办理", code=CommonCode.FORBIDDEN)

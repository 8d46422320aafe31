"""Permission classes named after the rule; object scoping lives in services."""

from __future__ import annotations

import inspect
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo
from strawberry.permission import BasePermission

from app.domain.permissions import Action
from app.domain.vocabulary import ActorType, Role
from app.services.actor import Actor
from app.services.permissions import may, refusal_for


NOT_SIGNED_IN = "请先登录"


class Permission(BasePermission):
    """The one auth convention of the API (docs/mobile.md, "Conventions"): a top-level error, never a null.

    Nobody signed in (no token, or an expired or revoked one) → UNAUTHENTICATED 「请先登录」; signed in but
    not allowed → FORBIDDEN with the rule's `message`. Subclasses say only who is allowed (`allows`).
    Object scoping (whose loans) stays in the services: out of scope reads as null or an empty list.
    """

    message = "无权执行此操作"
    error_extensions = {"code": "FORBIDDEN"}

    def allows(self, actor: Actor, info: Any) -> bool:
        raise NotImplementedError

    def has_permission(self, source: Any, info, **kwargs: Any) -> bool:
        actor = info.context.actor
        if actor is None:
            raise GraphQLError(NOT_SIGNED_IN, extensions={"code": "UNAUTHENTICATED"})
        return self.allows(actor, info)


class IsSignedIn(Permission):
    message = "报表密钥只能查询报表"

    def allows(self, actor: Actor, info: Any) -> bool:
        return actor.type != ActorType.API_KEY  # report keys reach only the reports


class IsOfficer(Permission):
    message = "仅限银行工作人员"

    def allows(self, actor: Actor, info: Any) -> bool:
        return actor.is_officer


class IsCustomer(Permission):
    message = "仅限手机银行客户"

    def allows(self, actor: Actor, info: Any) -> bool:
        return actor.type == ActorType.CUSTOMER and actor.id is not None


class IsAdmin(Permission):
    message = "仅限系统管理员"

    def allows(self, actor: Actor, info: Any) -> bool:
        return actor.is_officer and actor.role == Role.ADMIN


# Which policy action each mutation performs (the policy itself: app/domain/permissions.py).
# A mutation missing here is refused by guard_mutations (and tests/contract/test_permissions_matrix.py fails).
MUTATION_ACTIONS: dict[str, Action] = {
    "signInRequestCode": Action.SESSION_SIGN_IN,
    "signInVerify": Action.SESSION_SIGN_IN,
    "tokenRefresh": Action.SESSION_SIGN_IN,
    "signOutEverywhere": Action.SESSION_SIGN_OUT,
    "cardBind": Action.CARD_BIND,
    "cardBindConfirm": Action.CARD_BIND,
    "cardUnbind": Action.CARD_UNBIND,
    "cardSetDefault": Action.CARD_SET_DEFAULT,
    "creditAuthorisationSign": Action.CREDIT_AUTHORISE,
    "loanApply": Action.LOAN_APPLY,
    "externalDataConsentSign": Action.CREDIT_AUTHORISE,
    "creditApply": Action.LOAN_APPLY,
    "creditApplicationAccept": Action.LOAN_APPLY,
    "creditApplicationReviewRequest": Action.LOAN_APPLY,
    "creditReferralDecide": Action.LINE_APPROVE,
    "loanApplicationConfirm": Action.LOAN_DISBURSE,
    "loanDrawdown": Action.LOAN_DISBURSE,
    "loanRepay": Action.LOAN_REPAY,
    "loanPrepay": Action.LOAN_PREPAY,
    "lprPublish": Action.LPR_PUBLISH,
    "loanClassFloorSet": Action.LOAN_CLASSIFY,
    "classUpgradeDecide": Action.LOAN_UPGRADE_APPROVE,
    "loanWriteOffPropose": Action.LOAN_WRITE_OFF,
    "loanReversalPropose": Action.LOAN_REVERSE,
    "loanExtendPropose": Action.LOAN_EXTEND,
    "loanExtensionApply": Action.LOAN_EXTENSION_APPLY,
    "loanExtensionApplicationDecline": Action.LOAN_EXTEND,
    "guarantorConsentSign": Action.LOAN_EXTEND,
    "guaranteeGroupForm": Action.GUARANTEE_FORM,
    "guaranteeMemberRelease": Action.GUARANTEE_RELEASE,
    "guaranteeGroupDissolve": Action.GUARANTEE_RELEASE,
    "loanRenewPropose": Action.LOAN_RENEW,
    "guaranteeRenewalSign": Action.LOAN_RENEW,
    "commandApprove": Action.COMMAND_CHECK,
    "commandReject": Action.COMMAND_CHECK,
    "loanRecover": Action.LOAN_RECOVER,
    "warningHandle": Action.WARNING_HANDLE,
    "collectionActionRecord": Action.COLLECTION_RECORD,
    "ruleSetUpload": Action.RULESET_UPLOAD,
    "ruleSetActivate": Action.RULESET_UPLOAD,
    "ruleSetUsePlatformDefault": Action.RULESET_UPLOAD,
    "listEntryAdd": Action.LIST_MANAGE,
    "listEntryRemove": Action.LIST_MANAGE,
}


def guard_mutations(graphql_schema) -> None:
    """Refuse every mutation field whose action the caller's role may not perform, before it resolves.

    A refused caller gets the field's own permission message when one of its permission classes
    refuses too (e.g. 「请先登录」 for anonymous callers), otherwise FORBIDDEN with the policy's
    message. The services check the same policy again with the object's scope; this makes every
    mutation, present and future, go through the policy (unknown ones are refused).

    The guard wraps the resolvers of the mutation type's own fields once, when the schema is built
    (app/api/schema.py). It is not a schema extension with a `resolve` hook: such a hook runs for
    every field of every answer (each scalar of each installment), which cost more than the
    fields themselves (issue 16).
    """
    mutation_type = graphql_schema.mutation_type
    if mutation_type is None:
        return
    for name, field in mutation_type.fields.items():
        field.resolve = _guarded(name, field.resolve)


def _guarded(name: str, resolve):
    action = MUTATION_ACTIONS.get(name)

    def guarded(root, info: GraphQLResolveInfo, **kwargs: Any):
        if action is None:
            raise GraphQLError("该操作尚未配置权限，已拒绝", extensions={"code": "FORBIDDEN"})
        if not may(info.context.actor, action):
            return _refuse(root, info, action, kwargs)
        return resolve(root, info, **kwargs)

    return guarded


async def _refuse(root: Any, info: GraphQLResolveInfo, action: Action, kwargs: dict) -> None:
    definition = info.parent_type.fields[info.field_name].extensions.get("strawberry-definition")
    for permission_class in getattr(definition, "permission_classes", None) or []:
        permission = permission_class()
        allowed = permission.has_permission(root, info, **kwargs)
        if inspect.isawaitable(allowed):
            allowed = await allowed
        if not allowed:
            raise GraphQLError(permission.message or "", extensions=permission.error_extensions or {"code": "FORBIDDEN"})
    if info.context.actor is None:
        raise GraphQLError(NOT_SIGNED_IN, extensions={"code": "UNAUTHENTICATED"})
    raise GraphQLError(refusal_for(info.context.actor, action), extensions={"code": "FORBIDDEN"})

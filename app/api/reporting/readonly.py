"""Report keys are read-only: a schema extension refuses every mutation sent with one (and audits it).

This holds for every mutation, present and future, whatever its permission classes say
(the sign-in mutations, for example, need no sign-in at all).
"""

from __future__ import annotations

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from app.domain.vocabulary import ActorType
from app.services import audit

MESSAGE = "报表密钥只能查询，不能修改数据"


class ReadOnlyApiKeys(SchemaExtension):
    async def on_execute(self):
        ctx = self.execution_context
        actor = getattr(ctx.context, "actor", None)
        if actor is not None and actor.type == ActorType.API_KEY and ctx.graphql_document is not None and ctx.operation_type == OperationType.MUTATION:
            await audit.record(actor, "report_key.mutation_refused", "graphql_operation", None, after={"operation": (ctx.operation_name or "")[:64]})
            ctx.result = ExecutionResult(data=None, errors=[GraphQLError(MESSAGE, extensions={"code": "FORBIDDEN"})])
        yield

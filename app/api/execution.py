"""Field execution with a short path for plain leaf fields (issue 16).

graphql-core executes every field the same way: resolve info, argument values, the resolver,
then value completion through the non-null, list, leaf and object branches. Most fields of an
answer are plain leaves of a read-only type (an installment's twelve amounts and dates): a
strawberry field with no resolver of its own, no arguments, of a scalar or enum type. For those
this executor reads the value with the field's own resolver (strawberry's basic getter) and
coerces it with the type's own `coerce_output_value`, as graphql-core would.

Whatever is not plainly fine takes graphql-core's own path, so errors and their messages do not
change: a null in a non-null field, a value the scalar refuses, anything awaitable, an exception,
fields with arguments or their own resolvers, lists, objects, `__typename`, and any schema with
per-field middleware.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLNonNull, GraphQLObjectType, is_leaf_type
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_SLOW = object()  # "let graphql-core do it"
_PLANS: dict[GraphQLObjectType, dict[str, tuple[Any, Any, bool]]] = {}


def _plain_leaves(parent_type: GraphQLObjectType) -> dict[str, tuple[Any, Any, bool]]:
    """name → (strawberry's basic getter, leaf type, non-null) for the type's plain leaf fields."""
    plan = {}
    for name, field in parent_type.fields.items():
        resolve = field.resolve
        if field.args or resolve is None or not getattr(resolve, "_is_default", False) or getattr(resolve, "__name__", "") != "_get_basic_result":
            continue
        non_null = isinstance(field.type, GraphQLNonNull)
        leaf = field.type.of_type if non_null else field.type
        if is_leaf_type(leaf):
            plan[name] = (resolve, leaf, non_null)
    return plan


class FastLeafExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_field(self, parent_type, source, field_details_list, path, position_context):  # type: ignore[no-untyped-def]
        manager = self.middleware_manager
        if manager is None or manager._middleware_resolvers is None:
            node = field_details_list[0].node
            plan = _PLANS.get(parent_type)
            if plan is None:
                plan = _PLANS[parent_type] = _plain_leaves(parent_type)
            entry = plan.get(node.name.value)
            if entry is not None and not node.arguments:
                value = self._leaf(entry, source)
                if value is not _SLOW:
                    return value
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

    def _leaf(self, entry: tuple[Any, Any, bool], source: Any) -> Any:
        resolve, leaf, non_null = entry
        try:
            value = resolve(source, None)  # strawberry's basic getter takes no info
            if value is None:
                return _SLOW if non_null else None
            if isinstance(value, Exception) or self.is_awaitable(value):
                return _SLOW
            coerced = leaf.coerce_output_value(value)
        except Exception:  # noqa: BLE001 - graphql-core's own path raises it again, located
            return _SLOW
        return _SLOW if coerced is Undefined or coerced is None else coerced

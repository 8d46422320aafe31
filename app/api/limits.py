"""Query depth and alias limits as stable validation rules.

strawberry's stock limiters build a new rule class per request, which defeats
the validation cache (~560 → ~200 req/s, docs/stack.md#graphql-validation). These rule classes are
built once per schema, so `ValidationCache` keys stay equal and a document is
checked once.
"""

from __future__ import annotations

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)


def _depth(selection_set: SelectionSetNode | None, fragments: dict, seen: frozenset[str]) -> int:
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue  # introspection meta fields do not count
            deepest = max(deepest, 1 + _depth(selection.selection_set, fragments, seen))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragments, seen))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen or name not in fragments:
                continue  # cycles and unknown fragments are reported by the standard rules
            deepest = max(deepest, _depth(fragments[name].selection_set, fragments, seen | {name}))
    return deepest


def depth_rule(max_depth: int) -> type[ValidationRule]:
    class MaxDepthRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args) -> None:
            fragments = {f.name.value: f for f in self.context.document.definitions if f.kind == "fragment_definition"}
            depth = _depth(node.selection_set, fragments, frozenset())
            if depth > max_depth:
                name = node.name.value if node.name else "anonymous"
                self.report_error(GraphQLError(f"'{name}' exceeds maximum operation depth of {max_depth}", node))

    return MaxDepthRule


def alias_rule(max_aliases: int) -> type[ValidationRule]:
    class MaxAliasesRule(ValidationRule):
        def __init__(self, context) -> None:
            super().__init__(context)
            self.count = 0

        def enter_field(self, node: FieldNode, *_args) -> None:
            if node.alias is not None:
                self.count += 1

        def leave_document(self, node, *_args) -> None:
            if self.count > max_aliases:
                self.report_error(GraphQLError(f"{self.count} aliases found. Allowed: {max_aliases}", node))

    return MaxAliasesRule

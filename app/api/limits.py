"""Query depth and alias limits as stable validation rules.

strawberry's stock limiters build a new rule class per request, which defeats
the validation cache (~560 → ~200 req/s, docs/stack.md#graphql-validation). These rule classes are
built once per schema, so `ValidationCache` keys stay equal and a document is
checked once.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)


@dataclass(slots=True)
class Measure:
    """Depth and field count of one selection set, fragments expanded (as they would execute)."""

    depth: int = 0
    fields: int = 0


class DocumentWalker:
    """Depth and size of operations, each fragment measured once (memoized).

    Without the memo a fragment spread twice per level doubles the work per level: a
    928-byte document took seconds. With it the work is linear in the document's size:
    `visits` counts the selections looked at, for the tests.
    """

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[str, Measure] = {}
        self.visiting: set[str] = set()
        self.visits = 0

    def measure(self, selection_set: SelectionSetNode | None) -> Measure:
        total = Measure()
        if selection_set is None:
            return total
        for selection in selection_set.selections:
            self.visits += 1
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__"):
                    continue  # introspection meta fields do not count
                inner = self.measure(selection.selection_set)
                total.depth = max(total.depth, 1 + inner.depth)
                total.fields = min(FIELD_CEILING, total.fields + 1 + inner.fields)
            else:
                inner = self.measure(selection.selection_set) if isinstance(selection, InlineFragmentNode) else self._fragment(selection.name.value)
                total.depth = max(total.depth, inner.depth)
                total.fields = min(FIELD_CEILING, total.fields + inner.fields)
        return total

    def _fragment(self, name: str) -> Measure:
        if name in self.memo:
            return self.memo[name]
        if name in self.visiting or name not in self.fragments:
            return Measure()  # cycles and unknown fragments are reported by the standard rules
        self.visiting.add(name)
        self.memo[name] = self.measure(self.fragments[name].selection_set)
        self.visiting.discard(name)
        return self.memo[name]


FIELD_CEILING = 10**9  # counts stop growing here (a doubling document would otherwise build huge integers)


def _walker(context) -> DocumentWalker:
    fragments = {f.name.value: f for f in context.document.definitions if isinstance(f, FragmentDefinitionNode)}
    return DocumentWalker(fragments)


def depth_rule(max_depth: int, max_fields: int = 5_000) -> type[ValidationRule]:
    """Depth (fields nested) and size (fields selected, fragments expanded) of each operation."""

    class MaxDepthRule(ValidationRule):
        def __init__(self, context) -> None:
            super().__init__(context)
            self.walker = _walker(context)  # one memo for every operation of the document

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args) -> None:
            measured = self.walker.measure(node.selection_set)
            name = node.name.value if node.name else "anonymous"
            if measured.depth > max_depth:
                self.report_error(GraphQLError(f"'{name}' exceeds maximum operation depth of {max_depth}", node))
            if measured.fields > max_fields:
                self.report_error(GraphQLError(f"'{name}' selects too many fields (more than {max_fields}, fragments expanded)", node))

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

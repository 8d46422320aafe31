"""Domain enums in the schema: the names are the domain's members, the value descriptions its labels.

`strawberry.enum(cls)` would publish a domain enum with bare values; `domain_enum` does the same and
gives each value the Chinese label the domain keeps for it (`member.label`, or the domain's own label
table passed in), so the label has one home, beside its enum (tests/contract/test_vocabulary_homes.py),
and the schema shows it (tests/contract/test_schema_lint.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, TypeVar

import strawberry

E = TypeVar("E", bound=type[Enum])


def domain_enum(
    cls: E, *, description: str, name: str | None = None, labels: Mapping[Any, str] | None = None,
    explain: Callable[[Any, str], str] | None = None,
) -> E:
    """`strawberry.enum(cls)` with every value described by its domain label.

    `labels`: the domain's table when the enum has no `label` property. `explain(member, label)`: a
    longer description built from the label, for a value whose bare label says too little.
    """
    wrapped = strawberry.enum(cls, name=name, description=description)
    for value in wrapped.__strawberry_definition__.values:  # type: ignore[attr-defined]
        member = cls(value.value)
        label = labels[member] if labels is not None else member.label  # type: ignore[attr-defined]
        value.description = explain(member, label) if explain else label
    return wrapped


def values_text(cls: type[Enum], labels: Mapping[Any, str] | None = None) -> str:
    """"active 有效、frozen 冻结…": the wire values of a domain enum a field still carries as a string, with the domain's labels."""
    return "、".join(f"{m.value} {labels[m] if labels is not None else m.label}" for m in cls)  # type: ignore[attr-defined]

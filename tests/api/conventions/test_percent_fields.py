"""One convention for proportions (issue 16): a share or a rate is a percent string named …Percent, never …Ratio."""

from __future__ import annotations

from graphql import GraphQLObjectType, get_named_type

from app.api.schema import schema


def _fields():
    for type_ in schema._schema.type_map.values():
        if isinstance(type_, GraphQLObjectType) and not type_.name.startswith("__"):
            for name, field in type_.fields.items():
                yield type_.name, name, field


def test_no_field_is_named_ratio():
    assert [f"{t}.{n}" for t, n, _ in _fields() if "ratio" in n.lower()] == []


def test_every_percent_field_is_a_decimal_string_described_as_percent():
    percent = [(t, n, f) for t, n, f in _fields() if n.endswith("Percent")]
    assert {f"{t}.{n}" for t, n, _ in percent} >= {"PortfolioFigures.nplPercent", "CoverageFigures.grantedPercent"}
    for t, n, f in percent:
        assert get_named_type(f.type).name == "Decimal", f"{t}.{n}"
        assert "百分数" in (f.description or ""), f"{t}.{n}"

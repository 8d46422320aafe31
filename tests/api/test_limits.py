from graphql import build_schema, parse, validate

from app.api.limits import alias_rule, depth_rule

SCHEMA = build_schema("type Node { child: Node name: String } type Query { root: Node }")


def _errors(query, rule):
    return [e.message for e in validate(SCHEMA, parse(query), [rule])]


def test_depth_counts_through_fragments():
    query = "query Q { root { ...A } } fragment A on Node { child { child { name } } }"
    assert _errors(query, depth_rule(4)) == []
    assert _errors(query, depth_rule(3)) == ["'Q' exceeds maximum operation depth of 3"]


def test_depth_ignores_introspection_and_survives_fragment_cycles():
    assert _errors("query I { __schema { types { fields { type { name } } } } }", depth_rule(1)) == []
    cyclic = "query C { root { ...A } } fragment A on Node { child { ...A } }"
    assert _errors(cyclic, depth_rule(5)) == []  # the standard NoFragmentCycles rule reports the cycle


def test_aliases_are_counted_across_the_document():
    query = "query A { a: root { n1: name n2: name } b: root { name } }"
    assert _errors(query, alias_rule(4)) == []
    assert _errors(query, alias_rule(3)) == ["4 aliases found. Allowed: 3"]

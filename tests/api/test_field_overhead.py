"""Issue 16 (speed): nothing runs per field of an answer but the field itself.

A schema extension that implements `resolve` becomes graphql-core middleware around every field
of every answer (each scalar of each installment); the mutation policy is applied to the mutation
fields once, when the schema is built (app/api/permissions.py: guard_mutations).
"""

from app.api.schema import schema


def test_no_schema_extension_wraps_every_field():
    per_field = [type(ext).__name__ for ext in schema.get_extensions() if ext._implements_resolve()]
    assert per_field == []


def test_query_fields_resolve_unwrapped_and_every_mutation_is_guarded():
    mutations = schema._schema.mutation_type.fields
    assert mutations and all(f.resolve.__name__ == "guarded" for f in mutations.values())
    query_fields = schema._schema.query_type.fields
    assert all(getattr(f.resolve, "__name__", "") != "guarded" for f in query_fields.values())

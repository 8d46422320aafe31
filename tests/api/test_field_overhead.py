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


# --- plain leaf fields take a short path (app/api/execution.py) with graphql-core's answers and errors

import enum  # noqa: E402

import strawberry  # noqa: E402
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext  # noqa: E402

from app.api.context import Context  # noqa: E402
from app.api.execution import FastLeafExecutionContext, _plain_leaves  # noqa: E402

PREVIEW = """{ schedulePreview(input: {principal: "12000.00", annualRatePercent: "4.5", termMonths: 3, method: EQUAL_INSTALLMENT,
  startDate: "2026-01-10"}) { __typename totalInterest totalPayment installments { number dueDate principal interest payment
  remainingPrincipal } errors { field code message } } }"""
BAD_PREVIEW = PREVIEW.replace('"12000.00"', '"-1"')


async def _both(a_schema, query: str, context=None):
    fast = await a_schema.execute(query, context_value=context)
    chosen = a_schema.execution_context_class
    a_schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
    try:
        stock = await a_schema.execute(query, context_value=context)
    finally:
        a_schema.execution_context_class = chosen
    return fast, stock


async def test_plain_leaves_take_the_short_path_with_the_same_answer():
    assert schema.execution_context_class is FastLeafExecutionContext
    leaves = _plain_leaves(schema._schema.type_map["ScheduleInstallment"])
    assert set(leaves) == {"number", "dueDate", "principal", "interest", "payment", "remainingPrincipal"}
    for query in (PREVIEW, BAD_PREVIEW):  # amounts, dates, ints; null amounts and an error enum
        fast, stock = await _both(schema, query, Context(request=None, actor=None))
        assert fast.errors is None and fast.data == stock.data
    assert fast.data["schedulePreview"]["errors"][0]["field"] == "principal"


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"


@strawberry.type
class Thing:
    name: str
    note: str | None
    colour: Colour
    count: int


@strawberry.type
class ThingQuery:
    @strawberry.field
    def things(self) -> list[Thing | None]:  # an item with an error becomes null on its own
        return [Thing(name="a", note=None, colour=Colour.RED, count=1), Thing(name=None, note="x", colour=Colour.RED, count=2),  # type: ignore[arg-type]
                Thing(name="c", note=None, colour="purple", count="many")]  # type: ignore[arg-type]


async def test_nulls_and_bad_values_get_graphql_cores_own_errors():
    things = strawberry.Schema(query=ThingQuery, execution_context_class=FastLeafExecutionContext)
    fast, stock = await _both(things, "{ things { name note colour count } }")
    assert fast.data == stock.data
    assert len(fast.errors) == 2  # the null name; the refused enum value (its item is then null, as graphql-core does)
    assert [(e.message, e.path) for e in fast.errors] == [(e.message, e.path) for e in stock.errors]
    assert any("Cannot return null for non-nullable field Thing.name" in e.message for e in fast.errors)

"""Every part of the public GraphQL schema says what it is: a schema lint written with graphql-core.

The schema is the API's product documentation (docs/mobile.md, docs/reporting.md): app developers and
BI engineers read it in GraphiQL or in graphql/schema.graphql. This walks the schema built from
app/api/schema.py — every object type, interface, union, input type, enum, custom scalar, their fields,
arguments, input fields and enum values — and fails listing each one that has no description, or one
without any Chinese in it (a library's English default left in place).
"""

from __future__ import annotations

import re

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    specified_scalar_types,
)

from app.api.schema import schema


CJK = re.compile(r"[\u4e00-\u9fff]")


def _blank(description: str | None) -> bool:
    """No description, or one with no Chinese in it (the API describes itself in Simplified Chinese)."""
    return description is None or not CJK.search(description)


def undocumented(graphql_schema: GraphQLSchema) -> list[str]:
    """The schema coordinates (`Type`, `Type.field`, `Type.field(arg:)`, `Enum.VALUE`) that lack a description."""
    missing: list[str] = []
    for name, named in sorted(graphql_schema.type_map.items()):
        if name.startswith("__") or name in specified_scalar_types:
            continue
        if isinstance(named, GraphQLScalarType | GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType | GraphQLInputObjectType | GraphQLEnumType) and _blank(named.description):
            missing.append(name)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in named.fields.items():
                if _blank(field.description):
                    missing.append(f"{name}.{field_name}")
                missing.extend(f"{name}.{field_name}({arg_name}:)" for arg_name, arg in field.args.items() if _blank(arg.description))
        elif isinstance(named, GraphQLInputObjectType):
            missing.extend(f"{name}.{field_name}" for field_name, field in named.fields.items() if _blank(field.description))
        elif isinstance(named, GraphQLEnumType):
            missing.extend(f"{name}.{value_name}" for value_name, value in named.values.items() if _blank(value.description))
    return missing


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    missing = undocumented(schema._schema)
    assert missing == [], f"{len(missing)} schema elements without a Chinese description (strawberry description=):\n" + "\n".join(missing)


def test_the_lint_sees_every_kind_of_gap() -> None:
    sdl = '''
    "分" scalar Fen
    scalar Bare
    "in English only" scalar English
    "查询" type Query { "字段" a(x: Int, "参数" y: Int): Thing  b: Int }
    "接口" interface Thing { "全局 ID" id: ID! }
    "输入" input Filter { "状态" status: Status  other: Int }
    "枚举" enum Status { "开" ON  OFF }
    union Either = Query
    '''
    assert undocumented(build_schema(sdl)) == ["Bare", "Either", "English", "Filter.other", "Query.a(x:)", "Query.b", "Status.OFF"]

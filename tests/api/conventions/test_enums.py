"""Closed sets are GraphQL enums built from the domain's own enums (issue 16): a wrong value is a validation error."""

from __future__ import annotations

from datetime import UTC, datetime

from graphql import GraphQLEnumType, GraphQLList, GraphQLNonNull, get_named_type

from app.api.schema import schema
from app.domain.rules.strategies import LimitTerm
from app.domain.vocabulary import LoanStatus
from app.services.auth import officers as auth
from tests.factories import DEMO_PASSWORD

# field or argument coordinate -> the domain enum whose members it takes
CLOSED_SETS = {
    "CreditLine.status": "CreditLineStatus",
    "Installment.status": "InstallmentStatus",
    "Loan.status": "LoanStatus",
    "Loan.lprTenor": "LprTenor",
    "Loan.classification": "LoanClassification",
    "LprRate.tenor": "LprTenor",
    "DrawdownQuote.lprTenor": "LprTenor",
    "LedgerLine.account": "LedgerAccount",
    "Transaction.kind": "LedgerKind",
    "CollectionTask.closeReason": "CollectionCloseReason",
    "RiskHit.kind": "RiskOutcome",
    "RiskDecision.purpose": "RiskPurpose",
    "RiskDecision.decision": "RiskOutcome",
    "StrategyDecision.decision": "RiskOutcome",
    "StrategyDecision.limitBinding": "StrategyLimitTerm",
    "ClassUpgradeProposal.status": "ClassUpgradeProposalStatus",
    "Query.lprRates(tenor:)": "LprTenor",
    "Query.creditLines(status:)": "CreditLineStatus",
    "Query.loans(status:)": "LoanStatus",
    "CustomerViewer.loans(status:)": "LoanStatus",
}


def _type_at(coordinate: str):
    type_name, _, rest = coordinate.partition(".")
    field_name, _, arg = rest.partition("(")
    field = schema._schema.type_map[type_name].fields[field_name]
    return get_named_type(field.args[arg.rstrip(":)")].type if arg else field.type)


def test_every_closed_set_is_an_enum_with_described_values():
    wrong = {c: str(_type_at(c)) for c, enum_name in CLOSED_SETS.items() if str(_type_at(c)) != enum_name}
    assert wrong == {}
    for enum_name in set(CLOSED_SETS.values()):
        enum_type = schema._schema.type_map[enum_name]
        assert isinstance(enum_type, GraphQLEnumType) and enum_type.description
        assert [name for name, value in enum_type.values.items() if not value.description] == [], enum_name


def test_loan_status_values_are_the_domain_members_with_their_labels():
    enum_type = schema._schema.type_map["LoanStatus"]
    assert {name: value.description for name, value in enum_type.values.items()} == {m.name: m.label for m in LoanStatus}


def test_limit_terms_are_the_strategy_terms_with_their_labels():
    # given the strategy's limit terms (app/domain/rules/strategies.py), when the schema publishes them
    enum_type = schema._schema.type_map["StrategyLimitTerm"]
    # then each is an upper-case value described by its Chinese label
    assert {name: value.description for name, value in enum_type.values.items()} == {m.name: m.label for m in LimitTerm}
    assert set(enum_type.values) >= {"APPRAISAL", "PRODUCT_MAX", "INCOME_MULTIPLE", "DEBT_TO_INCOME"}


async def _officer():
    token, _ = await auth.login(username="officer1", password=DEMO_PASSWORD, now=datetime.now(UTC), session_hours=1)
    return {"Authorization": f"Bearer {token}"}


async def test_a_wrong_status_filter_is_a_validation_error(client, demo):
    headers = await _officer()
    response = await client.post("/graphql", json={"query": '{ loans(status: "ACTIVE") { totalCount } }'}, headers=headers)
    body = response.json()
    assert body.get("data") is None and len(body["errors"]) == 1
    assert "Unexpected error" not in body["errors"][0]["message"]
    assert "LoanStatus" in body["errors"][0]["message"]


async def test_the_status_filter_takes_the_enum(client, demo):
    headers = await _officer()
    response = await client.post("/graphql", json={"query": "{ loans(status: SETTLED) { totalCount edges { node { status } } } }"}, headers=headers)
    body = response.json()
    assert "errors" not in body
    assert all(e["node"]["status"] == "SETTLED" for e in body["data"]["loans"]["edges"])

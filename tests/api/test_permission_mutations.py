"""The permission policy through the GraphQL door: refused roles move no money, and every mutation
refuses every principal that docs/permissions.md refuses."""

import base64
import uuid
from datetime import UTC, datetime

import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType

from app.api.context import Context
from app.api.permissions import MUTATION_ACTIONS
from app.api.schema import schema
from app.config import ROOT
from app.integrations.core_banking import SandboxCoreBanking
from app.models import AuditEvent, LedgerEntry, LedgerTransaction, Loan
from app.domain.vocabulary import ActorType, Role
from app.services import business_date
from app.services.auth import officers as auth
from app.services.actor import SYSTEM, Actor
from app.services.lending.drawdown import draw_down
from tests.contract.test_permissions_matrix import MATRIX
from tests.factories import DEMO_PASSWORD, customer_with_line
from tests.fakes import RecordingCore
from tests.services.lending.conftest import TODAY

STAFF = {Role.AUDITOR: "auditor", Role.ADMIN: "admin", Role.APPROVER: "approver", Role.OFFICER: "officer1", Role.BRANCH_MANAGER: "manager"}


def _gid(type_name: str, pk) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def _bearer(username: str) -> dict:
    token, _ = await auth.login(username=username, password=DEMO_PASSWORD, now=datetime.now(UTC), session_hours=1)
    return {"Authorization": f"Bearer {token}"}


async def _post(client, name: str, variables: dict, headers: dict) -> dict:
    query = (ROOT / "tests" / "api" / "documents" / "LoanDrawdown.graphql").read_text(encoding="utf-8") if name == "LoanDrawdown" else (
        (ROOT / "graphql" / "mobile" / f"{name}.graphql").read_text(encoding="utf-8"))
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200
    return response.json()


def _forbidden(body: dict, message: str) -> None:
    assert body["data"] is None
    assert [(e["extensions"]["code"], e["message"]) for e in body["errors"]] == [("FORBIDDEN", message)]


@pytest.mark.parametrize("username", ["auditor", "admin"])
async def test_auditors_and_admins_cannot_draw_and_nothing_is_booked(app, client, demo, vault, username):
    # given a customer's active line, and a core that records every call
    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    app.state.core = core = RecordingCore()
    variables = {"input": {"creditLineId": _gid("CreditLine", line.id), "amount": "1000.00", "termMonths": 12, "method": "EQUAL_INSTALLMENT",
                           "idempotencyKey": str(uuid.uuid4())}}
    # when the auditor (or the admin) draws
    body = await _post(client, "LoanDrawdown", variables, await _bearer(username))
    # then it is refused, and no loan, ledger entry, core call or used limit exists
    _forbidden(body, "您没有“用信放款”的权限")
    assert await Loan.all().count() == 0 and await LedgerEntry.all().count() == 0
    assert core.calls == []
    await line.refresh_from_db()
    assert line.used_fen == 0
    assert await AuditEvent.filter(action="loan.drawdown").count() == 0


@pytest.mark.parametrize("username", ["auditor", "admin"])
async def test_auditors_and_admins_cannot_prepay_and_the_card_is_not_debited(app, client, demo, vault, username):
    # given a loan drawn at the counter
    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=1_200_000, term_months=12, method="equal_installment",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    transactions = await LedgerTransaction.all().count()
    app.state.core = core = RecordingCore()
    # when the auditor (or the admin) prepays it in full, or repays
    prepaid = await _post(client, "LoanPrepay", {"input": {"loanId": _gid("Loan", loan.id), "idempotencyKey": str(uuid.uuid4())}},
                          await _bearer(username))
    repaid = await _post(client, "LoanRepay", {"input": {"loanId": _gid("Loan", loan.id), "amount": "100.00", "idempotencyKey": str(uuid.uuid4())}},
                         await _bearer(username))
    # then both are refused and nothing moved
    _forbidden(prepaid, "您没有“提前还款”的权限")
    _forbidden(repaid, "您没有“还款”的权限")
    assert core.calls == []
    assert await LedgerTransaction.all().count() == transactions
    await loan.refresh_from_db()
    assert loan.outstanding_principal_fen == 1_200_000 and loan.status == "active"


async def test_a_branch_officer_may_still_draw_at_the_counter(app, client, demo, vault):
    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    app.state.core = core = RecordingCore()
    variables = {"input": {"creditLineId": _gid("CreditLine", line.id), "amount": "1000.00", "termMonths": 12, "method": "EQUAL_INSTALLMENT",
                           "idempotencyKey": str(uuid.uuid4())}}
    body = await _post(client, "LoanDrawdown", variables, await _bearer("officer1"))
    assert body["data"]["loanDrawdown"]["errors"] == [] and body["data"]["loanDrawdown"]["loan"]["principal"] == "1000.00"
    assert core.calls == ["disburse"] and await Loan.all().count() == 1


# --- every mutation x every refused principal ---------------------------------------------------


def _dummy(type_):
    """A value of this input type that passes variable coercion (the guard runs before any resolver)."""
    if isinstance(type_, GraphQLNonNull):
        return _dummy(type_.of_type)
    if isinstance(type_, GraphQLList):
        return []
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return {name: _dummy(f.type) for name, f in type_.fields.items() if isinstance(f.type, GraphQLNonNull)}
    assert isinstance(type_, GraphQLScalarType)
    return {"Int": 1, "Boolean": False, "Date": "2026-11-27", "DateTime": "2026-11-27T00:00:00+00:00", "UUID": str(uuid.uuid4()),
            "Decimal": "1.00"}.get(type_.name, "x")


def _call(name: str) -> tuple[str, dict]:
    field = schema._schema.mutation_type.fields[name]
    if "input" not in field.args:
        return f"mutation {{ {name} {{ __typename }} }}", {}
    input_type = field.args["input"].type
    return f"mutation M($input: {input_type}) {{ {name}(input: $input) {{ __typename }} }}", {"input": _dummy(input_type)}


def _actors(customer_id) -> dict[str, Actor | None]:
    staff = {r.value: Actor(type=ActorType.OFFICER, id=uuid.uuid4(), role=r, branch_ids=frozenset(), bank_id=uuid.uuid4()) for r in Role}
    return {**staff, "borrower": Actor(type=ActorType.CUSTOMER, id=customer_id), "anonymous": None,
            "report_key": Actor(type=ActorType.API_KEY, id=uuid.uuid4())}


@pytest.mark.parametrize("name", sorted(MUTATION_ACTIONS))
async def test_every_mutation_refuses_the_principals_the_matrix_refuses(db, name):
    action = MUTATION_ACTIONS[name].value
    actors = _actors(uuid.uuid4())
    query, variables = _call(name)
    refused = [p for p in actors if not MATRIX[action][p]]
    for principal in refused:
        result = await schema.execute(query, variable_values=variables, context_value=Context(request=None, actor=actors[principal]))
        codes = {e.extensions.get("code") for e in result.errors or []}
        # FORBIDDEN, or the field's own refusal (the mobile's customer-only fields answer UNAUTHENTICATED to staff)
        assert codes and codes <= {"FORBIDDEN", "UNAUTHENTICATED"}, (name, principal, result.errors)
        assert result.data is None, (name, principal)
    assert await AuditEvent.exclude(action="report_key.mutation_refused").count() == 0  # nothing resolved, nothing recorded

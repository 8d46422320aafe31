"""The permission policy against its reviewed specification (docs/permissions.md) and the doors.

Expectations come from the document, never from the policy itself: a wrong cell in
`app/domain/permissions.py` fails here. Every GraphQL mutation of the schema and every unsafe
PAD route of the router must have a row. The invariants are hard-coded below.
"""

from __future__ import annotations

import re
import uuid

import pytest

from app.api.permissions import MUTATION_ACTIONS
from app.api.schema import schema
from app.config import ROOT
from app.domain.errors import Forbidden
from app.domain.permissions import POLICY, Action, Principal, allows
from app.domain.vocabulary import ActorType, Role
from app.services.actor import Actor
from app.services.permissions import require
from ui.permissions import ROUTE_ACTIONS
from ui.routes import routes

DOC = (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")
TICK = re.compile(r"`([^`]+)`")

# Hard-coded invariants (not read from the policy).
CHANGES_ONLY_OWN_SESSION = {"session.sign_in", "session.sign_out", "face.login"}
READS = {"report.read"}
MONEY = {"loan.disburse", "loan.repay", "loan.prepay"}
CREDIT = {"line.grant", "line.approve", "appraisal.approve"}
CHECKS = {"line.approve", "appraisal.approve"}


def _table(header: str) -> list[list[str]]:
    """The rows (cells stripped) of the markdown table whose header line starts with `header`."""
    lines = DOC.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows[2:] if rows else []


def _matrix() -> dict[str, dict[str, bool]]:
    lines = DOC.splitlines()
    header = next(line for line in lines if line.startswith("| action |"))
    columns = [c.strip() for c in header.strip().strip("|").split("|")][1:]
    matrix = {}
    for cells in _table("| action |"):
        action = TICK.search(cells[0]).group(1)
        assert action not in matrix, f"{action} twice in docs/permissions.md"
        assert all(c in ("✓", "·") for c in cells[1:]), cells
        matrix[action] = dict(zip(columns, (c == "✓" for c in cells[1:]), strict=True))
    return matrix


MATRIX = _matrix()


def _doc_doors(header: str) -> dict[str, str]:
    return {TICK.search(cells[-2]).group(1): TICK.search(cells[-1]).group(1) for cells in _table(header)}


def _unsafe_routes() -> dict[str, set[str]]:
    return {r.name: set(r.methods or ()) - {"GET", "HEAD"} for r in routes if set(r.methods or ()) - {"GET", "HEAD"}}


# --- the document is the policy ---------------------------------------------------------------


def test_the_matrix_names_every_action_and_every_principal():
    assert set(MATRIX) == {a.value for a in Action}
    for action, cells in MATRIX.items():
        assert set(cells) == {p.value for p in Principal}, action


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_policy_cells_equal_the_reviewed_matrix(action):
    for principal in Principal:
        expected = MATRIX[action.value][principal.value]
        assert (principal in POLICY[action]) is expected, f"POLICY[{action}] vs docs for {principal}"
        assert allows(principal, action) is expected, f"allows({principal}, {action}) vs docs"


# --- every door has an entry ------------------------------------------------------------------


def test_every_graphql_mutation_maps_to_the_documented_action():
    mutations = set(schema._schema.mutation_type.fields)
    documented = _doc_doors("| mutation | action |")
    assert mutations == set(MUTATION_ACTIONS), "add the mutation to MUTATION_ACTIONS (app/api/permissions.py)"
    assert mutations == set(documented), "add the mutation to docs/permissions.md"
    assert {m: a.value for m, a in MUTATION_ACTIONS.items()} == documented


def test_every_unsafe_pad_route_maps_to_the_documented_action():
    unsafe = _unsafe_routes()
    rows = _table("| route | name | action |")
    documented = {TICK.search(c[1]).group(1): TICK.search(c[2]).group(1) for c in rows}
    assert set(unsafe) == set(ROUTE_ACTIONS), "add the route to ROUTE_ACTIONS (ui/permissions.py)"
    assert set(unsafe) == set(documented), "add the route to docs/permissions.md"
    assert {n: a.value for n, a in ROUTE_ACTIONS.items()} == documented
    paths = {r.name: r.path for r in routes}
    for cells in rows:
        method_path, name = TICK.search(cells[0]).group(1), TICK.search(cells[1]).group(1)
        assert method_path == f"{' '.join(sorted(unsafe[name]))} {paths[name]}", name


# --- invariants (hard-coded) ------------------------------------------------------------------


@pytest.mark.parametrize("principal", [Principal.AUDITOR, Principal.REPORT_KEY])
def test_read_only_principals_change_nothing(principal):
    door_actions = {a.value for a in MUTATION_ACTIONS.values()} | {a.value for a in ROUTE_ACTIONS.values()}
    for action in Action:
        if action.value in CHANGES_ONLY_OWN_SESSION | READS:
            continue
        assert not allows(principal, action), action
        assert principal not in POLICY[action], action
        assert not MATRIX[action.value][principal.value], action
    assert door_actions - CHANGES_ONLY_OWN_SESSION - READS, "the doors perform changes"


def test_admins_move_no_money_and_grant_no_credit():
    for action in MONEY | CREDIT:
        assert not allows(Principal.ADMIN, Action(action)), action
        assert Principal.ADMIN not in POLICY[Action(action)], action
        assert not MATRIX[action]["admin"], action


def test_a_mutation_taking_an_idempotency_key_is_refused_to_admins_and_auditors():
    """Money-moving mutations take an idempotency key: whatever their name and action, admins and auditors are refused."""
    for name, field in schema._schema.mutation_type.fields.items():
        arg = field.args.get("input")
        if arg is None or "idempotencyKey" not in arg.type.of_type.fields:
            continue
        action = MUTATION_ACTIONS[name]
        assert not allows(Principal.ADMIN, action) and not allows(Principal.AUDITOR, action), name


def _actor(role: Role, *, bank_id: uuid.UUID | None = None) -> Actor:
    """An officer of a member bank (or, with `platform_staff`, of the platform node: no bank)."""
    return Actor(type=ActorType.OFFICER, id=uuid.uuid4(), role=role, branch_ids=frozenset(), bank_id=bank_id or uuid.uuid4())


def _platform_staff(role: Role) -> Actor:
    return Actor(type=ActorType.OFFICER, id=uuid.uuid4(), role=role, branch_ids=frozenset(), bank_id=None)


# What platform staff may do (docs/permissions.md rule 8), hard-coded: read, own session, administer the platform.
# A platform admin's rule-set change is a platform command a second platform admin checks (ruleset.upload_approve, command.check).
PLATFORM_MAY = READS | CHANGES_ONLY_OWN_SESSION | {"bank.manage", "officer.manage", "report_key.manage", "lpr.publish", "ruleset.upload",
                                                   "ruleset.upload_approve", "command.check", "face.reset"}


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_platform_staff_do_no_banks_business(role):
    actor = _platform_staff(role)
    for action in Action:
        if not MATRIX[action.value][role.value]:
            continue
        if action.value in PLATFORM_MAY:
            require(actor, action)
            continue
        with pytest.raises(Forbidden) as refused:
            require(actor, action)
        assert refused.value.message == "平台人员不能办理法人行业务", action
    assert not (MONEY | CREDIT) & PLATFORM_MAY


def test_the_platform_rule_is_in_the_document():
    assert "平台人员不能办理法人行业务" in DOC
    for action in PLATFORM_MAY - READS - CHANGES_ONLY_OWN_SESSION:
        assert f"`{action}`" in DOC.split("## The matrix")[0], action


@pytest.mark.parametrize("action", sorted(CHECKS))
def test_nobody_checks_their_own_request(action):
    allowed = [r for r in Role if MATRIX[action][r.value]]
    assert allowed, action
    for role in allowed:
        actor = _actor(role)
        require(actor, Action(action), maker_id=uuid.uuid4())  # someone else's request: allowed
        with pytest.raises(Forbidden) as refused:
            require(actor, Action(action), maker_id=actor.id)
        assert refused.value.code == "OWN_REQUEST"


def _cli_commands() -> set[str]:
    import typer.main

    from app.cli import cli

    names: set[str] = set()

    def walk(command, prefix: str) -> None:
        subcommands = getattr(command, "commands", None)
        if not subcommands:
            names.add(prefix.strip())
            return
        for name, sub in subcommands.items():
            walk(sub, f"{prefix}{name} ")

    walk(typer.main.get_command(cli), "")
    return names


def test_every_cli_command_is_in_the_document():
    rows = {TICK.search(cells[0]).group(1): cells[1] for cells in _table("| command | action |")}
    assert set(rows) == _cli_commands(), "add the command to docs/permissions.md (command line and workers)"
    for command, cell in rows.items():
        if cell != "—":
            action = Action(TICK.search(cell).group(1))
            assert allows(Principal.SYSTEM, action), command

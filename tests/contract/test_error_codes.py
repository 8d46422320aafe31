"""Every error code a service can raise has a name in the API: no code silently becomes INVALID.

The codes are read from the source: the `code=` of every DomainError (or subclass) raised under
`app/services` and `app/domain`, and the `code =` of every DomainError subclass there. A code
written `Area.NAME` counts as NAME; a pass-through (`code=exc.code`) adds nothing new.
"""

from __future__ import annotations

import ast
from pathlib import Path

from graphql import GraphQLEnumType

from app.api.schema import schema
from app.config import ROOT

LAYERS = ("app/services", "app/domain")
TYPE_NAMES_ONLY = ("app/services/ports.py",)  # the adapters' types for the doors' hints: no call goes through it


def _error_classes(paths: list[Path]) -> set[str]:
    """DomainError and every class under the layers that derives from one (by name, to a fixed point)."""
    names = {"DomainError", "ValidationError", "NotFound", "Forbidden", "Conflict"}
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in paths]
    grew = True
    while grew:
        grew = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names and any(_name(b) in names for b in node.bases):
                    names.add(node.name)
                    grew = True
    return names


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _code(node: ast.expr) -> str | None:
    """A literal code or an enum member's name; None for a pass-through such as exc.code."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id.endswith("Code"):
        return node.attr
    return None


def raised_codes(paths: list[Path]) -> dict[str, set[str]]:
    """code -> the files that raise it (relative paths)."""
    errors = _error_classes(paths)
    found: dict[str, set[str]] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            values: list[ast.expr] = []
            if isinstance(node, ast.Call) and _name(node.func) in errors:
                values += [kw.value for kw in node.keywords if kw.arg == "code"]
            if isinstance(node, ast.ClassDef) and any(_name(b) in errors for b in node.bases):
                for stmt in node.body:
                    target = stmt.targets[0] if isinstance(stmt, ast.Assign) else getattr(stmt, "target", None)
                    if isinstance(target, ast.Name) and target.id == "code" and stmt.value is not None:
                        values.append(stmt.value)
            for value in values:
                code = _code(value)
                if code is not None:
                    found.setdefault(code, set()).add(str(path.relative_to(ROOT)))
    return found


def _sources() -> list[Path]:
    return sorted(p for layer in LAYERS for p in (ROOT / layer).rglob("*.py"))


def api_error_names() -> set[str]:
    """The API's error vocabulary: the names of every GraphQL error-code enum in the schema."""
    types = schema._schema.type_map.values()
    return {name for t in types if isinstance(t, GraphQLEnumType) and t.name.endswith("ErrorCode") for name in t.values}


def _api_modules() -> set[Path]:
    """The service modules the GraphQL layer reaches by imports (transitively).

    Domain modules are left out: the API imports many for a constant or a label, and the domain
    codes a service lets through belong to areas the payload enums include whole (a credit
    report's parse errors in `CreditReportCode`, schedule and money errors in `LendingCode`).
    """
    seen: set[Path] = set()
    todo = list((ROOT / "app/api").rglob("*.py"))
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        if str(path.relative_to(ROOT)) not in TYPE_NAMES_ONLY:
            todo += [p for p in _imported(path) if p not in seen]
    return {p for p in seen if p.is_relative_to(ROOT / "app/services")}


def _imported(path: Path) -> list[Path]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        modules = []
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        for module in modules:
            if module.startswith("app."):
                base = ROOT.joinpath(*module.split("."))
                out += [p for p in (base.with_suffix(".py"), base / "__init__.py") if p.exists()]
    return out


def test_every_code_raised_by_a_service_the_api_calls_has_a_name_in_the_api():
    raised = raised_codes(sorted(_api_modules()))
    missing = {code: sorted(files) for code, files in raised.items() if code not in api_error_names()}
    assert not missing, f"codes a GraphQL mutation can meet but no API error enum names (they became INVALID): {missing}"


def test_every_code_raised_under_services_and_domain_is_a_domain_error_code():
    from app.domain.error_codes import ALL_CODES

    raised = raised_codes(_sources())
    assert raised, "no raised codes found: the scan is broken"
    unknown = {code: sorted(files) for code, files in raised.items() if code not in ALL_CODES}
    assert not unknown, f"codes outside app/domain/error_codes.py: {unknown}"


def test_services_and_domain_raise_enum_members_not_strings():
    literals = []
    errors = _error_classes(_sources())
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _name(node.func) in errors:
                literals += [f"{path.relative_to(ROOT)}:{kw.value.lineno}" for kw in node.keywords
                             if kw.arg == "code" and isinstance(kw.value, ast.Constant)]
    assert not literals, f"raise the domain's error-code members (app/domain/error_codes.py), not strings: {literals}"

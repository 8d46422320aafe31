"""The PAD's pages read through services: no module of ui/ queries the ORM itself.

A page that ran its own query fetched related rows without the service's scope check; the services
return read models (app/services/*/reads.py and the like) that apply the same rule as their actions.
Model classes may be named in annotations (`if TYPE_CHECKING:`), never imported to be queried.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

from tortoise.models import Model

UI = Path(__file__).resolve().parents[2] / "ui"
QUERY_METHODS = frozenset({
    "filter", "exclude", "get_or_none", "get_or_create", "update_or_create", "prefetch_related", "fetch_related", "select_related",
    "select_for_update", "annotate", "values_list", "bulk_create", "bulk_update", "raw",
})


def _modules() -> list[Path]:
    return sorted(UI.glob("*.py"))


def _type_checking_blocks(tree: ast.Module) -> set[int]:
    """Line numbers inside `if TYPE_CHECKING:` blocks."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _model_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    annotations_only = _type_checking_blocks(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("app.models") or node.lineno in annotations_only:
            continue
        module = importlib.import_module(node.module)
        for alias in node.names:
            value = getattr(module, alias.name, None)
            if inspect.isclass(value) and issubclass(value, Model):
                found.append(f"{path.name}:{node.lineno} imports the model {alias.name}")
    return found


def _query_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.name}:{node.lineno} calls .{node.func.attr}()" for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in QUERY_METHODS]


def test_the_check_sees_a_query_and_a_model_import(tmp_path):
    sample = tmp_path / "page.py"
    sample.write_text("from app.models import Loan\nfrom app.domain.vocabulary import Role\n\nasync def f():\n    return await Loan.filter(id=1)\n")
    assert _model_imports(sample) == ["page.py:1 imports the model Loan"]
    assert _query_calls(sample) == ["page.py:5 calls .filter()"]


def test_no_ui_module_queries_the_orm():
    offences = [o for path in _modules() for o in (*_model_imports(path), *_query_calls(path))]
    assert not offences, "read through a service (a read model that checks scope) instead:\n" + "\n".join(offences)

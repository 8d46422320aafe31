"""The schema file, the client operations and the graphql/ folder stay honest."""

import importlib.util
from pathlib import Path

import graphql as graphql_core
from graphql import OperationDefinitionNode, parse, validate

from app.api.schema import schema
from app.config import ROOT

GRAPHQL_DIR = ROOT / "graphql"


def _operation_files() -> list[Path]:
    return sorted([*GRAPHQL_DIR.glob("mobile/*.graphql"), *GRAPHQL_DIR.glob("reporting/*.graphql")])


def test_committed_sdl_matches_the_schema():
    committed = (GRAPHQL_DIR / "schema.graphql").read_text(encoding="utf-8")
    assert committed == schema.as_str() + "\n", "run `cunxin export-schema` and commit graphql/schema.graphql"


def test_every_client_operation_validates_against_the_schema():
    files = _operation_files()
    assert files, "no client operations found under graphql/mobile or graphql/reporting"
    for path in files:
        document = parse(path.read_text(encoding="utf-8"))
        errors = validate(schema._schema, document)
        assert errors == [], f"{path.relative_to(ROOT)}: {[e.message for e in errors]}"


def test_one_named_operation_per_file_named_after_it_and_unique():
    seen: dict[str, Path] = {}
    for path in _operation_files():
        operations = [d for d in parse(path.read_text(encoding="utf-8")).definitions if isinstance(d, OperationDefinitionNode)]
        assert len(operations) == 1, f"{path}: exactly one operation per file"
        name = operations[0].name.value if operations[0].name else None
        assert name == path.stem, f"{path}: operation {name!r} must be named after its file"
        assert name not in seen, f"{name} defined in {seen.get(name)} and {path}"
        seen[name] = path


def test_graphql_folder_holds_no_python():
    assert not list(GRAPHQL_DIR.rglob("*.py")), "a .py file under graphql/ would shadow graphql-core"


def test_import_graphql_is_graphql_core():
    spec = importlib.util.find_spec("graphql")
    assert spec is not None and spec.origin is not None
    assert "site-packages" in spec.origin and Path(spec.origin).parent.name == "graphql"
    assert hasattr(graphql_core, "graphql_sync")

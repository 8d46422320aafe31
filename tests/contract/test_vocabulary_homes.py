"""Each business word has one Chinese label, declared beside its enum in app/domain.

A page, service or API module that kept its own `{"active": "未结清", ...}` table drifted from the
domain's (one risk decision had three labels in three files). This test reads every module outside
app/domain and refuses a module-level dict literal that labels the values of a domain enum.
"""

from __future__ import annotations

import ast
import enum
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import app.domain
from app.domain import vocabulary

ROOT = Path(__file__).resolve().parents[2]
DOORS_AND_SERVICES = [ROOT / "ui", ROOT / "app" / "services", ROOT / "app" / "api", ROOT / "app" / "cli", ROOT / "workers"]
CJK = re.compile(r"[\u4e00-\u9fff]")
# keyed by a domain enum, but not its label: each says something else about the value
NOT_LABELS = {
    "app/services/lending/drawdown.py:LINE_STATUS_MESSAGES",  # why a drawdown is refused on a line in that status
    "app/services/risk/credit.py:DEFAULT_REASON",  # the bureau's query reason (查询原因) for the purpose
    "app/services/contracts/service.py:_VERSION_TITLES",  # the title of the contract PDF saved at that status
}


def _domain_enum_values() -> list[frozenset[str]]:
    """The value sets of every StrEnum the domain declares (vocabulary and the rule areas' own modules)."""
    found: dict[type, frozenset[str]] = {}
    for info in pkgutil.walk_packages(app.domain.__path__, "app.domain."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, enum.StrEnum) and obj is not enum.StrEnum and len(obj) > 1:
                found[obj] = frozenset(m.value for m in obj)
    return list(found.values())


def _key(node: ast.expr | None) -> str | None:
    """A dict key as the enum value it names: "active" or LoanStatus.ACTIVE (by its lowercased member name)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Attribute):
        return node.attr.lower()
    return None


def _label_tables(path: Path) -> list[tuple[int, frozenset[str]]]:
    tables = []
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if not isinstance(value, ast.Dict) or len(value.keys) < 2 or f"{where}:{getattr(target, 'id', '')}" in NOT_LABELS:
            continue
        keys = [_key(k) for k in value.keys]
        labels = [v.value for v in value.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
        if None not in keys and len(labels) == len(keys) and all(CJK.search(label) for label in labels):
            tables.append((node.lineno, frozenset(k for k in keys if k)))
    return tables


def test_no_label_table_of_a_domain_enum_outside_the_domain() -> None:
    enums = _domain_enum_values()
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for top in DOORS_AND_SERVICES
        for path in sorted(top.rglob("*.py"))
        for line, keys in _label_tables(path)
        if any(keys <= values for values in enums)
    ]
    assert offenders == [], "label these words in app/domain (beside their enum), not here: " + ", ".join(offenders)


def test_the_check_sees_a_copied_table(tmp_path: Path) -> None:
    copy = tmp_path / "page.py"
    copy.write_text('LABELS = {"active": "未结清", "settled": "已结清"}\nNAMES = {ListKind.BLACK: "黑名单", ListKind.GREY: "灰名单"}\n', encoding="utf-8")
    enums = _domain_enum_values()
    assert [any(keys <= values for values in enums) for _, keys in _label_tables(copy)] == [True, True]


def test_every_labelled_vocabulary_member_has_its_label() -> None:
    for _, cls in inspect.getmembers(vocabulary, inspect.isclass):
        if issubclass(cls, enum.StrEnum) and isinstance(getattr(cls, "label", None), property):
            assert all(CJK.search(member.label) for member in cls), cls.__name__

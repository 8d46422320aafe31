"""The repository stands on its own: no file points outside it, and every `docs/…md#anchor` exists."""

import re
import subprocess
from pathlib import Path

from app.config import ROOT

CHECKED = ["README.md", "app", "ui", "workers", "tests", "bench", "docs", "graphql", "migrations", "deploy", ".ci", "Makefile", "pyproject.toml"]
NOT_CHECKED = {".gitignore"}  # file patterns, no prose
SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".html", ".graphql", ".json", ".js", ".css", ".txt", ""}
# Team notes that live outside the repository (spelled in pieces so this file does not match itself).
OUTSIDE = re.compile("|".join(re.escape(n + ".md") for n in ("FACTS", "RECIPES", "DESIGN", "STYLE", "CREDIT_REPORT")) + r"|\.\./shared\b|(?<![\w.])shared/")
DOC_REF = re.compile(r"docs/([\w.-]+\.md)(?:#([\w-]+))?")
PAGE_LINK = re.compile(r"\]\(([\w.-]+\.md)(?:#([\w-]+))?\)")  # a relative link from one docs page to another
HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.M)
EXPLICIT_ANCHOR = re.compile(r'<a id="([^"]+)"')
# Pages already pointed at while their author lands them (the interest conventions); once the file
# exists, its references are checked like any other. Empty this set when it has landed.
PENDING_PAGES: set[str] = set()


def _files():
    for name in CHECKED:
        top = ROOT / name
        paths = [top] if top.is_file() else top.rglob("*")
        for path in paths:
            skip = {"__pycache__", "node_modules", "vendor"} & set(path.parts)
            if path.is_file() and path.suffix in SUFFIXES and not skip and path != Path(__file__):
                yield path


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return ""


def _slug(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_\[\]()]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = page.read_text(encoding="utf-8")
    return set(EXPLICIT_ANCHOR.findall(text)) | {_slug(h) for h in HEADING.findall(text)}


def test_no_file_refers_to_documents_outside_the_repository():
    hits = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in _files()
        for n, line in enumerate(_text(path).splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert hits == []


def test_every_docs_reference_names_an_existing_page_and_anchor():
    broken = []
    for path in _files():
        for n, line in enumerate(_text(path).splitlines(), 1):
            links = DOC_REF.findall(line) + (PAGE_LINK.findall(line) if path.parent == ROOT / "docs" else [])
            for page, anchor in links:
                target = ROOT / "docs" / page
                if not target.is_file() and page in PENDING_PAGES:
                    continue
                if not target.is_file() or (anchor and anchor not in _anchors(target)):
                    broken.append(f"{path.relative_to(ROOT)}:{n} -> docs/{page}#{anchor}")
    assert broken == []


def test_the_check_sees_an_outside_reference_and_a_broken_anchor(tmp_path):
    assert OUTSIDE.search("see " + "FACTS" + ".md §4") and OUTSIDE.search("../shared" + "/x")
    assert not OUTSIDE.search("xl/sharedStrings.xml")
    assert "lpr" in _anchors(ROOT / "docs" / "domain-facts.md")
    assert "no-such-anchor" not in _anchors(ROOT / "docs" / "domain-facts.md")


def test_every_top_level_entry_of_the_repository_is_checked():
    # given what git tracks at the top of the repository
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    top = {path.split("/", 1)[0] for path in tracked}
    # then the checks above read every one of them (README.md included)
    assert top - NOT_CHECKED == set(CHECKED)

"""Cells written to CSV (and XLSX) exports: text that a spreadsheet would run is neutralised.

OWASP "CSV injection": a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return
may be taken as a formula (`=HYPERLINK(...)`). Such a cell gets a leading apostrophe, which
spreadsheets show as text. Plain numbers (`-12.50`, `+3`) are left alone so figures stay
figures.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d[\d,]*(?:\.\d+)?%?")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(row: list[object]) -> list[str]:
    return [safe_cell(v) for v in row]

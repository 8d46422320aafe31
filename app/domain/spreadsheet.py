"""Cells written to CSV (and XLSX) exports: text that a spreadsheet would run is neutralised;
cells read from XLSX that the spreadsheet stored as numbers are marked (`NumberCell`).

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


class NumberCell(str):
    """A cell an XLSX file stored as a number, as text ("7", "141023197504124000").

    Excel keeps 15 significant digits of a number: an 18-digit ID number typed into a cell not
    formatted as text has lost its last digits (and may still pass the check code), so the census
    import refuses ID numbers that arrive as numbers (app/domain/census.py).
    """

    __slots__ = ()

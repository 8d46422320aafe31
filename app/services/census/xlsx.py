"""A small streaming reader for the first worksheet of an XLSX file (cell values as text).

openpyxl's read-only mode scans the whole sheet when the file has no <dimension> element
(files not written by Excel/WPS often have none), so a large upload would be read in full
before the row limit could refuse it. This reader parses the sheet XML as a stream and stops
as soon as the caller stops asking for rows; the parts it reads fully (workbook, relations,
shared strings) have a size cap checked against the zip directory first. XML is parsed with
defusedxml (no entity expansion, no external entities).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring, iterparse

from app.domain.census import CensusFileError
from app.domain.error_codes import CensusCode
from app.domain.spreadsheet import NumberCell

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")
MAX_SHEET_ROWS = 1_048_576  # Excel's limit
MAX_COLUMNS = 64  # our template has 8; anything wider is cut (the header check then says which columns are wrong)


def _bad(message: str = "无法读取该 Excel 文件，请确认是 .xlsx 格式且未加密") -> CensusFileError:
    return CensusFileError(message, code=CensusCode.BAD_FORMAT)


def _column(ref: str) -> int | None:
    m = _REF.match(ref)
    if not m:
        return None
    n = 0
    for ch in m.group(1):
        n = n * 26 + ord(ch) - 64
    return n - 1


def _number_text(raw: str) -> str:
    """A numeric cell as typed: 7.0 -> "7"; 1.41023196803150E+17 -> its digits (an ID number stored as a number
    has already lost its last digits: the cell is returned as a `NumberCell` and the import refuses it)."""
    try:
        d = Decimal(raw)
    except InvalidOperation:
        return raw
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d.normalize(), "f")


def _text(element) -> str:
    """Text of a <si> or <is>: its <t> parts, without phonetic runs (<rPh>)."""
    parts = []
    for child in element:
        if child.tag == f"{MAIN}t":
            parts.append(child.text or "")
        elif child.tag == f"{MAIN}r":
            parts.extend(t.text or "" for t in child if t.tag == f"{MAIN}t")
    return "".join(parts)


class XlsxRows:
    def __init__(self, data: bytes, *, max_part_bytes: int) -> None:
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            self.sheet = self._first_sheet(max_part_bytes)
            self.strings = self._shared_strings(max_part_bytes)
        except (zipfile.BadZipFile, KeyError, ParseError, DefusedXmlException, UnicodeDecodeError, ValueError, EOFError, RuntimeError):
            raise _bad() from None

    def _part(self, name: str, limit: int) -> bytes:
        info = self.zip.getinfo(name)
        if info.file_size > limit:
            raise _bad("Excel 文件内容过大，请拆分后分批导入")
        return self.zip.read(info)

    def _first_sheet(self, limit: int) -> str:
        workbook = fromstring(self._part("xl/workbook.xml", limit))
        sheets = workbook.find(f"{MAIN}sheets")
        first = sheets[0] if sheets is not None and len(sheets) else None
        if first is None:
            raise _bad("Excel 文件中没有工作表")
        rid = first.get(f"{REL}id")
        rels = fromstring(self._part("xl/_rels/workbook.xml.rels", limit))
        target = next((r.get("Target") for r in rels if r.tag == f"{PKG_REL}Relationship" and r.get("Id") == rid), None)
        if not target:
            raise _bad()
        return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))

    def _shared_strings(self, limit: int) -> list[str]:
        if "xl/sharedStrings.xml" not in self.zip.namelist():
            return []
        root = fromstring(self._part("xl/sharedStrings.xml", limit))
        return [_text(si) for si in root if si.tag == f"{MAIN}si"]

    def _cell(self, c) -> str:
        kind = c.get("t", "n")
        if kind == "inlineStr":
            inline = c.find(f"{MAIN}is")
            return _text(inline) if inline is not None else ""
        v = c.find(f"{MAIN}v")
        raw = v.text if v is not None and v.text is not None else ""
        if kind == "s":
            try:
                return self.strings[int(raw)]
            except (ValueError, IndexError):
                raise _bad("Excel 文件内容损坏，无法读取") from None
        if kind == "b":
            return "是" if raw == "1" else "否"
        if kind == "n" and raw:
            return NumberCell(_number_text(raw))
        return raw  # "str" (formula result), "e" (error)

    def __iter__(self) -> Iterator[list[str]]:
        try:
            with self.zip.open(self.sheet) as src:
                line = 0
                for _event, element in iterparse(src, events=("end",)):
                    if element.tag != f"{MAIN}row":
                        continue
                    number = element.get("r", "")
                    target = int(number) if number.isdigit() and 0 < int(number) <= MAX_SHEET_ROWS else line + 1
                    while line + 1 < target:  # rows left out of the XML are blank rows: keep line numbers true
                        line += 1
                        yield []
                    line = max(line + 1, target)
                    cells: list[str] = []
                    for c in element.iter(f"{MAIN}c"):
                        col = _column(c.get("r", "")) if c.get("r") else len(cells)
                        if col is None or col >= MAX_COLUMNS:
                            continue
                        cells.extend([""] * (col + 1 - len(cells)))
                        cells[col] = self._cell(c)
                    element.clear()
                    yield cells
        except (zipfile.BadZipFile, KeyError, ParseError, DefusedXmlException, UnicodeDecodeError, ValueError, EOFError, RuntimeError):
            raise _bad("Excel 文件内容损坏，无法读取") from None
        finally:
            self.zip.close()

"""Reading an uploaded census file (CSV or XLSX) into rows of cells, lazily.

The rows are produced one at a time so that the domain can refuse an oversized file after
`max_rows + 1` rows without reading the rest. XLSX is read by our streaming reader (first
worksheet, cached values; app/services/census/xlsx.py); CSV is UTF-8 (with or without BOM) or GB18030, the
encoding Excel uses for "CSV" on Chinese Windows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from app.domain.census import CensusFileError
from app.domain.error_codes import CensusCode
from app.domain.spreadsheet import safe_row
from app.services.census.xlsx import XlsxRows

MAX_XML_PART_BYTES = 64 * 1024 * 1024  # workbook parts read whole (shared strings): a zip bomb stops here
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_kind(data: bytes, filename: str) -> str:
    name = filename.lower()
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    if data.startswith(XLS_MAGIC) or name.endswith(".xls"):
        raise CensusFileError("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 .csv 后再上传", code=CensusCode.BAD_FORMAT)
    if name.endswith(".xlsx"):
        raise CensusFileError("文件不是有效的 Excel（.xlsx）文件", code=CensusCode.BAD_FORMAT)
    if name.endswith((".csv", ".txt")) or not name:
        return "csv"
    raise CensusFileError("只支持 .csv 和 .xlsx 文件", code=CensusCode.BAD_FORMAT)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CensusFileError("无法识别文件编码，请保存为 UTF-8 编码的 CSV", code=CensusCode.BAD_FORMAT)


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    text = _decode(data)
    if "\x00" in text:
        raise CensusFileError("文件不是文本格式的 CSV", code=CensusCode.BAD_FORMAT)
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error:
        raise CensusFileError("CSV 文件格式有误，无法读取", code=CensusCode.BAD_FORMAT) from None


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    return iter(XlsxRows(data, max_part_bytes=MAX_XML_PART_BYTES))


def read_rows(data: bytes, filename: str) -> Iterator[list[str]]:
    return _xlsx_rows(data) if file_kind(data, filename) == "xlsx" else _csv_rows(data)


def write_csv(rows: list[list[str]]) -> bytes:
    """CSV bytes with a BOM (so Excel opens the Chinese headers correctly)."""
    out = io.StringIO(newline="")
    csv.writer(out).writerows(safe_row(row) for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(rows: list[list[str]], *, title: str = "农户信息") -> bytes:
    """XLSX bytes with every cell stored as text (ID numbers keep all 18 characters)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for row in rows:
        sheet.append(safe_row(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

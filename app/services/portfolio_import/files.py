"""Reading a portfolio import file row by row (bounded memory) and writing its XLSX template.

The size is checked before the file is opened. CSV: UTF-8 (with or without BOM) or GB18030, found by
decoding the file in 1 MB chunks, then read with `csv.reader` line by line. XLSX: openpyxl's read-only
mode, which streams the first worksheet; a cell the spreadsheet stored as a number comes back as a
`NumberCell` (an ID or card number typed as a number has lost digits and is refused).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

from app.domain.portfolio_import import Kind, ImportFileError
from app.domain.spreadsheet import NumberCell, safe_cell

CHUNK = 1 << 20
XLSX_MAGIC = b"PK\x03\x04"


def check_size(path: Path, max_bytes: int) -> int:
    try:
        size = os.path.getsize(path)
    except OSError:
        raise ImportFileError(f"找不到文件 {path.name}") from None
    if size > max_bytes:
        raise ImportFileError(f"文件大小 {size / 1024 / 1024:.1f} MB 超过上限 {max_bytes / 1024 / 1024:.0f} MB，请分成几个文件导入")
    if size == 0:
        raise ImportFileError("文件是空的")
    return size


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _decodes_as(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def csv_encoding(path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        if _decodes_as(path, encoding):
            return encoding
    raise ImportFileError("无法识别文件编码，请保存为 UTF-8 或 GB18030（GBK）编码的 CSV")


def _csv_rows(path: Path) -> Iterator[list[object]]:
    with open(path, encoding=csv_encoding(path), newline="") as f:
        try:
            for row in csv.reader(f):
                if any("\x00" in cell for cell in row):
                    raise ImportFileError("文件不是文本格式的 CSV")
                yield row
        except csv.Error:
            raise ImportFileError("CSV 文件格式有误，无法读取") from None


def _xlsx_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return NumberCell(str(value))
    if isinstance(value, float):
        return NumberCell(str(int(value)) if value.is_integer() else repr(value))
    return str(value)


def _xlsx_rows(path: Path) -> Iterator[list[object]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or encrypted file
        raise ImportFileError("无法读取该 Excel 文件，请确认是 .xlsx 格式且未加密") from None
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_xlsx_value(v) for v in row]
    finally:
        book.close()


def read_rows(path: Path) -> Iterator[list[object]]:
    """The file's rows, one at a time (row 1 is the header)."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(XLSX_MAGIC):
        return _xlsx_rows(path)
    if head.startswith(b"\xd0\xcf\x11\xe0") or path.suffix.lower() == ".xls":
        raise ImportFileError("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 .csv")
    if path.suffix.lower() == ".xlsx":
        raise ImportFileError("文件不是有效的 Excel（.xlsx）文件")
    return _csv_rows(path)


def template_xlsx(kind: Kind) -> bytes:
    """The kind's template: the header and example rows (ID and card columns as text), and a notes sheet in Chinese."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = kind.label
    sheet.append(kind.headers)
    examples = max((len(c.example) for c in kind.columns), default=0)
    for i in range(examples):
        sheet.append([safe_cell(c.example[i] if i < len(c.example) else "") for c in kind.columns])
    for index, column in enumerate(kind.columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, len(column.header) * 3)
        if column.text:
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(1, examples + 2):
                sheet.cell(row=row, column=index).number_format = "@"
    notes = book.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "说明"])
    for column in kind.columns:
        notes.append([column.header, "必填" if column.required else "选填", column.note])
    notes.append([])
    notes.append(["", "", f"每行一条{kind.label}记录；第一行为表头，列的顺序可调整。「{kind.key}」是原系统的编号：重新导入同一文件不会重复导入。"])
    notes.append(["", "", "身份证号码、银行卡号等列请设置为“文本”格式，否则 Excel 会丢失末几位数字。CSV 文件可用 UTF-8 或 GB18030（GBK）编码。"])
    notes.append(["", "", "先预览（不加 --confirm）：逐行检查并列出错误，不写入任何数据；全部无误后加 --confirm 导入，整个文件要么全部导入，要么都不导入。"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- files uploaded on the admin page (ui/portfolio_import.py) ------------------------------------------------
# The page previews an upload and confirms it in a second request, so the file waits on disk between the two:
# `<var_dir>/imports/<bank id>/<token>.<csv|xlsx>`, the token random. Only the uploading bank's requests can name it.

# A preview not confirmed within STAGED_TTL has expired: its token is refused, and the bank's next upload deletes it.

STAGED_SUFFIXES = (".csv", ".xlsx")
STAGED_TTL = timedelta(hours=24)


def _expired(path: Path) -> bool:
    try:
        return time.time() - path.stat().st_mtime > STAGED_TTL.total_seconds()
    except FileNotFoundError:
        return True


def staged_path(root: Path, bank_id: object, token: str) -> Path | None:
    """The staged file named by `token` for the bank, or None (a malformed, foreign, vanished or expired token)."""
    name, dot, suffix = token.partition(".")
    if not dot or f".{suffix}" not in STAGED_SUFFIXES or len(name) != 32 or not all(c in "0123456789abcdef" for c in name):
        return None
    path = root / str(bank_id) / token
    return path if path.is_file() and not _expired(path) else None


async def stage_upload(root: Path, bank_id: object, filename: str, read, max_bytes: int) -> tuple[str, Path]:
    """Copy an upload (`read(n)` → bytes, async) to the bank's staging folder in 1 MB chunks; (token, path).

    More than `max_bytes` is refused as the CLI refuses it, and nothing is kept."""
    import secrets

    suffix = Path(filename or "").suffix.lower()
    if suffix == ".xls":
        raise ImportFileError("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 .csv")
    if suffix not in STAGED_SUFFIXES:
        raise ImportFileError("请上传 .csv 或 .xlsx 文件")
    folder = root / str(bank_id)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():
        if stale.suffix in STAGED_SUFFIXES and _expired(stale):
            stale.unlink(missing_ok=True)
    token = secrets.token_hex(16) + suffix
    path = folder / token
    size = 0
    try:
        with open(path, "wb") as f:
            while chunk := await read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise ImportFileError(f"文件超过上限 {max_bytes / 1024 / 1024:.0f} MB，请分成几个文件导入")
                f.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if size == 0:
        path.unlink(missing_ok=True)
        raise ImportFileError("文件是空的")
    return token, path


def estimate_rows(path: Path) -> int | None:
    """Roughly how many data rows the file has (for a progress bar's length; the header not counted), or None.

    CSV: its line breaks, counted in 1 MB chunks (a cell with a line break inside counts twice). XLSX: the
    sheet's recorded dimension, when the writer recorded one. Never an error: a file that cannot be read is
    refused by the import itself."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
        if head.startswith(XLSX_MAGIC):
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True, data_only=True)
            try:
                rows = book.worksheets[0].max_row
            finally:
                book.close()
            return max(rows - 1, 0) if rows else None
        lines, last = 0, b"\n"
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
        return max(lines + (last != b"\n") - 1, 0)
    except Exception:  # an unreadable file: no estimate, the import says what is wrong
        return None

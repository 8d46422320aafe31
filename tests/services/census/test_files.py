import io
import zipfile

import openpyxl
import pytest

from app.domain.census import CensusFileError
from app.services.census.files import file_kind, read_rows, write_csv
from app.services.census.xlsx import XlsxRows
from tests.support.census_files import fast_xlsx_bytes, xlsx_bytes


def _excel(build) -> bytes:
    book = openpyxl.Workbook()
    build(book.active)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_cells_read_as_typed_text_with_true_line_numbers():
    def build(ws):
        ws.append(["户号", "姓名"])
        ws["A4"] = 7
        ws["B4"] = "王建国"
        ws["C5"] = True
        ws["A6"] = 2.5

    rows = list(read_rows(_excel(build), "a.xlsx"))
    assert rows == [["户号", "姓名"], [], [], ["7", "王建国"], ["", "", "是"], ["2.5"]]


def test_an_id_number_typed_as_a_number_loses_digits_and_so_fails_its_check():
    rows = list(read_rows(_excel(lambda ws: ws.append([141023196803150012])), "a.xlsx"))
    assert rows[0][0] != "141023196803150012" and len(rows[0][0]) == 18


def test_shared_and_inline_strings_and_csv_round_trip():
    table = [["村区划代码", "姓名"], ["141023100201", "王建国"]]
    assert list(read_rows(xlsx_bytes(table[1:], header=table[0]), "a.xlsx")) == table
    assert list(read_rows(fast_xlsx_bytes(table[1:], header=table[0]), "a.xlsx")) == table
    assert list(read_rows(write_csv(table), "a.csv")) == table


def test_the_sheet_is_streamed_not_read_whole():
    rows = iter(XlsxRows(fast_xlsx_bytes([[str(i)] for i in range(50_000)]), max_part_bytes=1024 * 1024))
    assert next(rows) and next(rows) == ["0"]


def test_an_oversized_part_is_refused_before_it_is_read():
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as z:
        src = zipfile.ZipFile(io.BytesIO(fast_xlsx_bytes([["x"]])))
        for name in src.namelist():
            z.writestr(name, src.read(name))
        z.writestr("xl/sharedStrings.xml", "<sst>" + " " * 3_000_000 + "</sst>")  # compresses to almost nothing
    with pytest.raises(CensusFileError) as err:
        XlsxRows(data.getvalue(), max_part_bytes=1024 * 1024)
    assert err.value.code == "BAD_FORMAT" and "过大" in err.value.message


@pytest.mark.parametrize(("data", "name"), [(b"PK\x03\x04garbage", "a.xlsx"), (b"hello", "a.pdf"), (b"\xd0\xcf\x11\xe0", "a.xls")])
def test_files_that_are_not_csv_or_xlsx_are_refused(data, name):
    with pytest.raises(CensusFileError) as err:
        list(read_rows(data, name))
    assert err.value.code == "BAD_FORMAT"


def test_xml_entities_are_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><sst>&b;</sst>'
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as z:
        src = zipfile.ZipFile(io.BytesIO(fast_xlsx_bytes([["x"]])))
        for name in src.namelist():
            z.writestr(name, src.read(name))
        z.writestr("xl/sharedStrings.xml", bomb)
    with pytest.raises(CensusFileError):
        XlsxRows(data.getvalue(), max_part_bytes=1024 * 1024)


def test_file_kind():
    assert file_kind(b"PK\x03\x04...", "x.bin") == "xlsx"
    assert file_kind(b"a,b", "农户.CSV") == "csv"

"""Sample census import files (CSV and XLSX) for tests and demos.

ID numbers use area code 141002 (尧都区) so they never collide with the demo seed's 141023.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from app.domain import idcard
from app.domain.census import COLUMNS
from app.services.census.files import write_csv, write_xlsx

HEADER = list(COLUMNS)
AREA = "141002"
SURNAMES = "王李张刘陈杨赵黄周吴"
GIVEN = "建国秀英志强丽华卫东淑芳国庆红梅海军"


def person_number(index: int, *, male: bool = True) -> str:
    """A valid ID number, unique per index (born 1950 onwards, 500 people per birthday)."""
    birth = date(1950, 1, 1) + timedelta(days=index // 500)
    return idcard.make_number(AREA, birth, index % 500 * 2 + (1 if male else 0))


def sample_rows(division_code: str, households: int = 3, *, first_household: int = 901, seed: int = 7, people_offset: int = 0, groups=("1", "2")) -> list[list[str]]:
    """One head, a spouse and sometimes a child per household, in the template's column order."""
    rng = random.Random(seed)
    rows, person = [], people_offset
    for h in range(households):
        no = f"{first_household + h:03d}"
        group = f"第{groups[h % len(groups)]}村民小组" if groups else ""
        surname = SURNAMES[h % len(SURNAMES)]
        address = f"测试村{no}号"
        family = [("户主", True), ("配偶", False)] + ([("子女", bool(rng.getrandbits(1)))] if h % 2 == 0 else [])
        for relation, male in family:
            number = person_number(person, male=male)
            person += 1
            name = surname + rng.choice(GIVEN) + rng.choice(GIVEN) if relation != "配偶" else rng.choice(SURNAMES) + rng.choice(GIVEN)
            rows.append([division_code, group, no, address, name, relation, number, f"139{person:08d}"[:11]])
    return rows


def csv_bytes(rows: list[list[str]], header: list[str] | None = None) -> bytes:
    return write_csv([header or HEADER, *rows])


def xlsx_bytes(rows: list[list[str]], header: list[str] | None = None) -> bytes:
    return write_xlsx([header or HEADER, *rows])


def fast_xlsx_bytes(rows: list[list[str]], header: list[str] | None = None) -> bytes:
    """A minimal XLSX (inline strings) written directly: 100,000 rows in well under a second."""
    import io
    import zipfile
    from xml.sax.saxutils import escape

    def cell(value: str) -> str:
        return f'<c t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'

    body = "".join(f"<row>{''.join(cell(v) for v in row)}</row>" for row in [header or HEADER, *rows])
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="农户信息" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{body}</sheetData></worksheet>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return out.getvalue()


# An ID number typed into an Excel cell not formatted as text: Excel keeps 15 digits (1.41023197504050E+17),
# and the 18 digits read back (141023197504050000) happen to pass the check code.
ROUNDED_ID_NUMBER = "141023197504050000"


def excel_with_numeric_ids(rows: list[list[str]], header: list[str] | None = None) -> bytes:
    """An XLSX as Excel writes it when the 身份证号码 column holds numbers: those cells are numeric (15 significant digits)."""
    import io

    from openpyxl import Workbook

    id_column = (header or HEADER).index("身份证号码")
    book = Workbook()
    sheet = book.active
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append([float(f"{float(v):.15g}") if i == id_column else v for i, v in enumerate(row)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

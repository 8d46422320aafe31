"""Portfolio import (issue 18): customers, cards and credit lines from CSV (UTF-8 / GB18030) and XLSX files.

Preview writes nothing; a bad file gets row-level Chinese errors and, confirmed, changes nothing; a good
file imports in one transaction and a re-run adds nothing."""

import csv
import io
from datetime import date

import pytest
from openpyxl import Workbook

from app.domain import cards, idcard
from app.domain.portfolio_import import CARDS, CREDIT_LINES, CUSTOMERS, ImportFileError
from app.domain.vocabulary import CreditLineStatus
from app.models import AuditEvent, BankCard, CreditLine, Customer, Household, HouseholdMember, ImportRecord
from app.services.actor import SYSTEM
from app.services.portfolio_import import import_cards, import_credit_lines, import_customers
from app.services.portfolio_import.files import read_rows, template_xlsx

BANK = "14102301"
VILLAGE = "141023100201"  # 西街村, 襄汾农商行 (demo seed)
MAX = 10 * 1024 * 1024


def _id(n: int) -> str:
    return idcard.make_number("141002", date(1970 + n, 3, 1 + n), n)


def _card(n: int) -> str:
    body = f"621700000000{n:06d}"
    return body + cards.check_digit(body)


def _csv(tmp_path, name, rows, encoding="utf-8-sig"):
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    path = tmp_path / name
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def _xlsx(tmp_path, name, rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


CUSTOMER_HEADER = ["客户编号", "姓名", "身份证号码", "手机号", "村区划代码", "户号", "与户主关系"]


def _customers(n=3):
    return [CUSTOMER_HEADER] + [[f"C{i:04d}", "王建国" if i == 1 else "李秀英", _id(i), f"1390000{i:04d}", VILLAGE, "9001", "户主" if i == 1 else "子女"]
                                for i in range(1, n + 1)]


async def _run(service, path, *, confirm, vault, max_bytes=MAX):
    return await service(actor=SYSTEM, vault=vault, bank_code=BANK, path=path, confirm=confirm, max_bytes=max_bytes)


async def test_customers_gb18030_preview_writes_nothing_confirm_imports_rerun_adds_nothing(demo, vault, tmp_path):
    path = _csv(tmp_path, "customers.csv", _customers(), encoding="gb18030")
    before = await Customer.all().count()
    preview = await _run(import_customers, path, confirm=False, vault=vault)
    assert (preview.rows, preview.new, preview.error_count, preview.committed) == (3, 3, 0, False)
    assert await Customer.all().count() == before and await ImportRecord.all().count() == 0

    done = await _run(import_customers, path, confirm=True, vault=vault)
    assert (done.new, done.skipped, done.committed) == (3, 0, True)
    assert await Customer.all().count() == before + 3
    first = await Customer.get(name="王建国")
    assert first.id_number_masked == idcard.mask(_id(1)) and _id(1).encode() not in first.id_number_enc
    assert vault.decrypt(first.id_number_enc, context=b"id_number") == _id(1)
    assert first.phone_masked == "139****0001"
    household = await Household.get(household_no="9001")
    members = await HouseholdMember.filter(household_id=household.id).order_by("relation")
    assert [m.relation for m in members] == ["child", "child", "head"] and all(m.customer_id for m in members)
    assert await AuditEvent.filter(action="import.customers").count() == 1

    again = await _run(import_customers, path, confirm=True, vault=vault)
    assert (again.new, again.skipped, again.committed) == (0, 3, True)
    assert await Customer.all().count() == before + 3 and await ImportRecord.filter(kind="customers").count() == 3


async def test_bad_customer_rows_are_listed_in_chinese_and_nothing_is_written(demo, vault, tmp_path):
    rows = _customers(4)
    rows[2][2] = rows[2][2][:17] + ("0" if rows[2][2][17] != "0" else "1")  # wrong check character
    rows[3][0] = "C0001"  # duplicate source key
    rows[4][3] = "2390000"  # bad phone
    path = _csv(tmp_path, "bad.csv", rows)
    before = await Customer.all().count()
    result = await _run(import_customers, path, confirm=True, vault=vault)
    messages = [str(e) for e in result.errors]
    assert "第 3 行「身份证号码」：身份证号码校验位不正确" in messages
    assert "第 4 行「客户编号」：与第 2 行的客户编号重复" in messages
    assert "第 5 行「手机号」：手机号应为 11 位数字，以 1 开头" in messages
    assert result.committed is False and result.new == 1  # row 2 alone was good
    assert await Customer.all().count() == before and await ImportRecord.all().count() == 0 and await Household.filter(household_no="9001").count() == 0

    # fixed, the file imports; the same fixed file again adds nothing
    fixed = _csv(tmp_path, "fixed.csv", _customers(4))
    assert (await _run(import_customers, fixed, confirm=True, vault=vault)).new == 4
    assert (await _run(import_customers, fixed, confirm=True, vault=vault)).new == 0
    assert await Customer.all().count() == before + 4


async def test_id_number_stored_as_a_number_and_unknown_village_are_refused(demo, vault, tmp_path):
    rows = _customers(2)
    rows[1][2] = int(rows[1][2][:15])  # what Excel keeps of an ID typed as a number
    rows[2][4] = "141099100201"
    result = await _run(import_customers, _xlsx(tmp_path, "c.xlsx", rows), confirm=False, vault=vault)
    messages = [str(e) for e in result.errors]
    assert any(m.startswith("第 2 行「身份证号码」：身份证号码是数字格式的单元格") for m in messages)
    assert "第 3 行「村区划代码」：襄汾农商行没有区划代码为 141099100201 的村，请先建立该村" in messages


async def test_cards_and_credit_lines_from_xlsx(demo, vault, tmp_path):
    await _run(import_customers, _csv(tmp_path, "c.csv", _customers(2)), confirm=True, vault=vault)
    bad_card = _card(2)[:-1] + str((int(_card(2)[-1]) + 1) % 10)
    card_rows = [["卡记录编号", "客户编号", "银行卡号", "开户行"], ["K1", "C0001", _card(1), ""], ["K2", "C0002", bad_card, ""], ["K3", "C0009", _card(3), ""]]
    bad = await _run(import_cards, _xlsx(tmp_path, "cards.xlsx", card_rows), confirm=True, vault=vault)
    assert [str(e) for e in bad.errors] == ["第 3 行「银行卡号」：银行卡号校验未通过，请核对后重新输入",
                                            "第 4 行「客户编号」：找不到客户编号为 C0009 的客户（请先导入客户文件）"]
    assert await BankCard.filter(card_number_hash=vault.lookup_hash(_card(1))).count() == 0
    card_rows[2][2], card_rows[3][1] = _card(2), "C0002"
    good = await _run(import_cards, _xlsx(tmp_path, "cards.xlsx", card_rows), confirm=True, vault=vault)
    assert (good.new, good.committed) == (3, True)
    card = await BankCard.get(card_number_hash=vault.lookup_hash(_card(1)))
    assert card.card_number_masked.endswith(_card(1)[-4:]) and card.is_default and card.verified_at is None

    header = ["额度编号", "客户编号", "产品代码", "授信金额", "已用金额", "利率基准", "加点", "期限（月）", "生效日", "到期日", "状态"]
    lines = [header,
             ["L1", "C0001", "BIANLI", "50,000.00", "12000.05", "一年期LPR", "150", "12", "2026-01-15", "2027-01-15", "有效"],
             ["L2", "C0002", "NOSUCH", "30000", "0", "1y", "150", "12", "2026-01-15", "2027-01-15", "有效"],
             ["L3", "C0002", "GJJ", "30000", "30000.01", "5y", "80", "24", "2026-01-15", "2027-01-15", "冻结"]]
    refused = await _run(import_credit_lines, _xlsx(tmp_path, "lines.xlsx", lines), confirm=True, vault=vault)
    assert [str(e) for e in refused.errors] == ["第 3 行「产品代码」：襄汾农商行没有产品代码为 NOSUCH 的产品",
                                                "第 4 行「已用金额」：已用金额 30000.01 元大于授信金额 30000 元"]
    assert await CreditLine.all().count() == 0
    lines[2][2], lines[3][4] = "GUOWANG", "29999.99"
    done = await _run(import_credit_lines, _xlsx(tmp_path, "lines.xlsx", lines), confirm=True, vault=vault)
    assert (done.new, done.committed) == (3, True)
    line = await CreditLine.get(limit_fen=5_000_000)
    assert (line.used_fen, line.spread_bp, line.max_term_months, line.status) == (1_200_005, 150, 12, CreditLineStatus.ACTIVE)
    assert (await CreditLine.get(used_fen=2_999_999)).status == CreditLineStatus.FROZEN
    assert (await _run(import_credit_lines, _xlsx(tmp_path, "lines.xlsx", lines), confirm=True, vault=vault)).skipped == 3


async def test_file_over_the_size_limit_is_refused_before_reading(demo, vault, tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"\xff" * 2048)  # not even decodable: the size is checked first
    with pytest.raises(ImportFileError, match="超过上限"):
        await _run(import_customers, path, confirm=True, vault=vault, max_bytes=1024)


async def test_wrong_header_refuses_the_file(demo, vault, tmp_path):
    path = _csv(tmp_path, "h.csv", [["客户编号", "姓名", "证件号"], ["C1", "王建国", _id(1)]])
    with pytest.raises(ImportFileError, match="未知的列「证件号」"):
        await _run(import_customers, path, confirm=False, vault=vault)


async def test_templates_read_back_and_their_examples_import(demo, vault, tmp_path):
    for kind, service in ((CUSTOMERS, import_customers), (CARDS, import_cards), (CREDIT_LINES, import_credit_lines)):
        path = tmp_path / f"{kind.code}.xlsx"
        path.write_bytes(template_xlsx(kind))
        rows = list(read_rows(path))
        assert rows[0] == kind.headers
        result = await _run(service, path, confirm=True, vault=vault)
        assert [str(e) for e in result.errors] == [] and result.committed and result.new == 2


async def test_progress_is_reported_while_checking_and_writing(demo, vault, tmp_path):
    seen = []
    path = _csv(tmp_path, "c.csv", _customers(4))
    await import_customers(actor=SYSTEM, vault=vault, bank_code=BANK, path=path, confirm=True, max_bytes=MAX,
                           progress=lambda stage, rows: seen.append((stage, rows)), progress_every=2)
    assert seen == [("检查", 2), ("检查", 4), ("写入", 2), ("写入", 4)]


async def test_only_an_admin_of_the_bank_or_the_system_imports(demo, vault, tmp_path):
    from app.domain.errors import Forbidden
    from tests.factories import officer
    from app.services.auth.officers import actor_for

    path = _csv(tmp_path, "customers.csv", _customers())
    before = await Customer.all().count()
    for username in ("officer1", "manager"):
        with pytest.raises(Forbidden):
            await import_customers(actor=await actor_for(await officer(username)), vault=vault, bank_code=BANK, path=path, confirm=True, max_bytes=MAX)
    assert await Customer.all().count() == before


def test_the_row_estimate_for_the_progress_bar(tmp_path):
    from app.domain.portfolio_import import CUSTOMERS
    from app.services.portfolio_import.files import estimate_rows, template_xlsx

    csv_file = tmp_path / "c.csv"
    csv_file.write_bytes("客户编号,姓名\nC1,王一\nC2,王二\nC3,王三".encode("gb18030"))  # no line break after the last row
    assert estimate_rows(csv_file) == 3
    csv_file.write_bytes("客户编号,姓名\nC1,王一\n".encode("utf-8"))
    assert estimate_rows(csv_file) == 1
    xlsx = tmp_path / "c.xlsx"
    xlsx.write_bytes(template_xlsx(CUSTOMERS))
    assert estimate_rows(xlsx) == 2
    assert estimate_rows(tmp_path / "missing.csv") is None

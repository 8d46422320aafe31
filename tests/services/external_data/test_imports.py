"""External data batch import (issue 20): preview writes nothing, rows are checked in Chinese, a row without a valid
consent for the source and purpose is refused, confirm is all or nothing, provenance is kept, a re-run adds nothing."""

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import Workbook

from app.domain.external_data import ConsentPurpose, ExternalQueryStatus, ExternalSource, HousingFundFacts, facts_from_json
from app.domain.external_import import KINDS
from app.domain.errors import Forbidden, ValidationError
from app.domain.portfolio_import import ImportFileError
from app.integrations.external_data import sandbox_sources
from app.models import AuditEvent, ExternalDataQuery
from app.services import audit, external_data
from app.services.actor import SYSTEM
from app.services.external_data import ExternalDataPolicy
from app.services.external_data.imports import import_external
from tests.factories.risk import NOW, actor, id_number, make_customer

BANK = "14102301"
MAX = 10 * 1024 * 1024
GJJ, GRID = ExternalSource.HOUSING_FUND, ExternalSource.STATE_GRID
GJJ_HEADER = KINDS[GJJ].headers
GRID_HEADER = KINDS[GRID].headers


def _csv(tmp_path, rows, name="gjj.csv", encoding="gb18030"):
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    path = tmp_path / name
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def _gjj_row(sequence, name="王建国", employer="襄汾县供电公司", months="36", arrears="0"):
    return [id_number(sequence), name, employer, "6000", "1440", months, "2026-10", arrears, "0" if arrears == "0" else "2880"]


async def _consent(customer, by, *, source=GJJ, purposes=("post_loan",)):
    return await external_data.record_consent(actor=by, customer_id=customer.id, source=source, purposes=purposes,
                                              signed_at=NOW - timedelta(days=1), expires_at=NOW + timedelta(days=365))


async def _run(path, *, confirm, vault, source=GJJ, purpose="post_loan"):
    return await import_external(actor=SYSTEM, vault=vault, source=source, bank_code=BANK, path=path, confirm=confirm,
                                 max_bytes=MAX, now=NOW, purpose=purpose)


async def test_preview_writes_nothing_confirm_stores_with_provenance_and_rerun_adds_nothing(demo, vault, tmp_path):
    officer = await actor()
    one, two = await make_customer(vault, sequence=101), await make_customer(vault, sequence=102, name="李秀英")
    await _consent(one, officer)
    await _consent(two, officer)
    path = _csv(tmp_path, [GJJ_HEADER, _gjj_row(101), _gjj_row(102, name="李秀英", employer="襄汾县第一中学")])

    preview = await _run(path, confirm=False, vault=vault)
    assert (preview.rows, preview.customers, preview.error_count, preview.committed) == (2, 2, 0, False)
    assert await ExternalDataQuery.all().count() == 0

    done = await _run(path, confirm=True, vault=vault)
    assert (done.customers, done.committed) == (2, True)
    row = await ExternalDataQuery.get(customer_id=one.id)
    assert (row.source, row.purpose, row.status, row.bank_id) == (GJJ, "post_loan", ExternalQueryStatus.OK, one.bank_id)
    assert row.import_file == "gjj.csv" and len(row.import_sha256) == 64 and row.import_rows == [2]
    assert row.actor == "system:system" and row.requested_at == NOW
    facts = facts_from_json(GJJ, row.facts)
    assert facts == HousingFundFacts(employer="襄汾县供电公司", monthly_base_fen=600000, monthly_contribution_fen=144000, months_paid=36,
                                     last_paid_month="2026-10", arrears_months=0, arrears_fen=0)
    assert (await ExternalDataQuery.get(customer_id=two.id)).import_rows == [3]
    assert await AuditEvent.filter(action="external_import.housing_fund").count() == 1

    again = await _run(path, confirm=True, vault=vault)
    assert (again.customers, again.skipped, again.committed) == (0, 2, True)
    assert await ExternalDataQuery.all().count() == 2


async def test_an_imported_answer_is_reused_by_a_query(demo, vault, tmp_path):
    officer, customer = await actor(), await make_customer(vault, sequence=101)
    await _consent(customer, officer)
    await _run(_csv(tmp_path, [GJJ_HEADER, _gjj_row(101)]), confirm=True, vault=vault)

    outcome = await external_data.query_external(actor=officer, customer_id=customer.id, source=GJJ, purpose="post_loan",
                                                 sources=sandbox_sources(clock=lambda: NOW), vault=vault, policy=ExternalDataPolicy(), now=NOW)
    assert outcome.reused and outcome.facts.employer == "襄汾县供电公司"


async def test_rows_without_a_valid_consent_for_the_source_and_purpose_are_refused_and_nothing_is_stored(demo, vault, tmp_path):
    officer = await actor()
    good, wrong_purpose, wrong_source = (await make_customer(vault, sequence=101), await make_customer(vault, sequence=102, name="李秀英"),
                                         await make_customer(vault, sequence=103, name="张伟"))
    await _consent(good, officer)
    await _consent(wrong_purpose, officer, purposes=("application",))
    await _consent(wrong_source, officer, source=ExternalSource.TAX)
    path = _csv(tmp_path, [GJJ_HEADER, _gjj_row(101), _gjj_row(102, name="李秀英"), _gjj_row(103, name="张伟")])

    result = await _run(path, confirm=True, vault=vault)

    assert (result.error_count, result.committed) == (2, False)
    assert [str(e) for e in result.errors] == [
        "第 3 行「身份证号码」：客户没有有效的公积金数据查询授权（用途：贷后监测），该行不予导入",
        "第 4 行「身份证号码」：客户没有有效的公积金数据查询授权（用途：贷后监测），该行不予导入",
    ]
    assert await ExternalDataQuery.all().count() == 0  # all or nothing: not even the good row
    # the consent for 授信申请 lets the same file in for that purpose only where it exists
    assert (await _run(path, confirm=False, vault=vault, purpose="application")).error_count == 2


async def test_bad_cells_unknown_customers_and_wrong_names_are_listed_in_chinese(demo, vault, tmp_path):
    officer, customer = await actor(), await make_customer(vault, sequence=101)
    await _consent(customer, officer)
    bad = _gjj_row(101, months="三十")
    bad[3] = "6000.123"
    path = _csv(tmp_path, [GJJ_HEADER, bad, _gjj_row(101, name="王建军"), _gjj_row(109), ["14102319800517101X", "王建国"] + _gjj_row(101)[2:]],
                encoding="utf-8-sig")

    result = await _run(path, confirm=True, vault=vault)

    messages = [str(e) for e in result.errors]
    assert "第 2 行「缴存基数」：金额最多保留两位小数" in messages
    assert "第 2 行「连续缴存月数」：应为不小于 0 的整数" in messages
    assert "第 3 行「姓名」：姓名与本行该身份证号码客户的姓名不一致" in messages
    assert any(m.startswith("第 4 行「身份证号码」：") and "没有该身份证号码的客户" in m for m in messages)
    assert "第 5 行「身份证号码」：身份证号码校验位不正确" in messages
    assert not result.committed and await ExternalDataQuery.all().count() == 0


async def test_state_grid_months_from_xlsx_make_one_answer_per_customer(demo, vault, tmp_path):
    officer, customer = await actor(), await make_customer(vault, sequence=101)
    await _consent(customer, officer, source=GRID)
    book = Workbook()
    sheet = book.active
    sheet.append(GRID_HEADER)
    for month, paid in (("2026-09", "是"), ("2026-10", "否")):
        sheet.append([id_number(101), "王建国", "1400123456", "居民", month, 320, "166.40", paid, "166.40"])
    path = tmp_path / "grid.xlsx"
    book.save(path)

    result = await _run(path, confirm=True, vault=vault, source="国网")

    assert result.committed, [str(e) for e in result.errors]
    row = await ExternalDataQuery.get(customer_id=customer.id)
    facts = facts_from_json(GRID, row.facts)
    assert [m.month for m in facts.months] == ["2026-09", "2026-10"] and facts.arrears_fen == 16640 and row.import_rows == [2, 3]


async def test_rows_of_one_person_must_agree(demo, vault, tmp_path):
    officer, customer = await actor(), await make_customer(vault, sequence=101)
    await _consent(customer, officer, source=GRID)
    path = _csv(tmp_path, [GRID_HEADER, [id_number(101), "王建国", "1400123456", "居民", "2026-10", "320", "166.40", "是", "0"],
                           [id_number(101), "王建国", "1400123456", "居民", "2026-10", "300", "156.00", "是", "10"]], name="grid.csv")
    result = await _run(path, confirm=False, vault=vault, source=GRID)
    assert [str(e) for e in result.errors] == ["第 3 行「欠费金额」：与第 2 行不一致（同一人的各行应相同）",
                                              "第 3 行「月份」：与第 2 行是同一月份，每月份只能有一行"]


async def test_a_failure_while_writing_keeps_nothing(demo, vault, tmp_path, monkeypatch):
    officer = await actor()
    for sequence, name in ((101, "王建国"), (102, "李秀英")):
        await _consent(await make_customer(vault, sequence=sequence, name=name), officer)
    path = _csv(tmp_path, [GJJ_HEADER, _gjj_row(101), _gjj_row(102, name="李秀英")])

    async def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", broken)  # fails after both rows were written, inside the transaction
    with pytest.raises(RuntimeError):
        await _run(path, confirm=True, vault=vault)
    assert await ExternalDataQuery.all().count() == 0


async def test_wrong_header_unknown_source_and_unknown_bank_refuse_the_file(demo, vault, tmp_path):
    path = _csv(tmp_path, [["身份证号码", "姓名", "单位"], _gjj_row(101)[:3]])
    with pytest.raises(ImportFileError, match="表头有未知的列「单位」"):
        await _run(path, confirm=False, vault=vault)
    with pytest.raises(ValidationError, match="外部数据来源应为"):
        await _run(path, confirm=False, vault=vault, source="bureau")
    with pytest.raises(ImportFileError, match="没有机构代码为 999 的法人行"):
        await import_external(actor=SYSTEM, vault=vault, source=GJJ, bank_code="999", path=path, confirm=False, max_bytes=MAX, now=NOW)


async def test_only_an_admin_of_the_bank_or_the_system_imports(demo, vault, tmp_path):
    path = _csv(tmp_path, [GJJ_HEADER, _gjj_row(101)])
    with pytest.raises(Forbidden):  # an officer, not an admin
        await import_external(actor=await actor(), vault=vault, source=GJJ, bank_code=BANK, path=path, confirm=False, max_bytes=MAX, now=NOW)

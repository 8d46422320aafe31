import json
from datetime import date

import pytest
from tortoise.exceptions import IntegrityError

from app.domain.census import CensusFileError
from app.domain.errors import Conflict, Forbidden
from app.models import AuditEvent, CensusImport, Household, HouseholdMember, VillageGroup
from app.services.census.households import add_member
from app.services.census.imports import commit_import, discard_import, preview_import
from app.services.census.files import write_csv
from tests.factories.villages import FENCHENG, NOW, XIJIE, actor, households
from tests.support.census_files import ROUNDED_ID_NUMBER, HEADER, csv_bytes, excel_with_numeric_ids, fast_xlsx_bytes, person_number, sample_rows, xlsx_bytes

LIMITS = {"max_rows": 5_000, "max_bytes": 5 * 1024 * 1024}


async def _preview(vault, data, filename="农户.csv", who="officer1", **limits):
    return await preview_import(actor=await actor(who), vault=vault, data=data, filename=filename, **{**LIMITS, **limits})


async def _counts():
    return await Household.all().count(), await HouseholdMember.all().count()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
async def test_preview_saves_nothing_to_the_census_and_commit_saves_everything(demo, vault, kind):
    # given a clean file of 3 new households (8 people) in 西街村
    data = csv_bytes(sample_rows(XIJIE, 3)) if kind == "csv" else xlsx_bytes(sample_rows(XIJIE, 3))
    before = await _counts()
    # when it is previewed
    record = await _preview(vault, data, filename=f"农户.{kind}")
    # then nothing is in the census yet, and the preview holds masked values only
    assert await _counts() == before
    assert (record.status, record.row_count, record.error_count, record.household_count) == ("previewed", 8, 0, 3)
    assert record.preview["rows"][0]["id_masked"] == "141002********0014"
    assert person_number(0) not in json.dumps(record.preview, ensure_ascii=False)
    assert person_number(0).encode() not in record.payload_enc
    # when it is confirmed
    result = await commit_import(actor=await actor("officer1"), vault=vault, import_id=record.id, now=NOW)
    # then every household and member is saved, and the encrypted rows are gone
    assert (result.households, result.members) == (3, 8)
    assert await _counts() == (before[0] + 3, before[1] + 8)
    saved = await CensusImport.get(id=record.id)
    assert saved.status == "committed" and saved.payload_enc is None and saved.committed_at == NOW
    head = await HouseholdMember.get(id_number_hash=vault.lookup_hash(person_number(0))).prefetch_related("household__group")
    assert (head.relation, head.sex, head.birth_on, head.household.household_no, head.household.group.number) == ("head", "男", date(1950, 1, 1), "901", 1)
    assert vault.decrypt(head.id_number_enc, context=b"id_number") == person_number(0) and head.phone_masked == "139****0001"
    assert await AuditEvent.filter(action="census_import.commit", entity_id=str(record.id)).count() == 1


async def test_row_errors_against_the_database(demo, vault):
    # given rows naming another branch's village, a missing group, an ID number already in the census,
    # a new household without a head and a second head for a household that already has one
    existing = await HouseholdMember.filter(household__village__division_code=XIJIE).first()
    taken = vault.decrypt(existing.id_number_enc, context=b"id_number")
    rows = [
        [FENCHENG, "", "950", "", "王一", "户主", person_number(1), ""],
        [XIJIE, "第9村民小组", "951", "", "王二", "户主", person_number(2), ""],
        [XIJIE, "", "952", "", "王三", "户主", taken, ""],
        [XIJIE, "", "953", "", "王四", "配偶", person_number(4), ""],
        [XIJIE, "", "001", "", "王五", "户主", person_number(5), ""],
        [XIJIE, "", "001", "", "王六", "子女", person_number(6), ""],  # fine: a new member of household 001
    ]
    record = await _preview(vault, csv_bytes(rows))
    errors = [(e["line"], e["column"], e["message"]) for e in record.preview["errors"]]
    assert errors == [
        (2, "村区划代码", "村区划代码 141023103210 不存在或不在您的管辖范围内"),
        (3, "村民小组", "西街村没有“第9村民小组”"),
        (4, "身份证号码", "该身份证号码已在本行登记"),
        (5, "与户主关系", "新户 953 没有户主：请为该户填写一行“户主”"),
        (6, "与户主关系", "户 001 在系统中已有户主"),
    ]
    assert record.error_count == 5 and record.payload_enc is None
    before = await _counts()
    with pytest.raises(Conflict) as err:
        await commit_import(actor=await actor("officer1"), vault=vault, import_id=record.id, now=NOW)
    assert err.value.code == "HAS_ERRORS"
    assert await _counts() == before


async def test_a_file_with_wrong_columns_is_refused_whole_and_nothing_is_stored(demo, vault):
    data = write_csv([["姓名", "身份证"], ["王一", person_number(1)]])
    with pytest.raises(CensusFileError) as err:
        await _preview(vault, data)
    assert err.value.code == "BAD_HEADER" and "缺少列：村区划代码、户号、与户主关系、身份证号码" in err.value.message
    assert "无法识别的列：身份证" in err.value.message
    assert await CensusImport.all().count() == 0


async def test_a_file_of_100000_rows_is_refused(demo, vault):
    rows = [[XIJIE, "", str(i), "", "王一", "户主", "1", ""] for i in range(100_000)]
    data = csv_bytes(rows)
    assert len(data) < 5 * 1024 * 1024  # small rows: it is the row count that refuses it, not the size
    with pytest.raises(CensusFileError) as err:
        await _preview(vault, data)
    assert err.value.code == "TOO_MANY_ROWS" and "5,000" in err.value.message
    assert await CensusImport.all().count() == 0


async def test_the_100000_row_xlsx_is_refused_too(demo, vault):
    rows = [[XIJIE, "", str(i), "", "王", "户主", "1", ""] for i in range(100_000)]
    with pytest.raises(CensusFileError) as err:
        await _preview(vault, fast_xlsx_bytes(rows), filename="big.xlsx")
    assert err.value.code == "TOO_MANY_ROWS"


async def test_size_and_format_limits(demo, vault):
    with pytest.raises(CensusFileError) as err:
        await _preview(vault, csv_bytes(sample_rows(XIJIE, 3)), max_bytes=100)
    assert err.value.code == "TOO_LARGE"
    with pytest.raises(CensusFileError) as err:
        await _preview(vault, b"\xd0\xcf\x11\xe0 old excel", filename="a.xls")
    assert err.value.code == "BAD_FORMAT" and ".xls" in err.value.message
    with pytest.raises(CensusFileError) as err:
        await _preview(vault, b"PK\x03\x04 not really a zip", filename="a.xlsx")
    assert err.value.code == "BAD_FORMAT"
    with pytest.raises(CensusFileError) as err:
        await _preview(vault, b"", filename="a.csv")
    assert err.value.code == "EMPTY_FILE"
    assert await CensusImport.all().count() == 0


async def test_gb18030_csv_from_excel_is_read(demo, vault):
    text = "\r\n".join(",".join(r) for r in [HEADER, *sample_rows(XIJIE, 1)])
    record = await _preview(vault, text.encode("gb18030"))
    assert record.error_count == 0 and record.row_count == 3


async def test_a_preview_made_stale_by_a_later_entry_saves_nothing(demo, vault):
    # given a clean preview
    rows = sample_rows(XIJIE, 2)
    record = await _preview(vault, csv_bytes(rows))
    # when one of its people is entered on the PAD before the import is confirmed
    household = (await households())[0]
    await add_member(actor=await actor("officer1"), vault=vault, household_id=household.id, name="王一", relation="其他", id_number=rows[1][6], phone="")
    before = await _counts()
    # then confirming is refused and nothing of the file is saved
    with pytest.raises(Conflict) as err:
        await commit_import(actor=await actor("officer1"), vault=vault, import_id=record.id, now=NOW)
    assert err.value.code == "STALE_PREVIEW"
    assert await _counts() == before
    assert (await CensusImport.get(id=record.id)).status == "previewed"


async def test_a_failure_while_saving_members_rolls_back_the_households(demo, vault, monkeypatch):
    record = await _preview(vault, csv_bytes(sample_rows(XIJIE, 3)))
    before = await _counts()

    async def fail(*args, **kwargs):
        raise IntegrityError("simulated unique violation")

    monkeypatch.setattr(HouseholdMember, "bulk_create", classmethod(lambda cls, *a, **k: fail()))
    with pytest.raises(Conflict) as err:
        await commit_import(actor=await actor("officer1"), vault=vault, import_id=record.id, now=NOW)
    assert err.value.code == "STALE_PREVIEW"
    assert await _counts() == before
    assert (await CensusImport.get(id=record.id)).status == "previewed"


async def test_confirming_twice_or_after_discarding_is_refused(demo, vault):
    officer = await actor("officer1")
    record = await _preview(vault, csv_bytes(sample_rows(XIJIE, 1)))
    await commit_import(actor=officer, vault=vault, import_id=record.id, now=NOW)
    with pytest.raises(Conflict) as err:
        await commit_import(actor=officer, vault=vault, import_id=record.id, now=NOW)
    assert err.value.code == "ALREADY_DONE"
    other = await _preview(vault, csv_bytes(sample_rows(XIJIE, 1, first_household=700, people_offset=50)))
    await discard_import(actor=officer, import_id=other.id)
    assert (await CensusImport.get(id=other.id)).payload_enc is None
    with pytest.raises(Conflict):
        await commit_import(actor=officer, vault=vault, import_id=other.id, now=NOW)


async def test_an_auditor_cannot_import(demo, vault):
    with pytest.raises(Forbidden):
        await _preview(vault, csv_bytes(sample_rows(XIJIE, 1)), who="auditor")


async def test_groups_match_by_number_or_name(demo, vault):
    village_groups = await VillageGroup.filter(village__division_code=XIJIE).order_by("number")
    rows = sample_rows(XIJIE, 2, groups=("3",))
    rows[0][1] = rows[1][1] = rows[2][1] = "三组"
    rows[3][1] = rows[4][1] = village_groups[1].name
    record = await _preview(vault, csv_bytes(rows))
    assert record.error_count == 0
    await commit_import(actor=await actor("officer1"), vault=vault, import_id=record.id, now=NOW)
    numbers = {h.household_no: h.group_id for h in await Household.filter(household_no__in=["901", "902"])}
    assert numbers == {"901": village_groups[2].id, "902": village_groups[1].id}


async def test_id_numbers_stored_as_numbers_in_xlsx_are_refused_row_by_row(demo, vault):
    # given an XLSX whose 身份证号码 cells are numbers, one of which Excel rounded to digits that pass the check code
    rows = sample_rows(XIJIE, 1, first_household=960)
    rows[0][6] = "141023197504049981"  # what was typed; Excel kept 1.41023197504050E+17
    before = await _counts()
    # when it is previewed
    record = await _preview(vault, excel_with_numeric_ids(rows), filename="农户.xlsx")
    # then every such row is refused with what to do, and nothing can be confirmed
    errors = record.preview["errors"]
    assert record.error_count == len(rows) and [e["line"] for e in errors] == [r + 2 for r in range(len(rows))]
    assert {(e["column"], e["message"]) for e in errors} == {("身份证号码", "身份证号码是数字格式的单元格，Excel 只保留前 15 位数字，号码可能已被改动："
                                                              "请把“身份证号码”列设置为“文本”格式，重新填写号码后再导入")}
    assert ROUNDED_ID_NUMBER.encode() not in (record.payload_enc or b"")
    with pytest.raises(Conflict):
        await commit_import(actor=await actor("officer1"), vault=vault, import_id=record.id, now=NOW)
    assert await _counts() == before

import re

from app.models import CensusImport, Household, HouseholdMember, VillageGroup
from tests.factories import csrf_token, login
from tests.factories.villages import FENCHENG, XIJIE, households, village
from tests.support.census_files import csv_bytes, excel_with_numeric_ids, person_number, sample_rows


async def test_dashboard_links_to_the_village_page_with_masked_members(client, demo):
    await login(client)
    xijie = await village()
    home = await client.get("/")
    assert f'/villages/{xijie.id}"' in home.text
    page = await client.get(f"/villages/{xijie.id}")
    assert page.status_code == 200 and page.headers["vary"] == "HX-Request"
    assert "西街村" in page.text and 'id="household-list"' in page.text and "导入农户" in page.text
    member = await HouseholdMember.filter(household__village_id=xijie.id).first()
    assert member.id_number_masked in page.text
    assert not re.search(r"141023\d{11}[\dX]", page.text)  # no whole ID number anywhere
    assert 'id="village-' in page.text and "发起背靠背评议" in page.text


async def test_group_filter_returns_the_household_fragment(client, demo):
    await login(client)
    xijie = await village()
    group = await VillageGroup.get(village_id=xijie.id, number=1)
    fragment = await client.get(f"/villages/{xijie.id}?group={group.id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="households"' in fragment.text
    in_group = await Household.filter(village_id=xijie.id, group_id=group.id).count()
    assert fragment.text.count('-row"') == in_group


async def test_another_branchs_village_is_not_found(client, demo):
    await login(client)
    other = await village(FENCHENG)
    assert (await client.get(f"/villages/{other.id}")).status_code == 404
    assert (await client.get("/villages/not-a-uuid")).status_code == 404


async def test_add_a_household_then_its_head(client, demo, vault):
    await login(client)
    token = await csrf_token(client)
    xijie = await village()
    taken = (await households())[0].household_no
    dup = await client.post(f"/villages/{xijie.id}/households", data={"household_no": taken, "group_id": "", "address": "", "csrf_token": token}, headers={"HX-Request": "true"})
    assert dup.status_code == 422 and "该村已有这个户号" in dup.text and "<html" not in dup.text and 'id="household-new"' in dup.text
    made = await client.post(f"/villages/{xijie.id}/households", data={"household_no": "088", "group_id": "", "address": "西街88号", "csrf_token": token})
    household = await Household.get(village_id=xijie.id, household_no="088")
    assert made.status_code == 303 and made.headers["location"] == f"/households/{household.id}"
    bad = await client.post(f"/households/{household.id}/members", data={"name": "王建国", "relation": "head", "id_number": "141023196803150012", "phone": "", "csrf_token": token})
    assert bad.status_code == 422 and "身份证号码校验位不正确" in bad.text and 'aria-invalid="true"' in bad.text
    ok = await client.post(f"/households/{household.id}/members", data={"name": "王建国", "relation": "head", "id_number": person_number(5), "phone": "13800001111", "csrf_token": token})
    assert ok.status_code == 303
    page = await client.get(f"/households/{household.id}")
    assert "王建国" in page.text and "138****1111" in page.text and person_number(5) not in page.text


async def test_edit_a_member_keeps_the_phone_when_left_blank(client, demo, vault):
    await login(client)
    token = await csrf_token(client)
    member = await HouseholdMember.filter(household__village__division_code=XIJIE, phone_hash__not_isnull=True).first()
    form = await client.get(f"/members/{member.id}")
    assert form.status_code == 200 and member.id_number_masked in form.text
    done = await client.post(f"/members/{member.id}", data={"name": "改名后", "relation": member.relation.value, "id_number": "", "phone": "", "csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == f"/households/{member.household_id}"
    after = await HouseholdMember.get(id=member.id)
    assert after.name == "改名后" and after.phone_hash == member.phone_hash


async def test_import_upload_preview_and_confirm(client, demo):
    await login(client)
    token = await csrf_token(client)
    page = await client.get("/census/import")
    assert page.status_code == 200 and "村区划代码" in page.text
    upload = await client.post("/census/import", data={"csrf_token": token}, files={"file": ("农户.csv", csv_bytes(sample_rows(XIJIE, 2)), "text/csv")})
    record = await CensusImport.first()
    assert upload.status_code == 303 and upload.headers["location"] == f"/census/imports/{record.id}"
    preview = await client.get(f"/census/imports/{record.id}")
    assert "确认导入" in preview.text and "141002********0014" in preview.text and person_number(0) not in preview.text
    before = await Household.all().count()
    done = await client.post(f"/census/imports/{record.id}/confirm", data={"csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == f"/villages/{(await village()).id}"
    assert await Household.all().count() == before + 2


async def test_import_refusals_are_shown_on_the_form(client, demo):
    await login(client)
    token = await csrf_token(client)
    wrong = await client.post("/census/import", data={"csrf_token": token}, files={"file": ("x.csv", "姓名,电话\n王一,1\n".encode(), "text/csv")},
                              headers={"HX-Request": "true"})
    assert wrong.status_code == 422 and "表头不正确" in wrong.text and "<html" not in wrong.text
    rows = [[XIJIE, "", str(i), "", "王一", "户主", "1", ""] for i in range(100_000)]
    huge = await client.post("/census/import", data={"csrf_token": token}, files={"file": ("big.csv", csv_bytes(rows), "text/csv")})
    assert huge.status_code == 422 and "每次最多导入 5,000 行" in huge.text
    none = await client.post("/census/import", data={"csrf_token": token})
    assert none.status_code == 422 and "请选择要导入的" in none.text
    assert await CensusImport.all().count() == 0


async def test_a_preview_with_errors_cannot_be_confirmed(client, demo):
    await login(client)
    token = await csrf_token(client)
    rows = sample_rows(XIJIE, 1)
    rows[0][6] = "141023196803150012"
    await client.post("/census/import", data={"csrf_token": token}, files={"file": ("a.csv", csv_bytes(rows), "text/csv")})
    record = await CensusImport.first()
    preview = await client.get(f"/census/imports/{record.id}")
    assert "身份证号码校验位不正确" in preview.text and "确认导入" not in preview.text
    refused = await client.post(f"/census/imports/{record.id}/confirm", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "文件有" in refused.text and 'id="import-actions"' in refused.text


async def test_the_template_downloads(client, demo):
    await login(client)
    csv = await client.get("/census/template.csv")
    assert csv.status_code == 200 and csv.content.startswith("\ufeff村区划代码".encode())
    xlsx = await client.get("/census/template.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert (await client.get("/census/template.pdf")).status_code == 404


async def test_an_xlsx_with_id_numbers_stored_as_numbers_is_refused_row_by_row(client, demo):
    await login(client)
    token = await csrf_token(client)
    rows = sample_rows(XIJIE, 1)
    rows[0][6] = "141023197504049981"  # Excel keeps 1.41023197504050E+17, whose digits pass the check code
    await client.post("/census/import", data={"csrf_token": token},
                      files={"file": ("农户.xlsx", excel_with_numeric_ids(rows), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    record = await CensusImport.first()
    preview = await client.get(f"/census/imports/{record.id}")
    assert preview.text.count("请把“身份证号码”列设置为“文本”格式") == len(rows) and "确认导入" not in preview.text

"""The public calculator through HTTP, using the mobile app's own operation document."""

import pytest

from app.config import ROOT

DOCUMENT = (ROOT / "graphql" / "mobile" / "SchedulePreview.graphql").read_text(encoding="utf-8")


async def _preview(client, **overrides):
    variables = {
        "principal": "12000.00",
        "annualRatePercent": "24",
        "termMonths": 4,
        "method": "EQUAL_INSTALLMENT",
        "startDate": "2011-09-20",
        "firstDueDate": None,
        **overrides,
    }
    response = await client.post("/graphql", json={"query": DOCUMENT, "variables": {"input": variables}})
    assert response.status_code == 200
    return response.json()


async def test_public_example_matches_to_the_fen(client):
    body = await _preview(client)
    preview = body["data"]["schedulePreview"]
    assert preview["errors"] == []
    rows = preview["installments"]
    assert [r["payment"] for r in rows[:3]] == ["3151.49", "3151.49", "3151.49"]
    assert rows[0] == {"number": 1, "dueDate": "2011-10-20", "principal": "2911.49", "interest": "240.00", "payment": "3151.49", "remainingPrincipal": "9088.51"}
    assert sum(int(r["principal"].replace(".", "")) for r in rows) == 1_200_000
    assert rows[-1]["remainingPrincipal"] == "0.00"
    total_interest = sum(int(r["interest"].replace(".", "")) for r in rows)
    assert preview["totalInterest"] == f"{total_interest // 100}.{total_interest % 100:02d}"
    assert preview["totalPayment"] == f"{12000 + total_interest // 100}.{total_interest % 100:02d}"


async def test_no_login_needed_and_equal_principal_works(client):
    body = await _preview(client, method="EQUAL_PRINCIPAL", principal="10000", annualRatePercent="3.45", termMonths=12)
    rows = body["data"]["schedulePreview"]["installments"]
    assert {r["principal"] for r in rows[:-1]} == {"833.33"}
    assert rows[-1]["principal"] == "833.37"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"principal": "0"}, "principal", "INVALID_AMOUNT"),
        ({"principal": "-5.00"}, "principal", "INVALID_AMOUNT"),
        ({"principal": "100.001"}, "principal", "INVALID_AMOUNT"),
        ({"principal": "abc"}, "principal", "INVALID_AMOUNT"),
        ({"principal": ""}, "principal", "INVALID_AMOUNT"),
        ({"principal": "9" * 30}, "principal", "INVALID_AMOUNT"),
        ({"annualRatePercent": "-1"}, "annualRatePercent", "INVALID_RATE"),
        ({"annualRatePercent": "abc"}, "annualRatePercent", "INVALID_RATE"),
        ({"annualRatePercent": "4.12345"}, "annualRatePercent", "INVALID_RATE"),
        ({"termMonths": 0}, "termMonths", "INVALID_TERM"),
        ({"firstDueDate": "2011-09-20"}, "firstDueDate", "INVALID_DATE"),
    ],
)
async def test_bad_input_is_a_typed_error(client, overrides, field, code):
    preview = (await _preview(client, **overrides))["data"]["schedulePreview"]
    assert preview["installments"] == [] and preview["totalPayment"] is None
    assert len(preview["errors"]) == 1
    assert (preview["errors"][0]["field"], preview["errors"][0]["code"]) == (field, code)
    assert preview["errors"][0]["message"]


async def test_json_numbers_for_money_are_refused(client):
    body = await _preview(client, principal=12000.5)
    assert body["data"] is None
    assert "must be sent as strings" in body["errors"][0]["message"]


async def test_money_strings_read_as_they_always_have(client):
    thousand = (await _preview(client, principal="1,000"))["data"]["schedulePreview"]
    assert thousand["errors"] == []
    assert sum(int(r["principal"].replace(".", "")) for r in thousand["installments"]) == 100_000
    messages = {}
    for text in ("abc", "1.001", "-1", "", "1e3"):
        messages[text] = (await _preview(client, principal=text))["data"]["schedulePreview"]["errors"][0]["message"]
    assert messages == {"abc": "金额格式不正确", "1.001": "金额最多保留两位小数", "-1": "金额不能为负数", "": "金额格式不正确", "1e3": "金额格式不正确"}


async def test_a_money_string_longer_than_the_scalar_allows_is_refused_before_the_resolver(client):
    body = await _preview(client, principal="1" * 41)
    assert body["data"] is None and "too long" in body["errors"][0]["message"]

"""The external data sources (app/integrations/external_data.py): the sandbox's documented numbers, the HTTP client."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest

from app.domain import idcard
from app.domain.external_data import (
    ExternalSource,
    GrainSubsidyFacts,
    HousingFundFacts,
    InsuranceFacts,
    SocialInsuranceFacts,
    StateGridFacts,
    TaxFacts,
    facts_from_json,
    facts_to_json,
)
from app.integrations.external_data import ExternalSourceError, ExternalSourceTimeout, HttpSource, SandboxSource

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
RICH, ARREARS, NO_RECORD, ERROR, TIMEOUT = 101, 801, 811, 821, 831


def number(sequence: int) -> str:
    return idcard.make_number("141023", date(1980, 5, 17), sequence)


async def fetch(source, sequence, now=NOW):
    return await SandboxSource(source, clock=lambda: now).fetch(id_number=number(sequence), name="王建国", purpose="application")


@pytest.mark.parametrize("source", list(ExternalSource))
async def test_the_sandbox_answers_the_same_number_the_same_way_and_round_trips_through_json(source):
    first, again = await fetch(source, RICH), await fetch(source, RICH)
    assert first == again
    assert facts_from_json(source, json.loads(json.dumps(facts_to_json(first)))) == first
    assert await fetch(source, RICH + 1) != first  # another number, other data


async def test_rich_numbers_have_data_and_the_arrears_number_has_arrears():
    fund = await fetch(ExternalSource.HOUSING_FUND, RICH)
    assert isinstance(fund, HousingFundFacts) and fund.arrears_fen == 0 and fund.months_paid >= 24
    assert fund.monthly_contribution_fen == fund.monthly_base_fen * 24 // 100 and fund.last_paid_month == "2026-10"
    owed = await fetch(ExternalSource.HOUSING_FUND, ARREARS)
    assert owed.arrears_months == 3 and owed.arrears_fen == owed.monthly_contribution_fen * 3 and owed.last_paid_month == "2026-07"

    social = await fetch(ExternalSource.SOCIAL_INSURANCE, ARREARS)
    assert isinstance(social, SocialInsuranceFacts)
    assert {k.kind: k.status for k in social.kinds}["养老"] == "暂停缴费"
    assert all(k.status == "正常参保" for k in (await fetch(ExternalSource.SOCIAL_INSURANCE, RICH)).kinds)

    tax = await fetch(ExternalSource.TAX, ARREARS)
    assert isinstance(tax, TaxFacts) and tax.arrears_fen > 0 and len(tax.periods) == 8 and tax.periods[-1].period == "2026Q3"
    assert (await fetch(ExternalSource.TAX, RICH)).arrears_fen == 0

    grain = await fetch(ExternalSource.GRAIN_SUBSIDY, RICH)
    assert isinstance(grain, GrainSubsidyFacts) and {r.year for r in grain.records} == {2023, 2024, 2025}
    assert all(isinstance(r.area_mu, Decimal) and isinstance(r.amount_fen, int) for r in grain.records)

    policies = await fetch(ExternalSource.INSURANCE, ARREARS)
    assert isinstance(policies, InsuranceFacts) and policies.policies[0].status == "失效"
    assert all(p.status == "有效" for p in (await fetch(ExternalSource.INSURANCE, RICH)).policies)

    grid = await fetch(ExternalSource.STATE_GRID, ARREARS)
    assert isinstance(grid, StateGridFacts) and len(grid.months) == 12
    assert [m.paid_on_time for m in grid.months][-3:] == [False] * 3
    assert grid.arrears_fen == sum(m.billed_fen for m in grid.months[-3:])
    assert all(m.paid_on_time for m in (await fetch(ExternalSource.STATE_GRID, RICH)).months)


@pytest.mark.parametrize("source", list(ExternalSource))
async def test_the_no_record_error_and_timeout_numbers(source):
    assert await fetch(source, NO_RECORD) is None
    with pytest.raises(ExternalSourceTimeout):
        await fetch(source, TIMEOUT)
    with pytest.raises(ExternalSourceError) as failed:
        await fetch(source, ERROR)
    assert not isinstance(failed.value, ExternalSourceTimeout)


def test_facts_from_json_refuses_floats_for_money():
    data = facts_to_json(HousingFundFacts("单位", 500_000, 120_000, 36, "2026-10", 0, 0))
    with pytest.raises(ValueError, match="整数"):
        facts_from_json(ExternalSource.HOUSING_FUND, data | {"monthly_base_fen": 5000.0})
    with pytest.raises(ValueError, match="缺少"):
        facts_from_json(ExternalSource.HOUSING_FUND, {k: v for k, v in data.items() if k != "arrears_fen"})


def _http(handler, **kwargs) -> HttpSource:
    return HttpSource(ExternalSource.HOUSING_FUND, base_url="http://gjj.test", api_key="k", transport=httpx.MockTransport(handler), **kwargs)


async def test_the_http_client_posts_the_query_and_reads_the_facts():
    facts = HousingFundFacts("襄汾县第一中学", 600_000, 144_000, 48, "2026-10", 0, 0)
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["url"], seen["auth"], seen["body"] = str(request.url), request.headers.get("authorization"), json.loads(request.content)
        return httpx.Response(200, json={"found": True, "facts": facts_to_json(facts)})

    assert await _http(handler).fetch(id_number=number(RICH), name="王建国", purpose="application") == facts
    assert seen == {"url": "http://gjj.test/query", "auth": "Bearer k",
                    "body": {"idNumber": number(RICH), "name": "王建国", "purpose": "application"}}
    assert await _http(lambda r: httpx.Response(200, json={"found": False})).fetch(id_number="x", name="", purpose="application") is None


@pytest.mark.parametrize(("response", "error"), [
    (httpx.Response(504), ExternalSourceTimeout),
    (httpx.Response(500), ExternalSourceError),
    (httpx.Response(200, content=b"not json"), ExternalSourceError),
    (httpx.Response(200, json={"found": True, "facts": {"employer": "x"}}), ExternalSourceError),
])
async def test_the_http_client_turns_failures_into_typed_errors(response, error):
    with pytest.raises(error):
        await _http(lambda r: response).fetch(id_number="x", name="", purpose="application")


async def test_the_http_client_times_out():
    def handler(request):
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(ExternalSourceTimeout):
        await _http(handler).fetch(id_number="x", name="", purpose="application")

import asyncio
import base64
import json
from datetime import UTC, date, datetime

import httpx
import pytest

from app.cli.risk import default_reject_ruleset
from app.config import Settings
from app.domain import idcard
from app.domain.credit_report import parse_report
from app.domain.rules import evaluate
from app.integrations.bureau import BureauError, BureauTimeout, HttpBureau, SandboxBureau, sandbox_outcome
from app.wiring import Adapters

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
ASK = {"name": "王建国", "reason": "贷款审批", "institution": "襄汾农商行"}


def number(sequence: int) -> str:
    return idcard.make_number("141023", date(1980, 5, 17), sequence)


async def fetch(bureau, sequence: int, **kwargs) -> bytes:
    return await bureau.fetch_report(id_number=number(sequence), **(ASK | kwargs))


# The table in docs/sandbox.md: first and last sequence of each row -> profile -> default-rule decision.
ROWS = [
    ((0, 899), "clean", "pass", set()),
    ((900, 909), "thin", "pass", set()),
    ((910, 919), "current_overdue", "reject", {"CURRENT_OVERDUE"}),
    ((920, 929), "lian_san_lei_liu", "reject", {"LIAN_SAN_LEI_LIU"}),
    ((930, 939), "bad_debt", "reject", {"BAD_ACCOUNT_STATUS", "BAD_REPAYMENT_SYMBOL"}),
    ((940, 949), "guarantor_repaid", "reject", {"BAD_REPAYMENT_SYMBOL"}),
    ((950, 959), "special_mention", "reject", {"FIVE_CLASS"}),
    ((960, 969), "many_queries", "reject", {"HARD_QUERIES_3M"}),
    ((970, 979), "problem_guarantee", "reject", {"PROBLEM_GUARANTEE"}),
    ((980, 989), "frozen_card", "reject", {"BAD_ACCOUNT_STATUS"}),
    ((990, 994), "public_record", "review", {"PUBLIC_RECORD"}),
]


@pytest.mark.parametrize(("codes", "profile", "decision", "rules"), ROWS)
async def test_sandbox_table_gives_the_documented_report(codes, profile, decision, rules):
    bureau = SandboxBureau(clock=lambda: NOW)
    ruleset = default_reject_ruleset()
    for sequence in codes:
        assert sandbox_outcome(number(sequence)) == profile
        report = parse_report(await fetch(bureau, sequence))
        result = evaluate(ruleset, report, report.report_date)
        assert result.decision == decision, (sequence, result.hits)
        assert rules <= {h.code for h in result.hits}


async def test_a_thin_report_has_no_accounts():
    report = parse_report(await fetch(SandboxBureau(clock=lambda: NOW), 905))
    assert report.accounts == () and report.guarantees == ()


async def test_sandbox_is_deterministic_and_records_the_query():
    bureau = SandboxBureau(clock=lambda: NOW)
    first, again = await fetch(bureau, 123), await fetch(bureau, 123)
    assert first == again
    assert await fetch(bureau, 125) != first
    report = parse_report(first)
    assert report.subject.id_number == number(123) and report.subject.name == "王建国"
    assert report.report_date == date(2026, 11, 27)  # Beijing date of the query
    assert report.query.reason == "贷款审批" and report.query.institution == "襄汾农商行"
    assert report.query.queried_at == datetime(2026, 11, 27, 10, 0, tzinfo=report.query.queried_at.tzinfo)
    today = [r for r in report.query_records if r.on == report.report_date]
    assert [(r.reason, r.institution) for r in today] == [("贷款审批", "襄汾农商行")]


async def test_a_soft_query_appears_as_such_on_the_report():
    report = parse_report(await fetch(SandboxBureau(clock=lambda: NOW), 123, reason="贷后管理"))
    today = [r for r in report.query_records if r.on == report.report_date]
    assert [r.reason for r in today] == ["贷后管理"]


async def test_sandbox_timeout_error_and_bad_number():
    bureau = SandboxBureau(clock=lambda: NOW)
    with pytest.raises(BureauTimeout) as timeout:
        await fetch(bureau, 999)
    assert timeout.value.code == "BUREAU_TIMEOUT"
    for sequence in (995, 998):
        with pytest.raises(BureauError) as err:
            await fetch(bureau, sequence)
        assert err.value.code == "BUREAU_UNAVAILABLE" and not isinstance(err.value, BureauTimeout)
    with pytest.raises(BureauError) as bad:
        await bureau.fetch_report(id_number="141023198005171019", **ASK)
    assert bad.value.code == "BUREAU_BAD_REQUEST"


# --- HTTP client against a mock transport ---------------------------------------------------


def http_bureau(handler, **kwargs) -> HttpBureau:
    options = {"base_url": "https://bureau.example/api/", "username": "cunxin", "password": "s3cret", "timeout_seconds": 2.0}
    return HttpBureau(**(options | kwargs), transport=httpx.MockTransport(handler))


async def test_http_request_shape_and_answer():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"<CreditReport/>", headers={"content-type": "application/xml"})

    assert await fetch(http_bureau(handler), 123) == b"<CreditReport/>"
    (request,) = seen
    assert request.method == "POST" and str(request.url) == "https://bureau.example/api/reports"
    assert json.loads(request.content) == {"idNumber": number(123), "name": "王建国", "reason": "贷款审批", "institution": "襄汾农商行"}
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"cunxin:s3cret").decode()
    assert request.headers["accept"] == "application/xml"


async def test_http_without_username_sends_no_credentials():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, content=b"<CreditReport/>")

    await fetch(http_bureau(handler, username="", password=""), 123)
    assert "authorization" not in seen[0].headers


@pytest.mark.parametrize(
    ("handler", "error", "code"),
    [
        (lambda r: httpx.Response(504), BureauTimeout, "BUREAU_TIMEOUT"),
        (lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=r)), BureauTimeout, "BUREAU_TIMEOUT"),
        (lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused", request=r)), BureauError, "BUREAU_UNAVAILABLE"),
        (lambda r: httpx.Response(500, text="oops"), BureauError, "BUREAU_UNAVAILABLE"),
        (lambda r: httpx.Response(401), BureauError, "BUREAU_UNAVAILABLE"),
        (lambda r: httpx.Response(200, content=b"x" * 2048), BureauError, "BUREAU_TOO_LARGE"),
    ],
)
async def test_http_failures_become_bureau_errors(handler, error, code):
    with pytest.raises(error) as err:
        await fetch(http_bureau(handler, max_bytes=1024), 123)
    assert err.value.code == code


async def test_http_slow_answer_times_out_on_the_overall_deadline():
    async def handler(request):
        await asyncio.sleep(5)
        return httpx.Response(200, content=b"<CreditReport/>")

    with pytest.raises(BureauTimeout):
        await fetch(http_bureau(handler, timeout_seconds=0.05), 123)


def test_wiring_picks_the_sandbox_unless_a_url_is_set():
    assert isinstance(Adapters.from_settings(Settings()).bureau, SandboxBureau)
    real = Adapters.from_settings(Settings(bureau_url="https://bureau.bank/api", bureau_username="u", bureau_password="p", bureau_timeout_seconds=3)).bureau
    assert isinstance(real, HttpBureau)
    assert real.base_url == "https://bureau.bank/api" and real.timeout_seconds == 3


@pytest.mark.parametrize(
    ("example", "outcome"),
    [("141023198005171013", "clean"), ("141023198005179111", "current_overdue"), ("141023198005179998", "timeout")],
)
def test_the_example_numbers_in_the_docs(example, outcome):
    assert idcard.is_valid(example) and sandbox_outcome(example) == outcome

"""`cunxin lpr add` and the lprPublish mutation: a publication date after the business date only as a scheduled rate."""

import os
import subprocess
import sys

from app.config import ROOT
from app.models import AuditEvent, LprPublication
from app.services import business_date
from tests.api.lending.test_lending_api import _token
from tests.services.lending.conftest import TODAY


def _cunxin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)


async def test_lpr_add_refuses_a_date_after_the_business_date_unless_scheduled(demo):
    await business_date.set_current(TODAY)
    # a next-month date typed by mistake is refused, and nothing is recorded
    refused = _cunxin("lpr", "add", "2026-12-21", "2.90", "3.40")
    assert refused.returncode == 1
    assert "发布日期 2026-12-21 晚于当前会计日期 2026-11-27" in refused.stderr and "--scheduled" in refused.stderr
    assert not await LprPublication.filter(published_on="2026-12-21").exists()
    assert not await AuditEvent.filter(action="lpr.publish", entity_id="2026-12-21").exists()
    # marked as scheduled it is recorded, and the audit line says so
    scheduled = _cunxin("lpr", "add", "2026-12-21", "2.90", "3.40", "--scheduled")
    assert scheduled.returncode == 0, scheduled.stderr
    assert {(r.tenor.value, r.rate_ppm) for r in await LprPublication.filter(published_on="2026-12-21")} == {("1y", 29000), ("5y", 34000)}
    audit = await AuditEvent.get(action="lpr.publish", entity_id="2026-12-21")
    assert audit.after["scheduled"] is True
    # the business date itself needs no flag
    today = _cunxin("lpr", "add", TODAY.isoformat(), "2.95", "3.45")
    assert today.returncode == 0, today.stderr
    assert (await AuditEvent.get(action="lpr.publish", entity_id=TODAY.isoformat())).after["scheduled"] is False


MUTATION = "mutation P($input: LprPublishInput!) { lprPublish(input: $input) { rates { tenor ratePercent } errors { code field message } } }"


async def test_lpr_publish_mutation_needs_scheduled_for_a_future_date(client, demo):
    await business_date.set_current(TODAY)
    headers = await _token("admin")
    future = {"publishedOn": "2026-12-21", "oneYearPercent": "2.90", "fiveYearPercent": "3.40"}
    refused = (await client.post("/graphql", json={"query": MUTATION, "variables": {"input": future}}, headers=headers)).json()["data"]["lprPublish"]
    assert refused["rates"] == [] and [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID_DATE", "publishedOn")]
    assert not await LprPublication.filter(published_on="2026-12-21").exists()
    done = (await client.post("/graphql", json={"query": MUTATION, "variables": {"input": {**future, "scheduled": True}}}, headers=headers)).json()
    assert done["data"]["lprPublish"] == {"rates": [{"tenor": "ONE_YEAR", "ratePercent": "2.90"}, {"tenor": "FIVE_YEAR", "ratePercent": "3.40"}], "errors": []}

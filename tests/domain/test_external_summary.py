"""The PAD's one-line summary of a source's answer: the facts an officer needs, an electricity account number masked."""

import asyncio
from datetime import UTC, date, datetime

from app.domain.external_data import ExternalSource, summarise
from app.integrations.external_data import SandboxSource
from tests.factories.risk import id_number


def _facts(source, sequence=101):
    sandbox = SandboxSource(source, clock=lambda: datetime(2026, 11, 27, 2, tzinfo=UTC))
    return asyncio.run(sandbox.fetch(id_number=id_number(sequence), name="王建国", purpose="application"))


def test_every_source_has_a_summary_without_the_whole_account_number():
    for source in ExternalSource:
        text = summarise(_facts(source))
        assert text and "\n" not in text
    grid = _facts(ExternalSource.STATE_GRID, 801)
    text = summarise(grid)
    assert grid.account_number not in text and f"户号 {grid.account_number[:2]}" in text and grid.account_number[-4:] in text
    assert "个月未按时缴费" in text and "欠费" in text
    fund = _facts(ExternalSource.HOUSING_FUND, 801)
    assert f"欠缴 {fund.arrears_months} 个月" in summarise(fund)
    grain = _facts(ExternalSource.GRAIN_SUBSIDY)
    assert summarise(grain).startswith(f"{date(2026, 1, 1).year - 1} 年：")

"""Portfolio import of the LPR history (issue 18): the missing fixings are added, a date already held with the same rates
is skipped, a date held with other rates is refused (history is not rewritten), a future date is refused."""

import csv
import io
from datetime import date

from app.models import ImportRecord, LprPublication
from app.services.actor import SYSTEM
from app.services.portfolio_import import import_lpr

HEADER = ["发布日期", "一年期LPR", "五年期以上LPR"]


def _file(tmp_path, rows):
    out = io.StringIO(newline="")
    csv.writer(out).writerows([HEADER, *rows])
    path = tmp_path / "lpr.csv"
    path.write_bytes(out.getvalue().encode("gb18030"))
    return path


async def _run(path, *, confirm, vault):
    return await import_lpr(actor=SYSTEM, vault=vault, bank_code="14102301", path=path, confirm=confirm, max_bytes=1 << 20)


async def _rates():
    return sorted((p.published_on, str(p.tenor), p.rate_ppm) for p in await LprPublication.all())


async def test_lpr_history_adds_the_missing_days_and_never_rewrites_one(demo, vault, tmp_path):
    before = await _rates()
    # 2019-08-20 is held (4.25 / 4.85): skipped; 2025-06-20 and 2025-07-21 are not: added
    good = _file(tmp_path, [["2019-08-20", "4.25", "4.85"], ["2025-06-20", "3.00", "3.50"], ["2025/07/21", "3%", "3.5"]])
    preview = await _run(good, confirm=False, vault=vault)
    assert (preview.error_count, preview.new, preview.skipped) == (0, 2, 1) and await _rates() == before
    done = await _run(good, confirm=True, vault=vault)
    assert (done.committed, done.new, done.skipped) == (True, 2, 1)
    added = sorted(set(await _rates()) - set(before))
    assert added == [(date(2025, 6, 20), "1y", 30000), (date(2025, 6, 20), "5y", 35000), (date(2025, 7, 21), "1y", 30000), (date(2025, 7, 21), "5y", 35000)]
    assert await ImportRecord.filter(kind="lpr").count() == 2
    assert (await _run(good, confirm=True, vault=vault)).new == 0

    held = await _rates()
    bad = _file(tmp_path, [["2019-08-20", "4.20", "4.85"], ["2099-01-20", "3.00", "3.50"], ["2025-08-20", "3.005", "3.50"]])
    refused = await _run(bad, confirm=True, vault=vault)
    assert [str(e) for e in refused.errors] == [
        "第 2 行「一年期LPR」：本系统 2019-08-20 的一年期LPR为 4.25%，与文件的 4.20% 不一致（已有的 LPR 不会被改写）",
        "第 3 行「发布日期」：发布日期晚于当前会计日期 2026-11-27（预定生效的利率请在管理端录入）",
        "第 4 行「一年期LPR」：LPR 应为 0–20 之间的百分数，最多两位小数，如 3.45",
    ]
    assert refused.committed is False and await _rates() == held

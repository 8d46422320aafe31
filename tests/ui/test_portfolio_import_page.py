"""/admin/import (issue 18): a bank admin uploads the old system's files, sees the CLI's preview (row and column errors in
Chinese, counts, nothing written), confirms, and after loans sees the reconciliation — the same service functions as
`cunxin import`. Other roles are refused; a file over CUNXIN_IMPORT_MAX_BYTES is refused before anything is read."""

import asyncio
import re
from datetime import UTC, datetime
from uuid import UUID

import pytest

from app.models import AuditEvent, BankCard, CreditLine, Customer, ImportRecord, ImportRun, Loan
from app.services import business_date
from app.services.job_lifecycle.kinds import kinds_on
from app.services.job_lifecycle.reconcile import reconcile_jobs
from app.services.jobs import DEFAULT_QUEUE, UNKNOWN
from app.services.portfolio_import import SERVICES, runs
from tests.factories import csrf_token, login
from tests.fakes import FakeJobQueue
from tests.services.portfolio_import.legacy_book import legacy_book

HTMX = {"HX-Request": "true"}


async def _as(client, username):
    client.cookies.clear()
    await login(client, username)
    return await csrf_token(client)


@pytest.fixture(autouse=True)
def worker_queue(app):
    """The page's runs are queued here; `_settle` runs them as the default worker would."""
    app.state.queue = FakeJobQueue()
    return app.state.queue


async def _settle(app, client, answer):
    """An accepted upload or confirmation shows the run's progress and polls it; run its job, then poll once more."""
    if answer.status_code != 202:
        return answer  # refused before any run started
    assert 'id="import-progress"' in answer.text and 'hx-trigger="every 1s"' in answer.text
    found = re.search(r"hx-get=\"([^\"]*/admin/import/runs/[0-9a-f-]+)\"", answer.text)
    assert found, answer.text
    poll = found.group(1)
    while app.state.queue.jobs:
        job = app.state.queue.jobs.pop(0)
        assert job.function == "portfolio_import_run"
        await runs.execute_run(run_id=UUID(job.kwargs["run_id"]), vault=app.state.vault, staging=app.state.settings.var_dir / "imports",
                               max_bytes=app.state.settings.import_max_bytes, queue=app.state.queue, now=datetime.now(UTC))
    return await client.get(poll, headers=HTMX)


async def _upload(app, client, token, kind, path, name=None):
    answer = await client.post("/admin/import", data={"kind": kind}, files={"file": (name or path.name, path.read_bytes(), "text/csv")},
                               headers={**HTMX, "X-CSRF-Token": token})
    return await _settle(app, client, answer)


def _confirm_token(html: str) -> str:
    marker = 'name="token" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


async def _confirm(app, client, token, kind, staged):
    answer = await client.post("/admin/import/confirm", data={"kind": kind, "token": staged, "csrf_token": token}, headers=HTMX)
    return await _settle(app, client, answer)


async def test_a_bank_admin_previews_and_confirms_a_legacy_book_and_sees_the_reconciliation(client, demo, tmp_path, app):
    token = await _as(client, "admin")
    page = await client.get("/admin/import")
    assert page.status_code == 200 and "存量数据导入 · 襄汾农商行" in page.text and 'name="file"' in page.text
    assert "/admin/import/template/loans.xlsx" in page.text and "存量导入" in page.text  # the nav link
    template = await client.get("/admin/import/template/customers.xlsx")
    assert template.status_code == 200 and template.content.startswith(b"PK")

    book = legacy_book(tmp_path, await business_date.current())
    for kind, path, label, n in (("customers", book.customers, "客户", 5), ("cards", book.cards, "银行卡", 3),
                                 ("credit_lines", book.lines, "授信额度", 5)):  # cards only for the borrowers who pay
        preview = await _upload(app, client, token, kind, path)
        assert preview.status_code == 200, preview.text
        assert "预览通过（未写入）" in preview.text and f"共 {n} 行，新增 {n} 行" in preview.text
        done = await _confirm(app, client, token, kind, _confirm_token(preview.text))
        assert done.status_code == 200 and "已导入。" in done.text and f"襄汾农商行 {label}" in done.text, done.text
    assert (await Customer.all().count(), await BankCard.all().count(), await CreditLine.all().count()) == (5, 3, 5)

    preview = await _upload(app, client, token, "loans", book.loans)
    assert preview.status_code == 200 and "新增 5 行" in preview.text and await Loan.all().count() == 0
    staged = _confirm_token(preview.text)
    done = await _confirm(app, client, token, "loans", staged)
    assert done.status_code == 200 and "已导入。" in done.text, done.text
    assert await Loan.all().count() == 5
    assert 'id="import-reconciliation"' in done.text and "对账相符" in done.text and "迁移过渡科目余额：¥0.00" in done.text
    assert "便利贷" in done.text and "控制合计" in done.text
    assert await AuditEvent.filter(action="import.loans").count() == 1
    # the staged file is gone once imported: the same confirmation again writes nothing
    again = await _confirm(app, client, token, "loans", staged)
    assert again.status_code == 422 and "找不到预览过的文件" in again.text and await Loan.all().count() == 5


async def test_a_bad_file_lists_row_errors_in_chinese_and_writes_nothing(client, demo, tmp_path, app):
    token = await _as(client, "admin")
    bad = tmp_path / "customers.csv"
    bad.write_bytes("客户编号,姓名,身份证号码,手机号,村区划代码\nC1,王建国,141023196803150032,13800000001,141023100201\n"
                    "C1,李秀英,141023197001020029,,999999999999\n".encode("gb18030"))
    preview = await _upload(app, client, token, "customers", bad)
    assert preview.status_code == 422
    assert "有错误，未写入任何数据" in preview.text and 'id="import-errors"' in preview.text
    assert "第 2 行" in preview.text and "身份证号码校验位不正确" in preview.text
    assert "第 3 行" in preview.text and "与第 2 行的客户编号重复" in preview.text
    assert 'id="import-confirm"' not in preview.text  # nothing to confirm
    assert await Customer.all().count() == 0 and await ImportRecord.all().count() == 0
    # a file that is not CSV or XLSX, and a header the kind does not know, are refused whole
    old = await _upload(app, client, token, "customers", bad, name="book.xls")
    assert old.status_code == 422 and "不支持旧版 Excel（.xls）文件" in old.text
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("编号,名字\n1,2\n", encoding="utf-8")
    refused = await _upload(app, client, token, "customers", wrong)
    assert refused.status_code == 422 and 'id="import-error"' in refused.text
    # a token that is not one of this bank's staged files
    forged = await _confirm(app, client, token, "customers", "../../etc/passwd")
    assert forged.status_code == 422 and "找不到预览过的文件" in forged.text


async def test_a_file_over_the_cap_is_refused_before_it_is_read(client, demo, tmp_path, app, monkeypatch):
    token = await _as(client, "admin")
    monkeypatch.setattr(app.state.settings, "import_max_bytes", 1024)
    big = tmp_path / "customers.csv"
    big.write_bytes(b"x" * 200_000)  # past the cap and the form's frame: refused from Content-Length
    refused = await _upload(app, client, token, "customers", big)
    assert refused.status_code == 422 and "文件超过上限" in refused.text
    near = tmp_path / "near.csv"
    near.write_bytes(b"x" * 2048)  # within the frame's slack: refused while it is copied, nothing kept
    refused = await _upload(app, client, token, "customers", near)
    assert refused.status_code == 422 and "文件超过上限" in refused.text
    staging = app.state.settings.var_dir / "imports"
    assert not staging.exists() or not any(p.is_file() for p in staging.rglob("*"))


async def test_only_a_bank_admin_may_import(client, demo, tmp_path, app):
    for username in ("officer1", "platform_admin"):
        token = await _as(client, username)
        assert (await client.get("/admin/import")).status_code == 403
        path = tmp_path / "c.csv"
        path.write_text("客户编号\n1\n", encoding="utf-8")
        assert (await _upload(app, client, token, "customers", path)).status_code == 403
    assert await Customer.all().count() == 0


async def test_a_preview_left_unconfirmed_expires_and_its_file_is_removed(client, demo, tmp_path, app):
    """A staged upload waits STAGED_TTL for its confirmation; after that the token is refused and the next upload deletes it."""
    import os
    import time

    from app.services.portfolio_import.files import STAGED_TTL

    token = await _as(client, "admin")
    book = legacy_book(tmp_path, await business_date.current())
    preview = await _upload(app, client, token, "customers", book.customers)
    staged = _confirm_token(preview.text)
    [path] = list((app.state.settings.var_dir / "imports").glob(f"*/{staged}"))
    old = time.time() - STAGED_TTL.total_seconds() - 60
    os.utime(path, (old, old))

    done = await _confirm(app, client, token, "customers", staged)
    assert done.status_code == 422 and "找不到预览过的文件（可能已导入或已过期）" in done.text
    assert await Customer.all().count() == 0

    fresh = await _upload(app, client, token, "customers", book.customers)
    assert fresh.status_code == 200 and not path.exists()  # the stale file went when the next one came
    assert (path.parent / _confirm_token(fresh.text)).exists()


async def test_the_page_shows_the_runs_progress_while_the_worker_reads_the_file(client, demo, tmp_path, app, monkeypatch):
    """While the import service reads, its progress reaches the run's row about once a second and the page's poll shows it."""
    token = await _as(client, "admin")
    book = legacy_book(tmp_path, await business_date.current())
    answer = await client.post("/admin/import", data={"kind": "customers"}, files={"file": ("c.csv", book.customers.read_bytes(), "text/csv")},
                               headers={**HTMX, "X-CSRF-Token": token})
    assert answer.status_code == 202 and "客户文件已上传，等待后台处理" in answer.text
    poll = re.search(r"hx-get=\"([^\"]*/admin/import/runs/[0-9a-f-]+)\"", answer.text).group(1)
    seen = []
    real = SERVICES["customers"]

    async def reading(**kwargs):  # the real service, with a look at the page after its first report
        kwargs["progress"]("检查", 3)
        await asyncio.sleep(runs.FLUSH_SECONDS * 3)
        seen.append(await client.get(poll, headers=HTMX))
        return await real(**kwargs)

    monkeypatch.setattr(runs, "FLUSH_SECONDS", 0.02)
    monkeypatch.setitem(SERVICES, "customers", reading)
    done = await _settle(app, client, answer)
    [middle] = seen
    assert middle.status_code == 202 and "正在检查客户：已处理 3 行，约 5 行" in middle.text and 'value="3"' in middle.text
    assert done.status_code == 200 and "预览通过（未写入）" in done.text and 'hx-trigger' not in done.text


async def test_a_run_left_running_by_a_killed_worker_runs_again_and_writes_once(client, demo, tmp_path, app):
    token = await _as(client, "admin")
    book = legacy_book(tmp_path, await business_date.current())
    staged = _confirm_token((await _upload(app, client, token, "customers", book.customers)).text)
    first = await client.post("/admin/import/confirm", data={"kind": "customers", "token": staged, "csrf_token": token}, headers=HTMX)
    second = await client.post("/admin/import/confirm", data={"kind": "customers", "token": staged, "csrf_token": token}, headers=HTMX)
    assert first.status_code == second.status_code == 202
    assert len(app.state.queue.jobs) == 1 and await ImportRun.filter(confirm=True).count() == 1  # a double tap is one run
    [job] = app.state.queue.jobs
    run_id = UUID(job.kwargs["run_id"])
    await ImportRun.filter(id=run_id).update(status="running", stage="写入", rows_done=2)  # the worker died mid-way: nothing committed
    assert await Customer.all().count() == 0
    # the reconciler finds the job lost and queues it again; the new attempt finishes the run
    now = datetime.now(UTC)
    app.state.queue.states[job.job_id] = UNKNOWN
    assert (await reconcile_jobs(kinds=kinds_on(DEFAULT_QUEUE, outbox_max_attempts=3), queue=app.state.queue, now=now)).requeued == 1
    assert [j.job_id for j in app.state.queue.jobs] == [job.job_id, f"portfolio_import_run:{run_id}:2"]
    done = await _settle(app, client, first)
    assert done.status_code == 200 and "已导入。" in done.text and await Customer.all().count() == 5
    # a redelivered job of the finished run changes nothing
    again = await runs.execute_run(run_id=run_id, vault=app.state.vault, staging=app.state.settings.var_dir / "imports",
                                   max_bytes=app.state.settings.import_max_bytes, queue=app.state.queue, now=now)
    assert again.status == "done" and await Customer.all().count() == 5 and await AuditEvent.filter(action="import.customers").count() == 1


async def test_only_the_banks_admin_reads_a_run(client, demo, tmp_path, app):
    token = await _as(client, "admin")
    book = legacy_book(tmp_path, await business_date.current())
    answer = await client.post("/admin/import", data={"kind": "customers"}, files={"file": ("c.csv", book.customers.read_bytes(), "text/csv")},
                               headers={**HTMX, "X-CSRF-Token": token})
    poll = re.search(r"hx-get=\"([^\"]*/admin/import/runs/[0-9a-f-]+)\"", answer.text).group(1)
    assert (await client.get(poll.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000")).status_code == 404
    await _as(client, "officer1")
    assert (await client.get(poll)).status_code == 403

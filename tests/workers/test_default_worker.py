import os
import signal
import subprocess
import sys
import time

from arq.worker import Worker

from app.config import ROOT
from app.models import Document
from app.domain.vocabulary import DocumentKind, VerifyStatus
from app.services.actor import SYSTEM
from app.services.documents import MediaStore, store_document
from app.services.jobs import DEFAULT_QUEUE, ArqJobQueue
from app.wiring import redis_settings
from workers.default import DefaultWorker


async def _run_burst(settings, media):
    worker = Worker(
        functions=DefaultWorker.functions,
        queue_name=DEFAULT_QUEUE,
        redis_settings=redis_settings(settings),
        burst=True,
        poll_delay=0.05,
        ctx={"media": media},  # the test process already has the ORM open
        handle_signals=False,
    )
    try:
        await worker.main()
    finally:
        await worker.close()


async def test_enqueued_document_check_runs_on_a_real_worker(db, settings, redis_server, tmp_path):
    # given two stored documents, one of which is tampered with on disk
    media = MediaStore(tmp_path / "media")
    queue = ArqJobQueue(redis_settings(settings))
    good = await store_document(actor=SYSTEM, media=media, data=b"%PDF-1.7 good", kind=DocumentKind.CONTRACT, content_type="application/pdf", max_bytes=1024, queue=queue)
    bad = await store_document(actor=SYSTEM, media=media, data=b"%PDF-1.7 bad", kind=DocumentKind.CONTRACT, content_type="application/pdf", max_bytes=1024, queue=queue)
    media.path_for(bad.sha256).write_bytes(b"changed")
    assert (await Document.get(id=good.id)).verify_job_id == f"verify_document:{good.id}"
    # when a worker drains the queue
    await _run_burst(settings, media)
    await queue.close()
    # then each record carries its result
    good, bad = await Document.get(id=good.id), await Document.get(id=bad.id)
    assert good.verify_status == VerifyStatus.OK and good.verified_at is not None
    assert bad.verify_status == VerifyStatus.FAILED and bad.verify_error == "文件内容与哈希不符"


async def test_a_job_id_still_queued_is_reported_not_dropped(db, settings, redis_server):
    queue = ArqJobQueue(redis_settings(settings))
    job_id = f"verify_document:dup-{time.time_ns()}"
    assert await queue.enqueue("verify_document", job_id=job_id, document_id="00000000-0000-0000-0000-000000000000") is True
    assert await queue.enqueue("verify_document", job_id=job_id, document_id="00000000-0000-0000-0000-000000000000") is False
    await (await queue.pool()).delete(f"arq:job:{job_id}")
    await queue.close()


def test_worker_process_exits_promptly_on_sigterm(settings, redis_server, _orm):
    # the worker opens its own tortoise connection to the same database
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        lines = []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "worker started" in line or "Starting worker" in line:
                break
        assert any("Starting worker" in line or "worker started" in line for line in lines), "".join(lines)
        time.sleep(0.5)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        assert time.monotonic() - started < 10
    finally:
        if proc.poll() is None:
            proc.kill()

"""The ML worker (queue arq:ml): ID-card OCR, face match, liveness and face enrolment.

    cunxin ml-worker

One job at a time per process (`max_jobs=1`, scale with processes). The engines (rapidocr,
deepface Dlib, the dlib 68-point predictor: `workers/engines/`) are built once, in a child process
that runs every model call (`workers/engines/process.py`): a call past
`CUNXIN_ML_MODEL_TIMEOUT_SECONDS` (20 s) kills that child and the job fails with TIMEOUT (the
officer sees 重试), so arq's job timeout stays short (`CUNXIN_ML_JOB_TIMEOUT_SECONDS`, 30 s) and a job of a crashed worker runs again ≈40 s later.
Every result is written idempotently (the services claim the row and write a result once); the
reconciler (`reconcile_jobs`, app/services/job_lifecycle/reconcile.py, at start and every minute)
queues again or fails the rows whose job the queue lost or gave up on.

Failures: a bad image, no face, two faces, a photo that is not an ID card... end the job with
status failed and the Chinese reason on the row, and the worker carries on. An unexpected
error in a model call is recorded the same way (and logged). A database that is briefly
unavailable raises arq `Retry`. Nothing personal (names, numbers, OCR text, images,
embeddings) is logged: only record ids and outcomes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from uuid import UUID

from arq import cron, func
from arq.worker import Retry
from tortoise.exceptions import DBConnectionError, OperationalError

from app import clock
from app.config import get_settings
from app.db import init_db
from app.domain.errors import DomainError
from app.domain.face import MODEL, match
from app.domain.idcard_ocr.model import SIDE_LABELS
from app.logging import configure_logging
from app.services import business_date
from app.services import identity_checks as checks
from app.services.job_lifecycle import reconcile
from app.services.job_lifecycle.kinds import kinds_on
from app.services.jobs import ML_QUEUE
from app.wiring import Adapters
from workers.engines.face import FaceError
from workers.engines.face_login import match_login_burst
from workers.engines.ocr import read_id_card_image
from workers.engines.process import InProcessModels, ModelCrashed, ModelProcess, ModelTimeout

logger = logging.getLogger(__name__)

T = TypeVar("T")
TRANSIENT = (DBConnectionError, OperationalError, ConnectionError, TimeoutError)
RETRY_BASE_SECONDS = 10
MAX_TRIES = 3
TIMEOUT = "TIMEOUT"
TIMEOUT_MESSAGE = "识别超时（服务繁忙或中断），请点击“重试”"
INTERNAL_MESSAGE = "识别服务内部错误，请重新拍摄后再试；如仍失败请联系管理员"
MISSING_FILE_MESSAGE = "图片文件缺失，请重新拍摄或上传"
FACE_FIELDS = {"reference": "身份证人像", "probe": "现场照片"}


# --- start-up ---------------------------------------------------------------------------------


async def startup(ctx: dict[str, Any]) -> None:
    settings = get_settings()
    configure_logging(json_lines=settings.env == "prod")
    ctx["settings"] = settings
    ctx["tortoise"] = await init_db(settings)
    ctx.update(Adapters.from_settings(settings).by_name())  # the jobs use media, vault and queue
    ctx["models"] = ModelProcess(settings, timeout=settings.ml_model_timeout_seconds)  # the engines live in its child
    await ctx["models"].start()
    logger.info("ml worker started")


async def shutdown(ctx: dict[str, Any]) -> None:
    if ctx.get("models") is not None:
        await ctx["models"].close()
    queue = ctx.get("queue")
    if queue is not None:
        await queue.close()
    tortoise = ctx.get("tortoise")  # close what Tortoise.init returned (docs/stack.md#tortoise-workers)
    if tortoise is not None:
        await tortoise.close_connections()
    logger.info("ml worker stopped")


# --- helpers ----------------------------------------------------------------------------------


async def _db(ctx: dict[str, Any], call: Callable[[], Awaitable[T]]) -> T:
    """A database step: a transient failure re-queues the job (arq Retry), anything else is a bug."""
    try:
        return await call()
    except TRANSIENT as exc:
        defer = ctx.get("job_try", 1) * RETRY_BASE_SECONDS
        logger.warning("job %s try %s: database unavailable (%s), retry in %s s", ctx.get("job_id"), ctx.get("job_try"), type(exc).__name__, defer)
        raise Retry(defer=defer) from exc


async def _model(ctx: dict[str, Any], call: Callable[..., T], *args: Any) -> tuple[T, int]:
    """`call(engines, *args)` in the model process (killed past its timeout); its result and its time in ms.

    Without a model process in ctx (tests, one-off commands) the call runs in a thread over the engines in ctx.
    """
    models = ctx.get("models") or InProcessModels(ctx)
    try:
        return await models.run(call, *args)
    except (ModelTimeout, ModelCrashed) as exc:
        raise ModelStopped(str(exc)) from exc


class ModelStopped(Exception):
    """The model process was killed (past its timeout) or died: the job fails with TIMEOUT, the officer may retry."""


# Model calls: module-level so the model process can receive them (engines are the child's).


def _ocr_call(engines: dict[str, Any], data: bytes, as_of: Any, birth_date: Any) -> Any:
    return read_id_card_image(engines["ocr"], data, as_of, birth_date=birth_date)


def _face_login_burst(engines: dict[str, Any], frames: list[bytes], stored: list, threshold: float, count: int) -> Any:
    return match_login_burst(engines["face"], engines["landmarks"], frames, stored, threshold=threshold, count=count)


def _face_vs_portrait(engines: dict[str, Any], portrait: bytes, probe: bytes, threshold: float) -> Any:
    reference = engines["face"].represent(portrait, field="reference")
    return match(reference, engines["face"].represent(probe, field="probe"), threshold=threshold, model=MODEL)


def _liveness_call(engines: dict[str, Any], challenge: Any, frames: list[bytes]) -> Any:
    return engines["landmarks"].check_liveness(challenge, frames)


def _enrol_call(engines: dict[str, Any], captures: list[bytes]) -> Any:
    return [engines["face"].represent(c, field=f"captures.{i}") for i, c in enumerate(captures)]


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _log(ctx: dict[str, Any], what: str, record_id: str, outcome: str) -> str:
    logger.info("job %s try %s: %s %s %s", ctx.get("job_id"), ctx.get("job_try"), what, record_id, outcome)
    return outcome


# --- jobs -------------------------------------------------------------------------------------


async def read_id_card(ctx: dict[str, Any], read_id: str) -> str:
    """OCR one card face and write the reading (or the reason it could not be read)."""
    rid = UUID(read_id)
    job = await _db(ctx, lambda: checks.claim_id_card_read(read_id=rid, now=clock.now_utc()))
    if job is None:
        return _log(ctx, "id card read", read_id, "already finished")

    async def fail(code: str, message: str, model_ms: int | None = None) -> str:
        await _db(ctx, lambda: checks.fail_id_card_read(read_id=rid, code=code, message=message, now=clock.now_utc(), model_ms=model_ms))
        return _log(ctx, "id card read", read_id, f"failed {code}")

    try:
        data = ctx["media"].get(job.image_sha256)
    except FileNotFoundError:
        return await fail("MISSING_FILE", MISSING_FILE_MESSAGE)
    try:
        as_of = await _db(ctx, business_date.current)
    except LookupError:
        as_of = clock.local_today(ctx["settings"].business_tz)
    started = time.perf_counter()
    try:
        result, model_ms = await _model(ctx, _ocr_call, data, as_of, job.birth_date)
    except DomainError as exc:  # not an image, too large, truncated, not an ID card
        return await fail(exc.code, exc.message, _ms_since(started))
    except ModelStopped:
        return await fail(TIMEOUT, TIMEOUT_MESSAGE, _ms_since(started))
    except Exception:
        logger.exception("job %s: OCR failed on id card read %s", ctx.get("job_id"), read_id)
        return await fail("INTERNAL", INTERNAL_MESSAGE, _ms_since(started))
    reading = result.reading
    if reading.side != job.side:
        message = f"这是身份证{SIDE_LABELS[reading.side]}，请拍摄身份证{SIDE_LABELS[job.side]}"
        return await fail("WRONG_SIDE", message, model_ms)
    number = reading.fields["id_number"].value if reading.side == "front" else None
    await _db(ctx, lambda: checks.record_id_card_result(
        read_id=rid, detail=reading.to_detail(), id_number=number, portrait_jpeg=result.portrait_jpeg, model_ms=model_ms,
        media=ctx["media"], vault=ctx["vault"], now=clock.now_utc(),
    ))
    return _log(ctx, "id card read", read_id, "done")


def _face_message(exc: FaceError) -> str:
    label = FACE_FIELDS.get(exc.field or "")
    return f"{label}：{exc.message}" if label else exc.message


async def verify_face(ctx: dict[str, Any], verification_id: str) -> str:
    """Compare a live capture with an ID-card portrait or with the officer's enrolment."""
    vid = UUID(verification_id)
    job = await _db(ctx, lambda: checks.claim_face_verification(verification_id=vid))
    if job is None:
        return _log(ctx, "face verification", verification_id, "already finished")

    async def fail(code: str, message: str, model_ms: int | None = None) -> str:
        await _db(ctx, lambda: checks.fail_face_verification(verification_id=vid, code=code, message=message, now=clock.now_utc(), model_ms=model_ms))
        return _log(ctx, "face verification", verification_id, f"failed {code}")

    try:
        probe = ctx["media"].get(job.probe_sha256)
        portrait = ctx["media"].get(job.portrait_sha256) if job.portrait_sha256 else None
    except FileNotFoundError:
        return await fail("MISSING_FILE", MISSING_FILE_MESSAGE)
    if portrait is None:  # officer login: the enrolment against the liveness burst itself (workers/engines/face_login.py)
        if job.embeddings_enc is None or job.officer_id is None:
            return await fail("NOT_ENROLLED", "尚未录入人脸（或已被管理员重置），请重新录入")
        if not job.probe_is_burst:
            return await fail("LIVE_FRAMES_ONLY", "登录人脸比对只使用活体检测画面，请重新检测")
        try:
            frames = checks.unpack_frames(probe)
        except ValueError:
            return await fail("MISSING_FILE", "活体检测画面缺失或已损坏，请重新检测")
        stored = checks.enrolled_embeddings(ctx["vault"], job.officer_id, job.embeddings_enc)
        count = ctx["settings"].face_login_match_frames
        call, args = _face_login_burst, (frames, stored, job.threshold, count)
    else:
        call, args = _face_vs_portrait, (portrait, probe, job.threshold)
    started = time.perf_counter()
    try:
        result, model_ms = await _model(ctx, call, *args)
    except FaceError as exc:
        return await fail(exc.code, _face_message(exc), _ms_since(started))
    except ModelStopped:
        return await fail(TIMEOUT, TIMEOUT_MESSAGE, _ms_since(started))
    except Exception:
        logger.exception("job %s: face match failed on verification %s", ctx.get("job_id"), verification_id)
        return await fail("INTERNAL", INTERNAL_MESSAGE, _ms_since(started))
    await _db(ctx, lambda: checks.record_face_result(
        verification_id=vid, distance=result.distance, verified=result.verified, model=result.model, model_ms=model_ms, now=clock.now_utc(),
    ))
    return _log(ctx, "face verification", verification_id, "verified" if result.verified else "not verified")


async def check_liveness(ctx: dict[str, Any], liveness_id: str) -> str:
    """Judge a burst of frames against its challenge."""
    lid = UUID(liveness_id)
    job = await _db(ctx, lambda: checks.claim_liveness(liveness_id=lid))
    if job is None:
        return _log(ctx, "liveness", liveness_id, "already finished")

    async def verdict(passed: bool, code: str, reason: str, details: dict, model_ms: int | None) -> str:
        await _db(ctx, lambda: checks.record_liveness_result(
            liveness_id=lid, passed=passed, code=code, reason=reason, details=details, model_ms=model_ms, now=clock.now_utc(),
        ))
        return _log(ctx, "liveness", liveness_id, "passed" if passed else f"failed {code}")

    try:
        frames = checks.unpack_frames(ctx["media"].get(job.frames_sha256))
    except (FileNotFoundError, ValueError):
        return await verdict(False, "MISSING_FILE", "活体检测画面缺失或已损坏，请重新检测", {}, None)
    started = time.perf_counter()
    try:
        result, model_ms = await _model(ctx, _liveness_call, job.challenge, frames)
    except FaceError as exc:  # a frame that is not an image, too many frames
        return await verdict(False, exc.code, exc.message, {"frames": len(frames)}, _ms_since(started))
    except ModelStopped:
        return await verdict(False, TIMEOUT, TIMEOUT_MESSAGE, {"frames": len(frames)}, _ms_since(started))
    except Exception:
        logger.exception("job %s: liveness failed on check %s", ctx.get("job_id"), liveness_id)
        return await verdict(False, "INTERNAL", INTERNAL_MESSAGE, {"frames": len(frames)}, _ms_since(started))
    return await verdict(result.passed, result.code, result.reason, dict(result.details), model_ms)


async def enrol_face(ctx: dict[str, Any], enrolment_id: str) -> str:
    """Embeddings of every enrolment capture, sealed (encrypted) on the officer."""
    eid = UUID(enrolment_id)
    job = await _db(ctx, lambda: checks.claim_enrolment(enrolment_id=eid))
    if job is None:
        return _log(ctx, "face enrolment", enrolment_id, "already finished")

    async def fail(code: str, message: str, model_ms: int | None = None) -> str:
        await _db(ctx, lambda: checks.fail_enrolment(enrolment_id=eid, code=code, message=message, now=clock.now_utc(), model_ms=model_ms))
        return _log(ctx, "face enrolment", enrolment_id, f"failed {code}")

    try:
        captures = [ctx["media"].get(sha) for sha in job.capture_sha256s]
    except FileNotFoundError:
        return await fail("MISSING_FILE", MISSING_FILE_MESSAGE)
    started = time.perf_counter()
    try:
        embeddings, model_ms = await _model(ctx, _enrol_call, captures)
    except ModelStopped:
        return await fail(TIMEOUT, TIMEOUT_MESSAGE, _ms_since(started))
    except FaceError as exc:
        index = int(exc.field.rsplit(".", 1)[1]) + 1 if exc.field and exc.field.startswith("captures.") else None
        message = f"第 {index} 张照片：{exc.message}" if index else exc.message
        return await fail(exc.code, message, _ms_since(started))
    except Exception:
        logger.exception("job %s: enrolment failed on %s", ctx.get("job_id"), enrolment_id)
        return await fail("INTERNAL", INTERNAL_MESSAGE, _ms_since(started))
    enrolment = await _db(ctx, lambda: checks.record_enrolment(
        enrolment_id=eid, embeddings=embeddings, vault=ctx["vault"], threshold=ctx["settings"].face_threshold,
        model_ms=model_ms, now=clock.now_utc(),
    ))
    return _log(ctx, "face enrolment", enrolment_id, enrolment.status.value)


async def reconcile_jobs(ctx: dict[str, Any]) -> str:
    """Cron (and at start): OCR, face, liveness and enrolment rows the queue lost or gave up on are queued again or failed."""
    kinds = kinds_on(ML_QUEUE, outbox_max_attempts=ctx["settings"].outbox_max_attempts)
    done = await _db(ctx, lambda: reconcile.reconcile_jobs(kinds=kinds, queue=ctx["queue"], now=clock.now_utc()))
    return f"queued {done.queued}, requeued {done.requeued}, failed {done.failed}"


class MlWorker:
    """arq settings for the ML queue (arq reads this class's __dict__: no inheritance)."""

    functions = [
        func(read_id_card, max_tries=MAX_TRIES),
        func(verify_face, max_tries=MAX_TRIES),
        func(check_liveness, max_tries=MAX_TRIES),
        func(enrol_face, max_tries=MAX_TRIES),
    ]
    cron_jobs = [cron(reconcile_jobs, unique=True, timeout=25, run_at_startup=True)]  # at start, then every minute
    on_startup = startup
    on_shutdown = shutdown
    queue_name = ML_QUEUE
    max_jobs = 1
    job_timeout = get_settings().ml_job_timeout_seconds
    max_tries = MAX_TRIES
    poll_delay = 0.1  # a job starts within ≈0.1 s of being queued (arq's default 0.5 s costs the page)
    health_check_interval = 30
    handle_signals = True

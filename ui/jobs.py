"""重试 on the PAD: one fragment (`jobs/_failed.html`) and one handler for every kind of job.

A failed job shows 「<label>失败：<reason>」 and, when the failure is the service's (timeout, lost
job, internal error, a dead outbox message), a 重试 button that posts to the kind's retry route
with the page to come back to. The routes differ only in their guard and policy action:
`job_retry` (OCR, customer face match, contract PDFs; a fully opened session), `face_job_retry`
(liveness, the login face match and enrolment, before the face step has passed) and
`dead_letter_resend` (provincial sync, admins). The service checks the policy and scope again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain.errors import DomainError, Forbidden, NotFound
from app.services.job_lifecycle.kinds import KINDS
from app.services.job_lifecycle.retry import retry_job
from ui.auth import login_required, redirect, safe_next, session_required
from ui.templating import render

PAGE_KINDS = frozenset({"ocr", "face", "contract"})
SESSION_KINDS = frozenset({"liveness", "login_face", "enrolment"})


def _route_of(kind: str, record_id: Any) -> tuple[str, dict[str, str]]:
    if kind == "sync":
        return "dead_letter_resend", {"message_id": str(record_id)}
    name = "face_job_retry" if kind in SESSION_KINDS else "job_retry"
    return name, {"kind": kind, "record_id": str(record_id)}


def failed_job(kind: str, row: Any) -> dict[str, Any]:
    """What `jobs/_failed.html` shows for a failed row of `kind` (a Jinja global)."""
    job_kind = KINDS[kind]
    route, params = _route_of(kind, row.id)
    return {"kind": kind, "id": row.id, "label": job_kind.label, "reason": job_kind.reason(row) or "原因未知",
            "retryable": job_kind.retryable(row), "route": route, "params": params}


def _retry_handler(kinds: frozenset[str], guard: Callable, fixed_kind: str | None = None, home: str | None = None) -> Callable[[Request], Awaitable[Response]]:
    """The handler for `kinds`; after 重试 it returns to the form's `next` (else the route named `home`, else /)."""
    @guard
    async def handler(request: Request) -> Response:
        kind = fixed_kind or request.path_params.get("kind", "")
        form = await request.form(max_files=0, max_fields=4)
        back = safe_next(str(form.get("next") or (request.url_for(home).path if home else "/")))
        if kind not in kinds:
            raise NotFound("任务不存在")
        record_id = request.path_params.get("message_id") or request.path_params["record_id"]
        session = request.state.session
        try:
            await retry_job(actor=session.actor, kind=kind, record_id=record_id, queue=request.app.state.queue,
                            now=clock.now_utc(), session_id=session.session.id)
        except (NotFound, Forbidden):
            raise  # the 404 / 403 pages (ui/common.py)
        except DomainError as exc:
            return render(request, "jobs/retry_refused.html", {"message": exc.message, "back": back}, status_code=409)
        return redirect(request, back)

    return handler


job_retry = _retry_handler(PAGE_KINDS, login_required)
face_job_retry = _retry_handler(SESSION_KINDS, session_required)
dead_letter_retry = _retry_handler(frozenset({"sync"}), login_required, fixed_kind="sync", home="dead_letter_list")

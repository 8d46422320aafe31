"""Rendering: one URL, two shapes (full page, or the fragment for an htmx swap)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from decimal import Decimal
from zoneinfo import ZoneInfo

from jinja2 import pass_context
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from app import clock
from app.config import Settings
from app.domain.permissions import Action
from app.domain.vocabulary import TECHNICAL_ROLES, label_for
from app.services.permissions import may
from ui.static_files import StaticAssets

SLOW_JOB_SECONDS = 20  # after this long a job's wait says it is slow and offers the way out (jobs/_waiting.html)


def yuan(fen: int | None) -> str:
    """Integer fen → ¥1,200.00 (the one money filter for templates)."""
    if fen is None:
        return "—"
    amount = (Decimal(fen) / 100).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def seconds_since(instant) -> int:
    """Whole seconds from `instant` (a job's created_at) to now; 0 when unknown."""
    return max(0, int((clock.now_utc() - instant).total_seconds())) if instant else 0


def waited(seconds: int) -> str:
    """42 → 42 秒; 75 → 1 分 15 秒 (a wait's elapsed time, in words)."""
    return f"{seconds} 秒" if seconds < 60 else f"{seconds // 60} 分 {seconds % 60} 秒"


def technical(request: Request) -> bool:
    """The signed-in staff member may see the machinery (hashes, rule codes, model distances, `cunxin` commands)."""
    session = getattr(request.state, "session", None)
    return session is not None and session.officer.role in TECHNICAL_ROLES


def capture_keys(secret: bytes) -> Callable[[object], str]:
    """An officer's key for visit captures kept offline (ui/static/js/offline.js): 32 bytes, base64url.

    HMAC-SHA256 of the officer's id under a key derived from the installation's secret for this one
    use. Pages (no-store) carry it; the tablet holds it only in memory, so the captures waiting in
    IndexedDB are ciphertext without their key on the device (docs/security.md).
    """
    derived = hmac.new(secret, b"cunxin/offline-capture-key/v1", hashlib.sha256).digest()

    def capture_key(officer_id: object) -> str:
        return base64.urlsafe_b64encode(hmac.new(derived, str(officer_id).encode(), hashlib.sha256).digest()).decode().rstrip("=")

    return capture_key


# Every job-status poller's hx-trigger. Each poll's answer replaces the element with the next poller ("load
# delay:1s"); a poll that fails (no signal, a 503 while the server is busy) swaps nothing, so the element also asks
# again every 5 s until an answer arrives — one lost poll never leaves a page waiting forever. htmx drops a tick
# while the element's previous request is still in flight.
POLL_TRIGGER = "load delay:1s, every 5s"


@pass_context
def can(context, action: str) -> bool:
    """`{% if can("warning.handle") %}`: the policy asked for the signed-in actor (app.services.permissions.may), so a
    button or form shows only to who may use it — never to auditors, nor to platform staff for a bank's business."""
    request = context.get("request")
    session = getattr(request.state, "session", None) if request is not None else None
    return session is not None and may(session.actor, Action(action))


def build_templates(settings: Settings, assets: StaticAssets | None = None) -> Jinja2Templates:
    """`assets` gives templates `static_url('js/x.js')`, the file's hashed URL (ui/static_files.py)."""
    templates = Jinja2Templates(directory=str(settings.ui_dir / "templates"))
    assets = assets or StaticAssets(settings.ui_dir / "static")
    templates.env.globals["static_url"] = assets.url
    tz = ZoneInfo(settings.business_tz)
    templates.env.filters["yuan"] = yuan
    templates.env.filters["local"] = lambda dt, fmt="%Y-%m-%d %H:%M": dt.astimezone(tz).strftime(fmt) if dt else ""
    from ui.jobs import failed_job  # the one 重试 fragment's context (ui/jobs.py renders through this module)

    templates.env.globals["failed_job"] = failed_job
    templates.env.globals["technical"] = technical
    templates.env.globals["can"] = can
    templates.env.globals["capture_key"] = capture_keys(settings.secret())
    templates.env.globals["label_for"] = label_for
    templates.env.globals["slow_job_seconds"] = SLOW_JOB_SECONDS
    templates.env.globals["poll_trigger"] = POLL_TRIGGER
    templates.env.filters["seconds_since"] = seconds_since
    templates.env.filters["waited"] = waited
    return templates


def is_htmx(request: Request) -> bool:
    """A fragment is wanted by htmx swaps, not by boosted navigation (which swaps the whole body) or history restores."""
    headers = request.headers
    return headers.get("hx-request") == "true" and headers.get("hx-boosted") != "true" and headers.get("hx-history-restore-request") != "true"


def render(
    request: Request, page: str, context: dict | None = None, *, fragment: str | None = None, status_code: int = 200
) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    name = fragment if fragment is not None and is_htmx(request) else page
    ctx = {"csrf_token": request.state.csrf_token, **(context or {})}
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    response.headers["Vary"] = "HX-Request"
    return response

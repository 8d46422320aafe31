"""Officer login and logout pages, and the session guard for every other page."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app import clock
from app.logging import request_id_var
from app.services.auth import officers as auth
from ui.permissions import refuse_unless_allowed
from ui.templating import render

Endpoint = Callable[[Request], Awaitable[Response]]


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


async def current_session(request: Request) -> auth.SessionInfo | None:
    token = request.cookies.get(request.app.state.settings.session_cookie, "")
    return await auth.resolve_session(token, now=clock.now_utc(), request_id=request_id_var.get(), ip=_client(request))


def redirect(request: Request, url: str) -> Response:
    """303 for plain forms; HX-Redirect so htmx does a full navigation."""
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _login_url(request: Request, page: str) -> str:
    return request.url_for(page).path + "?next=" + quote(safe_next(request.url.path), safe="/")


def _guard(endpoint: Endpoint, *, face_step: bool) -> Endpoint:
    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        info = await current_session(request)
        if info is None:
            return redirect(request, _login_url(request, "login"))
        request.state.session = info
        if face_step and face_step_pending(request, info):  # password alone does not open pages (ui/identity.py)
            return redirect(request, _login_url(request, "face_login"))
        if (refused := refuse_unless_allowed(request, info.actor)) is not None:  # the permission policy
            return refused
        return await endpoint(request)

    return guarded


def login_required(endpoint: Endpoint) -> Endpoint:
    """The guard of every page and download: a session whose face step has passed."""
    return _guard(endpoint, face_step=True)


def session_required(endpoint: Endpoint) -> Endpoint:
    """The same guard for the face step's own pages: a password session is enough there."""
    return _guard(endpoint, face_step=False)


def face_step_pending(request: Request, info: auth.SessionInfo) -> bool:
    """The session still needs the live face check (the second factor, settings.face_login_required)."""
    return bool(request.app.state.settings.face_login_required) and info.session.face_verified_at is None


def safe_next(value: str | None) -> str:
    """`next` only as a path on this site: no scheme, no `//` or backslash, no control characters."""
    value = value or "/"
    if not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 512:
        return "/"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value) or urlsplit(value).scheme or urlsplit(value).netloc:
        return "/"
    return quote(value, safe="/?&=%#:;,@+~!$'()*[]")  # ASCII only: it goes into Location and HX-Redirect headers


async def login_page(request: Request) -> Response:
    if request.method != "POST":
        return render(request, "auth/login.html", {"next": safe_next(request.query_params.get("next", "/"))}, fragment="auth/_login_form.html")
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    next_url = safe_next(str(form.get("next", "/")))
    errors = {}
    if not username.strip():
        errors["username"] = "请输入用户名"
    if not password:
        errors["password"] = "请输入密码"
    if not errors:
        settings = request.app.state.settings
        try:
            token, _ = await auth.login(
                username=username,
                password=password,
                now=clock.now_utc(),
                session_hours=settings.session_hours,
                ip=_client(request),
                user_agent=request.headers.get("user-agent", ""),
                request_id=request_id_var.get(),
            )
        except auth.LoginError as exc:
            errors[exc.field or "password"] = exc.message
        else:
            face_url = request.url_for("face_login").path + "?next=" + quote(next_url, safe="/")
            response = redirect(request, face_url if settings.face_login_required else next_url)
            response.set_cookie(
                settings.session_cookie,
                token,
                max_age=settings.session_hours * 3600,
                httponly=True,
                samesite="lax",
                secure=not settings.is_dev and settings.env != "test",
            )
            return response
    context = {"errors": errors, "username": username, "next": next_url}
    return render(request, "auth/login.html", context, fragment="auth/_login_form.html", status_code=422)


async def end_session(request: Request) -> Response:
    """Close the session and go to the sign-in page without its cookie (both logouts)."""
    await auth.logout(request.state.session, now=clock.now_utc())
    response = redirect(request, request.url_for("login").path)
    response.delete_cookie(request.app.state.settings.session_cookie)
    return response


@login_required
async def logout(request: Request) -> Response:
    return await end_session(request)

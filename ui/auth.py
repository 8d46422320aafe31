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


EXPIRED_MESSAGE = "登录已过期，请重新登录"


def return_page(request: Request) -> str:
    """Where the officer should land after signing in: the page they were on, never a POST-only URL.

    A GET is that page itself (with its query). A POST (a step's form, htmx or not) or an htmx
    fragment came from a page: htmx names it in HX-Current-URL, a plain form in Referer; only a path
    on this site is taken.
    """
    own = safe_next(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    fragment = request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"
    posted = request.method == "POST"  # the only unsafe method a page route takes (tests/ui/test_doors.py)
    if not posted and not fragment:
        return own
    for header in ("hx-current-url", "referer"):  # a fragment's GET (a quote, a job's status) came from a page too
        page = _same_site_path(request, request.headers.get(header, ""))
        if page is not None:
            return page
    return "/" if posted else own


def _same_site_path(request: Request, url: str) -> str | None:
    parts = urlsplit(url)
    if not url or (parts.netloc and parts.netloc != request.url.netloc) or (parts.scheme and parts.scheme not in ("http", "https")):
        return None
    page = safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))
    return page if parts.path.startswith("/") else None


def _login_url(request: Request, page: str, *, expired: bool = False) -> str:
    return request.url_for(page).path + "?next=" + quote(return_page(request), safe="/") + ("&expired=1" if expired else "")


def _guard(endpoint: Endpoint, *, face_step: bool) -> Endpoint:
    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        info = await current_session(request)
        if info is None:
            had_session = bool(request.cookies.get(request.app.state.settings.session_cookie))
            return redirect(request, _login_url(request, "login", expired=had_session))
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


def session_if_any(endpoint: Endpoint) -> Endpoint:
    """A public page (the repayment calculator) opened by a signed-in officer keeps the officer's header: name and 退出."""

    @functools.wraps(endpoint)
    async def with_session(request: Request) -> Response:
        info = await current_session(request)
        if info is not None and not face_step_pending(request, info):
            request.state.session = info
        return await endpoint(request)

    return with_session


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
        notice = EXPIRED_MESSAGE if request.query_params.get("expired") == "1" else None
        context = {"next": safe_next(request.query_params.get("next", "/")), "notice": notice}
        return render(request, "auth/login.html", context, fragment="auth/_login_form.html")
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

"""What every PAD page shares: the not-found and forbidden pages, reading forms and uploads, money from forms.

A GET to an address that only takes a form's POST is the "此地址不能直接打开" page (405).

One rule for a missing or refused object: a service raises `NotFound` (404, the "未找到" page) or
`Forbidden` (403, the "无权操作" page) and the handlers registered in app/main.py render it; a page
catches neither unless it shows something else (and says why where it does). A path id that is not
a UUID never reaches a handler: the routes use Starlette's `{x_id:uuid}` convertor, and an
unmatched path is the same 404 page.

Money typed into a form is yuan text ("1,234.50"), a rate percent text ("4.50"); pages turn them
into a `Money` (integer fen) or ppm here and hand services fen and ppm, never the text. A bad text is
a `ValidationError` on the field the page names (its input's name), shown at that input.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any
from uuid import UUID

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from app.domain.errors import DomainError, Forbidden, NotFound, ValidationError
from app.domain.money import Money, parse_rate_percent
from app.services.external_data import ExternalAccess
from ui.templating import render

NOT_FOUND_MESSAGE = "页面不存在或您无权查看。"
FORBIDDEN_MESSAGE = "您的角色不能执行此操作。"


async def not_found(request: Request, exc: Exception) -> Response:
    """The 404 page: a service's `NotFound` with its message, or a path no route matches."""
    message = exc.message if isinstance(exc, NotFound) else NOT_FOUND_MESSAGE
    return render(request, "not_found.html", {"message": message}, status_code=404)


async def forbidden(request: Request, exc: Exception) -> Response:
    """The 403 page for a refusal of the permission policy that a page did not handle itself."""
    return forbidden_page(request, exc.message if isinstance(exc, Forbidden) else FORBIDDEN_MESSAGE)


def forbidden_page(request: Request, message: str) -> Response:
    return render(request, "forbidden.html", {"message": message}, status_code=403)


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    """A GET (a bookmark, a reload after re-login) to a URL that only takes a form's POST: a Chinese page, never Starlette's text."""
    response = render(request, "method_not_allowed.html", {}, status_code=405)
    if (allow := getattr(exc, "headers", None) or {}).get("Allow"):
        response.headers["Allow"] = allow["Allow"]
    return response


# --- forms ---------------------------------------------------------------------------------------


async def form_data(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The form's single values and its repeated values (checkboxes)."""
    form = await request.form()
    single = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    multi = {k: [str(v) for v in form.getlist(k) if isinstance(v, str)] for k in form.keys()}
    return single, multi


def optional_uuid(value: object) -> UUID | None:
    """A UUID chosen in a form or a query string; blank or malformed is none."""
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def finite_number(value: object) -> float | None:
    """A coordinate or an accuracy sent by the tablet; anything not a finite number is none."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


async def read_upload(value: object, limit: int) -> bytes:
    """An uploaded file's bytes, at most `limit + 1` (one more byte is enough to refuse it)."""
    if not isinstance(value, UploadFile):
        return b""
    try:
        return await value.read(limit + 1)
    finally:
        await value.close()


# --- money ---------------------------------------------------------------------------------------


class FieldsInvalid(ValidationError):
    """Several fields of one form are wrong: `errors` maps each to its message, all shown at once at their inputs."""

    def __init__(self, errors: dict[str, str]) -> None:
        field_name, message = next(iter(errors.items()))
        super().__init__(message, field=field_name)
        self.errors = errors


def parse_fields(parsers: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run every field's parser before giving up: the values by field, or `FieldsInvalid` with every error (never one per submit)."""
    values, errors = {}, {}
    for name, parse in parsers.items():
        try:
            values[name] = parse()
        except DomainError as exc:
            errors[name] = exc.message
    if errors:
        raise FieldsInvalid(errors)
    return values


def whole_number(text: str | None, *, field: str, message: str) -> int:
    """A positive whole number typed into a form (a term in months); anything else `message` on `field`."""
    text = (text or "").strip()
    if not text.isdigit() or int(text) <= 0:
        raise ValidationError(message, field=field)
    return int(text)


def money(text: str, *, field: str) -> Money:
    """Yuan typed into a form ("1,234.5") as `Money`; anything else a `ValidationError` in Chinese on `field`."""
    return Money.from_yuan(text, field=field)


def optional_money(text: str | None, *, field: str) -> Money | None:
    """Like `money`, but a blank field is none (the service then uses its default)."""
    if text is None or not text.strip():
        return None
    return money(text, field=field)


def optional_fen(text: str | None, *, field: str) -> int | None:
    """`optional_money` in integer fen, as services take it: a blank field is none."""
    amount = optional_money(text, field=field)
    return None if amount is None else amount.fen


def rate_ppm(text: str, *, field: str) -> int:
    """An annual rate typed in percent ("4.5") in ppm (45000); anything else a `ValidationError` in Chinese on `field`."""
    return parse_rate_percent(text, field=field)


def external_access(request) -> ExternalAccess:
    """The external sources (公积金, 社保, 粮补 …) and their reuse policy, for a service that may query them (app/wiring.py)."""
    state = request.app.state
    return ExternalAccess(sources=state.external, policy=state.external_data_policy, business_tz=state.settings.business_tz)

"""Domain errors: expected failures that both front doors turn into messages.

A `DomainError` carries a machine code (a member of one of the per-area enums in
`app/domain/error_codes.py`; its value is the code on the wire), the input field it concerns
and a message in Simplified Chinese for the person at the screen. The field is the snake_case name
of the input or parameter the value came in (`term_months`, `amount.<uuid>` for one row of a list),
or None; the doors give it their own form (the GraphQL edge camelCase, `app/api/errors.py:to_camel`).
"""

from __future__ import annotations

from app.domain.error_codes import CommonCode


class DomainError(Exception):
    code: str = CommonCode.INVALID

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"{type(self).__name__}(code={self.code!r}, field={self.field!r}, message={self.message!r})"


class ValidationError(DomainError):
    code = CommonCode.INVALID


class NotFound(DomainError):
    code = CommonCode.NOT_FOUND


class Forbidden(DomainError):
    code = CommonCode.FORBIDDEN


class Conflict(DomainError):
    code = CommonCode.CONFLICT

"""Domain errors: expected failures that both front doors turn into messages.

A `DomainError` carries a machine code (an upper-snake string the API maps to its
error-code enum), the input field it concerns (camelCase path or None) and a
message in Simplified Chinese for the person at the screen.
"""

from __future__ import annotations


class DomainError(Exception):
    code: str = "INVALID"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"{type(self).__name__}(code={self.code!r}, field={self.field!r}, message={self.message!r})"


class ValidationError(DomainError):
    code = "INVALID"


class NotFound(DomainError):
    code = "NOT_FOUND"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class Conflict(DomainError):
    code = "CONFLICT"

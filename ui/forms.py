"""Small helpers for form pages: errors from domain errors, fresh idempotency keys."""

from __future__ import annotations

import uuid

from app.domain.errors import DomainError

# A page decision, not a translation: the loan pages have no input for the line or loan they are about,
# nor a visible one for the form's idempotency key, so an error about them is shown beside the amount,
# where the officer acts.
SHOWN_AT = {"credit_line_id": "amount", "loan_id": "amount", "idempotency_key": "amount"}


def form_errors(exc: DomainError) -> dict[str, str]:
    """A domain error at the input it names (services name fields as the forms name inputs, snake_case);
    no field goes to the form banner. Several fields at once (ui.common.FieldsInvalid): each at its input."""
    if isinstance(getattr(exc, "errors", None), dict):
        return {SHOWN_AT.get(name, name): message for name, message in exc.errors.items()}
    field = exc.field or "_form"
    return {SHOWN_AT.get(field, field): exc.message}


def new_key() -> str:
    return str(uuid.uuid4())


def parse_key(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError):
        return None

"""Small helpers for form pages: errors from domain errors, fresh idempotency keys."""

from __future__ import annotations

import uuid

from app.domain.errors import DomainError

FIELD_ALIASES = {"termMonths": "term_months", "creditLineId": "amount", "loanId": "amount", "annualRatePercent": "rate", "firstDueDate": "first_due_date", "startDate": "start_date", "idempotencyKey": "amount"}


def form_errors(exc: DomainError) -> dict[str, str]:
    """Map a domain error's camelCase field to the form's input name; unknown fields go to the form banner."""
    field = FIELD_ALIASES.get(exc.field or "", exc.field) or "_form"
    return {field: exc.message}


def new_key() -> str:
    return str(uuid.uuid4())


def parse_key(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError):
        return None

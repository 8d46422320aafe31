"""Errors at the GraphQL edge: which are shown, and how domain errors become payload errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from enum import Enum
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from app.domain.errors import DomainError
from app.services import outage

logger = logging.getLogger(__name__)


class PublicError(Exception):
    """An error whose message may be shown to the client as a top-level error."""


def should_mask_error(error: GraphQLError) -> bool:
    """Mask only unexpected exceptions; syntax, validation, permission and domain errors pass.

    strawberry's permission failures are GraphQLErrors themselves, so they pass too.
    """
    original = error.original_error
    return not (original is None or isinstance(original, GraphQLError | PublicError | DomainError))


def error_code(enum: type[Enum], exc: DomainError) -> Enum:
    """Map a domain error code onto an API enum, falling back to INVALID."""
    try:
        return enum[exc.code]
    except KeyError:
        return enum["INVALID"]


SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


def unavailable_error(error: GraphQLError | None = None) -> GraphQLError:
    """The error a client sees while PostgreSQL or Redis is away: retry later, nothing is wrong with the request."""
    return GraphQLError(
        outage.MESSAGE,
        nodes=error.nodes if error else None, source=error.source if error else None,
        positions=error.positions if error else None, path=error.path if error else None,
        extensions={"code": SERVICE_UNAVAILABLE, "retryAfter": outage.RETRY_AFTER_SECONDS},
    )


def unavailable_body() -> dict:
    """The whole GraphQL response when the request failed before execution (e.g. resolving the session)."""
    return {"data": None, "errors": [unavailable_error().formatted]}


class ServiceUnavailableErrors(SchemaExtension):
    """Errors caused by a dependency outage become SERVICE_UNAVAILABLE (listed after MaskErrors, so it runs first)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [_unavailable_or_same(e) for e in result.errors]


def _unavailable_or_same(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    return unavailable_error(error) if original is not None and outage.dependency_down(original) else error


def log_errors(errors: list[GraphQLError], execution_context: Any = None) -> bool:
    """Log an outage as one line without traceback; False when the schema's default logging should run."""
    down = [e for e in errors if e.original_error is not None and outage.dependency_down(e.original_error)]
    for error in down:
        logger.warning("%s unavailable during GraphQL execution (%s)", outage.dependency_down(error.original_error), type(error.original_error).__name__)
    return len(down) == len(errors)

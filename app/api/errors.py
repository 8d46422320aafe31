"""Errors at the GraphQL edge: which are shown, and how domain errors become payload errors."""

from __future__ import annotations

from enum import Enum

from graphql import GraphQLError

from app.domain.errors import DomainError


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

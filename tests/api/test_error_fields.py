"""Error fields: snake_case in Python, camelCase on the wire, converted once at the GraphQL edge."""

from __future__ import annotations

from uuid import UUID

import pytest

from app.api.errors import to_camel

ROW = UUID("0b6f8c1e-4d2a-4c3b-9a1e-5f6d7c8b9a0e")


@pytest.mark.parametrize(
    ("field", "wire"),
    [
        (None, None),
        ("amount", "amount"),
        ("term_months", "termMonths"),
        ("credit_line_id", "creditLineId"),
        ("face_verification_id", "faceVerificationId"),
        ("filter.branch_id", "filter.branchId"),
        (f"amount.{ROW}", f"amount.{ROW}"),
        (f"co_borrower_id.{ROW}", f"coBorrowerId.{ROW}"),
        ("captures.0", "captures.0"),
        ("frames.12", "frames.12"),
        ("creditLineId", "creditLineId"),  # already wire form: unchanged
        ("_form", "_form"),
        ("Subject@idNumber", "Subject@idNumber"),
    ],
)
def test_to_camel(field: str | None, wire: str | None) -> None:
    assert to_camel(field) == wire


def test_a_uuid_part_is_never_mangled() -> None:
    for part in (str(ROW), ROW.hex, str(ROW).upper()):
        assert to_camel(f"amount.{part}") == f"amount.{part}"

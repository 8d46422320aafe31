"""The `filter` argument of the reports, decoded into the services' ReportFilter."""

from __future__ import annotations

from uuid import UUID

from app.api.ids import decode_id
from app.api.reporting.types import ReportFilter
from app.services import reporting as svc


def _bank_id(raw: str | None) -> UUID | None:
    """A bank as a report group key gives it (global id "Bank") or as the `banks` query gives it (the plain id)."""
    if not raw:
        return None
    try:
        return UUID(raw)
    except ValueError:
        return decode_id(raw, "Bank", field="filter.bank_id")


def to_filter(value: ReportFilter | None) -> svc.ReportFilter:
    if value is None:
        return svc.ReportFilter()

    def decode(raw, type_name: str, field: str):
        return decode_id(raw, type_name, field=f"filter.{field}") if raw else None

    return svc.ReportFilter(
        bank_id=_bank_id(value.bank_id),
        branch_id=decode(value.branch_id, "Branch", "branch_id"),
        village_id=decode(value.village_id, "Village", "village_id"),
        officer_id=decode(value.officer_id, "Officer", "officer_id"),
        product_id=decode(value.product_id, "Product", "product_id"),
        date_from=value.date_from,
        date_to=value.date_to,
    )

"""The ID-card confirmation form (核对身份证): one builder here, one fragment (identity/_idcard_confirm_form.html).

Both places that confirm a card use it: the identity pages (ui/identity_visit.py, a card read on its
own) and the visit's ID-card step (ui/visits.py, ui/visit_steps.py). The OCR result of one side is
shown field by field with its confidence and flags; the officer confirms each value or corrects
it, and a flagged field must be ticked "已对照证件核对" or corrected. The ID number is stored and
shown masked, so its box starts empty: to correct it the officer types the whole number. Only
where the form posts, what its answer replaces and the hidden fields differ between the pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from app.domain.idcard_ocr.model import FIELD_LABELS, FLAG_LABELS, SIDE_LABELS, SIDE_NAMES
from app.services import identity_checks as checks

if TYPE_CHECKING:  # annotations only: the pages get the read from the services
    from app.models import IdCardRead



@dataclass(frozen=True, slots=True)
class FieldRow:
    """One field of the side: what OCR read, how sure it was, its flags, and what the officer entered."""

    key: str
    label: str
    ocr: str | None  # the ID number as stored: masked
    confidence: float
    flags: list[str]  # in Chinese
    entered: str
    checked: bool
    error: str | None

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True, slots=True)
class ConfirmForm:
    """What the fragment renders: the rows and warnings of a read, and where the form posts."""

    read_id: UUID
    side: str
    form_id: str
    route: str  # the route the form posts to (url_for name) and its path parameters
    route_params: Mapping[str, object]
    target: str  # the element htmx replaces with the answer
    rows: list[FieldRow]
    warnings: list[str]
    hidden: Mapping[str, str] = field(default_factory=dict)  # extra form fields (the visit's who and side)
    error: str | None = None  # a refusal of the whole form, shown in it (None where the page shows it above)

    @property
    def submit_label(self) -> str:
        return f"确认身份证{SIDE_NAMES.get(self.side, '')}"


def field_rows(read: IdCardRead, form: Mapping[str, str] | None, errors: Mapping[str, str]) -> list[FieldRow]:
    """The side's fields; a re-shown form keeps what was typed, a fresh one starts from OCR (the number empty)."""
    fields = (read.result or {}).get("fields", {})
    rows = []
    for key in checks.keys_for(read.side):
        found = fields.get(key) or {}
        value = found.get("value")
        entered = form.get(key, "") if form is not None else ("" if key == "id_number" else (value or ""))
        rows.append(FieldRow(
            key=key, label=FIELD_LABELS[key], ocr=value, confidence=found.get("confidence", 0.0),
            flags=[FLAG_LABELS.get(f, f) for f in found.get("flags", [])], entered=entered,
            checked=form is not None and form.get(f"checked_{key}") == "1", error=errors.get(key),
        ))
    return rows


def confirm_form(
    read: IdCardRead, *, form_id: str, route: str, route_params: Mapping[str, object], target: str, hidden: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None, form_error_inside: bool = True,
) -> ConfirmForm:
    """The confirmation form of a finished read (`form`/`errors`: a refused post shown again)."""
    errors = errors or {}
    return ConfirmForm(
        read_id=read.id, side=read.side, form_id=form_id, route=route, route_params=route_params, target=target,
        rows=field_rows(read, form, errors), warnings=list((read.result or {}).get("warnings", [])), hidden=hidden or {},
        error=errors.get("_form") if form_error_inside else None,
    )


def posted(side: str, form: Mapping[str, str]) -> tuple[dict[str, str], set[str]]:
    """The values the officer confirmed for the side and the flagged fields they ticked as checked."""
    keys = checks.keys_for(side)
    return {k: form.get(k, "") for k in keys}, {k for k in keys if form.get(f"checked_{k}") == "1"}

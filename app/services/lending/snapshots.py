"""A loan's state just before a booking, kept with the core instruction that paid it, so that a reversal (冲正) on the
same business date puts the loan back exactly: its balances, every installment (rows a prepayment dropped come back)
and its non-accrual record. Stored as JSON in `core_instruction.payload["before"]` (app/services/lending/reversal.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from tortoise import fields as f

from app.clock import now_utc
from app.models import Installment, Loan, LoanRisk

SKIP = {"id", "created_at", "updated_at", "debit_in_flight"}
LOAN_STATE = ("status", "outstanding_principal_fen", "overdue_principal_fen", "overdue_interest_fen", "accrued_interest_fen", "penalty_fen",
              "compound_fen", "interest_carry", "penalty_carry", "compound_carry", "days_past_due", "classification", "settled_on", "maturity_on")


def _json(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def _columns(model) -> dict[str, Any]:
    """Each plain column of the model (foreign keys by their `_id`), except ids and timestamps."""
    return {name: field for name, field in model._meta.fields_map.items()
            if name not in SKIP and not isinstance(field, f.relational.RelationalField) and not name.endswith("_id")}


def _row(obj, model) -> dict[str, Any]:
    return {name: _json(getattr(obj, name)) for name in _columns(model)}


def _back(values: dict[str, Any], model) -> dict[str, Any]:
    cols = _columns(model)
    out = {}
    for name, value in values.items():
        field = cols.get(name)
        if field is None:
            continue
        if value is not None and isinstance(field, f.data.CharEnumFieldInstance):
            value = field.enum_type(value)
        elif value is not None and isinstance(field, f.DatetimeField):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(field, f.DateField):
            value = date.fromisoformat(value)
        out[name] = value
    return out


async def capture(loan: Loan) -> dict[str, Any]:
    """The loan's state now (call under its row lock, before the booking changes it)."""
    installments = await Installment.filter(loan_id=loan.id).order_by("number")
    risk = await LoanRisk.get_or_none(loan_id=loan.id)
    return {
        "loan": {name: _json(getattr(loan, name)) for name in LOAN_STATE},
        "installments": [{"id": str(i.id), **_row(i, Installment)} for i in installments],
        "risk": _row(risk, LoanRisk) if risk else None,
    }


async def restore(loan_id: UUID, before: dict[str, Any]) -> None:
    """Put the loan back as `capture` saw it (inside the reversal's transaction)."""
    loan_values = {k: v for k, v in _back(before["loan"], Loan).items() if k in LOAN_STATE}
    await Loan.filter(id=loan_id).update(**loan_values, updated_at=now_utc())
    kept = {row["id"]: row for row in before["installments"]}
    for inst in await Installment.filter(loan_id=loan_id):
        if str(inst.id) not in kept:
            await inst.delete()  # a row the booking added (none today): it never existed before
    present = {str(i) for i in await Installment.filter(loan_id=loan_id).values_list("id", flat=True)}
    for inst_id, row in kept.items():
        values = _back(row, Installment)
        if inst_id in present:
            await Installment.filter(id=inst_id).update(**values, updated_at=now_utc())
        else:  # a row a prepayment dropped (keep the installment, shorter term) comes back
            await Installment.create(id=UUID(inst_id), loan_id=loan_id, **values)
    if before.get("risk") is not None:
        await LoanRisk.filter(loan_id=loan_id).update(**_back(before["risk"], LoanRisk))

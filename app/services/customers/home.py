"""What the app's home shows the signed-in customer: who (masked), lines, loans, what is due next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from app.models import Customer, Installment
from app.domain.vocabulary import InstallmentStatus, LoanStatus
from app.services.actor import Actor
from app.services.customers.cards import require_customer


def mask_name(name: str) -> str:
    """王建国 → 王*国, 王芳 → 王*, 欧阳娜娜 → 欧**娜."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass(frozen=True, slots=True)
class NextDue:
    due_on: date
    amount_fen: int  # everything unpaid on installments due on or before that date
    loan_ids: tuple[UUID, ...]
    overdue: bool


async def customer_of(actor: Actor) -> Customer | None:
    require_customer(actor)
    return await Customer.get_or_none(id=actor.id)


def _owed(i: Installment) -> int:
    return (
        i.principal_fen - i.paid_principal_fen + i.interest_fen - i.paid_interest_fen
        + i.penalty_fen - i.paid_penalty_fen + i.compound_fen - i.paid_compound_fen
    )


async def next_due(actor: Actor, *, today: date) -> NextDue | None:
    """The earliest unpaid due date of the customer's active loans and what must be paid by then (two queries)."""
    require_customer(actor)
    unpaid = Installment.filter(loan__customer_id__in=list(actor.customer_ids | {actor.id}), loan__status=LoanStatus.ACTIVE).exclude(status=InstallmentStatus.PAID)
    first = await unpaid.order_by("due_on").first()
    if first is None:
        return None
    cutoff = today if first.due_on < today else first.due_on  # overdue: all that is due by today
    rows = await unpaid.filter(due_on__lte=cutoff)
    loans = tuple(dict.fromkeys(r.loan_id for r in sorted(rows, key=lambda r: (r.due_on, r.number))))
    return NextDue(due_on=first.due_on, amount_fen=sum(_owed(r) for r in rows), loan_ids=loans, overdue=first.due_on < today)

"""DataLoaders, created per request (never at module level: they cache rows)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from strawberry.dataloader import DataLoader

from app.models import Branch, Customer, Installment, LedgerEntry, LedgerTransaction, Product


async def _branches_by_id(keys: Sequence[UUID]) -> list[Branch | None]:
    rows = {b.id: b for b in await Branch.filter(id__in=list(keys))}
    return [rows.get(k) for k in keys]


async def _products_by_id(keys: Sequence[UUID]) -> list[Product | None]:
    rows = {p.id: p for p in await Product.filter(id__in=list(keys))}
    return [rows.get(k) for k in keys]


async def _customer_names_by_id(keys: Sequence[UUID]) -> list[str | None]:
    """Only the names (a credit line shows its customer's name): one narrow read, no customer objects."""
    names = dict(await Customer.filter(id__in=list(keys)).values_list("id", "name"))
    return [names.get(k) for k in keys]


# what the read-only GraphQL Installment shows (app/api/lending/types.py: Installment.from_row)
INSTALLMENT_COLUMNS = (
    "loan_id", "number", "due_on", "status", "principal_fen", "interest_fen", "penalty_fen", "compound_fen",
    "paid_principal_fen", "paid_interest_fen", "paid_penalty_fen", "paid_compound_fen", "paid_on", "updated_at",
)


async def _installments_by_loan(keys: Sequence[UUID]) -> list[list[dict]]:
    """Each loan's installments as plain rows (no model objects: the type is read-only, issue 16), by number."""
    grouped: dict[UUID, list[dict]] = defaultdict(list)
    for row in await Installment.filter(loan_id__in=list(keys)).order_by("loan_id", "number").values(*INSTALLMENT_COLUMNS):
        grouped[row["loan_id"]].append(row)
    return [grouped.get(k, []) for k in keys]


async def _transactions_by_loan(keys: Sequence[UUID]) -> list[list[tuple[LedgerTransaction, list[LedgerEntry]]]]:
    """Each loan's transactions with only that loan's lines (end-of-day batches hold every loan), newest first."""
    entries = await LedgerEntry.filter(loan_id__in=list(keys)).select_related("transaction").order_by("-transaction__created_at", "account")
    grouped: dict[UUID, dict[UUID, tuple[LedgerTransaction, list[LedgerEntry]]]] = defaultdict(dict)
    for entry in entries:
        txn = entry.transaction
        grouped[entry.loan_id].setdefault(txn.id, (txn, []))[1].append(entry)
    return [list(grouped[k].values()) if k in grouped else [] for k in keys]


@dataclass
class Loaders:
    branch_by_id: DataLoader[UUID, Branch | None] = field(default_factory=lambda: DataLoader(load_fn=_branches_by_id))
    product_by_id: DataLoader[UUID, Product | None] = field(default_factory=lambda: DataLoader(load_fn=_products_by_id))
    customer_name_by_id: DataLoader[UUID, str | None] = field(default_factory=lambda: DataLoader(load_fn=_customer_names_by_id))
    installments_by_loan: DataLoader[UUID, list[dict]] = field(default_factory=lambda: DataLoader(load_fn=_installments_by_loan))
    transactions_by_loan: DataLoader[UUID, list[tuple[LedgerTransaction, list[LedgerEntry]]]] = field(default_factory=lambda: DataLoader(load_fn=_transactions_by_loan))

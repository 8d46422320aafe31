"""Reading credit lines and loans within the actor's scope (out of scope reads as missing)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from tortoise.queryset import QuerySet

from app.domain.errors import NotFound
from app.domain.money import Money
from app.models import CreditLine, Customer, Installment, LedgerEntry, Loan, Product
from app.domain.vocabulary import ActorType, LoanStatus
from app.services.actor import Actor
from app.services.lending.access import can_access
from app.services.maker_checker.registry import Subject
from app.services.org import bank_id_of_branch
from app.services.customers.trail import Trail, customer_trail


def _scoped(query: QuerySet, actor: Actor | None) -> QuerySet:
    if actor is None:
        return query.filter(id__isnull=True)  # nobody: an always-empty query (tortoise has no .none())
    if actor.type == ActorType.CUSTOMER:  # the person's records at every member bank
        return query.filter(customer_id__in=list(actor.customer_ids | {actor.id}))
    if actor.type == ActorType.OFFICER:
        return query.filter(branch_id__in=list(actor.branch_ids))
    return query if actor.type == ActorType.SYSTEM else query.filter(id__isnull=True)


def lines_query(actor: Actor | None, *, status: str | None = None) -> QuerySet:
    query = _scoped(CreditLine.all(), actor)
    return query.filter(status=status) if status else query


def loans_query(actor: Actor | None, *, status: str | None = None, credit_line_id: UUID | None = None) -> QuerySet:
    query = _scoped(Loan.all(), actor)
    if status:
        query = query.filter(status=status)
    if credit_line_id:
        query = query.filter(credit_line_id=credit_line_id)
    return query


async def lines_visible(actor: Actor | None, ids: list[UUID]) -> dict[UUID, CreditLine]:
    return {m.id: m for m in await lines_query(actor).filter(id__in=ids)}


async def loans_visible(actor: Actor | None, ids: list[UUID]) -> dict[UUID, Loan]:
    return {m.id: m for m in await loans_query(actor).filter(id__in=ids)}


def status_label(loan: Loan) -> str:
    """What the page and the app show: 处理中 while the core's answer is not known (never 未放款 / 未扣款)."""
    label = LoanStatus(loan.status).label
    return f"{label} · 扣款处理中" if loan.debit_in_flight and loan.status == "active" else label


# --- what the PAD's lending pages show (read models: the rows with what the page needs fetched) ---


@dataclass(frozen=True)
class LoanFile:
    loan: Loan  # with its customer and product
    installments: list[Installment]
    entries: list[LedgerEntry]  # newest first, each with its transaction
    trail: Trail | None = None  # 村 › 户 › 人 of the borrower, for the breadcrumbs


async def loan_rows(actor: Actor | None, *, status: str | None, limit: int) -> list[Loan]:
    """The newest loans in scope, each with its customer."""
    return await loans_query(actor, status=status).order_by("-created_at").limit(limit).prefetch_related("customer")


async def loan_file(actor: Actor | None, loan_id: UUID) -> LoanFile:
    loan = await loans_query(actor).get_or_none(id=loan_id).prefetch_related("customer", "product")
    if loan is None:
        raise NotFound("借据不存在")
    installments = await Installment.filter(loan_id=loan.id).order_by("number")
    entries = await LedgerEntry.filter(loan_id=loan.id).select_related("transaction").order_by("-transaction__created_at")
    return LoanFile(loan=loan, installments=installments, entries=entries, trail=await customer_trail(loan.customer_id))


async def visible_line(actor: Actor | None, line_id: UUID) -> CreditLine:
    """A credit line in scope with its customer and product."""
    line = await lines_query(actor).get_or_none(id=line_id).prefetch_related("customer", "product")
    if line is None:
        raise NotFound("额度不存在")
    return line


async def loan_named_in(params: Mapping[str, Any], *, lock: bool = False) -> Loan:
    """The loan a maker-checker request names (`params["loan_id"]`), locked for the execution step; a bad or
    unknown id is 借据不存在. The request was scoped when proposed and is scoped again by its checker."""
    try:
        loan_id = UUID(str(params.get("loan_id")))
    except ValueError:
        raise NotFound("借据不存在", field="loan_id") from None
    loan = await (Loan.select_for_update() if lock else Loan).get_or_none(id=loan_id)
    if loan is None:
        raise NotFound("借据不存在", field="loan_id")
    return loan


async def loan_label(loan: Loan) -> str:
    """How a maker-checker request names its loan: 客户 产品 本金（放款日 放款）."""
    customer = await Customer.get(id=loan.customer_id)
    product = await Product.get(id=loan.product_id)
    return f"{customer.name} {product.name} {Money(loan.principal_fen).format_yuan()}（{loan.start_on.isoformat()} 放款）"


async def loan_subject(actor: Actor, params: Mapping[str, Any]) -> Subject:
    """The subject of a request on one loan (write-off, extension, renewal): only officers in the loan's branch tree
    may propose or check it; to anyone else the loan does not exist. Its outstanding principal is what the approval
    authority is judged by."""
    loan = await loan_named_in(params)
    if actor.type != ActorType.OFFICER or not can_access(actor, customer_id=loan.customer_id, branch_id=loan.branch_id):
        raise NotFound("借据不存在", field="loan_id")
    return Subject(await bank_id_of_branch(loan.branch_id), loan.branch_id, await loan_label(loan), amount_fen=loan.outstanding_principal_fen)

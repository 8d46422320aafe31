"""Credit lines (授信额度).

Every line is opened by `grant_credit_line`, which holds the rule of app/domain/exposure.py:
one live line per person and product, and the person's live lines within the exposure cap. The
customer's row is locked for the check and the insert, so two grants at once make one line.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain import exposure
from app.services.guarantees import guarantee_exposure_fen
from app.domain.error_codes import CommonCode, LendingCode
from app.domain.errors import NotFound, ValidationError
from app.domain.schedule import parse_method
from app.models import CreditAuthorisation, CreditLine, Customer
from app.domain.vocabulary import CreditLineStatus
from app.services import audit
from app.services.actor import Actor
from app.services.lending.access import can_access
from app.services.lending.products import active_product


async def grant_credit_line(
    *,
    actor: Actor,
    customer_id: UUID,
    product_code: str,
    limit_fen: int,
    valid_from: date,
    valid_until: date,
    grade: str = "good",
    methods: list[str] | None = None,
    max_term_months: int | None = None,
    spread_bp: int | None = None,
    exposure_cap_fen: int | None = None,
) -> CreditLine:
    """Open a line on a product; the spread is `spread_bp` (a pricing strategy's) or the product's grade table.

    Refused (`LINE_EXISTS`) when the customer already has a live line on the product, and
    (`EXPOSURE_CAP`) when their live lines and this one would exceed `exposure_cap_fen` (None: no cap).
    """
    customer = await Customer.get_or_none(id=customer_id)
    if customer is None or not can_access(actor, customer_id=customer.id, branch_id=customer.branch_id):
        raise NotFound("客户不存在", field="customer_id")
    product = await active_product(customer.bank_id, product_code)  # the customer's bank's product of that code
    if product is None:
        raise NotFound("产品不存在或已停用", field="product")
    if not 0 < limit_fen <= product.max_principal_fen:
        raise ValidationError("授信额度超出产品上限", code=CommonCode.INVALID_AMOUNT, field="limit")
    if valid_until <= valid_from:
        raise ValidationError("额度到期日必须晚于生效日", code=CommonCode.INVALID_DATE, field="valid_until")
    allowed = [parse_method(m).value for m in (methods or product.allowed_methods)]
    if not set(allowed) <= set(product.allowed_methods):
        raise ValidationError("还款方式不在产品允许范围内", code=LendingCode.INVALID_METHOD, field="methods")
    max_term = max_term_months or product.max_term_months
    if not product.min_term_months <= max_term <= product.max_term_months:
        raise ValidationError("最长期限超出产品范围", code=LendingCode.INVALID_TERM, field="max_term_months")
    # the person's lines at other member banks, under their consent; read and recorded before the grant's
    # transaction, so a refusal that used them keeps its record too
    elsewhere = await lines_at_other_banks(actor, customer.id, on=valid_from)
    async with in_transaction():
        await Customer.select_for_update().get(id=customer.id)  # one grant per customer at a time
        exposure.check_new_line([*await live_lines(customer.id, on=valid_from), *elsewhere], product_code=product.code, limit_fen=limit_fen,
                                cap_fen=exposure_cap_fen)
        line = await CreditLine.create(
            customer=customer,
            product=product,
            branch_id=customer.branch_id,
            officer_id=actor.id if actor.is_officer else None,
            limit_fen=limit_fen,
            valid_from=valid_from,
            valid_until=valid_until,
            status=CreditLineStatus.ACTIVE,
            allowed_methods=allowed,
            max_term_months=max_term,
            spread_bp=spread_bp if spread_bp is not None else product.spread_bp_by_grade.get(grade, product.default_spread_bp),
            granted_by_id=actor.id if actor.is_officer else None,
        )
        await audit.record(actor, "credit_line.grant", "credit_line", line.id, after={"limit_fen": limit_fen, "product": product_code, "spread_bp": line.spread_bp})
    return line


async def live_lines(customer_id: UUID, *, on: date) -> list[exposure.LiveLine]:
    """The customer's lines that count against a new grant (active or frozen, not past their last day on `on`)."""
    rows = await CreditLine.filter(customer_id=customer_id, status__in=list(exposure.LIVE_STATUSES), valid_until__gte=on).prefetch_related("product")
    lines = [exposure.LiveLine(product_code=r.product.code, product_name=r.product.name, limit_fen=r.limit_fen, valid_until=r.valid_until) for r in rows]
    guaranteed = await guarantee_exposure_fen([customer_id])  # 联保: the guarantees the person gave count towards the cap
    if guaranteed:
        lines.append(exposure.LiveLine(product_code="", product_name="对外担保", limit_fen=guaranteed, valid_until=date.max, own=False, guarantee=True))
    return lines


async def lines_at_other_banks(actor: Actor, customer_id: UUID, *, on: date) -> list[exposure.LiveLine]:
    """The person's live lines at other member banks (their records there share the ID number), for the exposure cap.

    Read only when this customer record's credit authorisation (征信授权, the consent to read their credit
    standing) is in force on `on`; each read is recorded (audit `credit_line.cross_bank_read`, naming this
    bank and the others). Without a record elsewhere or without consent: nothing is read, nothing recorded.
    """
    customer = await Customer.get(id=customer_id)
    others = await Customer.filter(id_number_hash=customer.id_number_hash).exclude(bank_id=customer.bank_id).values_list("id", "bank_id")
    if not others or not await consent_in_force(customer_id, on=on):
        return []  # no record elsewhere, or no consent: other banks' books are not read
    rows = await CreditLine.filter(customer_id__in=[c for c, _ in others], status__in=list(exposure.LIVE_STATUSES), valid_until__gte=on).prefetch_related("product")
    lines = [exposure.LiveLine(product_code=r.product.code, product_name=r.product.name, limit_fen=r.limit_fen, valid_until=r.valid_until, own=False)
             for r in rows]
    await audit.record(actor, "credit_line.cross_bank_read", "customer", customer_id, after={
        "bank": str(customer.bank_id), "otherBanks": sorted({str(b) for _, b in others}), "lines": len(lines),
        "limitFen": sum(line.limit_fen for line in lines), "purpose": "exposure_cap",
    })
    return lines


async def consent_in_force(customer_id: UUID, *, on: date) -> bool:
    """The customer's signed credit authorisation (征信授权) covers `on` and is not revoked."""
    return await CreditAuthorisation.exists(customer_id=customer_id, revoked_at=None, valid_until__gte=on)

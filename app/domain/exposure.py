"""One live line per product and a cap on a person's total credit (授信敞口): the rule every grant passes.

A line is live while it is active or frozen and not past its last day: a frozen line is still
the bank's commitment, and granting a second line beside it would undo the freeze. A person has
at most one live line per product; the limits of all their live lines, the new one included,
stay within the exposure cap (`line_exposure_cap_yuan`, docs/lending.md). A second line on the
same product is refused: a larger amount is an increase (调额) of the existing line, not a new one.
Lines the person holds at other member banks (`own=False`, read only with their consent) count towards
the cap but never as "the same product": another bank's 便利贷 is another bank's product. The person's
联保 guarantees (`guarantee=True`, their 担保最高额) count towards the cap the same way: a contingent exposure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.domain.error_codes import LendingCode
from app.domain.errors import Conflict
from app.domain.money import Money
from app.domain.vocabulary import CreditLineStatus

LIVE_STATUSES = (CreditLineStatus.ACTIVE, CreditLineStatus.FROZEN)


@dataclass(frozen=True, slots=True)
class LiveLine:
    product_code: str
    product_name: str
    limit_fen: int
    valid_until: date
    own: bool = True  # False: a line at another member bank (counts towards the cap only)
    guarantee: bool = False  # True: the person's guarantees (联保 担保最高额), a contingent exposure that counts towards the cap


def is_live(status: str, valid_until: date, *, on: date) -> bool:
    return status in LIVE_STATUSES and valid_until >= on


def check_new_line(existing: Iterable[LiveLine], *, product_code: str, limit_fen: int, cap_fen: int | None) -> None:
    """Refuse a second live line on the product, or a total above the cap (None: no cap)."""
    lines = list(existing)
    for line in lines:
        if line.own and line.product_code == product_code:
            raise Conflict(
                f"该客户已有有效的{line.product_name}授信（额度 {Money(line.limit_fen).format_yuan()}，有效期至 {line.valid_until.isoformat()}），"
                "同一产品不能重复授信；如需提高额度，请办理调额",
                code=LendingCode.LINE_EXISTS, field="product",
            )
    if cap_fen is None:
        return
    total = sum(line.limit_fen for line in lines)
    if total + limit_fen > cap_fen:
        room = max(cap_fen - total, 0)
        guaranteed = sum(line.limit_fen for line in lines if line.guarantee)
        of_which = f"（其中对外担保 {Money(guaranteed).format_yuan()}）" if guaranteed else ""
        raise Conflict(
            f"授信总额超过单户上限 {Money(cap_fen).format_yuan()}：已有有效授信 {Money(total).format_yuan()}{of_which}，"
            f"本次最多还可授信 {Money(room).format_yuan()}",
            code=LendingCode.EXPOSURE_CAP, field="limit",
        )

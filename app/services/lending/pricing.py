"""LPR publications and the contract rate of a new loan."""

from __future__ import annotations

from datetime import date

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app.domain import lpr
from app.domain.error_codes import CommonCode, LendingCode
from app.domain.errors import ValidationError
from app.domain.permissions import Action
from app.models import LprPublication
from app.services import audit, business_date
from app.services.actor import Actor
from app.services.permissions import require

MAX_LPR_PPM = 200_000  # 20 %: anything above is a typing error


async def rate_for(*, term_months: int, spread_bp: int, on: date) -> tuple[lpr.Tenor, int]:
    """(tenor, contract rate ppm) = latest LPR of the term's tenor published on or before `on` + spread."""
    tenor = lpr.tenor_for_term(term_months)
    latest = await latest_lpr(tenor, on).first()
    return tenor, contract_rate(tenor, latest.rate_ppm if latest else None, spread_bp=spread_bp, on=on)


def latest_lpr(tenor: lpr.Tenor, on: date) -> QuerySet[LprPublication]:
    """The tenor's publications on or before `on`, latest first (also a subquery: the drawdown reads it with the line)."""
    return LprPublication.filter(tenor=tenor, published_on__lte=on).order_by("-published_on")


def contract_rate(tenor: lpr.Tenor, lpr_ppm: int | None, *, spread_bp: int, on: date) -> int:
    """The latest LPR (None: none published on or before `on`, refused with NO_LPR) + spread, in ppm."""
    base = lpr.rate_on([lpr.LprRate(on, tenor, lpr_ppm)] if lpr_ppm is not None else [], tenor, on)
    return lpr.contract_rate_ppm(base.rate_ppm, spread_bp)


async def publish_lpr(*, actor: Actor, published_on: date, one_year_ppm: int, five_year_ppm: int, scheduled: bool = False) -> list[LprPublication]:
    """Record a month's LPR fixing (admin only); both tenors at once, each in ppm (3.45 % = 34500).

    A publication date after the current business date is a typing error unless it is
    marked `scheduled` (a rate known in advance): then it applies from that date on,
    like any fixing, and the audit line says it was entered as scheduled.
    """
    require(actor, Action.LPR_PUBLISH)
    rates = {}
    for tenor, ppm, field in ((lpr.Tenor.ONE_YEAR, one_year_ppm, "one_year_percent"), (lpr.Tenor.FIVE_YEAR, five_year_ppm, "five_year_percent")):
        if not 0 < ppm <= MAX_LPR_PPM:
            raise ValidationError("LPR 应在 0% 到 20% 之间", code=LendingCode.INVALID_RATE, field=field)
        if ppm % 100:
            raise ValidationError("LPR 以基点为单位（最多两位小数）", code=LendingCode.INVALID_RATE, field=field)
        rates[tenor] = ppm
    current = await business_date.current()
    if published_on > current and not scheduled:
        raise ValidationError(
            f"发布日期 {published_on.isoformat()} 晚于当前会计日期 {current.isoformat()}：预定生效的利率须明确标记为预定",
            code=CommonCode.INVALID_DATE, field="published_on",
        )
    async with in_transaction():
        if await LprPublication.exists(published_on=published_on):
            raise ValidationError(f"{published_on.isoformat()} 的 LPR 已录入", code=CommonCode.DUPLICATE, field="published_on")
        rows = [await LprPublication.create(published_on=published_on, tenor=t, rate_ppm=r) for t, r in rates.items()]
        after = {**{t.value: r for t, r in rates.items()}, "scheduled": published_on > current}
        await audit.record(actor, "lpr.publish", "lpr_publication", published_on.isoformat(), after=after)
    return rows

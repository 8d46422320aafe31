"""Portfolio import of the LPR history (LPR 历史): the fixings the old system priced with, added where Cunxin has none.

LPR fixings are the platform's (every bank prices on the same 全国银行间同业拆借中心 publication); the file is imported
under a bank like every kind, by an actor who may also enter fixings. A date Cunxin already has is skipped when its
rates are the file's and refused when they differ: history is never rewritten. docs/import.md.
"""

from __future__ import annotations

from pathlib import Path

from app.crypto import Vault
from app.domain.permissions import Action
from app.domain.portfolio_import import LPR, LPR_COLUMNS, RowError, check_lpr, yuan
from app.models import LprPublication
from app.services import business_date
from app.services.actor import Actor
from app.services.permissions import require
from app.services.portfolio_import import ImportResult, _Context, _run


def _percent(ppm: int) -> str:
    return yuan(ppm // 100)  # ppm in whole basis points: 34500 → 3.45


async def _lpr_row(ctx: _Context, line: int, cells: dict[str, str], raw: dict[str, object]) -> list[RowError]:
    row, errors = check_lpr(line, cells, today=await business_date.current())
    if errors:
        return errors
    have = {p.tenor.value if hasattr(p.tenor, "value") else p.tenor: p for p in await LprPublication.filter(published_on=row["published_on"])}
    missing = []
    for tenor, ppm in row["rates"].items():
        known = have.get(tenor.value)
        if known is None:
            missing.append((tenor, ppm))
        elif known.rate_ppm != ppm:
            column = LPR_COLUMNS[tenor]
            errors.append(RowError(line, column, f"本系统 {row['published_on'].isoformat()} 的{column}为 {_percent(known.rate_ppm)}%，与文件的 "
                                                 f"{_percent(ppm)}% 不一致（已有的 LPR 不会被改写）"))
    if errors:
        return errors
    if not missing:
        ctx.already = True
        return []
    if not ctx.write:
        return []
    made = [await LprPublication.create(published_on=row["published_on"], tenor=tenor, rate_ppm=ppm) for tenor, ppm in missing]
    await ctx.record(LPR, row["published_on"].isoformat(), made[0].id)
    return []


async def import_lpr(*, actor: Actor, vault: Vault, bank_code: str, path: Path, confirm: bool, max_bytes: int, **options) -> ImportResult:
    """The LPR fixings of the file that Cunxin lacks (a date it has must carry the same rates)."""
    require(actor, Action.LPR_PUBLISH)
    return await _run(LPR, _lpr_row, actor=actor, vault=vault, bank_code=bank_code, path=path, confirm=confirm, max_bytes=max_bytes, **options)

"""Descriptions of the arguments every list and every mutation shares, said once (`Annotated[int, FIRST]`)."""

from __future__ import annotations

import strawberry

from app.api.pagination import MAX_FIRST

FIRST = strawberry.argument(description=f"本页最多条数，1–{MAX_FIRST}")
AFTER = strawberry.argument(description="从该游标之后开始（上一页 pageInfo.endCursor）；为空时从第一条开始")
INPUT = strawberry.argument(description="本操作的全部输入（见输入类型各字段）")

"""Where a request's time goes: the app in this process (httpx.ASGITransport), N requests under cProfile.

Used by the GraphQL benchmarks to fill the `profile` field of their result: the CPU time per
request and its share by package (tortoise + pypika = ORM query building and row objects,
graphql + strawberry = execution, asyncpg = the driver, ...). cProfile slows Python down
(roughly 2×), so the shares matter, not the absolute figures. App imports happen inside the
function (bench.pg rules: the environment is set before the first app import).
"""

from __future__ import annotations

import collections
import cProfile
import pstats
import time
from collections.abc import Awaitable, Callable

GROUPS = (
    ("tortoise", "ORM: query building, row objects"),
    ("pypika_tortoise", "ORM: SQL text"),
    ("graphql", "GraphQL execution (graphql-core)"),
    ("strawberry", "GraphQL execution (strawberry)"),
    ("asyncpg", "driver"),
    ("starlette", "HTTP framework"),
    ("httpx", "the benchmark's own client"),
    ("asyncio", "event loop"),
)


def _group(filename: str, function: str) -> str:
    if "method 'send'" in function or "method 'poll'" in function or "method 'recv" in function:
        return "socket and poll (waiting, incl. the database)"
    if "/site-packages/" in filename:
        package = filename.split("/site-packages/", 1)[1].split("/", 1)[0]
        return dict(GROUPS).get(package, package) if package in dict(GROUPS) else f"other packages ({package})"
    if "/app/" in filename:
        return "app code (" + "/".join(filename.split("/app/", 1)[1].split("/")[:2]) + ")"
    if "python3.11/" in filename:
        return "stdlib (" + filename.split("python3.11/", 1)[1].split("/")[0] + ")"
    return "other"


async def profile_requests(settings, send: Callable[[object], Awaitable[None]], *, requests: int = 100, warmup: int = 10) -> dict:
    """Run `send(client)` `requests` times under cProfile against create_app(settings) in this process."""
    import httpx

    from app.db import init_db
    from app.main import create_app

    ctx = await init_db(settings)
    try:
        application = create_app(settings, manage_db=False)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60.0) as client:
                for _ in range(warmup):
                    await send(client)
                profiler = cProfile.Profile()
                cpu0, wall0 = time.process_time(), time.perf_counter()
                profiler.enable()
                for _ in range(requests):
                    await send(client)
                profiler.disable()
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    finally:
        await ctx.close_connections()
    stats = pstats.Stats(profiler)
    groups: collections.Counter = collections.Counter()
    functions = []
    for (filename, line, function), (_, calls, own, cumulative, _) in stats.stats.items():
        groups[_group(filename, function)] += own
        functions.append((own, calls, f"{filename.split('/site-packages/')[-1].split('/work/wt/')[-1]}:{line}({function})"))
    total = sum(groups.values()) or 1.0
    functions.sort(reverse=True)
    return {
        "how": f"{requests} requests one after another in the benchmark's process (httpx.ASGITransport), cProfile on; shares of profiled time",
        "cpu_ms_per_request_profiled": round(cpu / requests * 1000, 1),
        "wall_ms_per_request_profiled": round(wall / requests * 1000, 1),
        "share_by_part": {k: round(v / total, 3) for k, v in groups.most_common(12)},
        "top_functions_own_time": [f"{own / total:.1%} {name} ×{calls // requests}/request" for own, calls, name in functions[:12]],
    }

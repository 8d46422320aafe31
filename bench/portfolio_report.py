"""portfolio_report: the portfolio summary over 1,000,000 loans on PostgreSQL (target ≤ 2 s).

    .venv/bin/python bench/portfolio_report.py [--loans 1000000] [--customers 250000] [--villages 2000]
                                               [--officers 200] [--runs 5] [--keep]

Creates its own database (cunxin_bench_portfolio on 127.0.0.1:5432): the schema from the
models (`Tortoise.generate_schemas`, so the report-key table exists without a migration),
the demo bank (`seed_demo`), then set-based INSERT … SELECT generate_series: 20 outlets under
the two sub-branches, `--officers` officers, `--villages` villages, `--customers` customers
(one credit line each, the village's officer on it) and `--loans` loans over the four
products, 97 % active, five-tier classes 90 / 6 / 2 / 1 / 1 %, overdue amounts on the
non-normal ones. Then ANALYZE.

Timed (median of `--runs` after one warm-up run each):
- the GraphQL operation graphql/reporting/PortfolioSummary.graphql over HTTP (httpx →
  ASGI app, a report key for the head office: key lookup, branch tree, the report), grouped
  by branch, village, officer and product, first page of 50 groups;
- the service call `app.services.reporting.portfolio_summary` for the same groupings.
The value is the slowest grouping's median over HTTP. Writes bench/results/portfolio_report.json
and drops the database (unless --keep).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import pg  # noqa: E402  (imports no app code)
from bench.common import log  # noqa: E402

DB_NAME = "cunxin_bench_portfolio"
TARGET_S = 2.0
GROUPINGS = ("BRANCH", "VILLAGE", "OFFICER", "PRODUCT")


GEN = [
    ("outlets", """
INSERT INTO branch (id, code, name, level, parent_id, created_at)
SELECT gen_random_uuid(), 'B' || lpad(n::text, 3, '0'), '网点' || n, 'outlet',
  (SELECT id FROM branch WHERE code = CASE WHEN n % 2 = 0 THEN 'XF010' ELSE 'XF020' END), now()
FROM generate_series(1, 20) AS n"""),
    ("officers", """
INSERT INTO officer (id, username, display_name, password_hash, role, branch_id, is_active, failed_logins, created_at)
SELECT gen_random_uuid(), 'bo' || lpad(n::text, 5, '0'), '经理' || n, 'x', 'officer',
  (SELECT id FROM branch WHERE code = 'B' || lpad((1 + n % 20)::text, 3, '0')), true, 0, now()
FROM generate_series(1, $1::int) AS n"""),
    ("villages", """
INSERT INTO village (id, division_code, name, town, county, branch_id, officer_id, created_at)
SELECT gen_random_uuid(), '1410' || lpad(n::text, 8, '0'), '村' || n, '镇' || (n % 50), '襄汾县', o.branch_id, o.id, now()
FROM generate_series(1, $1::int) AS n
JOIN (SELECT id, branch_id, row_number() OVER (ORDER BY username) AS k FROM officer WHERE username LIKE 'bo%') o ON o.k = 1 + n % $2::int"""),
    ("customers", """
CREATE UNLOGGED TABLE bench_c AS
SELECT n, gen_random_uuid() AS id, gen_random_uuid() AS line_id, v.id AS village_id, v.branch_id, v.officer_id
FROM generate_series(1, $1::int) AS n
JOIN (SELECT id, branch_id, officer_id, row_number() OVER (ORDER BY division_code) AS k FROM village WHERE division_code LIKE '1410%'
      AND length(division_code) = 12 AND division_code NOT LIKE '141023%') v ON v.k = 1 + n % $2::int"""),
    ("customer_rows", """
INSERT INTO customer (id, name, sex, birth_on, id_number_enc, id_number_hash, id_number_masked, phone_masked, branch_id, village_id, grade, created_at)
SELECT id, '客户' || n, CASE WHEN n % 2 = 0 THEN '女' ELSE '男' END, DATE '1960-01-01' + (n % 12000),
  decode(md5('c' || n), 'hex'), md5('bench-customer-' || n), '141023********' || lpad((n % 10000)::text, 4, '0'), '', branch_id, village_id, 'good', now()
FROM bench_c"""),
    ("credit_lines", """
INSERT INTO credit_line (id, customer_id, product_id, branch_id, officer_id, limit_fen, used_fen, valid_from, valid_until, status,
  allowed_methods, max_term_months, spread_bp, created_at)
SELECT line_id, id, (SELECT id FROM product WHERE code = 'BIANLI'), branch_id, officer_id, 30000000, 0, DATE '2025-01-01', DATE '2028-12-31',
  'active', '["equal_installment"]'::jsonb, 36, 150, now()
FROM bench_c"""),
    ("loans", """
INSERT INTO loan (id, credit_line_id, customer_id, product_id, branch_id, principal_fen, annual_rate_ppm, lpr_tenor, spread_bp, method,
  term_months, start_on, first_due_on, maturity_on, status, outstanding_principal_fen, overdue_principal_fen, overdue_interest_fen,
  accrued_interest_fen, penalty_fen, compound_fen, days_past_due, classification, settled_on, disbursement_ref, created_at)
SELECT gen_random_uuid(), c.line_id, c.id, p.id, c.branch_id, x.principal, 45000, '1y', 150, 'equal_installment',
  12, x.start_on, x.start_on + 30, x.start_on + 365,
  CASE WHEN x.n % 100 < 3 THEN 'settled' ELSE 'active' END,
  CASE WHEN x.n % 100 < 3 THEN 0 ELSE x.principal * (50 + x.n % 50) / 100 END,
  CASE WHEN x.cls = 'normal' OR x.n % 100 < 3 THEN 0 ELSE x.principal / 10 END,
  CASE WHEN x.cls = 'normal' OR x.n % 100 < 3 THEN 0 ELSE x.principal / 200 END,
  0, 0, 0,
  CASE x.cls WHEN 'normal' THEN 0 WHEN 'special_mention' THEN 30 WHEN 'substandard' THEN 120 WHEN 'doubtful' THEN 300 ELSE 400 END,
  x.cls, CASE WHEN x.n % 100 < 3 THEN x.start_on + 200 END, '', now()
FROM (
  SELECT n, 100000 + (n::bigint * 104729) % 5000001 AS principal, DATE '2025-01-01' + ((n::bigint * 7919) % 700)::int AS start_on,
    CASE WHEN (n / 100) % 100 < 90 THEN 'normal' WHEN (n / 100) % 100 < 96 THEN 'special_mention' WHEN (n / 100) % 100 < 98 THEN 'substandard'
         WHEN (n / 100) % 100 < 99 THEN 'doubtful' ELSE 'loss' END AS cls,
    1 + n % $2::int AS c, n % 4 AS p
  FROM generate_series(1, $1::int) AS n
) x
JOIN bench_c c ON c.n = x.c
JOIN (SELECT id, row_number() OVER (ORDER BY code) - 1 AS k FROM product) p ON p.k = x.p"""),
    ("drop_staging", "DROP TABLE bench_c"),
    ("analyze", "VACUUM ANALYZE"),
]


def _recreate_database() -> Path:
    var_dir = pg.use_database(DB_NAME)
    for tool, args in (("dropdb", ["--if-exists", "--force", DB_NAME]), ("createdb", [DB_NAME])):
        subprocess.run([tool, "-h", pg.HOST, "-p", str(pg.PORT), "-U", pg.USER, *args], check=True, stdout=subprocess.DEVNULL)
    return var_dir


def _drop_database(var_dir: Path) -> None:
    subprocess.run(["dropdb", "-h", pg.HOST, "-p", str(pg.PORT), "-U", pg.USER, "--if-exists", "--force", DB_NAME], check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(var_dir, ignore_errors=True)


async def generate(conn, opts) -> dict[str, float]:
    args = {"officers": (opts.officers,), "villages": (opts.villages, opts.officers), "customers": (opts.customers, opts.villages),
            "loans": (opts.loans, opts.customers)}
    timings = {}
    await conn.execute("SET work_mem = '256MB'; SET maintenance_work_mem = '512MB'; SET synchronous_commit = off")
    for name, sql in GEN:
        t0 = time.perf_counter()
        await conn.execute(sql, *args.get(name, ()))
        timings[name] = round(time.perf_counter() - t0, 2)
        log(f"generate {name}: {timings[name]} s")
    return timings


async def _median(fn, runs: int) -> tuple[float, list[float]]:
    await fn()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), [round(t, 3) for t in times]


async def bench(opts) -> None:
    import asyncpg
    import httpx
    from tortoise import Tortoise

    from app.config import get_settings
    from app.crypto import Vault
    from app.db import tortoise_config
    from app.main import create_app
    from app.models import Officer
    from app.services.auth import officers as auth
    from app.services import reporting as svc
    from app.services.actor import SYSTEM
    from app.services.seed import seed_demo
    from bench.common import write_result

    settings = get_settings()
    ctx = await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    try:
        await Tortoise.generate_schemas()
        from datetime import date

        await seed_demo(vault=Vault(settings.secret()), demo_password="bench-password-1", today=date(2026, 11, 27), households_per_village=1)
        conn = await asyncpg.connect(pg.db_url(DB_NAME))
        try:
            t0 = time.perf_counter()
            gen = await generate(conn, opts)
            gen_total = round(time.perf_counter() - t0, 1)
            sizes = dict(await conn.fetchrow(
                "SELECT (SELECT count(*) FROM loan) AS loans, (SELECT count(*) FROM loan WHERE status = 'active') AS active_loans,"
                " (SELECT count(*) FROM customer) AS customers, (SELECT count(*) FROM village) AS villages, (SELECT count(*) FROM officer) AS officers,"
                " (SELECT count(*) FROM branch) AS branches"
            ))
            db_size = await conn.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
            plan = "\n".join(r[0] for r in await conn.fetch(
                "EXPLAIN (ANALYZE, BUFFERS OFF, TIMING OFF) SELECT l.branch_id, COUNT(*), SUM(l.outstanding_principal_fen) FROM loan l"
                " WHERE l.status = 'active' GROUP BY l.branch_id"))
        finally:
            await conn.close()
        log(f"generated in {gen_total} s: {sizes}, database {db_size}")

        admin = await auth.actor_for(await Officer.get(username="admin"))
        key = await svc.create_report_key(actor=SYSTEM, name="bench", branch_code="XF000")
        document = (ROOT / "graphql" / "reporting" / "PortfolioSummary.graphql").read_text(encoding="utf-8")
        load = pg.wait_for_quiet(max_wait=opts.quiet_wait, log=log)

        service, service_runs = {}, {}
        for group in GROUPINGS:
            async def call(group=group):
                report = await svc.portfolio_summary(actor=admin, group_by=svc.GroupBy(group.lower()), page=svc.Page(0, 50))
                assert report.total.loans == sizes["active_loans"], report.total.loans

            service[group], service_runs[group] = await _median(call, opts.runs)
            log(f"service {group}: median {service[group]:.3f} s {service_runs[group]}")

        app = create_app(settings, manage_db=False)
        http, http_runs = {}, {}
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as client:
                for group in GROUPINGS:
                    async def request(group=group):
                        response = await client.post("/graphql", json={"query": document, "variables": {"groupBy": group}},
                                                     headers={"Authorization": f"Bearer {key.token}"})
                        body = response.json()
                        assert "errors" not in body, body
                        assert body["data"]["portfolioSummary"]["total"]["loanCount"] == sizes["active_loans"]
                        return body

                    http[group], http_runs[group] = await _median(request, opts.runs)
                    log(f"graphql {group}: median {http[group]:.3f} s {http_runs[group]}")
                sample = (await request("BRANCH"))["data"]["portfolioSummary"]["total"]
    finally:
        await ctx.close_connections()

    value = max(http.values())
    result = write_result(
        "portfolio_report",
        round(value, 3),
        "s",
        TARGET_S,
        value <= TARGET_S,
        graphql_http_median_s={k: round(v, 3) for k, v in http.items()},
        graphql_http_runs_s=http_runs,
        service_median_s={k: round(v, 3) for k, v in service.items()},
        service_runs_s=service_runs,
        total_sample=sample,
        sizes=sizes,
        database_size=db_size,
        generate_s=gen_total,
        generate_steps=gen,
        plan_branch_grouping=plan,
        machine_load=load,
        app_code=pg.code_version(),
        postgres="server defaults (shared_buffers 128MB, work_mem 4MB); the loader session alone raised its own work_mem",
        note=(
            "value = the slowest grouping's median over HTTP (PortfolioSummary.graphql with a head-office report key, first page of 50 groups,"
            " totals over all groups); each figure is one SQL statement with GROUP BY (app/services/reporting/portfolio.py);"
            " village and officer groupings join customer / credit_line."
        ),
    )
    print(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=250_000)
    parser.add_argument("--villages", type=int, default=2_000)
    parser.add_argument("--officers", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quiet-wait", type=float, default=60.0, help="max seconds to wait for load < 1 before timing")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    opts = parser.parse_args()
    var_dir = _recreate_database()
    try:
        asyncio.run(bench(opts))
    finally:
        if opts.keep:
            log(f"kept database {DB_NAME} ({pg.db_url(DB_NAME)})")
        else:
            _drop_database(var_dir)


if __name__ == "__main__":
    main()

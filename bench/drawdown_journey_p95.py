"""drawdown_journey_p95: the app's drawdown journey quote → apply → confirm (disbursed) over HTTP on PostgreSQL; p95 of its server time.

    .venv/bin/python bench/drawdown_journey_p95.py [--clients 5] [--per-client 10] [--quiet-wait 30] [--keep]

Creates its own database (cunxin_bench_journey on 127.0.0.1:5432), migrates and seeds it, then
through the services: one borrower per client (own phone, own-bank default card, a line of
300,000 yuan with a signed authorisation and a sandbox credit check) and a token issued as
SignInVerify does.

The server is `python -m app.cli serve` (one worker, shipped settings) with one change:
CUNXIN_SMS_URL points at a tiny SMS gateway this script serves on loopback (the app's real
HttpSms adapter posts the text there; the script reads the 6-digit code from it). The sandbox
SMS keeps codes in the server's memory and exposes only sign-in codes (devCode), so this is how
an outside client can read the drawdown code. The gateway answers at once; its round trip is
part of the measured server time, as a real gateway's would be.

Each journey, by persisted-query hash (graphql/mobile/): DrawdownQuote, LoanApply (the real-time
credit check through the rules engine, purpose drawdown, then the SMS), LoanApplicationConfirm
with the code (draw_down: loan, schedule, ledger, disbursement). Journey time = the sum of the
three HTTP round trips (the bench's own code lookup between them is not counted). `--clients`
clients run `--per-client` journeys each after one warm-up journey each.
Target: p95 ≤ 1 s. Writes bench/results/drawdown_journey_p95.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import pg  # noqa: E402
from bench.common import free_port, log, percentile, server  # noqa: E402
from bench.mobile_common import access_token, make_borrower, persisted_post, phone_for  # noqa: E402

DB_NAME = "cunxin_bench_journey"
TARGET_P95_S = 1.0
QUIET_WAIT = [30.0]
CODE = re.compile(r"验证码\s*(\d{6})")
TERMS = (6, 12, 24)
METHODS = ("EQUAL_INSTALLMENT", "EQUAL_PRINCIPAL", "INTEREST_FIRST")


async def setup(clients: int) -> dict:
    from app.config import get_settings
    from app.crypto import Vault
    from app.db import init_db
    from app.wiring import Adapters
    from app.services import business_date

    settings = get_settings()
    vault = Vault(settings.secret())
    ctx = await init_db(settings)
    try:
        core = Adapters.from_settings(settings).core
        today = await business_date.current()
        people = []
        for k in range(clients):
            customer, line = await make_borrower(vault, k, loans=0, core=core, today=today)
            people.append({"phone": phone_for(k), "token": await access_token(vault, customer.id), "line": line.id})
        log(f"{clients} borrowers ready (business date {today})")
        return {"people": people}
    finally:
        await ctx.close_connections()


class SmsGateway:
    """The loopback SMS gateway: keeps the newest code per phone and wakes whoever waits for it."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}
        self.events: dict[str, asyncio.Event] = {}
        self.received = 0

    def app(self):
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        async def sms(request):
            body = await request.json()
            self.received += 1
            found = CODE.search(body.get("text", ""))
            if found:
                self.codes[body["phone"]] = found.group(1)
                self.events.setdefault(body["phone"], asyncio.Event()).set()
            return JSONResponse({"ok": True})

        return Starlette(routes=[Route("/sms", sms, methods=["POST"])])

    def take(self, phone: str) -> str | None:
        event = self.events.setdefault(phone, asyncio.Event())
        event.clear()
        return self.codes.pop(phone, None)


def gid(type_name: str, pk) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def journey(client, person: dict, sms: SmsGateway, n: int) -> dict:
    token, line = person["token"], gid("CreditLine", person["line"])
    inp = {"creditLineId": line, "amount": f"{1000 + (n * 37 % 40) * 100}.00", "termMonths": TERMS[n % 3], "method": METHODS[(n // 3) % 3]}
    times = {}
    quote, times["quote"] = await persisted_post(client, "DrawdownQuote", {"input": inp}, token)
    q = (quote.get("data") or {}).get("drawdownQuote")
    if not q or q["errors"]:
        return {"error": f"quote: {str(quote)[:300]}"}
    sms.take(person["phone"])
    applied, times["apply"] = await persisted_post(client, "LoanApply", {"input": {**inp, "idempotencyKey": str(uuid.uuid4())}}, token)
    a = (applied.get("data") or {}).get("loanApply")
    if not a or a["errors"] or a["application"]["status"] != "AWAITING_CODE":
        return {"error": f"apply: {str(applied)[:300]}"}
    code = sms.codes.pop(person["phone"], None)
    if code is None:  # HttpSms posts before the answer: it should be here already
        await asyncio.wait_for(sms.events[person["phone"]].wait(), 5)
        code = sms.codes.pop(person["phone"])
    confirmed, times["confirm"] = await persisted_post(client, "LoanApplicationConfirm", {"input": {"applicationId": a["application"]["id"], "code": code}}, token)
    c = (confirmed.get("data") or {}).get("loanApplicationConfirm")
    if not c or c["errors"] or c["application"]["status"] != "DISBURSED" or not c["loan"]:
        return {"error": f"confirm: {str(confirmed)[:300]}"}
    times["total"] = times["quote"] + times["apply"] + times["confirm"]
    return times


async def run(base_url: str, people: list[dict], sms: SmsGateway, per_client: int) -> tuple[list[dict], list[str], float, dict]:
    import httpx

    done: list[dict] = []
    failed: list[str] = []

    async def client_run(person: dict, first: int, count: int, timed: bool) -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=60.0, limits=httpx.Limits(max_connections=1)) as client:
            for n in range(first, first + count):
                result = await journey(client, person, sms, n)
                if "error" in result:
                    failed.append(result["error"])
                elif timed:
                    done.append(result)

    await asyncio.gather(*(client_run(p, 1000 + k, 1, False) for k, p in enumerate(people)))  # warm-up
    if failed:
        raise RuntimeError(f"warm-up failed: {failed[:2]}")
    load = await asyncio.to_thread(pg.wait_for_quiet, log=log, max_wait=QUIET_WAIT[0])
    t0 = time.perf_counter()
    await asyncio.gather(*(client_run(p, k * per_client, per_client, True) for k, p in enumerate(people)))
    return done, failed, time.perf_counter() - t0, load


async def verify() -> dict:
    import asyncpg

    con = await asyncpg.connect(pg.db_url(DB_NAME))
    try:
        return {
            "loans": await con.fetchval("SELECT count(*) FROM loan"),
            "applications_disbursed": await con.fetchval("SELECT count(*) FROM loan_application WHERE loan_id IS NOT NULL"),
            "drawdown_risk_decisions": await con.fetchval("SELECT count(*) FROM risk_decision WHERE purpose = 'drawdown'"),
            "lines_used_not_equal_loans": await con.fetchval(
                "SELECT count(*) FROM credit_line l LEFT JOIN (SELECT credit_line_id, SUM(principal_fen) AS s FROM loan GROUP BY 1) x"
                " ON x.credit_line_id = l.id WHERE l.used_fen <> COALESCE(x.s, 0)"
            ),
        }
    finally:
        await con.close()


async def bench(opts, var_dir: Path) -> None:
    import uvicorn

    from bench.common import write_result

    setup_data = await setup(opts.clients)
    sms = SmsGateway()
    sms_port = free_port()
    gateway = uvicorn.Server(uvicorn.Config(sms.app(), host="127.0.0.1", port=sms_port, log_level="warning", access_log=False, lifespan="off"))
    gateway_task = asyncio.create_task(gateway.serve())
    try:
        while not gateway.started:
            await asyncio.sleep(0.05)
        env = {**os.environ, "CUNXIN_SMS_URL": f"http://127.0.0.1:{sms_port}/sms"}
        log(f"{opts.clients} clients × {opts.per_client} journeys (quote → apply → confirm)")
        async with server(["-m", "app.cli", "serve", "--workers", "1"], ready_path="/readyz", log_path=var_dir / "server.log", env=env) as (url, _):
            done, failed, wall, load = await run(url, setup_data["people"], sms, opts.per_client)
    finally:
        gateway.should_exit = True
        await gateway_task
    checks = await verify()
    log(f"checks: {checks}")
    if failed:
        log(f"failures (first 3): {failed[:3]}")

    def ms(key: str, q: int) -> float:
        return round(percentile([d[key] for d in done], q) * 1000, 1)

    steps = {k: {"p50_ms": ms(k, 50), "p95_ms": ms(k, 95), "max_ms": round(max(d[k] for d in done) * 1000, 1)} for k in ("quote", "apply", "confirm")}
    p95 = percentile([d["total"] for d in done], 95)
    ok_parts = {"p95_within_1s": p95 <= TARGET_P95_S, "no_failed_journey": not failed, "lines_match_loans": checks["lines_used_not_equal_loans"] == 0}
    result = write_result(
        "drawdown_journey_p95",
        round(p95, 3),
        "s",
        TARGET_P95_S,
        all(ok_parts.values()),
        p50_s=round(percentile([d["total"] for d in done], 50), 3),
        max_s=round(max(d["total"] for d in done), 3),
        journeys=len(done),
        failed=len(failed),
        failures=failed[:3],
        clients=opts.clients,
        journeys_per_s=round(len(done) / wall, 2),
        steps=steps,
        ok_parts=ok_parts,
        checks=checks,
        sms_messages=sms.received,
        machine_load=load,
        app_code=pg.code_version(),
        note=(
            "journey = DrawdownQuote + LoanApply (credit check via the rules, SMS) + LoanApplicationConfirm (disbursed), each by"
            " persisted-query hash; server time as seen by the client over loopback. The SMS goes through the app's HttpSms"
            " adapter to a loopback gateway in the bench process (CUNXIN_SMS_URL); client, server and PostgreSQL share the"
            " machine with other sessions."
        ),
    )
    print(json.dumps(result, ensure_ascii=False))


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--clients", type=int, default=5)
    args.add_argument("--per-client", type=int, default=10)
    args.add_argument("--quiet-wait", type=float, default=30.0)
    args.add_argument("--keep", action="store_true")
    opts = args.parse_args()
    QUIET_WAIT[0] = opts.quiet_wait
    with pg.bench_database(DB_NAME, keep=opts.keep) as var_dir:
        asyncio.run(bench(opts, var_dir))


if __name__ == "__main__":
    main()

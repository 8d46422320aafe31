"""Reports on the PAD: the manager dashboard (figures and server-rendered SVG charts) and CSV downloads.

The dashboard is for branch managers, approvers, admins and auditors; it reads the same
service functions as GraphQL. CSV downloads take an officer's session or a report key
(`Authorization: Bearer rk_...`), with the same filters as the GraphQL reports.
"""

from __future__ import annotations

import base64
from datetime import date
from urllib.parse import urlencode
from uuid import UUID

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from app import clock
from app.domain.classification import CLASS_LABELS, LoanClass
from app.domain.error_codes import CommonCode
from app.domain.errors import DomainError, NotFound
from app.logging import request_id_var
from app.domain.vocabulary import ROLE_LABELS, Role
from app.services.lending.write_off import write_off_report
from app.services import business_date
from app.services import reporting as svc
from app.services.org import banks_visible, branches_in_scope
from ui.auth import login_required
from ui.charts import bar_chart, line_chart, months_back
from ui.report_csv import PARTS, REPORTS, Params, render_csv
from ui.templating import render

DASHBOARD_ROLES = frozenset({Role.BRANCH_MANAGER, Role.APPROVER, Role.ADMIN, Role.AUDITOR})
MONTHS = 12
TOP_ROWS = 20
CLASS_CSS = {LoanClass.NORMAL: "normal", LoanClass.SPECIAL_MENTION: "special", LoanClass.SUBSTANDARD: "substandard",
             LoanClass.DOUBTFUL: "doubtful", LoanClass.LOSS: "loss"}
FILTER_NAMES = ("bank", "branch", "village", "officer", "product", "date_from", "date_to")


class BadParam(DomainError):
    code = CommonCode.INVALID


def _id(value: str, name: str) -> UUID | None:
    """A plain UUID (pages) or a GraphQL global id ("Branch:<uuid>" in base64), as reporting tools get them."""
    value = value.strip()
    if not value:
        return None
    try:
        return UUID(value)
    except ValueError:
        pass
    try:
        _, _, raw = base64.b64decode(value.encode(), validate=True).decode().partition(":")
        return UUID(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadParam(f"参数 {name} 无效", field=name) from None


def _day(value: str, name: str) -> date | None:
    try:
        return date.fromisoformat(value) if value.strip() else None
    except ValueError:
        raise BadParam(f"参数 {name} 应为 YYYY-MM-DD", field=name) from None


def params_from(request: Request, *, default_group: svc.GroupBy = svc.GroupBy.BRANCH) -> Params:
    q = request.query_params
    try:
        group_by = svc.GroupBy(q.get("group_by") or default_group)
        interval = svc.Interval(q.get("interval") or svc.Interval.MONTH)
    except ValueError:
        raise BadParam("参数 group_by 或 interval 无效", field="group_by") from None
    filt = svc.ReportFilter(
        bank_id=_id(q.get("bank", ""), "bank"), branch_id=_id(q.get("branch", ""), "branch"), village_id=_id(q.get("village", ""), "village"),
        officer_id=_id(q.get("officer", ""), "officer"), product_id=_id(q.get("product", ""), "product"),
        date_from=_day(q.get("date_from", ""), "date_from"), date_to=_day(q.get("date_to", ""), "date_to"),
    )
    return Params(group_by=group_by, interval=interval, filt=filt)


def _first_of_month_back(end: date, months: int) -> date:
    y, m = end.year, end.month - (months - 1)
    while m < 1:
        y, m = y - 1, m + 12
    return date(y, m, 1)


async def _dashboard_context(request: Request, actor) -> dict:
    params = params_from(request)
    filt = params.filt
    today = await business_date.current()
    portfolio = await svc.portfolio_summary(actor=actor, group_by=params.group_by, filt=filt, page=svc.Page(0, TOP_ROWS))
    # the series: the last 12 months up to the business date (the portfolio's date range does not apply)
    since = _first_of_month_back(today, MONTHS)
    window = svc.ReportFilter(bank_id=filt.bank_id, branch_id=filt.branch_id, village_id=filt.village_id, officer_id=filt.officer_id, product_id=filt.product_id,
                              date_from=since, date_to=today)
    disbursed = await svc.disbursement_series(actor=actor, filt=window, page=svc.Page(0, MONTHS))
    repaid = await svc.repayment_series(actor=actor, filt=window, page=svc.Page(0, MONTHS))
    periods = months_back(today, MONTHS)
    banks = await banks_visible(actor)
    classes = bar_chart([(CLASS_LABELS[c], portfolio.total.by_class[c], CLASS_CSS[c]) for c in LoanClass], title="五级分类贷款余额")
    flows = line_chart(
        periods,
        [("放款", "disbursed", {p.period: p.amount_fen for p in disbursed.points.rows}),
         ("回收", "repaid", {p.period: p.total_fen for p in repaid.points.rows})],
        title="近 12 个月放款与回收",
    )
    scoped = {k: v for k, v in request.query_params.items() if k in (*FILTER_NAMES, "group_by") and v}
    return {
        "business_on": today,
        "write_offs": (write_offs := await write_off_report(actor=actor)),
        "params": params,
        "query": urlencode(scoped),
        "branches": await branches_in_scope(actor),
        "selected_branch": str(filt.branch_id or ""),
        # platform staff read every bank: a bank filter and grouping by bank; a bank's own staff see neither
        "banks": banks if len(banks) > 1 else [],
        "selected_bank": str(filt.bank_id or ""),
        "group_labels": svc.GROUP_LABELS if len(banks) > 1 else {k: v for k, v in svc.GROUP_LABELS.items() if k != svc.GroupBy.BANK},
        "portfolio": portfolio,
        "class_labels": CLASS_LABELS,
        "classes": classes,
        "flows": flows,
        "disbursed": disbursed,
        "repaid": repaid,
        "coverage": await svc.village_coverage(actor=actor, filt=filt, page=svc.Page(0, TOP_ROWS)),
        "officers": await svc.officer_performance(actor=actor, filt=filt, page=svc.Page(0, TOP_ROWS)),
        "risk": await svc.risk_summary(actor=actor, filt=filt, page=svc.Page(0, TOP_ROWS)),
        "role_labels": ROLE_LABELS,
        # 拨备与核销 is the head office's (the figures above are shown only to it)
        "csv_names": {k: v[0] for k, v in REPORTS.items() if k != "allowance" or write_offs},
    }


@login_required
async def dashboard(request: Request) -> Response:
    info = request.state.session
    if info.officer.role not in DASHBOARD_ROLES:
        raise NotFound("经营报表仅限支行行长、审批人、系统管理员和审计员查看")
    try:
        context = await _dashboard_context(request, info.actor)
    except DomainError as exc:
        return render(request, "not_found.html", {"message": exc.message}, status_code=400)
    return render(request, "reports/dashboard.html", context, fragment="reports/_body.html")


async def report_csv(request: Request) -> Response:
    """GET /reports/<name>.csv: a report key as a bearer token, else the officer's session (the page guard)."""
    if request.path_params["name"] not in REPORTS:
        raise NotFound("报表不存在")
    header = request.headers.get("authorization", "")
    if not header:
        return await _officer_csv(request)
    scheme, _, token = header.partition(" ")
    token, client = token.strip(), request.client.host if request.client else ""
    actor = None
    if scheme.lower() == "bearer" and svc.is_report_key(token):
        actor = await svc.resolve_report_key(token, now=clock.now_utc(), request_id=request_id_var.get(), ip=client)
    if actor is None:
        return PlainTextResponse("报表密钥无效或已吊销", status_code=401, headers={"WWW-Authenticate": "Bearer"})
    return await _csv_response(request, actor)


@login_required
async def _officer_csv(request: Request) -> Response:
    return await _csv_response(request, request.state.session.actor)


async def _csv_response(request: Request, actor) -> Response:
    name = request.path_params["name"]
    part = request.query_params.get("part", "data")
    if part not in PARTS:
        return PlainTextResponse("part 只能是 data（明细）或 totals（合计）", status_code=400)
    try:
        exported = await render_csv(name, actor, params_from(request), part=part)
    except DomainError as exc:
        return PlainTextResponse(exc.message, status_code=400)
    filename = f"{name}{'-totals' if part == 'totals' else ''}-{(await business_date.current()).isoformat()}.csv"
    return Response(
        exported.text.encode("utf-8"), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store", **exported.headers},
    )

"""存量数据导入 (issue 18) on the PAD: a bank admin uploads one file of the old system's records, sees the same
preview as `cunxin import` (row and column errors in Chinese, counts), then confirms; after loans, the reconciliation.

The upload waits in `<var_dir>/imports/<bank>/` (files.stage_upload). The preview and the confirmation are runs of the
default worker (app.services.portfolio_import.runs, which call the CLI's service functions): the page shows a progress
bar and polls the run every second until its result comes (the confirmation checks every row again inside one
transaction and writes, or writes nothing); after loans, the reconciliation (`loan_reconciliation`).
"""

from __future__ import annotations

from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain.errors import DomainError, Forbidden, NotFound
from app.domain.permissions import Action
from app.domain.portfolio_import import KINDS, LOANS
from app.services.permissions import may
from app.services.org import banks_visible
from app.services.portfolio_import import loan_reconciliation, runs
from app.services.portfolio_import.files import stage_upload, template_xlsx
from ui.auth import login_required
from ui.common import forbidden_page
from ui.templating import render

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORM_SLACK = 64 * 1024  # the multipart frame around the file: boundaries, the kind, the CSRF token


def _staging(request: Request) -> Path:
    return request.app.state.settings.var_dir / "imports"


async def _bank_or_refusal(request: Request):
    """The admin's own bank (read through the org service, in scope), or the refusal page."""
    actor = request.state.session.actor
    if not may(actor, Action.PORTFOLIO_IMPORT):
        return forbidden_page(request, "只有法人行管理员可以导入存量业务数据")
    if actor.bank_id is None:
        return forbidden_page(request, "存量数据导入由法人行管理员为本行办理")
    bank = next((b for b in await banks_visible(actor) if b.id == actor.bank_id), None)
    return bank if bank is not None else forbidden_page(request, "存量数据导入由法人行管理员为本行办理")


def _context(request: Request, bank, **extra) -> dict:
    settings = request.app.state.settings
    return {"bank": bank, "kinds": KINDS, "kind": extra.pop("kind", "customers"), "error": None, "result": None, "token": "",
            "report": None, "run": None, "max_mb": settings.import_max_bytes / (1024 * 1024), **extra}


def _fragment(request: Request, context: dict, status_code: int = 200) -> Response:
    return render(request, "imports/page.html", context, fragment="imports/_result.html", status_code=status_code)


@login_required
async def portfolio_import(request: Request) -> Response:
    """GET: the form. POST (multipart): stage the file and start its preview; the page follows the run's progress."""
    bank = await _bank_or_refusal(request)
    if isinstance(bank, Response):
        return bank
    if request.method != "POST":
        return render(request, "imports/page.html", _context(request, bank, kind=request.query_params.get("kind", "customers")))
    settings = request.app.state.settings
    limit = settings.import_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + FORM_SLACK:  # refused before the body is parsed
        error = f"文件超过上限 {limit / 1024 / 1024:.0f} MB，请分成几个文件导入"
        return _fragment(request, _context(request, bank, error=error), 422)
    form = await request.form(max_files=1, max_fields=5)
    kind = str(form.get("kind", "") or "")
    upload = form.get("file")
    context = _context(request, bank, kind=kind)
    try:
        if kind not in KINDS:
            return _fragment(request, {**context, "error": "请选择导入类型"}, 422)
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _fragment(request, {**context, "error": "请选择要导入的 CSV 或 Excel 文件"}, 422)
        try:
            token, _ = await stage_upload(_staging(request), bank.id, upload.filename, upload.read, limit)
        except DomainError as exc:
            return _fragment(request, {**context, "error": exc.message}, 422)
    finally:
        await form.close()
    return await _start(request, bank, kind=kind, token=token, confirm=False)


@login_required
async def portfolio_import_confirm(request: Request) -> Response:
    """Start writing the previewed file (checked again first, then all or nothing); the page follows the run."""
    bank = await _bank_or_refusal(request)
    if isinstance(bank, Response):
        return bank
    form = {k: str(v) for k, v in (await request.form(max_files=0, max_fields=5)).items() if isinstance(v, str)}
    return await _start(request, bank, kind=form.get("kind", ""), token=form.get("token", ""), confirm=True)


async def _start(request: Request, bank, *, kind: str, token: str, confirm: bool) -> Response:
    context = _context(request, bank, kind=kind)
    try:
        run = await runs.start_run(actor=request.state.session.actor, kind=kind, token=token, confirm=confirm, staging=_staging(request),
                                   queue=request.app.state.queue, now=clock.now_utc())
    except (DomainError, Forbidden) as exc:
        return _fragment(request, {**context, "error": exc.message}, 422)
    return _fragment(request, {**context, "run": run}, 202)


@login_required
async def portfolio_import_run(request: Request) -> Response:
    """A run as it stands: its progress while the worker reads the file (polled every second), then its result —
    the preview's errors or 确认导入, the written counts, and after loans the reconciliation. The whole page when
    opened directly (a link kept from an earlier visit), the result section for htmx."""
    actor = request.state.session.actor
    run = await runs.run_in_scope(actor, request.path_params["run_id"])  # another bank's run: 404, whoever asks
    bank = await _bank_or_refusal(request)
    if isinstance(bank, Response):
        return bank
    result = runs.result_of(run)
    stage, rows = await runs.progress_of(run, request.app.state.queue)
    context = _context(request, bank, kind=run.kind, run=run, result=result, stage=stage, rows_done=rows)
    status = 202 if run.status in runs.OPEN else 200
    if run.status == runs.FAILED:
        context["error"], status = run.error or "导入失败，请重新上传", 422
    elif result is not None:
        status = 422 if result.error_count or (run.confirm and not result.committed) else 200
        if not run.confirm and not result.error_count:
            context["token"] = run.token
        if run.confirm and not result.committed and not result.error_count:
            context["error"] = "数据库在预览后有变化，本次未写入任何数据；请重新上传预览"
        if run.kind == LOANS.code and result.committed:
            context["report"] = await loan_reconciliation(actor=actor, bank_code=bank.code)
    if request.headers.get("HX-Request"):
        return _fragment(request, context, status)
    return render(request, "imports/page.html", context, status_code=status)


@login_required
async def portfolio_import_template(request: Request) -> Response:
    """The kind's XLSX template, the same as `cunxin import-template KIND`."""
    kind = KINDS.get(request.path_params["kind"])
    if kind is None:
        raise NotFound("模板不存在")
    return Response(template_xlsx(kind), media_type=XLSX_TYPE, headers={"Content-Disposition": f'attachment; filename="import-{kind.code}.xlsx"'})

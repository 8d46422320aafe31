"""存量数据导入 (issue 18) on the PAD: a bank admin uploads one file of the old system's records, sees the same
preview as `cunxin import` (row and column errors in Chinese, counts), then confirms; after loans, the reconciliation.

The page calls the CLI's service functions (app.services.portfolio_import: one per kind, and `loan_reconciliation`).
Between the preview and the confirmation the upload waits in `<var_dir>/imports/<bank>/` (files.stage_upload); the
confirmation reads it again from there, checks every row again inside one transaction and writes, or writes nothing.
Both run inline in the request (no job, no progress bar): the tablet shows 「正在处理」 until the answer comes back.
"""

from __future__ import annotations

from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from app.domain.errors import DomainError, Forbidden, NotFound
from app.domain.permissions import Action
from app.domain.portfolio_import import KINDS, LOANS
from app.services.permissions import may
from app.services.org import banks_visible
from app.services.portfolio_import import SERVICES, loan_reconciliation
from app.services.portfolio_import.files import stage_upload, staged_path, template_xlsx
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
            "report": None, "max_mb": settings.import_max_bytes / (1024 * 1024), **extra}


@login_required
async def portfolio_import(request: Request) -> Response:
    """GET: the form. POST (multipart): stage the file and preview it; the page shows the errors or the 确认导入 button."""
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
        return render(request, "imports/page.html", _context(request, bank, error=error), fragment="imports/_result.html", status_code=422)
    form = await request.form(max_files=1, max_fields=5)
    kind = str(form.get("kind", "") or "")
    upload = form.get("file")
    context = _context(request, bank, kind=kind)
    try:
        if kind not in KINDS:
            return render(request, "imports/page.html", {**context, "error": "请选择导入类型"}, fragment="imports/_result.html", status_code=422)
        if not isinstance(upload, UploadFile) or not upload.filename:
            return render(request, "imports/page.html", {**context, "error": "请选择要导入的 CSV 或 Excel 文件"},
                          fragment="imports/_result.html", status_code=422)
        try:
            token, path = await stage_upload(_staging(request), bank.id, upload.filename, upload.read, limit)
        except DomainError as exc:
            return render(request, "imports/page.html", {**context, "error": exc.message}, fragment="imports/_result.html", status_code=422)
    finally:
        await form.close()
    try:
        result = await SERVICES[kind](actor=request.state.session.actor, vault=request.app.state.vault, bank_code=bank.code, path=path,
                                      confirm=False, max_bytes=limit)
    except (DomainError, Forbidden) as exc:
        path.unlink(missing_ok=True)
        return render(request, "imports/page.html", {**context, "error": exc.message}, fragment="imports/_result.html", status_code=422)
    if result.error_count:
        path.unlink(missing_ok=True)  # nothing to confirm: the corrected file is uploaded again
        token = ""
    return render(request, "imports/page.html", {**context, "result": result, "token": token}, fragment="imports/_result.html",
                  status_code=422 if result.error_count else 200)


@login_required
async def portfolio_import_confirm(request: Request) -> Response:
    """The previewed file, written all or nothing (checked again first); after loans, the reconciliation report."""
    bank = await _bank_or_refusal(request)
    if isinstance(bank, Response):
        return bank
    form = {k: str(v) for k, v in (await request.form(max_files=0, max_fields=5)).items() if isinstance(v, str)}
    kind = form.get("kind", "")
    path = staged_path(_staging(request), bank.id, form.get("token", ""))
    context = _context(request, bank, kind=kind)
    if kind not in KINDS or path is None:
        return render(request, "imports/page.html", {**context, "error": "找不到预览过的文件（可能已导入或已过期），请重新上传"},
                      fragment="imports/_result.html", status_code=422)
    actor = request.state.session.actor
    try:
        result = await SERVICES[kind](actor=actor, vault=request.app.state.vault, bank_code=bank.code, path=path, confirm=True,
                                      max_bytes=request.app.state.settings.import_max_bytes)
    except (DomainError, Forbidden) as exc:
        return render(request, "imports/page.html", {**context, "error": exc.message, "token": form.get("token", "")},
                      fragment="imports/_result.html", status_code=422)
    path.unlink(missing_ok=True)
    report = await loan_reconciliation(actor=actor, bank_code=bank.code) if kind == LOANS.code and result.committed else None
    return render(request, "imports/page.html", {**context, "result": result, "report": report}, fragment="imports/_result.html",
                  status_code=200 if result.committed else 422)


@login_required
async def portfolio_import_template(request: Request) -> Response:
    """The kind's XLSX template, the same as `cunxin import-template KIND`."""
    kind = KINDS.get(request.path_params["kind"])
    if kind is None:
        raise NotFound("模板不存在")
    return Response(template_xlsx(kind), media_type=XLSX_TYPE, headers={"Content-Disposition": f'attachment; filename="import-{kind.code}.xlsx"'})

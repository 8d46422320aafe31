"""Village pages: the census of a village, households and members on the PAD, and the file import."""

from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain.appraisal import STATUS_LABELS
from app.domain.census import COLUMNS, RELATION_LABELS, CensusFileError, MemberInvalid
from app.domain.errors import DomainError, Forbidden, NotFound
from app.services.appraisal.coverage import village_coverage
from app.services.appraisal.reads import latest_for_village
from app.services.census import households as census
from app.services.census.files import CSV_TYPE, XLSX_TYPE, write_csv, write_xlsx
from app.services.census.imports import commit_import, discard_import, get_import, preview_import
from app.services.guarantees import guarantees_of_household
from ui.auth import login_required, redirect
from ui.common import form_data, optional_uuid
from ui.templating import render

TEMPLATE_EXAMPLE = [
    ["141023100201", "第1村民小组", "001", "山西省临汾市襄汾县新城镇西街村1号", "王建国", "户主", "141023196803150031", "13800000001"],
    ["141023100201", "第1村民小组", "001", "山西省临汾市襄汾县新城镇西街村1号", "李秀英", "配偶", "141023197001020029", ""],
]


def errors_of(exc: DomainError) -> dict[str, str]:
    if isinstance(exc, MemberInvalid):
        return dict(exc.errors)
    return {exc.field or "_form": exc.message}


async def village_context(request: Request, village_id: UUID, group: str = "") -> dict:
    actor = request.state.session.actor
    overview = await census.village_overview(actor=actor, village_id=village_id, group_id=optional_uuid(group))
    latest = await latest_for_village(actor, village_id)
    return {"overview": overview, "village": overview.village, "coverage": await village_coverage(actor=actor, village_id=village_id),
            "appraisal": latest, "status_labels": STATUS_LABELS, "relations": RELATION_LABELS, "group_filter": group,
            "errors": {}, "form": {}}


@login_required
async def village_detail(request: Request) -> Response:
    context = await village_context(request, request.path_params["village_id"], request.query_params.get("group", ""))
    return render(request, "villages/village.html", context, fragment="villages/_households.html")


@login_required
async def household_create(request: Request) -> Response:
    village_id = request.path_params["village_id"]
    form, _ = await form_data(request)
    try:
        household = await census.create_household(actor=request.state.session.actor, village_id=village_id, household_no=form.get("household_no", ""),
                                                  group_id=optional_uuid(form.get("group_id", "")), address=form.get("address", ""))
    except NotFound:  # the 404 page (app/main.py), not the refusal below
        raise
    except DomainError as exc:
        context = {**await village_context(request, village_id), "errors": errors_of(exc), "form": form}
        return render(request, "villages/village.html", context, fragment="villages/_household_form.html", status_code=422)
    return redirect(request, request.url_for("household_detail", household_id=str(household.id)).path)


async def _household_context(request: Request, household_id: UUID) -> dict:
    page = await census.household_page(request.state.session.actor, household_id)
    guarantees = await guarantees_of_household(request.state.session.actor, household_id)
    return {"household": page.household, "members": page.members, "lines": page.lines, "groups": page.groups, "relations": RELATION_LABELS,
            "guarantees": guarantees,
            "errors": {}, "form": {}, "member_errors": {}, "member_form": {}}


@login_required
async def household_detail(request: Request) -> Response:
    household_id = request.path_params["household_id"]
    context = await _household_context(request, household_id)
    if request.method == "POST":
        form, _ = await form_data(request)
        try:
            await census.update_household(actor=request.state.session.actor, household_id=household_id, household_no=form.get("household_no", ""),
                                          group_id=optional_uuid(form.get("group_id", "")), address=form.get("address", ""))
        except DomainError as exc:
            return render(request, "villages/household.html", {**context, "errors": errors_of(exc), "form": form},
                          fragment="villages/_household_edit.html", status_code=422)
        return redirect(request, request.url_for("household_detail", household_id=str(household_id)).path)
    return render(request, "villages/household.html", context)


@login_required
async def member_create(request: Request) -> Response:
    household_id = request.path_params["household_id"]
    form, _ = await form_data(request)
    try:
        await census.add_member(actor=request.state.session.actor, vault=request.app.state.vault, household_id=household_id, name=form.get("name", ""),
                                relation=form.get("relation", ""), id_number=form.get("id_number", ""), phone=form.get("phone", ""))
    except NotFound:  # the 404 page (app/main.py), not the refusal below
        raise
    except DomainError as exc:
        context = {**await _household_context(request, household_id), "member_errors": errors_of(exc), "member_form": form}
        return render(request, "villages/household.html", context, fragment="villages/_member_form.html", status_code=422)
    return redirect(request, request.url_for("household_detail", household_id=str(household_id)).path)


def _phone_change(form: dict[str, str]) -> str | None:
    """Blank keeps the stored phone (it is only ever shown masked); the checkbox removes it."""
    phone = form.get("phone", "").strip()
    return phone or ("" if form.get("clear_phone") else None)


@login_required
async def member_edit(request: Request) -> Response:
    member_id = request.path_params["member_id"]
    actor = request.state.session.actor
    member = await census.visible_member(actor, member_id)
    context = {"member": member, "relations": RELATION_LABELS, "errors": {},
               "form": {"name": member.name, "relation": member.relation.value, "phone": ""}}
    if request.method == "POST":
        form, _ = await form_data(request)
        try:
            await census.update_member(actor=actor, vault=request.app.state.vault, member_id=member_id, name=form.get("name", ""),
                                       relation=form.get("relation", ""), phone=_phone_change(form), id_number=form.get("id_number", ""))
        except DomainError as exc:
            return render(request, "villages/member.html", {**context, "errors": errors_of(exc), "form": form},
                          fragment="villages/_member_edit.html", status_code=422)
        return redirect(request, request.url_for("household_detail", household_id=str(member.household_id)).path)
    return render(request, "villages/member.html", context)


@login_required
async def census_import(request: Request) -> Response:
    """Upload a file: the preview is stored and shown on its own page (nothing enters the census yet)."""
    settings = request.app.state.settings
    context = {"village_id": request.query_params.get("village", ""), "error": None, "columns": list(COLUMNS),
               "max_rows": settings.census_max_rows, "max_mb": settings.census_max_bytes / (1024 * 1024)}
    if request.method != "POST":
        return render(request, "villages/import.html", context)
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    context["village_id"] = str(form.get("village_id", "") or "")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return render(request, "villages/import.html", {**context, "error": "请选择要导入的 CSV 或 Excel 文件"}, fragment="villages/_import_form.html", status_code=422)
    data = await upload.read(settings.census_max_bytes + 1)
    try:
        record = await preview_import(actor=request.state.session.actor, vault=request.app.state.vault, data=data, filename=upload.filename,
                                      max_rows=settings.census_max_rows, max_bytes=settings.census_max_bytes)
    except (CensusFileError, Forbidden) as exc:
        return render(request, "villages/import.html", {**context, "error": exc.message}, fragment="villages/_import_form.html", status_code=422)
    finally:
        await upload.close()
    return redirect(request, request.url_for("census_import_detail", import_id=str(record.id)).path)


async def _import_context(request: Request, import_id: UUID) -> dict:
    record = await get_import(actor=request.state.session.actor, import_id=import_id)
    return {"record": record, "preview": record.preview, "error": None}


@login_required
async def census_import_detail(request: Request) -> Response:
    context = await _import_context(request, request.path_params["import_id"])
    return render(request, "villages/import_preview.html", context)


@login_required
async def census_import_confirm(request: Request) -> Response:
    import_id = request.path_params["import_id"]
    try:
        context = await _import_context(request, import_id)
        result = await commit_import(actor=request.state.session.actor, vault=request.app.state.vault, import_id=import_id, now=clock.now_utc())
    except NotFound:  # the 404 page (app/main.py), not the refusal below
        raise
    except DomainError as exc:
        return render(request, "villages/import_preview.html", {**context, "error": exc.message}, fragment="villages/_import_actions.html", status_code=422)
    target = request.url_for("village_detail", village_id=result.village_ids[0]).path if len(result.village_ids) == 1 else request.url_for("home").path
    return redirect(request, target)


@login_required
async def census_import_discard(request: Request) -> Response:
    import_id = request.path_params["import_id"]
    try:
        context = await _import_context(request, import_id)
        await discard_import(actor=request.state.session.actor, import_id=import_id)
    except NotFound:  # the 404 page (app/main.py), not the refusal below
        raise
    except DomainError as exc:
        return render(request, "villages/import_preview.html", {**context, "error": exc.message}, fragment="villages/_import_actions.html", status_code=422)
    return redirect(request, request.url_for("census_import").path)


@login_required
async def census_template(request: Request) -> Response:
    """The import template: the header row and two example rows (valid test ID numbers)."""
    kind = request.path_params["kind"]
    rows = [list(COLUMNS), *TEMPLATE_EXAMPLE]
    if kind == "xlsx":
        body, media = write_xlsx(rows), XLSX_TYPE
    elif kind == "csv":
        body, media = write_csv(rows), CSV_TYPE + "; charset=utf-8"
    else:
        raise NotFound("模板不存在")
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="census-template.{kind}"'})

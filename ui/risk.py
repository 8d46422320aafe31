"""Risk pages: warning and collection worklists, a task with its action form, rule sets, black/grey lists.

Officers see what is assigned to them, managers their branch tree (the services decide).
Every form posts to the same service the GraphQL mutation calls; success redirects (303),
a refused input re-renders the form with the reason (422).
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain.errors import DomainError, NotFound
from app.domain.maker_checker import CommandKind
from app.domain.warnings import KIND_LABELS, SEVERITY_LABELS, WARNING_ACTION_LABELS, WARNING_STATUS_LABELS, WarningStatus
from app.domain.vocabulary import (
    CLOSE_REASON_LABELS, COLLECTION_ACTION_LABELS, COLLECTION_STATUS_LABELS, EVIDENCE_LABELS, LIST_KIND_LABELS, RULESET_KIND_LABELS, CollectionStatus, Role,
)
from app.models.risk import ListKind, RuleSetKind
from app.services import business_date
from app.services.risk import (
    propose_list_add,
    propose_list_remove,
    propose_ruleset_activate,
    propose_ruleset_upload,
    propose_use_platform_default,
)
from app.services.maker_checker.commands import is_command
from app.services.risk.collections import owed_fen, record_collection_action, task_file, task_rows
from app.services.risk.reads import list_entries, may_manage_lists, ruleset_overview
from app.services.risk.warnings import handle_warning, warning_file, warning_rows
from ui.auth import login_required, redirect
from ui.common import optional_fen
from ui.templating import render

PAGE_SIZE = 100
# The inputs of the risk forms; a field that is none of them (the warning, task or entry the page is
# about) goes to the form banner.
INPUTS = {
    "action", "note", "kind", "outcome", "promised_amount", "promised_on", "next_action_on", "id_number", "name", "list_kind", "reason",
    "expires_on",
}
LABELS = {
    "kinds": KIND_LABELS, "severities": SEVERITY_LABELS, "warning_statuses": WARNING_STATUS_LABELS, "warning_actions": WARNING_ACTION_LABELS,
    "task_statuses": COLLECTION_STATUS_LABELS, "task_actions": COLLECTION_ACTION_LABELS, "close_reasons": CLOSE_REASON_LABELS, "list_names": LIST_KIND_LABELS,
    "evidence_labels": EVIDENCE_LABELS,
}


def _errors(exc: DomainError) -> dict[str, str]:
    return {exc.field if exc.field in INPUTS else "_form": exc.message}


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}


def _date(form: dict[str, str], name: str, errors: dict[str, str]) -> date | None:
    value = form.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = "日期格式不正确（YYYY-MM-DD）"
        return None


def _status(request: Request, allowed: type, default: str) -> str | None:
    value = request.query_params.get("status", default)
    return value if value in {s.value for s in allowed} else None  # anything else (e.g. "all"): every status


def _actor(request: Request):
    return request.state.session.actor


def _fragment(request: Request, name: str) -> str | None:
    """The fragment for an htmx swap; a boosted navigation (HX-Boosted) wants the whole page."""
    return None if request.headers.get("hx-boosted") else name


# --- warnings -------------------------------------------------------------------------------


@login_required
async def warning_list(request: Request) -> Response:
    status = _status(request, WarningStatus, WarningStatus.OPEN.value)
    rows = await warning_rows(_actor(request), status=status, limit=PAGE_SIZE)
    context = {"warnings": rows, "status": status or "all", **LABELS}
    return render(request, "risk/warnings.html", context, fragment=_fragment(request, "risk/_warning_rows.html"))


async def _warning_page(request: Request, warning_id: UUID, *, errors: dict, form: dict, status_code: int = 200) -> Response:
    file = await warning_file(_actor(request), warning_id)
    context = {"warning": file.warning, "actions": file.actions, "trail": file.trail, "errors": errors, "form": form, **LABELS}
    return render(request, "risk/warning.html", context, fragment=_fragment(request, "risk/_warning_form.html"), status_code=status_code)


@login_required
async def warning_detail(request: Request) -> Response:
    return await _warning_page(request, request.path_params["warning_id"], errors={}, form={})


@login_required
async def warning_handle(request: Request) -> Response:
    warning_id = request.path_params["warning_id"]
    form = await _form(request)
    try:
        await handle_warning(actor=_actor(request), warning_id=warning_id, action=form.get("action", ""), note=form.get("note", ""), now=clock.now_utc())
    except NotFound:  # the 404 page (app/main.py), not the refusal below
        raise
    except DomainError as exc:
        return await _warning_page(request, warning_id, errors=_errors(exc), form=form, status_code=422)
    return redirect(request, request.url_for("warning_detail", warning_id=str(warning_id)).path)


# --- collections ----------------------------------------------------------------------------


@login_required
async def task_list(request: Request) -> Response:
    status = _status(request, CollectionStatus, CollectionStatus.OPEN.value)
    rows = await task_rows(_actor(request), status=status, limit=PAGE_SIZE)
    context = {"tasks": rows, "status": status or "all", "today": await business_date.current(), **LABELS}
    return render(request, "risk/tasks.html", context, fragment=_fragment(request, "risk/_task_rows.html"))


async def _task_page(request: Request, task_id: UUID, *, errors: dict, form: dict, status_code: int = 200) -> Response:
    file = await task_file(_actor(request), task_id)
    task = file.task
    context = {
        "task": task, "loan": task.loan, "owed_fen": owed_fen(task.loan), "actions": file.actions, "trail": file.trail, "errors": errors,
        "form": form or {"kind": "call"}, "can_legal": _actor(request).role in (Role.BRANCH_MANAGER, Role.ADMIN), **LABELS,
    }
    return render(request, "risk/task.html", context, fragment=_fragment(request, "risk/_task_form.html"), status_code=status_code)


@login_required
async def task_detail(request: Request) -> Response:
    return await _task_page(request, request.path_params["task_id"], errors={}, form={})


@login_required
async def task_action(request: Request) -> Response:
    task_id = request.path_params["task_id"]
    form = await _form(request)
    errors: dict[str, str] = {}
    promised_on, next_action_on = _date(form, "promised_on", errors), _date(form, "next_action_on", errors)
    try:  # with the dates, so that every typing error shows at once
        promised_fen = optional_fen(form.get("promised_amount"), field="promised_amount")
    except DomainError as exc:
        errors["promised_amount"] = exc.message
    if not errors:
        try:
            await record_collection_action(
                actor=_actor(request), task_id=task_id, kind=form.get("kind", ""), outcome=form.get("outcome", ""),
                promised_amount_fen=promised_fen, promised_on=promised_on, next_action_on=next_action_on,
                today=await business_date.current(), now=clock.now_utc(),
            )
        except NotFound:  # the 404 page (app/main.py), not the refusal below
            raise
        except DomainError as exc:
            errors = _errors(exc)
        else:
            return redirect(request, request.url_for("task_detail", task_id=str(task_id)).path)
    return await _task_page(request, task_id, errors=errors, form=form, status_code=422)


# --- rule sets (admins) ---------------------------------------------------------------------


@login_required
async def ruleset_page(request: Request) -> Response:
    actor = _actor(request)
    if actor.role != Role.ADMIN:
        raise NotFound("页面不存在或您无权查看。")
    errors: dict[str, str] = {}
    form = {"yaml_text": "", "kind": RuleSetKind.REJECT.value}
    if request.method == "POST":
        form = await _form(request)
        try:
            kind = RuleSetKind(form.get("kind") or RuleSetKind.REJECT.value)
        except ValueError:
            errors = {"kind": "请选择规则集类型"}
        else:
            # a bank admin's change waits for a second officer (双人复核): its request page shows the effect
            stamp = {"today": await business_date.current(), "now": clock.now_utc(), "policy": request.app.state.maker_checker_policy}
            try:
                if form.get("use_default"):  # set the bank's own version aside: the platform default applies
                    made = await propose_use_platform_default(actor=actor, kind=kind, reason=form.get("reason", ""), **stamp)
                elif form.get("activate"):  # an older stored version again (roll back)
                    made = await propose_ruleset_activate(actor=actor, version=form.get("activate", ""), reason=form.get("reason", ""), **stamp)
                else:
                    made = await propose_ruleset_upload(actor=actor, yaml_text=form.get("yaml_text", ""), kind=kind, reason=form.get("reason", ""),
                                                        **stamp)
            except DomainError as exc:
                errors = {"yaml_text": exc.message}
            else:
                return _after(request, made, "ruleset_page")
    view = await ruleset_overview(actor)
    context = {
        "bank_id": view.bank_id, "defaults": view.defaults, "versions": view.versions, "active": view.active, "recent": view.recent, "recent_strategy": view.recent_strategy, "errors": errors, "form": form,
        "online": view.online,
        "kinds": [(k.value, name) for k, name in RULESET_KIND_LABELS.items()],
        # a bank admin's change waits for a second admin or a head-office approver, a platform admin's for a second platform admin
        "needs_check": request.app.state.maker_checker_policy.needs_check(CommandKind.RULESET_UPLOAD),
    }
    return render(request, "risk/rulesets.html", context, fragment=_fragment(request, "risk/_ruleset_form.html"), status_code=422 if errors else 200)


# --- black and grey lists (branch managers and admins) --------------------------------------


async def _lists_page(request: Request, *, errors: dict, form: dict, status_code: int = 200) -> Response:
    today = await business_date.current()
    entries = await list_entries(_actor(request), today=today, limit=PAGE_SIZE)
    context = {"entries": entries, "errors": errors, "form": form or {"list_kind": ListKind.BLACK.value}, "today": today, **LABELS,
               "needs_check": request.app.state.maker_checker_policy.needs_check(CommandKind.LIST_CHANGE)}
    return render(request, "risk/lists.html", context, fragment=_fragment(request, "risk/_lists_body.html"), status_code=status_code)


def _require_list_manager(request: Request) -> None:
    if not may_manage_lists(_actor(request)):
        raise NotFound("页面不存在或您无权查看。")


@login_required
async def list_page(request: Request) -> Response:
    _require_list_manager(request)
    if request.method != "POST":
        return await _lists_page(request, errors={}, form={})
    form = await _form(request)
    errors: dict[str, str] = {}
    expires_on = _date(form, "expires_on", errors)
    if not errors:
        try:
            made = await propose_list_add(
                actor=_actor(request), vault=request.app.state.vault, id_number=form.get("id_number", ""), name=form.get("name", ""),
                list_kind=form.get("list_kind", ""), reason=form.get("reason", ""), today=await business_date.current(), expires_on=expires_on,
                now=clock.now_utc(), policy=request.app.state.maker_checker_policy,
            )
        except ValueError:
            errors = {"list_kind": "请选择名单类型"}
        except DomainError as exc:
            errors = _errors(exc)
        else:
            return _after(request, made, "list_page")
    form.pop("id_number", None)  # never echo a whole ID number back into the page
    return await _lists_page(request, errors=errors, form=form, status_code=422)


@login_required
async def list_remove(request: Request) -> Response:
    _require_list_manager(request)
    entry_id = request.path_params["entry_id"]
    form = await _form(request)
    try:
        made = await propose_list_remove(actor=_actor(request), entry_id=entry_id, reason=form.get("reason", ""), today=await business_date.current(),
                                         now=clock.now_utc(), policy=request.app.state.maker_checker_policy)
    except DomainError as exc:
        return await _lists_page(request, errors={f"remove-{entry_id}": exc.message}, form={}, status_code=422)
    return _after(request, made, "list_page")


def _after(request: Request, made: object, page: str) -> Response:
    """A change that went through maker-checker: its request page (pending: the effect and who may check; done: the
    result); a change that did not (none from a door today: the system's changes run at once): back to the page."""
    if is_command(made):
        return redirect(request, request.url_for("check_request", command_id=str(made.id)).path)
    return redirect(request, request.url_for(page).path)

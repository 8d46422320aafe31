"""Member banks (platform staff): /admin/banks lists every bank; a platform admin adds one with the form
(app.services.org.create_bank, the same service as `cunxin bank create`; every wrong field at once)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.domain.errors import DomainError
from app.domain.vocabulary import BankKind
from app.services.org import BankInvalid, banks_visible, create_bank
from ui.auth import login_required, redirect
from ui.common import forbidden_page
from ui.templating import render

INPUTS = ("code", "name", "legal_name", "kind", "address", "legal_representative", "contract_prefix", "head_branch_code")
KINDS = {k.value: k.label for k in BankKind}


async def _page(request: Request, *, errors: dict, form: dict, status_code: int = 200) -> Response:
    banks = await banks_visible(request.state.session.actor)
    context = {"banks": banks, "errors": errors, "form": form or {"kind": BankKind.RURAL_COMMERCIAL.value}, "kinds": KINDS}
    return render(request, "banks/list.html", context, status_code=status_code)


@login_required
async def bank_list(request: Request) -> Response:
    actor = request.state.session.actor
    if actor.bank_id is not None:
        return forbidden_page(request, "法人行列表仅供平台工作人员查看")
    if request.method != "POST":
        return await _page(request, errors={}, form={})
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    try:
        await create_bank(
            actor=actor, code=form.get("code", ""), name=form.get("name", ""), legal_name=form.get("legal_name", ""), kind=form.get("kind", ""),
            address=form.get("address", ""), legal_representative=form.get("legal_representative", ""),
            contract_prefix=form.get("contract_prefix", ""), head_branch_code=form.get("head_branch_code") or None,
        )
    except BankInvalid as exc:
        errors = dict(exc.errors)
    except DomainError as exc:
        errors = {exc.field if exc.field in INPUTS else "_form": exc.message}
    if errors:
        return await _page(request, errors=errors, form=form, status_code=422)
    return redirect(request, request.url_for("bank_list").path)


"""Lending pages for officers: loans, a loan with its schedule and payment forms, a line with a drawdown form, the calculator."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain.maker_checker import CommandKind
from app.domain.errors import DomainError, NotFound, ValidationError
from app.domain.renewal import DEFAULT_POLICY as DEFAULT_RENEWAL
from app.domain.schedule import METHOD_LABELS
from app.domain.vocabulary import LEDGER_ACCOUNT_LABELS, LEDGER_KIND_LABELS
from app.services import business_date
from app.services.customers.cards import confirm_card_binding, counter_binding, counter_card, start_card_binding
from app.services.customers.trail import customer_trail
from app.services.lending.calculator import preview_schedule
from app.services.lending import queries as lending_queries
from app.services.lending.counter_drawdown import counter_draw_down
from app.services.lending.drawdown import quote_drawdown
from app.services.lending.extension import consents_of, extension_applications
from app.services.maker_checker.commands import is_command
from app.services.lending.renewal import renewal_guarantees_of, renewal_links
from app.services.lending.repayment import prepay, quote_prepayment, repay
from app.services.lending.reversal import reversible_bookings
from app.services.lending.write_off import write_off_of
from ui.auth import login_required, redirect, session_if_any
from ui.common import money, optional_fen, parse_fields, rate_ppm, whole_number
from ui.forms import form_errors, new_key, parse_key
from ui.templating import render

PAGE_SIZE = 50


@login_required
async def loan_list(request: Request) -> Response:
    status = request.query_params.get("status") or None
    loans = await lending_queries.loan_rows(request.state.session.actor, status=status, limit=PAGE_SIZE)
    return render(request, "lending/loans.html", {"loans": loans, "status": status, "methods": METHOD_LABELS})


async def _loan_context(request: Request, loan_id: UUID, *, prepay_amount: str | None = None) -> dict:
    file = await lending_queries.loan_file(request.state.session.actor, loan_id)
    quote = await _prepay_quote(request, loan_id, prepay_amount) if file.loan.status == "active" else {}
    write_off = await write_off_of(actor=request.state.session.actor, loan_id=loan_id) if file.loan.status == "written_off" else None
    today = await business_date.current()
    reversible = await reversible_bookings(actor=request.state.session.actor, loan_id=loan_id, today=today)
    renewal_of, renewed_by = await renewal_links(actor=request.state.session.actor, loan_id=loan_id)
    window = getattr(request.app.state, "renewal_policy", DEFAULT_RENEWAL).window_days
    consents = await consents_of(actor=request.state.session.actor, loan_id=loan_id) if file.loan.status == "active" else []
    renewal_guarantees = await renewal_guarantees_of(actor=request.state.session.actor, loan_id=loan_id) if file.loan.status == "active" else []
    applied = await extension_applications(actor=request.state.session.actor, loan_id=loan_id)
    return {"extension_applications": applied, "renewal_of": renewal_of, "renewed_by": renewed_by, "renewal_opens": file.loan.maturity_on - timedelta(days=window),
            "loan": file.loan, "status_label": lending_queries.status_label(file.loan), "installments": file.installments, "entries": file.entries, "trail": file.trail,
            "write_off": write_off, "recover_key": new_key(), "reversible": reversible, "guarantor_consents": consents,
            "renewal_guarantees": renewal_guarantees,
            "methods": METHOD_LABELS, "today": today, "ledger_kinds": LEDGER_KIND_LABELS,
            "ledger_accounts": LEDGER_ACCOUNT_LABELS, **quote}


async def _prepay_quote(request: Request, loan_id: UUID, amount: str | None) -> dict:
    """What the prepayment form shows under the amount: the quote (and the payoff button when it settles the loan) or why not."""
    try:
        amount_fen = optional_fen(amount, field="amount")  # blank: the payoff quote
        plan = await quote_prepayment(actor=request.state.session.actor, loan_id=loan_id, amount_fen=amount_fen, today=await business_date.current())
    except NotFound:
        raise  # a loan out of scope is the 404 page, not a message under the amount
    except DomainError as exc:
        return {"plan": None, "error": exc.message}
    return {"plan": plan, "error": None}


@login_required
async def loan_detail(request: Request) -> Response:
    context = await _loan_context(request, request.path_params["loan_id"])
    return render(request, "lending/loan.html", {**context, "repay_key": new_key(), "prepay_key": new_key(), "errors": {}, "form": {}})


async def _payment(request: Request, action, *, field: str) -> Response:
    loan_id = request.path_params["loan_id"]
    form = await request.form()
    data = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    key = parse_key(data.get("idempotency_key", ""))
    state = request.app.state
    errors: dict[str, str] = {}
    if key is None:
        errors["_form"] = "表单已过期，请刷新页面后重试"
    else:
        try:
            await action(loan_id, data, key, state)
        except DomainError as exc:
            errors = {field if name == "amount" else name: message for name, message in form_errors(exc).items()}
        else:
            return redirect(request, request.url_for("loan_detail", loan_id=str(loan_id)).path)
    context = await _loan_context(request, loan_id, prepay_amount=data.get("prepay_amount", "").strip() or None)
    return render(
        request, "lending/loan.html", {**context, "repay_key": new_key(), "prepay_key": new_key(), "errors": errors, "form": data},
        fragment="lending/_payments.html", status_code=422,
    )


@login_required
async def loan_repay(request: Request) -> Response:
    async def action(loan_id, data, key, state):
        await repay(actor=request.state.session.actor, loan_id=loan_id, amount_fen=money(data.get("amount", ""), field="amount").fen, idempotency_key=key,
                    today=await business_date.current(), core=state.core, vault=state.vault)

    return await _payment(request, action, field="amount")


@login_required
async def loan_prepay(request: Request) -> Response:
    """A partial prepayment, or a payoff: only with the form's explicit `payoff` (shown with the payoff quote, confirmed in a dialog)."""
    async def action(loan_id, data, key, state):
        await prepay(actor=request.state.session.actor, loan_id=loan_id, amount_fen=optional_fen(data.get("prepay_amount"), field="amount"),
                     idempotency_key=key, payoff=data.get("payoff") == "1", today=await business_date.current(), core=state.core, vault=state.vault)

    return await _payment(request, action, field="prepay_amount")


@login_required
async def loan_prepay_quote(request: Request) -> Response:
    quote = await _prepay_quote(request, request.path_params["loan_id"], request.query_params.get("prepay_amount"))
    return render(request, "lending/_prepay_quote.html", quote, fragment="lending/_prepay_quote.html")


@login_required
async def line_detail(request: Request) -> Response:
    line_id = request.path_params["line_id"]
    line = await lending_queries.visible_line(request.state.session.actor, line_id)
    errors: dict[str, str] = {}
    form = {"term_months": "12", "method": line.allowed_methods[0]}
    quote = None
    if request.method == "POST":
        form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
        key = parse_key(form.get("idempotency_key", ""))
        actor, state, today = request.state.session.actor, request.app.state, await business_date.current()
        try:
            typed = parse_fields({"amount": lambda: money(form.get("amount", ""), field="amount").fen,
                                  "term_months": lambda: whole_number(form.get("term_months"), field="term_months", message="请输入期限（月）")})
            amount_fen, term = typed["amount"], typed["term_months"]
            if form.get("confirm") == "1" and key is not None:
                made = await counter_draw_down(actor=actor, credit_line_id=line.id, amount_fen=amount_fen, term_months=term, method=form.get("method", ""),
                                               idempotency_key=key, today=today, now=clock.now_utc(), policy=state.maker_checker_policy,
                                               core=state.core, vault=state.vault)
                if is_command(made):  # above the threshold: waits for a second officer (双人复核)
                    return redirect(request, request.url_for("check_request", command_id=str(made.id)).path)
                return redirect(request, request.url_for("loan_detail", loan_id=str(made.id)).path)
            quote = await quote_drawdown(actor=actor, credit_line_id=line.id, amount_fen=amount_fen, term_months=term, method=form.get("method", ""), today=today)
        except DomainError as exc:
            errors = form_errors(exc)
    policy = request.app.state.maker_checker_policy
    needs_check = quote is not None and policy.needs_check(CommandKind.COUNTER_DRAWDOWN) and quote.amount_fen > policy.counter_drawdown_above_fen
    context = {"line": line, "trail": await customer_trail(line.customer_id), "form": form, "errors": errors, "quote": quote, "needs_check": needs_check,
               "check_above_fen": policy.counter_drawdown_above_fen,
               "key": form.get("idempotency_key") or new_key(), "methods": METHOD_LABELS, **await _card_context(request, line)}
    return render(request, "lending/line.html", context, fragment="lending/_drawdown.html", status_code=422 if errors else 200)


# --- binding the customer's card at the counter (the customer confirms with the SMS code) ----------


async def _card_context(request: Request, line, *, binding=None, card_errors: dict | None = None, card_form: dict | None = None) -> dict:
    card = await counter_card(request.state.session.actor, line.customer_id)
    return {"card": card, "binding": binding, "card_errors": card_errors or {}, "card_form": card_form or {}}


async def _card_page(request: Request, line, status_code: int, **card) -> Response:
    context = {"line": line, "form": {"term_months": "12", "method": line.allowed_methods[0]}, "errors": {}, "quote": None, "key": new_key(),
               "methods": METHOD_LABELS, **await _card_context(request, line, **card)}
    return render(request, "lending/line.html", context, fragment="lending/_card.html", status_code=status_code)


@login_required
async def line_card_bind(request: Request) -> Response:
    """The officer types the card number; the core checks the holder and the phone on record, a code goes to that phone."""
    actor, state = request.state.session.actor, request.app.state
    line = await lending_queries.visible_line(actor, request.path_params["line_id"])
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        binding = await start_card_binding(actor=actor, customer_id=line.customer_id, card_number=form.get("card_number", ""), core=state.core,
                                           sms=state.sms, vault=state.vault, now=clock.now_utc())
    except DomainError as exc:
        return await _card_page(request, line, 422, card_errors={"card_number": exc.message}, card_form=form)
    return await _card_page(request, line, 200, binding=binding)


@login_required
async def line_card_confirm(request: Request) -> Response:
    """The customer reads the code from their phone; the card binds as their default card and the drawdown form opens."""
    actor, state = request.state.session.actor, request.app.state
    line = await lending_queries.visible_line(actor, request.path_params["line_id"])
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        binding_id = UUID(form.get("binding_id", ""))
    except ValueError:
        return await _card_page(request, line, 422, card_errors={"card_number": "绑卡申请不存在，请重新输入卡号"})
    try:
        await confirm_card_binding(actor=actor, customer_id=line.customer_id, binding_id=binding_id, code=form.get("code", ""), vault=state.vault,
                                   now=clock.now_utc())
    except DomainError as exc:
        binding = await counter_binding(actor, line.customer_id, binding_id)
        return await _card_page(request, line, 422, binding=binding, card_errors={"code": exc.message})
    return redirect(request, request.url_for("line_detail", line_id=str(line.id)).path)


async def _today(request: Request) -> date:
    try:
        return await business_date.current()
    except LookupError:  # an empty database: the calendar date in the bank's time zone
        return clock.local_today(request.app.state.settings.business_tz)


def _date(text: str, *, field: str) -> date | None:
    """A date typed as YYYY-MM-DD; blank is none."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise ValidationError("日期格式不正确（YYYY-MM-DD）", field=field) from None


@session_if_any
async def calculator(request: Request) -> Response:
    """The public repayment calculator (same service as the GraphQL schedulePreview)."""
    params = request.query_params
    form = {"principal": params.get("principal", "100000"), "rate": params.get("rate", "4.50"), "term_months": params.get("term_months", "12"),
            "method": params.get("method", "equal_installment"), "start_date": params.get("start_date", "")}
    errors: dict[str, str] = {}
    schedule = None
    if "principal" in params:
        today = await _today(request)
        try:
            typed = parse_fields({
                "principal": lambda: money(form["principal"], field="principal").fen,
                "rate": lambda: rate_ppm(form["rate"], field="rate"),
                "term_months": lambda: whole_number(form["term_months"], field="term_months", message="请输入期数（月）"),
                "start_date": lambda: _date(form["start_date"], field="start_date") or today,
            })
            schedule = preview_schedule(principal_fen=typed["principal"], annual_rate_ppm=typed["rate"], term_months=typed["term_months"],
                                        method=form["method"], start_on=typed["start_date"], first_due_on=None)
        except DomainError as exc:
            errors = form_errors(exc)
    return render(request, "lending/calculator.html", {"form": form, "errors": errors, "schedule": schedule, "methods": METHOD_LABELS},
                  fragment="lending/_calculator.html", status_code=422 if errors else 200)

"""Officer management pages: the officers in scope, one officer's track and summary for a day, performance and field activity."""

from __future__ import annotations

from datetime import date, timedelta

from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain import geo
from app.domain import visit as flow
from app.domain.errors import DomainError
from app.domain.permissions import Action
from app.domain.vocabulary import ROLE_LABELS
from app.services import reporting
from app.services.permissions import may
from app.services.reporting.field_activity import daily_summary, field_activity, officers_in_scope
from ui.auth import login_required
from ui.templating import render


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _common() -> dict:
    return {"km": geo.format_distance, "role_labels": ROLE_LABELS, "status_labels": flow.STATUS_LABELS, "step_labels": flow.STEP_LABELS}


@login_required
async def officer_list(request: Request) -> Response:
    today = clock.local_today(request.app.state.settings.business_tz)  # tracks are calendar days, not business dates
    officers = await officers_in_scope(request.state.session.actor)
    can_approve = may(request.state.session.actor, Action.LINE_APPROVE)  # the approvals link only for who can open it
    return render(request, "officers/list.html", {**_common(), "officers": officers, "today": today, "can_approve": can_approve})


@login_required
async def officer_day(request: Request) -> Response:
    """One officer's day: the summary figures, then the track (each point with time, leg distance, running total)."""
    settings = request.app.state.settings
    day = _day(request.query_params.get("day"), clock.local_today(settings.business_tz))
    actor = request.state.session.actor
    officer_id = request.path_params["officer_id"]
    summary = await daily_summary(actor=actor, officer_id=officer_id, day=day, tz=settings.business_tz)
    context = {**_common(), "summary": summary, "track": summary.track, "day": day, "prev": day - timedelta(days=1), "next": day + timedelta(days=1)}
    return render(request, "officers/day.html", context, fragment="officers/_track.html")


@login_required
async def officer_performance(request: Request) -> Response:
    """客户经理业绩 by the one definition (the reports' `officer_performance`), and beside it the field activity."""
    settings = request.app.state.settings
    actor = request.state.session.actor
    today = clock.local_today(settings.business_tz)
    end = _day(request.query_params.get("to"), today)
    start = _day(request.query_params.get("from"), end.replace(day=1))
    error, report, activity = None, None, []
    try:
        activity = await field_activity(actor=actor, start_on=start, end_on=end, tz=settings.business_tz)
        report = await reporting.officer_performance(actor=actor, filt=reporting.ReportFilter(date_from=start, date_to=end), page=reporting.EXPORT)
    except DomainError as exc:
        error = exc.message
    totals = {"visits": sum(r.visits for r in activity), "signed": sum(r.visits_signed for r in activity),
              "appraised": sum(r.households_appraised for r in activity)}
    context = {**_common(), "report": report, "activity": activity, "start": start, "end": end, "error": error, "totals": totals}
    return render(request, "officers/performance.html", context, status_code=422 if error else 200)

"""Something on every page, for the link crawl and the axe run (needs the `demo` bank).

The reporting portfolio (loans of every class, lines, warnings, collection tasks, a published
appraisal in 西街村), a loan drawn today with its first post-loan check, a visit in progress and
one waiting for approval in 西街村, an appraisal waiting for 审定 in 南关村 and a round open for
votes in 汾城村: from the workbench every kind of page is a link away.
"""

from __future__ import annotations

from datetime import date

from app.domain import visit as flow
from app.models import Appraisal, Visit
from app.services.appraisal.review import accept_aggregates, close_round, submit_for_approval
from tests.factories.postloan import loan_with_check
from tests.factories.reporting import FEN, SOUTH, full_book
from tests.factories.villages import NOW, actor, households, open_appraisal, vote

# every demo officer: the bank's roles and the platform's staff (app/services/seed.py OFFICERS)
ROLES = ("officer1", "officer2", "approver", "manager", "admin", "auditor", "platform_admin", "platform_auditor")


async def _appraisal_waiting_for_approval(code: str) -> None:
    appraisal, members = await open_appraisal(code=code)
    for member in members:
        for household in await households(code):
            await vote(member, household, grade="good", amount="")
    officer = await actor("officer1")
    await close_round(actor=officer, appraisal_id=appraisal.id, now=NOW)
    await accept_aggregates(actor=officer, appraisal_id=appraisal.id, now=NOW)
    await submit_for_approval(actor=officer, appraisal_id=appraisal.id, now=NOW)


async def busy_bank(vault, settings) -> None:
    from tests.services.visits.helpers import ctx_for, family, start

    await full_book(vault)
    await Appraisal.filter(status="published").update(published_on=date(2026, 11, 20), objection_until=date(2026, 11, 30))  # as publishing sets them
    await loan_with_check(vault, card="6217000010009876", sequence=371)
    await start(await ctx_for(vault, settings, await family(vault, spouse_seq=None)))
    waiting = await start(await ctx_for(vault, settings, await family(vault, head_seq=359, spouse_seq=None, no="V02")))
    await Visit.filter(id=waiting.id).update(status=flow.VisitStatus.AWAITING_APPROVAL, submitted_at=NOW)
    await _appraisal_waiting_for_approval(SOUTH)
    await open_appraisal(code=FEN, by="officer2", officers=("officer2",))

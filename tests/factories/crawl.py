"""Something on every page, for the link crawl and the axe run (needs the `demo` bank).

The reporting portfolio (loans of every class, lines, warnings, collection tasks, a published
appraisal in 西街村), a loan drawn today with its first post-loan check, a visit in progress in
西街村 and an appraisal round open in 南关村: from the workbench every kind of page is a link away.
"""

from __future__ import annotations

from datetime import date

from app.models import Appraisal
from tests.factories.postloan import loan_with_check
from tests.factories.reporting import SOUTH, full_book
from tests.factories.villages import open_appraisal

# every demo officer: the bank's roles and the platform's staff (app/services/seed.py OFFICERS)
ROLES = ("officer1", "officer2", "approver", "manager", "admin", "auditor", "platform_admin", "platform_auditor")


async def busy_bank(vault, settings) -> None:
    from tests.services.visits.helpers import ctx_for, family, start

    await full_book(vault)
    await Appraisal.filter(status="published").update(published_on=date(2026, 11, 20), objection_until=date(2026, 11, 30))  # as publishing sets them
    await loan_with_check(vault, card="6217000010009876", sequence=371)
    await start(await ctx_for(vault, settings, await family(vault, spouse_seq=None)))
    await open_appraisal(code=SOUTH)

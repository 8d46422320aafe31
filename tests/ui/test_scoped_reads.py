"""Pages read related rows through the services' scope rules (issue 14): a row the page's object does not own is missing."""

from app.services import business_date
from app.services import identity_checks as checks
from tests.factories import login
from tests.services.visits.helpers import TODAY, ctx_for, family, jpeg, start


async def test_a_visit_status_fragment_shows_only_a_read_of_that_visit(client, demo, vault, settings):
    """The fragment fetched the read by its id with the ID-card rule (anyone of the branch), not the visit's:
    through their own visit an officer saw the status of a colleague's read (200). Now: the read is not this visit's, 404."""
    await business_date.set_current(TODAY)
    fam = await family(vault)
    mine = await ctx_for(vault, settings, fam, by="officer1")
    visit = await start(mine)
    colleague = await ctx_for(vault, settings, fam, by="manager")  # same branch as officer1
    theirs = await checks.start_id_card_read(actor=colleague.who, media=colleague.media, queue=colleague.queue, data=jpeg(), side="front")
    await login(client)
    response = await client.get(f"/visits/{visit.id}/reads/{theirs.id}", headers={"HX-Request": "true"})
    assert response.status_code == 404 and "身份证识别记录不存在" in response.text

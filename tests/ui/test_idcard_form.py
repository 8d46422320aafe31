"""One ID-card confirmation form (identity/_idcard_confirm_form.html, ui/idcard_form.py) on the identity page and in the visit."""

import re

from app.services.visits import capture_id_card
from tests.factories import csrf_token, login
from tests.services.visits.helpers import ctx_for, family, finish_read, jpeg, start

HX = {"HX-Request": "true"}


def _form(page: str) -> str:
    """The confirmation form's markup without the parts that are the page's own (ids, where it posts)."""
    form = re.search(r'<form id="idcard-[^"]+-confirm".*?</form>', page, re.S).group(0)
    form = re.sub(r'^<form[^>]*>', "", form)
    form = re.sub(r'<input type="hidden" name="(who|side|csrf_token)" value="[^"]*">', "", form)
    return re.sub(r'id="idcard-[0-9a-f-]+-warnings"', "", form)


async def test_the_identity_page_and_the_visit_step_show_the_same_form(client, demo, vault, settings):
    fam = await family(vault)
    number = fam.numbers[str(fam.head.id)]
    c = await ctx_for(vault, settings, fam)
    await start(c)
    read = await capture_id_card(actor=c.who, visit_id=c.visit_id, who="borrower", side="front", data=jpeg(), media=c.media, queue=c.queue, policy=c.policy)
    await finish_read(read.id, media=c.media, vault=vault, number=number, name=fam.head.name)
    await login(client)
    token = await csrf_token(client)
    visit_page = (await client.get(f"/visits/{c.visit_id}")).text
    # the same card read on its own, from the identity page
    sent = await client.post("/identity/idcard", data={"csrf_token": token, "side": "front"}, files={"image": ("card.jpg", jpeg(), "image/jpeg")})
    own = sent.headers["location"].rsplit("/", 1)[1]
    await finish_read(own, media=c.media, vault=vault, number=number, name=fam.head.name)
    identity_page = (await client.get(f"/identity/idcard/{own}")).text

    assert _form(visit_page) == _form(identity_page)
    assert "请对照证件逐项核对" in _form(visit_page) and ">确认身份证正面</button>" in _form(visit_page) and 'inputmode="text"' in _form(visit_page)
    # each posts where it belongs and replaces its own part of the page
    assert re.search(rf'<form id="idcard-borrower-front-confirm" method="post" action="[^"]*/visits/{c.visit_id}/idcard/confirm"', visit_page)
    assert 'hx-target="#visit-step"' in visit_page and '<input type="hidden" name="who" value="borrower">' in visit_page
    assert re.search(rf'<form id="idcard-{own}-confirm" method="post" action="[^"]*/identity/idcard/{own}/confirm"', identity_page)
    assert f'hx-target="#idcard-{own}-status"' in identity_page


async def test_a_refused_confirmation_in_the_visit_shows_the_message_at_the_field(client, demo, vault, settings):
    fam = await family(vault)
    c = await ctx_for(vault, settings, fam)
    await start(c)
    read = await capture_id_card(actor=c.who, visit_id=c.visit_id, who="borrower", side="front", data=jpeg(), media=c.media, queue=c.queue, policy=c.policy)
    await finish_read(read.id, media=c.media, vault=vault, number=fam.numbers[str(fam.head.id)], name=fam.head.name)
    await login(client)
    token = await csrf_token(client)
    refused = await client.post(f"/visits/{c.visit_id}/idcard/confirm", data={"csrf_token": token, "who": "borrower", "side": "front", "id_number": "123"},
                                headers=HX)
    assert refused.status_code == 422 and refused.text.lstrip().startswith('<section class="card" id="visit-step"')
    assert 'id="idcard-field-id_number-error"' in refused.text and "身份证号码应为 18 位，请核对后重新输入" in refused.text
    assert 'aria-describedby="idcard-field-id_number-error"' in refused.text and 'value="123"' in refused.text

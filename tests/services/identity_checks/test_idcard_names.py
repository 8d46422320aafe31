"""Names are validated when the officer confirms an ID-card read: nothing that a spreadsheet would run."""

import pytest

from app.models import IdCardRead
from app.services import identity_checks as checks
from tests.factories.risk import NOW, actor
from tests.services.identity_checks.test_identity_checks import _done_read, media  # noqa: F401  (fixture)


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example","王建国")', "@王建国", "-王建国", "王\x07建国"])
async def test_a_formula_or_control_character_name_is_refused_at_confirmation(demo, media, vault, name):  # noqa: F811
    read = await _done_read(media, vault)
    with pytest.raises(checks.ConfirmationError) as caught:
        await checks.confirm_id_card(actor=await actor(), vault=vault, read_id=read.id, values={"name": name}, checked=set(), now=NOW)
    assert list(caught.value.errors) == ["name"]
    assert (await IdCardRead.get(id=read.id)).confirmed_at is None


async def test_a_minority_name_with_the_middle_dot_is_confirmed(demo, media, vault):  # noqa: F811
    read = await _done_read(media, vault)
    row = await checks.confirm_id_card(actor=await actor(), vault=vault, read_id=read.id, values={"name": "阿卜杜·热合曼"}, checked=set(), now=NOW)
    assert row.confirmed["name"] == "阿卜杜·热合曼"

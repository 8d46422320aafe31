"""Officer pages speak plain Chinese: labels for every stored code, no rule codes, model distances, hashes or `cunxin` commands.

The ledger showed account and transaction codes, the warning page its evidence keys (`windowFrom`),
the visit rule codes (`CURRENT_OVERDUE`) and face distances, the archive SHA-256 hashes and a CLI
command. Admins and auditors still see the machinery (app/domain/vocabulary.py TECHNICAL_ROLES).
"""

from __future__ import annotations

import html
import re

from app.domain.ledger import Account
from app.domain.vocabulary import EVIDENCE_LABELS, LEDGER_KIND_LABELS
from app.models import EarlyWarning, LedgerEntry, LedgerTransaction
from app.services import business_date
from tests.factories import csrf_token, login
from tests.services.visits.helpers import TODAY, family, pre_credit
from tests.ui.test_archive_pages import _archive
from tests.ui.test_risk_pages import _overdue
from tests.ui.test_visit_pages import Walker

CODE = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\b[a-z]+(?:[A-Z][a-z]+)+\b|\b[a-z]+_[a-z_]+\b")  # CURRENT_OVERDUE, windowFrom, loan_principal
HEX = re.compile(r"\b[0-9a-f]{32,}\b")


def visible(page: str) -> str:
    """The text an officer reads: no tags, attributes, scripts or styles."""
    main = page[page.index("<body"):]
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", main))


def _assert_plain(text: str, where: str) -> None:
    assert not CODE.findall(text), (where, CODE.findall(text))
    assert not HEX.findall(text), (where, HEX.findall(text))
    assert "cunxin " not in text and "SHA-256" not in text and "距离" not in text and "阈值" not in text, where


async def test_loan_and_warning_pages_label_their_codes(client, demo, vault, tmp_path):
    _, loan = await _overdue(vault, tmp_path)
    kinds = set(await LedgerTransaction.filter(loan_id=loan.id).values_list("kind", flat=True))
    accounts = set(await LedgerEntry.filter(loan_id=loan.id).values_list("account", flat=True))
    assert kinds <= set(LEDGER_KIND_LABELS) and accounts, (kinds, accounts)
    warning = await EarlyWarning.get(loan_id=loan.id)
    assert set(warning.evidence) <= set(EVIDENCE_LABELS)
    await login(client)
    page = visible((await client.get(f"/loans/{loan.id}")).text)
    _assert_plain(page, "loan")
    for account in accounts:
        assert Account(account).value not in page
    assert "贷款本金" in page and "放款" in page
    page = visible((await client.get(f"/risk/warnings/{warning.id}")).text)
    _assert_plain(page, "warning")
    assert "逾期天数" in page


async def test_archive_shows_hashes_and_the_command_to_auditors_only(client, demo, vault, settings):
    customer, doc = await _archive(settings, vault)
    await login(client)
    page = visible((await client.get(f"/customers/{customer.id}/archive")).text)
    _assert_plain(page, "archive")
    assert "防篡改校验" in page
    await client.post("/logout", data={"csrf_token": await csrf_token(client)})
    await login(client, "auditor")
    page = visible((await client.get(f"/customers/{customer.id}/archive")).text)
    assert doc.sha256 in page and "cunxin archive-verify" in page


async def test_enrolment_names_no_command(client, demo):
    await login(client)
    page = visible((await client.get("/login/face/enrol?next=/")).text)
    assert "联系系统管理员重置" in page and "cunxin" not in page


async def test_the_visit_decision_shows_rule_messages_without_their_codes(client, demo, vault, app):
    await business_date.set_current(TODAY)
    fam = await family(vault, head_seq=911, spouse_seq=None)  # a borrower with a current overdue: the reject rule fires
    await pre_credit(fam.household.id, 50_000)
    await login(client)
    walker = Walker(client, await csrf_token(client), fam, app.state.media, vault)
    await walker.to_decision()
    page = (await client.get(walker.base)).text
    assert 'data-code="CURRENT_OVERDUE"' in page  # kept for machines, not shown
    _assert_plain(visible(page), "decision")


async def test_the_face_result_shows_no_distance(client, demo, vault, app):
    await business_date.set_current(TODAY)
    fam = await family(vault)
    await login(client)
    walker = Walker(client, await csrf_token(client), fam, app.state.media, vault)
    await walker.start()
    await walker.id_card("borrower")
    await walker.post(f"{walker.base}/identity", {"who": "borrower"})
    await walker.face("borrower", "match")
    page = visible((await client.get(walker.base)).text)
    assert "人脸比对通过" in page
    _assert_plain(page, "face")

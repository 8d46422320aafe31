"""Captures taken without signal in Chromium (ui/static/js/offline.js): kept encrypted, uploaded once, the visit goes on.

In the middle of a visit the tablet goes offline (Playwright's offline mode); the officer photographs
the borrower's ID card: the photo is kept in IndexedDB, encrypted with the officer's non-extractable
AES-GCM key that the page holds in memory only (IndexedDB keeps no key material), and the header says 待上传 1 项. Back online it is uploaded: one card read on the
server, nothing left in the browser, and the visit goes on (the OCR result — written here as the ML
worker would — is confirmed on the page). Later, offline again at the photos step, a document photo
is kept the same way and the step's 下一步 waits for it; back online the photo is uploaded once and
the visit moves to the authorisation step.
"""

from __future__ import annotations

import asyncio

import pytest

from app.config import get_settings
from app.domain import visit as flow
from app.models import IdCardRead, Visit
from app.services import business_date
from app.services.identity_checks import RecordedFaceChecks  # noqa: F401  (the helpers' face checks)
from app.services.visits import capture_id_card, check_person_identity, complete_face_match, confirm_id_card_side
from app.integrations.identity import SandboxIdentityCheck
from tests.e2e.conftest import artifact
from tests.e2e.test_request_state_browser import login
from tests.services.visits.helpers import NOW, TODAY, ctx_for, face, family, finish_read, jpeg, person, start

pytestmark = pytest.mark.e2e

STORED = """async () => {
  const db = await new Promise((ok, ko) => { const q = indexedDB.open("cunxin-offline"); q.onsuccess = () => ok(q.result); q.onerror = ko; });
  const all = (name) => new Promise((ok) => { const q = db.transaction(name).objectStore(name).getAll(); q.onsuccess = () => ok(q.result); });
  const keys = await all("keys"), captures = await all("captures");
  db.close();
  return {
    keys: keys.map((k) => ({keyMaterial: Object.values(k).some((v) => v instanceof CryptoKey || v instanceof ArrayBuffer || ArrayBuffer.isView(v))})),
    captures: captures.map((c) => ({label: c.label, files: c.files.map((f) => {
      const b = new Uint8Array(f.box.data); return {size: b.length, jpeg: b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff}; })})),
  };
}"""


async def _read_of(visit_id, side: str, timeout: float = 20):
    for _ in range(int(timeout * 10)):
        read_id = (await Visit.get(id=visit_id)).data.get("borrower", {}).get("reads", {}).get(side)
        if read_id:
            return read_id
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {side} read on the server")


async def _rest_of_the_people(c):
    """The back of the borrower's card, the identity check and the face match, then the co-borrower (as the earlier steps' tests do)."""
    member, number = c.fam.head, c.fam.numbers[str(c.fam.head.id)]
    read = await capture_id_card(actor=c.who, visit_id=c.visit_id, who=flow.BORROWER, side="back", data=jpeg(), media=c.media, queue=c.queue, policy=c.policy)
    await finish_read(read.id, media=c.media, vault=c.vault, number=number, name=member.name)
    await confirm_id_card_side(actor=c.who, visit_id=c.visit_id, who=flow.BORROWER, side="back", values={}, checked=set(), vault=c.vault, today=TODAY, now=NOW)
    await check_person_identity(actor=c.who, visit_id=c.visit_id, who=flow.BORROWER, identity_check=SandboxIdentityCheck(), vault=c.vault, media=c.media, now=NOW)
    await face(c, "match", flow.BORROWER)
    await complete_face_match(actor=c.who, visit_id=c.visit_id, who=flow.BORROWER, face_checks=c.faces, now=NOW)
    await person(c, flow.CO_BORROWER)


async def test_captures_taken_offline_are_kept_encrypted_and_uploaded_once(live_server, browser, vault, tmp_path):
    await business_date.set_current(TODAY)
    fam = await family(vault)
    c = await ctx_for(vault, get_settings(), fam)
    await start(c)
    card, photo = tmp_path / "card.jpg", tmp_path / "hukou.jpg"
    card.write_bytes(jpeg())
    photo.write_bytes(jpeg((1, 2, 3)))

    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await login(page, live_server)
    assert (await page.evaluate(STORED))["keys"] == [{"keyMaterial": False}]  # whose captures: no key on the tablet's disk
    await page.goto(f"{live_server}/visits/{c.visit_id}")
    await page.wait_for_selector('#visit-step[data-step="borrower_id"]')

    # the signal goes; the officer photographs the front of the card
    await context.set_offline(True)
    await page.wait_for_selector("html.net-offline")
    form = "#idcard-borrower-front-form"
    await page.set_input_files(f"{form} input[name=image]", str(card))
    await page.eval_on_selector(form, "f => f.requestSubmit()")
    await page.wait_for_selector("#offline-queue:text-is('待上传 1 项')")
    assert "已加密保存在本机" in await page.inner_text(f"{form} .offline-note")
    stored = await page.evaluate(STORED)
    assert [cap["label"] for cap in stored["captures"]] == ["身份证正面（人像面）"]
    kept = stored["captures"][0]["files"][0]
    assert kept["size"] == len(card.read_bytes()) + 16 and not kept["jpeg"]  # AES-GCM: the photo plus the tag, not a JPEG
    assert await IdCardRead.filter(customer_id=None).count() == 0  # nothing reached the server
    await page.screenshot(path=str(artifact("offline-idcard-kept.png")), full_page=True)

    # the signal returns: the capture is uploaded once, deleted from the tablet, and the visit goes on
    await context.set_offline(False)
    read_id = await _read_of(c.visit_id, "front")
    await page.wait_for_selector("#offline-queue", state="hidden", timeout=20_000)
    assert (await page.evaluate(STORED))["captures"] == []
    await finish_read(read_id, media=c.media, vault=vault, number=fam.numbers[str(fam.head.id)], name=fam.head.name)  # the ML worker's result
    await page.wait_for_selector("#idcard-borrower-front-confirm", timeout=20_000)
    await page.click("#idcard-borrower-front-confirm button[type=submit]")
    await page.wait_for_selector("#idcard-borrower-back-form", state="attached", timeout=20_000)
    assert await IdCardRead.all().count() == 1

    # later, at the photos step, offline again
    await _rest_of_the_people(c)
    await page.reload()
    await page.wait_for_selector('#visit-step[data-step="photos"]')
    await context.set_offline(True)
    await page.wait_for_selector("html.net-offline")
    await page.select_option("#photo-category", "household_register")
    await page.set_input_files("#photo-file", str(photo))
    await page.click("#photo-upload")
    await page.wait_for_selector("#offline-queue:text-is('待上传 1 项')")
    await page.click("#photos-done")  # needs the photo on the server: it waits
    await page.wait_for_selector("#offline-queue:has-text('请等待拍摄上传完成')")
    assert (await Visit.get(id=c.visit_id)).data.get("photos", {}).get("items", []) == []
    await page.screenshot(path=str(artifact("offline-photo-kept.png")), full_page=True)

    await context.set_offline(False)
    await page.wait_for_selector("#visit-photos figure", timeout=20_000)
    assert len((await Visit.get(id=c.visit_id)).data["photos"]["items"]) == 1
    assert (await page.evaluate(STORED))["captures"] == []
    await page.click("#photos-done")
    await page.wait_for_selector('#visit-step[data-step="authorisation"]', timeout=20_000)
    assert len((await Visit.get(id=c.visit_id)).data["photos"]["items"]) == 1  # uploaded once
    assert not [e for e in errors if "Content Security Policy" in e], errors
    await context.close()

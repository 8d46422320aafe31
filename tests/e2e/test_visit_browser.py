"""The whole visit in Chromium: face login, household, ID card, face match, authorisation, credit check, grant, signing, archive.

Two fake cameras, so that the officer and the customers are different people: the officer logs in
(password, face enrolment, liveness + face, as tests/e2e/test_face_login_browser.py) in a browser
whose camera plays the astronaut performing the fixed challenge; the visit then runs in a second
browser (the same session cookie) whose camera shows Grace Hopper. Both customers' ID cards are
rendered (tests/support/idcards.py) with her portrait: one face stands for the borrower and the
co-borrower. The cards are uploaded through the file input fallback, as a tablet without a rear
camera would; the live faces come from the camera (camera.js). A real ML worker reads the cards
and compares the faces, a real default worker renders the contract PDF. Screenshots of every step
go to test-artifacts/visit-*.png (…-portrait.png: the same visit at 800×1280); at the end `cunxin archive-verify CUSTOMER_ID` must pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import cv2
import pytest
from PIL import Image

from app import clock
from app.config import ROOT, get_settings
from app.crypto import Vault
from app.domain.appraisal import Grade, Status
from app.models import Appraisal, Approval, Contract, CreditLine, Officer, Product, Village, Visit
from app.models.contract import ContractStatus
from app.services.census import households as census
from app.services.auth.officers import actor_for
from tests.e2e.conftest import CHROMIUM_ARGS, artifact, cunxin_running
from tests.e2e.test_face_login_browser import SEED, _loop_frames, write_y4m
from tests.factories import DEMO_PASSWORD
from tests.support.idcards import make_card
from tests.workers import face_images as fi

pytestmark = [pytest.mark.e2e, pytest.mark.ml]

BORROWER_SEED, SPOUSE_SEED = 14, 13  # 谢涵云 (男, 1980) and 唐琪建 (女, 1990): clean sandbox answers, cards valid past 2030
HERE = (35.8768, 111.4425)  # about 40 m from 西街村's centre
JOB_WAIT = 90_000


@pytest.fixture
def visit_server(demo, redis_server):
    """`cunxin serve` (face login on, the fixed liveness challenge), `cunxin ml-worker` and `cunxin worker`."""
    env = {**os.environ, "CUNXIN_FACE_LOGIN_REQUIRED": "true", "CUNXIN_LIVENESS_SEED": str(SEED)}
    with cunxin_running(env, workers=(("ml-worker", "ml worker started", 120), ("worker", "worker started", 60))) as url:
        yield url


async def _chromium(p, video):
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("system Chromium not found: run `make install` (installs the Debian chromium package)")
    args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={video}"]
    return await p.chromium.launch(executable_path=executable, args=args)


async def _household(tmp_path):
    """西街村 household whose head and spouse are the people on the two rendered cards, with a published pre-credit."""
    hopper = Image.fromarray(cv2.cvtColor(fi.grace_hopper(), cv2.COLOR_BGR2RGB))
    people = {}
    for role, seed in (("head", BORROWER_SEED), ("spouse", SPOUSE_SEED)):
        front, truth = make_card(seed, face=hopper)
        back, _ = make_card(seed, side="back")
        (tmp_path / f"{role}-front.jpg").write_bytes(front)
        (tmp_path / f"{role}-back.jpg").write_bytes(back)
        people[role] = truth
    vault = Vault(get_settings().secret())
    officer = await actor_for(await Officer.get(username="officer1"))
    village = await Village.get(division_code="141023100201")
    household = await census.create_household(actor=officer, village_id=village.id, household_no="E2E", group_id=None, address="西街村8号")
    members = {}
    for role in ("head", "spouse"):
        members[role] = await census.add_member(actor=officer, vault=vault, household_id=household.id,
                                                name=people[role]["name"], relation=role, id_number=people[role]["id_number"], phone="13700001111")
    appraisal = await Appraisal.create(village_id=village.id, product_id=(await Product.get(code="BIANLI")).id, status=Status.PUBLISHED, rules={})
    approver = await Officer.get(username="approver")
    await Approval.create(appraisal_id=appraisal.id, household_id=household.id, approver_id=approver.id, grade=Grade.GOOD,
                          pre_credit_amount_fen=60_000_00, approved_at=clock.now_utc())
    return household, members, people


async def _step(page, name: str, timeout: int = 30_000):
    await page.wait_for_selector(f'#visit-step[data-step="{name}"]', timeout=timeout)


async def _shot(page, name: str):
    size = page.viewport_size
    suffix = "-portrait" if size and size["width"] < size["height"] else ""
    await page.screenshot(path=str(artifact(f"visit-{name}{suffix}.png")), full_page=True)


async def _id_card(page, tmp_path, who: str, role: str):
    for side in ("front", "back"):
        form = f"#idcard-{who}-{side}-form"
        await page.wait_for_selector(form, state="attached", timeout=JOB_WAIT)
        await page.set_input_files(f"{form} input[name=image]", str(tmp_path / f"{role}-{side}.jpg"))
        await page.eval_on_selector(form, "f => f.requestSubmit()")  # the file-input fallback (the camera box hides its button)
        confirm = f"#idcard-{who}-{side}-confirm"
        await page.wait_for_selector(confirm, timeout=JOB_WAIT)  # the OCR job ran; the status fragment reloaded the page
        await _shot(page, f"{who}-idcard-{side}")
        for box in await page.locator(f"{confirm} input[type=checkbox]").all():
            await box.check()  # flagged fields: checked against the card
        await page.click(f"{confirm} button[type=submit]")
        if side == "front":
            await page.wait_for_selector(f"#idcard-{who}-back-form", state="attached", timeout=JOB_WAIT)


async def _live_face(page, form_id: str, then: str):
    """Take the live photo with the camera (camera.js), wait for the ML worker's match, then for `then`."""
    await page.wait_for_selector(f"#{form_id}-shoot", state="visible", timeout=20_000)
    await page.click(f"#{form_id}-shoot")
    try:
        await page.wait_for_selector(then, timeout=JOB_WAIT)
    except Exception as exc:  # say what the officer saw instead
        await _shot(page, f"timeout-{form_id}")
        raise AssertionError(f"{then} did not appear; the step showed: {await page.inner_text('#visit-step')!r}") from exc


async def _draw(page, pad: str):
    await page.locator(f"{pad} canvas").scroll_into_view_if_needed()  # in portrait the pad may start below the fold
    box = await page.locator(f"{pad} canvas").bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    await page.mouse.move(x + w * 0.1, y + h * 0.6)
    await page.mouse.down()
    for i in range(1, 16):
        await page.mouse.move(x + w * (0.1 + 0.05 * i), y + h * (0.6 - 0.25 * ((i % 4) in (1, 2))), steps=3)
    await page.mouse.up()
    assert (await page.locator(f"{pad}.signed").count()) == 1  # the pad put the PNG into the form


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 800, "height": 1280}], ids=["landscape", "portrait"])
async def test_the_whole_visit_in_the_browser(visit_server, tmp_path, viewport):
    from playwright.async_api import async_playwright

    household, members, people = await _household(tmp_path)
    officer_video = write_y4m(tmp_path / "officer.y4m", _loop_frames())
    hopper = fi.grace_hopper()
    customer_video = write_y4m(tmp_path / "customer.y4m", [hopper] * 5)
    async with async_playwright() as p:
        # --- face login (browser 1: the officer's face) --------------------------------------------------
        officer_browser = await _chromium(p, officer_video)
        page = await officer_browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        await page.goto(f"{visit_server}/login")
        await page.fill("#username", "officer1")
        await page.fill("#password", DEMO_PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_selector("#enrol-start", state="visible", timeout=20_000)
        await page.click("#enrol-start")
        await page.wait_for_selector("#enrolment-ok", timeout=JOB_WAIT)
        await page.click("#enrolment-continue")
        await page.click("#face-login-start")
        await page.wait_for_selector("#liveness-start", state="visible", timeout=20_000)
        await page.click("#liveness-start")
        await page.wait_for_selector("#villages", timeout=JOB_WAIT)
        await _shot(page, "00-login")
        state = await page.context.storage_state()
        await officer_browser.close()

        # --- the visit (browser 2: the customers' face; same session) ------------------------------------
        browser = await _chromium(p, customer_video)
        context = await browser.new_context(storage_state=state, viewport=viewport, locale="zh-CN",
                                            geolocation={"latitude": HERE[0], "longitude": HERE[1], "accuracy": 12}, permissions=["geolocation", "camera"])
        page = await context.new_page()
        await page.goto(f"{visit_server}/households/{household.id}")
        await page.click(f"#member-{members['head'].id}-visit")
        await page.wait_for_selector("#visit-start-form.located", timeout=20_000)
        await _shot(page, "01-start")
        await page.click("#visit-start-submit")
        await _step(page, "borrower_id")
        visit = await Visit.get(member_id=members["head"].id)
        assert visit.distance_m is not None and visit.distance_m < 100 and visit.location_source == "device"

        await _id_card(page, tmp_path, "borrower", "head")
        await _step(page, "borrower_identity")
        await page.click("#identity-submit")
        await _step(page, "borrower_face")
        await _live_face(page, "face-borrower-form", "#face-done")
        await _shot(page, "04-borrower-face")
        await page.click("#face-done")

        await _step(page, "co_id")
        await _id_card(page, tmp_path, "co_borrower", "spouse")
        await _step(page, "co_identity")
        await page.click("#identity-submit")
        await _step(page, "co_face")
        await _live_face(page, "face-co_borrower-form", "#face-done")
        await _shot(page, "05-co-borrower-face")
        await page.click("#face-done")

        await _step(page, "photos")
        await page.set_input_files("#photo-file", str(tmp_path / "head-back.jpg"))
        await page.select_option("#photo-category", "household_register")
        await page.click("#photo-upload")
        await page.wait_for_selector("#visit-photos figure", timeout=20_000)
        await _shot(page, "06-photos")
        await page.click("#photos-done")

        await _step(page, "authorisation")
        await _live_face(page, "face-authorisation-form", "#authorisation-form")
        await _draw(page, "#authorisation-form-pad")
        await _shot(page, "07-authorisation")
        await page.click("#authorisation-form-submit")

        await _step(page, "credit_check")
        await page.click("#credit-check-submit")
        await _step(page, "decision")
        assert await page.inner_text("#risk-outcome") == "通过"
        assert await page.inner_text("#strategy-outcome") == "通过"  # the spouse's shared phone is not a fraud signal
        assert await page.inner_text("#offer-proposed") == "¥60,000.00"
        await _shot(page, "08-credit-check")
        await page.click("#decision-submit")
        await page.click("#confirm-dialog .confirm-ok")  # granting asks first (ui/static/js/confirm.js)

        await _step(page, "signing")
        line = await CreditLine.get(customer_id=(await Visit.get(id=visit.id)).customer_id)
        assert line.limit_fen == 60_000_00
        await _shot(page, "09-granted")
        await page.click("#contract-submit")
        for who in ("borrower", "co_borrower"):
            await _live_face(page, f"face-sign-{who}-form", f"#sign-{who}-form")
            await _draw(page, f"#sign-{who}-form-pad")
            await _shot(page, f"10-sign-{who}")
            await page.click(f"#sign-{who}-form-submit")
            await page.wait_for_selector("#signing-stage", timeout=60_000)
        await page.wait_for_selector("#seal-submit", timeout=60_000)
        await page.click("#seal-submit")
        await page.click("#confirm-dialog .confirm-ok")
        await page.wait_for_selector("#visit-signed", timeout=60_000)
        await _shot(page, "11-signed")

        visit = await Visit.get(id=visit.id)
        contract = await Contract.get(id=visit.contract_id)
        assert visit.status.value == "signed" and contract.status == ContractStatus.SEALED
        await page.click("#visit-archive")
        await page.wait_for_selector("#contracts", timeout=20_000)
        assert "已盖章生效" in await page.inner_text(f"#contract-{contract.id}-row")
        assert await page.locator(f"#document-{contract.sealed_document_id}-row").count() == 1
        await _shot(page, "12-archive")
        await browser.close()

    verify = subprocess.run([sys.executable, "-m", "app.cli", "archive-verify", str(visit.customer_id)], cwd=ROOT, env=dict(os.environ),
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert people["head"]["name"] in verify.stdout

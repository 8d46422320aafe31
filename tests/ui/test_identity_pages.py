"""Identity pages: the face step after the password, enrolment, ID-card capture and confirmation, customer face match.

The app is built with face login ON (the rest of the suite runs with it off) and a FakeJobQueue;
worker results are written through the same service functions the ML worker calls.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
import pytest

from app import clock
from app.domain import idcard
from app.models import Document, FaceVerification, IdCardRead, LivenessCheck, Officer, OfficerSession
from app.services import identity_checks as checks
from tests.factories import csrf_token, login
from tests.factories.risk import make_customer
from tests.fakes import FakeJobQueue
from ui.templating import POLL_TRIGGER

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
NUMBER = idcard.make_number("141023", date(1980, 5, 17), 101)
HX = {"HX-Request": "true"}

POLLING = f'hx-trigger="{POLL_TRIGGER}"'  # a job-status fragment that asks again


@pytest.fixture
async def face_app(db, settings, redis_server):
    from app.main import create_app

    application = create_app(settings.model_copy(update={"face_login_required": True, "liveness_seed": 7}), manage_db=False)
    application.state.queue = FakeJobQueue()
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def web(face_app):
    transport = httpx.ASGITransport(app=face_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", follow_redirects=False) as c:
        yield c


async def _enrol(vault, username="officer1"):
    officer = await Officer.get(username=username)
    embedding = [0.1] * 127 + [0.2]
    await Officer.filter(id=officer.id).update(face_embeddings_enc=checks.faces.seal_embeddings(vault, officer.id, [embedding]))


async def _unlock(username="officer1"):
    """What a passed face step does: the session's face_verified_at."""
    await OfficerSession.filter(officer__username=username).update(face_verified_at=clock.now_utc())


async def _start_check(web) -> tuple[str, str]:
    token = await csrf_token(web)
    started = await web.post("/login/face?next=/loans", data={"csrf_token": token})
    assert started.status_code == 303
    url = started.headers["location"]
    page = await web.get(url)
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)
    return url, nonce


# --- the face step ----------------------------------------------------------------------------


async def test_after_the_password_every_page_leads_to_the_face_step(web, demo):
    response = await login(web)
    assert (response.status_code, response.headers["location"]) == (303, "/login/face?next=/")
    for path in ("/", "/loans", "/identity/idcard"):
        page = await web.get(path)
        assert (page.status_code, page.headers["location"]) == (303, f"/login/face?next={path}")
    boosted = await web.get("/loans", headers=HX)
    assert (boosted.status_code, boosted.headers["hx-redirect"]) == (204, "/login/face?next=/loans")


async def test_an_officer_without_enrolment_is_sent_to_enrol_first(web, demo):
    await login(web)
    face = await web.get("/login/face?next=/loans")
    assert (face.status_code, face.headers["location"]) == (303, "/login/face/enrol?next=/loans")
    page = await web.get("/login/face/enrol?next=/loans")
    assert page.status_code == 200 and "<html" in page.text
    assert "首次使用即信任" in page.text and "联系系统管理员重置" in page.text and "cunxin face-reset" not in page.text  # no CLI text for officers (issue 19 #9)
    assert 'data-camera="stills"' in page.text and 'name="captures" type="file" accept="image/*" capture="user" multiple' in page.text


async def test_enrolment_upload_queues_the_job_and_polls_until_done(web, face_app, demo, vault):
    await login(web)
    token = await csrf_token(web)
    files = [("captures", (f"c{i}.jpg", JPEG + bytes([i]), "image/jpeg")) for i in range(3)]
    few = await web.post("/login/face/enrol", data={"csrf_token": token, "next": "/"}, files=files[:2], headers=HX)
    assert few.status_code == 422 and "<html" not in few.text and "请拍摄 3 至 10 张人脸照片（当前 2 张）" in few.text
    done = await web.post("/login/face/enrol", data={"csrf_token": token, "next": "/"}, files=files)
    assert done.status_code == 303
    enrolment_id = done.headers["location"].split("?")[0].rsplit("/", 1)[1]
    assert face_app.state.queue.ids() == [f"enrol_face:{enrolment_id}"]
    polling = await web.get(done.headers["location"], headers=HX)
    assert POLLING in polling.text and "<html" not in polling.text
    await checks.claim_enrolment(enrolment_id=enrolment_id)
    await checks.record_enrolment(enrolment_id=enrolment_id, embeddings=[[0.1] * 128] * 3, vault=vault, threshold=0.07, model_ms=1, now=clock.now_utc())
    finished = await web.get(done.headers["location"], headers=HX)
    assert "人脸录入成功（3 张）" in finished.text and "hx-trigger" not in finished.text


async def test_the_challenge_page_takes_frames_from_the_camera_only(web, demo, vault):
    await _enrol(vault)
    await login(web)
    start = await web.get("/login/face?next=/loans")
    assert start.status_code == 200 and "开始人脸识别" in start.text and "不能防" in start.text
    url, nonce = await _start_check(web)
    page = await web.get(url)
    check = await LivenessCheck.get(nonce=nonce)
    prompts = checks.challenge_of(check).prompts
    assert re.findall(r"<li>(请[^<]+)</li>", page.text) == prompts
    assert 'data-camera="burst"' in page.text and re.search(r"/static/js/camera\.[0-9a-f]{8}\.js", page.text)
    assert 'name="probe"' not in page.text and "camera-fallback" not in page.text and 'capture="user"' not in page.text
    assert '<input name="frames" type="file" accept="image/jpeg" multiple hidden>' in page.text  # filled by js/camera.js only
    assert "播放事先录好的本人视频" in page.text  # what liveness does not stop, said on the page


async def test_frames_with_a_wrong_nonce_come_back_as_422(web, demo, vault):
    await _enrol(vault)
    await login(web)
    url, nonce = await _start_check(web)
    token = await csrf_token(web)
    files = [("frames", (f"f{i}.jpg", JPEG, "image/jpeg")) for i in range(6)]
    bad = await web.post(f"{url.split('?')[0]}/frames", data={"csrf_token": token, "nonce": "x" * 32, "next": "/loans"}, files=files, headers=HX)
    assert bad.status_code == 422 and "<html" not in bad.text and "活体检测随机码不匹配，请重新开始" in bad.text
    plain = await web.post(f"{url.split('?')[0]}/frames", data={"csrf_token": token, "nonce": nonce, "next": "/loans"},
                           files=[("probe", ("s.jpg", JPEG, "image/jpeg"))])
    assert plain.status_code == 422 and "<html" in plain.text and "没有收到画面，请按提示完成动作后再提交" in plain.text
    assert not await FaceVerification.exists()


async def test_the_face_step_polls_then_opens_the_session(web, face_app, demo, vault):
    # given an enrolled officer after the password, with the camera frames sent
    await _enrol(vault)
    await login(web)
    url, nonce = await _start_check(web)
    token = await csrf_token(web)
    files = [("frames", (f"f{i}.jpg", JPEG, "image/jpeg")) for i in range(6)]
    sent = await web.post(f"{url.split('?')[0]}/frames", data={"csrf_token": token, "nonce": nonce, "next": "/loans"}, files=files)
    assert (sent.status_code, sent.headers["location"]) == (303, url)
    assert sorted(j.function for j in face_app.state.queue.jobs) == ["check_liveness", "verify_face"]
    # when the page polls while the jobs run
    pending = await web.get(url, headers=HX)
    assert pending.status_code == 200 and "<html" not in pending.text and pending.headers["vary"] == "HX-Request"
    assert POLLING in pending.text and "正在核验" in pending.text
    assert (await web.get("/loans")).status_code == 303
    # and the worker writes both results
    check = await LivenessCheck.get(nonce=nonce)
    verification = await FaceVerification.get(liveness_id=check.id)
    now = clock.now_utc()
    await checks.record_liveness_result(liveness_id=check.id, passed=True, code="OK", reason="活体检测通过", details={}, model_ms=1, now=now)
    await checks.record_face_result(verification_id=verification.id, distance=0.021, verified=True, model="Dlib", model_ms=1, now=now)
    # then the next poll sends htmx on, and pages open
    passed = await web.get(url, headers=HX)
    assert passed.headers["hx-redirect"] == "/loans" and "人脸识别登录成功" in passed.text and "0.021" in passed.text
    assert (await web.get("/loans")).status_code == 200
    assert (await web.get("/")).status_code == 200


async def test_a_failed_liveness_is_shown_with_its_reason_and_a_retry(web, demo, vault):
    await _enrol(vault)
    await login(web)
    url, nonce = await _start_check(web)
    token = await csrf_token(web)
    files = [("frames", (f"f{i}.jpg", JPEG, "image/jpeg")) for i in range(6)]
    await web.post(f"{url.split('?')[0]}/frames", data={"csrf_token": token, "nonce": nonce, "next": "/"}, files=files)
    check = await LivenessCheck.get(nonce=nonce)
    await checks.record_liveness_result(liveness_id=check.id, passed=False, code="NO_MOTION", details={}, model_ms=1, now=clock.now_utc(),
                                        reason="未检测到眨眼或转头动作（画面可能是静止照片），请按提示完成动作")
    page = await web.get(url)
    assert page.status_code == 200 and "活体检测未通过：未检测到眨眼或转头动作（画面可能是静止照片）" in page.text
    assert 'id="face-login-retry"' in page.text and "hx-trigger" not in page.text
    assert (await web.get("/")).status_code == 303


async def test_logout_from_the_face_step(web, demo):
    await login(web)
    token = await csrf_token(web)
    out = await web.post("/login/face/logout", data={"csrf_token": token})
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert await OfficerSession.filter(revoked_at__isnull=False).count() == 1


# --- ID card ----------------------------------------------------------------------------------


async def test_id_card_upload_refuses_an_oversize_photo_with_422(web, demo):
    await login(web)
    await _unlock()
    page = await web.get("/identity/idcard?side=back")
    assert page.status_code == 200 and 'value="back" checked' in page.text and 'capture="environment"' in page.text
    token = await csrf_token(web)
    big = b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024)
    response = await web.post("/identity/idcard", data={"csrf_token": token, "side": "front"}, files={"image": ("big.jpg", big, "image/jpeg")}, headers=HX)
    assert response.status_code == 422 and "<html" not in response.text
    assert "身份证照片超过 10 MB，请压缩后重新上传" in response.text
    assert not await Document.exists() and not await IdCardRead.exists()


async def test_id_card_read_polls_then_shows_the_confirm_form_and_records_corrections(web, face_app, demo, vault, settings):
    # given an uploaded card
    await login(web)
    await _unlock()
    token = await csrf_token(web)
    sent = await web.post("/identity/idcard", data={"csrf_token": token, "side": "front"}, files={"image": ("card.jpg", JPEG, "image/jpeg")})
    assert sent.status_code == 303
    url = sent.headers["location"]
    read_id = url.rsplit("/", 1)[1]
    assert face_app.state.queue.ids() == [f"read_id_card:{read_id}"]
    pending = await web.get(url, headers=HX)
    assert POLLING in pending.text and "排队等待识别" in pending.text and "<html" not in pending.text
    # when the worker has read it, with a wrong check character and a doubtful name
    wrong = NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1")
    detail = {
        "side": "front", "id_number_valid": False, "needs_confirmation": ["name", "id_number"], "warnings": [f"公民身份号码校验未通过（{wrong}），请核对号码"],
        "fields": {
            "name": {"value": "王建国", "confidence": 0.62, "flags": ["low_confidence"]},
            "sex": {"value": "男", "confidence": 0.99, "flags": []}, "ethnicity": {"value": "汉", "confidence": 0.99, "flags": []},
            "birth_date": {"value": "1980-05-17", "confidence": 0.98, "flags": []},
            "address": {"value": "山西省襄汾县新城镇西街村", "confidence": 0.95, "flags": []},
            "id_number": {"value": wrong, "confidence": 0.97, "flags": ["invalid_checksum"]},
        },
    }
    await checks.claim_id_card_read(read_id=read_id, now=clock.now_utc())
    await checks.record_id_card_result(read_id=read_id, detail=detail, id_number=wrong, portrait_jpeg=None, model_ms=400,
                                       media=face_app.state.media, vault=vault, now=clock.now_utc())
    page = await web.get(url)
    # then the form shows each field with its confidence and flags, the number masked
    assert "hx-trigger" not in page.text and 'id="idcard-field-name"' in page.text and "62%" in page.text and "置信度低" in page.text
    assert idcard.mask(wrong) in page.text and wrong not in page.text and "校验未通过" in page.text
    # a bad correction comes back as 422 with the message at the field
    bad = await web.post(f"{url}/confirm", data={"csrf_token": token, "name": "王建国", "checked_name": "1", "id_number": "123"}, headers=HX)
    assert bad.status_code == 422 and "<html" not in bad.text and 'id="idcard-field-id_number-error"' in bad.text
    assert "身份证号码应为 18 位，请核对后重新输入" in bad.text
    form = {"csrf_token": token, "name": "王建国", "checked_name": "1", "sex": "男", "ethnicity": "汉", "birth_date": "1980-05-17",
            "address": "山西省襄汾县新城镇西街村", "id_number": NUMBER}
    ok = await web.post(f"{url}/confirm", data=form)
    assert (ok.status_code, ok.headers["location"]) == (303, url)
    done = await web.get(url)
    assert "已确认" in done.text and "客户经理更正" in done.text and idcard.mask(NUMBER) in done.text
    row = await IdCardRead.get(id=read_id)
    assert row.changed_fields == [{"field": "id_number", "ocr": idcard.mask(wrong), "confirmed": idcard.mask(NUMBER)}]


async def test_a_failed_read_shows_its_reason(web, face_app, demo):
    await login(web)
    await _unlock()
    token = await csrf_token(web)
    sent = await web.post("/identity/idcard", data={"csrf_token": token, "side": "front"}, files={"image": ("x.txt", b"hello", "text/plain")})
    read_id = sent.headers["location"].rsplit("/", 1)[1]
    await checks.fail_id_card_read(read_id=read_id, code="NOT_ID_CARD", message="未识别到身份证：请拍摄身份证正面或背面，保证四角完整、字迹清晰、没有反光", now=clock.now_utc())
    page = await web.get(sent.headers["location"], headers=HX)
    assert "识别失败：未识别到身份证" in page.text and "重新拍摄" in page.text and "hx-trigger" not in page.text
    assert "重试" not in page.text  # a photo that is not a card is shot again, not retried


async def test_a_read_the_service_lost_shows_a_retry_button_that_reads_the_photo_again(web, face_app, demo):
    await login(web)
    await _unlock()
    token = await csrf_token(web)
    sent = await web.post("/identity/idcard", data={"csrf_token": token, "side": "front"}, files={"image": ("x.jpg", JPEG, "image/jpeg")})
    read_id = sent.headers["location"].rsplit("/", 1)[1]
    await checks.fail_id_card_read(read_id=read_id, code="JOB_LOST", message="识别服务中断，已自动重试 3 次仍未完成，请点击“重试”", now=clock.now_utc())
    page = await web.get(sent.headers["location"], headers=HX)
    assert "身份证识别失败：识别服务中断，已自动重试 3 次仍未完成，请点击“重试”" in page.text
    assert f'/jobs/ocr/{read_id}/retry"' in page.text and ">重试</button>" in page.text
    back = f"/identity/idcard/{read_id}"
    for _ in range(2):  # a double click: one job
        retried = await web.post(f"/jobs/ocr/{read_id}/retry", data={"csrf_token": token, "next": back})
        assert retried.status_code == 303 and retried.headers["location"] == back
    assert face_app.state.queue.ids()[-1] == f"read_id_card:{read_id}:4"
    assert sum(j.startswith(f"read_id_card:{read_id}") for j in face_app.state.queue.ids()) == 2
    assert "排队等待识别" in (await web.get(back, headers=HX)).text
    assert (await web.post(f"/jobs/nope/{read_id}/retry", data={"csrf_token": token})).status_code == 404
    assert (await web.post(f"/jobs/liveness/{read_id}/retry", data={"csrf_token": token})).status_code == 404


# --- customer face match ----------------------------------------------------------------------


async def test_customer_face_match_needs_a_portrait_then_polls_to_the_verdict(web, face_app, demo, vault):
    customer = await make_customer(vault)
    await login(web)
    await _unlock()
    page = await web.get(f"/identity/customers/{customer.id}/face")
    assert page.status_code == 200 and "该客户还没有可用的身份证人像" in page.text
    # given a read of the customer's card with a portrait
    token = await csrf_token(web)
    sent = await web.post("/identity/idcard", data={"csrf_token": token, "side": "front", "customer": str(customer.id)}, files={"image": ("c.jpg", JPEG, "image/jpeg")})
    read_id = sent.headers["location"].rsplit("/", 1)[1]
    detail = {"side": "front", "fields": {}, "id_number_valid": True, "needs_confirmation": [], "warnings": []}
    await checks.record_id_card_result(read_id=read_id, detail=detail, id_number=None, portrait_jpeg=b"\xff\xd8\xffportrait", model_ms=1,
                                       media=face_app.state.media, vault=vault, now=clock.now_utc())
    page = await web.get(f"/identity/customers/{customer.id}/face")
    assert 'data-camera="still"' in page.text and 'name="probe" type="file" accept="image/*" capture="user"' in page.text
    empty = await web.post(f"/identity/customers/{customer.id}/face", data={"csrf_token": token}, headers=HX)
    assert empty.status_code == 422 and "现场照片为空" in empty.text
    sent = await web.post(f"/identity/customers/{customer.id}/face", data={"csrf_token": token}, files={"probe": ("s.jpg", JPEG, "image/jpeg")})
    assert sent.status_code == 303
    vid = sent.headers["location"].rsplit("/", 1)[1]
    assert (await web.get(sent.headers["location"], headers=HX)).text.count(POLLING) == 1
    await checks.record_face_result(verification_id=vid, distance=0.0312, verified=True, model="Dlib", model_ms=1, now=clock.now_utc())
    verdict = await web.get(sent.headers["location"])
    assert "与身份证人像一致" in verdict.text and "0.0312" in verdict.text and "Dlib" in verdict.text and "0.07" in verdict.text
    other = await web.get(f"/identity/customers/{customer.id}/face", headers={"cookie": ""})
    assert other.status_code == 303


async def test_graphql_ignores_a_session_that_has_not_passed_the_face_step(demo, settings, redis_server):
    """The PAD cookie after the password alone is nobody on /graphql either."""
    import httpx

    from app.main import create_app
    from tests.factories import csrf_token, login

    app = create_app(settings.model_copy(update={"face_login_required": True}), manage_db=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            await login(client)
            token = await csrf_token(client)
            body = (await client.post("/graphql", json={"query": "{ viewer { username } }"}, headers={"X-CSRF-Token": token})).json()
    assert body == {"data": {"viewer": None}}


# --- 重试 before the face step: the login check and the enrolment (the face_job_retry route) ---------


async def test_a_login_check_the_service_lost_is_retried_from_its_page_before_the_face_step(web, face_app, demo, vault):
    await _enrol(vault)
    await login(web)
    url, nonce = await _start_check(web)
    token = await csrf_token(web)
    files = [("frames", (f"f{i}.jpg", JPEG, "image/jpeg")) for i in range(6)]
    await web.post(f"{url.split('?')[0]}/frames", data={"csrf_token": token, "nonce": nonce, "next": "/loans"}, files=files)
    check = await LivenessCheck.get(nonce=nonce)
    await checks.record_liveness_result(liveness_id=check.id, passed=False, code="TIMEOUT", reason="识别超时（服务繁忙或中断），请点击“重试”",
                                        details={}, model_ms=None, now=clock.now_utc())
    page = await web.get(url, headers=HX)
    assert "活体检测失败：识别超时（服务繁忙或中断），请点击“重试”" in page.text and f'/login/face/jobs/liveness/{check.id}/retry"' in page.text
    for _ in range(2):  # a double click: one job
        back = await web.post(f"/login/face/jobs/liveness/{check.id}/retry", data={"csrf_token": token, "next": url})
        assert (back.status_code, back.headers["location"]) == (303, url)
    assert face_app.state.queue.ids().count(f"check_liveness:{check.id}:4") == 1
    assert "正在核验" in (await web.get(url, headers=HX)).text
    # the page route (a fully opened session) does not take the login kinds
    assert (await web.post(f"/jobs/liveness/{check.id}/retry", data={"csrf_token": token})).status_code == 303  # to the face step


async def test_a_lost_enrolment_is_retried_from_its_page(web, face_app, demo, vault):
    await login(web)
    token = await csrf_token(web)
    files = [("captures", (f"c{i}.jpg", JPEG + bytes([i]), "image/jpeg")) for i in range(3)]
    done = await web.post("/login/face/enrol", data={"csrf_token": token, "next": "/"}, files=files)
    enrolment_id = done.headers["location"].split("?")[0].rsplit("/", 1)[1]
    await checks.fail_enrolment(enrolment_id=enrolment_id, code="JOB_LOST", message="识别服务中断，已自动重试 3 次仍未完成，请点击“重试”", now=clock.now_utc())
    page = await web.get(done.headers["location"], headers=HX)
    assert "人脸录入失败：识别服务中断" in page.text and f'/login/face/jobs/enrolment/{enrolment_id}/retry"' in page.text
    back = await web.post(f"/login/face/jobs/enrolment/{enrolment_id}/retry", data={"csrf_token": token, "next": done.headers["location"]})
    assert back.status_code == 303 and face_app.state.queue.ids()[-1] == f"enrol_face:{enrolment_id}:4"
    assert "正在提取人脸特征" in (await web.get(done.headers["location"], headers=HX)).text


async def test_a_slow_read_shows_the_time_waited_a_hint_and_a_way_out(web, face_app, demo):
    """With the ML worker stopped the wait was a spinner for ever (issue 19 #8f)."""
    await login(web)
    await _unlock()
    token = await csrf_token(web)
    sent = await web.post("/identity/idcard", data={"csrf_token": token, "side": "front"}, files={"image": ("card.jpg", JPEG, "image/jpeg")})
    url, read_id = sent.headers["location"], sent.headers["location"].rsplit("/", 1)[1]
    fresh = await web.get(url, headers=HX)
    assert "已等待 0 秒" in fresh.text and "识别较慢" not in fresh.text
    assert '/identity/idcard?side=front">重新拍摄</a>' in fresh.text  # the way out is there from the start
    await IdCardRead.filter(id=read_id).update(created_at=clock.now_utc() - timedelta(seconds=75))
    slow = await web.get(url, headers=HX)
    assert "已等待 1 分 15 秒" in slow.text and "识别较慢，可继续等待或重新拍摄" in slow.text
    assert POLLING in slow.text  # still polling

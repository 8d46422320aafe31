import hashlib
from datetime import UTC, datetime

from app.models import AuditEvent, OutboxMessage
from app.domain.vocabulary import DocumentKind
from app.models.outbox import OutboxKind, OutboxStatus
from app.services.actor import SYSTEM
from app.services.documents import store_document
from app.services.outbox import enqueue_outbox
from tests.factories import csrf_token, customer_with_line, login


async def _archive(settings, vault):
    from app.services.documents import MediaStore

    customer, _ = await customer_with_line(vault, checked=False)
    media = MediaStore(settings.media_dir)
    doc = await store_document(actor=SYSTEM, media=media, data=b"%PDF-1.7 contract", kind=DocumentKind.CONTRACT, content_type="application/pdf",
                               title="授信合同 SX-1（已盖章）", customer_id=customer.id, max_bytes=1024)
    return customer, doc


async def test_archive_page_lists_documents_with_hashes_and_downloads_them(client, demo, vault, settings):
    customer, doc = await _archive(settings, vault)
    await login(client)
    page = await client.get(f"/customers/{customer.id}/archive")
    assert page.status_code == 200 and page.headers["vary"] == "HX-Request"
    assert f'id="document-{doc.id}-row"' in page.text and doc.sha256 in page.text and "授信合同 SX-1（已盖章）" in page.text
    assert customer.id_number_masked in page.text
    download = await client.get(f"/documents/{doc.id}/download")
    assert download.status_code == 200 and download.content == b"%PDF-1.7 contract"
    assert download.headers["content-type"] == "application/pdf" and download.headers["x-content-sha256"] == hashlib.sha256(b"%PDF-1.7 contract").hexdigest()
    assert download.headers["content-disposition"].startswith("attachment;")
    assert await AuditEvent.filter(action="document.download", entity_id=str(doc.id)).count() == 1


async def test_an_officer_of_another_branch_sees_neither_the_archive_nor_the_file(client, demo, vault, settings):
    customer, doc = await _archive(settings, vault)
    await login(client, "officer2")
    assert (await client.get(f"/customers/{customer.id}/archive")).status_code == 404
    assert (await client.get(f"/documents/{doc.id}/download")).status_code == 404
    assert (await client.get("/customers/not-a-uuid/archive")).status_code == 404
    assert await AuditEvent.filter(action="document.download").count() == 0


async def test_the_archive_needs_a_login(client, demo, vault, settings):
    customer, _ = await _archive(settings, vault)
    response = await client.get(f"/customers/{customer.id}/archive")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_admin_retries_a_dead_letter_from_the_page(client, demo):
    message = await enqueue_outbox(OutboxKind.LINE_GRANTED, {"customerHash": "1" * 62 + "ff"}, now=datetime(2026, 1, 1, tzinfo=UTC))
    await OutboxMessage.filter(id=message.id).update(status=OutboxStatus.DEAD, attempts=1, last_error="省联社系统拒绝该报文")
    await login(client, "admin")
    page = await client.get("/admin/outbox")
    assert page.status_code == 200 and f'id="outbox-{message.id}-row"' in page.text and "省联社报送失败：省联社系统拒绝该报文" in page.text
    assert f'id="sync-{message.id}-retry" type="submit">重试</button>' in page.text
    token = await csrf_token(client)
    response = await client.post(f"/admin/outbox/{message.id}/resend", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/admin/outbox"
    resent = await OutboxMessage.get(id=message.id)
    assert (resent.status, resent.attempts) == (OutboxStatus.PENDING, 0)
    again = await client.post(f"/admin/outbox/{message.id}/resend", data={"csrf_token": token})  # a double click changes nothing
    assert again.status_code == 303 and (await OutboxMessage.get(id=message.id)).next_attempt_at == resent.next_attempt_at
    await OutboxMessage.filter(id=message.id).update(status=OutboxStatus.SENT)
    refused = await client.post(f"/admin/outbox/{message.id}/resend", data={"csrf_token": token})
    assert refused.status_code == 409 and "该任务已完成，无需重试" in refused.text
    assert 'id="no-dead-letters"' in (await client.get("/admin/outbox")).text


async def test_officers_cannot_see_dead_letters(client, demo):
    message = await enqueue_outbox(OutboxKind.LINE_GRANTED, {"customerHash": "2" * 64}, now=datetime(2026, 1, 1, tzinfo=UTC))
    await OutboxMessage.filter(id=message.id).update(status=OutboxStatus.DEAD)
    await login(client, "officer1")
    assert (await client.get("/admin/outbox")).status_code == 403
    token = await csrf_token(client)
    assert (await client.post(f"/admin/outbox/{message.id}/resend", data={"csrf_token": token})).status_code == 403
    assert (await OutboxMessage.get(id=message.id)).status == OutboxStatus.DEAD

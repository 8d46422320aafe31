import os
import subprocess
import sys
import uuid

import pytest

from app.config import ROOT
from app.models import Contract, Document
from app.domain.vocabulary import DocumentKind
from app.services.actor import SYSTEM
from app.services.documents import store_document
from tests.factories import customer_with_line
from tests.services.contracts.fixtures import kit, renderer  # noqa: F401  (fixtures)
from tests.services.contracts.helpers import FaceChecks, sealed_contract, spouse_of

pytestmark = pytest.mark.pdf


def _cunxin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


async def test_archive_verify_passes_then_fails_on_one_changed_byte(demo, vault, kit, renderer):
    # given a sealed contract with a co-borrower and an ID-card photo in the archive
    customer, line = await customer_with_line(vault, checked=False)
    spouse = await spouse_of(vault, customer)
    sealed = await sealed_contract(line, renderer, kit, FaceChecks(), co_borrower=spouse)
    await store_document(actor=SYSTEM, media=kit.media, data=b"\xff\xd8 id card photo", kind=DocumentKind.ID_CARD_FRONT,
                         content_type="image/jpeg", customer_id=customer.id, max_bytes=1024)
    # when the archive is verified from the command line
    ok = _cunxin("archive-verify", str(customer.id))
    # then every file passes: 4 contract versions, the borrower's pad image, the photo
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"客户 王建国（{customer.id_number_masked}）电子档案：6 个文件" in ok.stdout
    assert ok.stdout.count("[通过]") == 6 and "[失败]" not in ok.stdout
    assert "签名 bank 村信开发银行 合同专用章：通过，含时间戳" in ok.stdout
    assert "核验通过：6 个文件的哈希与签名均有效" in ok.stdout
    # the co-borrower's archive holds the contract versions they are party to, and their pad image
    spouse_run = _cunxin("archive-verify", str(spouse.id))
    assert spouse_run.returncode == 0 and "电子档案：5 个文件" in spouse_run.stdout
    # when one byte of the sealed PDF changes on disk
    doc = await Document.get(id=sealed.sealed_document_id)
    path = kit.media.path_for(doc.sha256)
    data = bytearray(path.read_bytes())
    at = data.index(b"stream", 2000) + 40
    data[at] ^= 0x01
    path.write_bytes(bytes(data))
    try:
        bad = _cunxin("archive-verify", str(customer.id))
    finally:
        data[at] ^= 0x01
        path.write_bytes(bytes(data))
    # then the hash and all three signatures fail, and the exit code says so
    assert bad.returncode == 1
    assert f"sha256 {doc.sha256}  哈希失败：文件内容与哈希不符" in bad.stdout
    assert bad.stdout.count("失败：签名后内容被改动") == 3
    assert "核验未通过：1 / 6 个文件有问题" in bad.stderr


async def test_archive_verify_counts_missing_signatures(demo, vault, kit, renderer):
    customer, line = await customer_with_line(vault, checked=False)
    sealed = await sealed_contract(line, renderer, kit, FaceChecks())
    # the record says "sealed" but points at the unsigned version
    await Contract.filter(id=sealed.id).update(sealed_document_id=sealed.unsigned_document_id)
    ran = _cunxin("archive-verify", str(customer.id))
    assert ran.returncode == 1
    assert "签名失败：应有 2 个签名，实有 0 个" in ran.stdout


async def test_archive_verify_refuses_unknown_and_malformed_ids(db):
    unknown = _cunxin("archive-verify", str(uuid.uuid4()))
    assert unknown.returncode == 1 and "核验失败：客户不存在" in unknown.stderr
    malformed = _cunxin("archive-verify", "not-a-uuid")
    assert malformed.returncode == 1 and "客户 ID 格式不正确" in malformed.stderr


async def test_contract_render_and_outbox_send_commands(demo, vault):
    from datetime import UTC, datetime

    from app.models import OutboxMessage
    from app.models.contract import ContractStatus
    from app.models.outbox import OutboxKind, OutboxStatus
    from app.services.contracts import create_contract
    from app.services.outbox import enqueue_outbox
    from tests.services.contracts.helpers import TODAY

    _, line = await customer_with_line(vault, checked=False)
    contract = await create_contract(actor=SYSTEM, credit_line_id=line.id, today=TODAY)
    rendered = _cunxin("contract-render", str(contract.id))
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout.strip() == f"合同 {contract.number}：rendered"
    assert (await Contract.get(id=contract.id)).status == ContractStatus.RENDERED
    message = await enqueue_outbox(OutboxKind.LINE_GRANTED, {"customerHash": "3" * 64}, now=datetime(2026, 1, 1, tzinfo=UTC))
    sent = _cunxin("outbox-send")
    assert sent.returncode == 0 and "发送成功 1，稍后重试 0，转入死信 0" in sent.stdout
    assert (await OutboxMessage.get(id=message.id)).status == OutboxStatus.SENT

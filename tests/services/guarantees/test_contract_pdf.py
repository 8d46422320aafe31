"""The 联保 guarantee contract is a PDF signed by the guarantor (one-time certificate) and sealed by the member bank
(PAdES), in the guarantor's e-archive, linked from the member row; `cunxin archive-verify` checks it."""

import asyncio
import hashlib
import os
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest

from app.config import ROOT
from app.domain.error_codes import ContractCode
from app.domain.errors import Conflict, DomainError
from app.models import AuditEvent, Bank, Document, GuaranteeGroup, GuaranteeMember
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.contracts.pdfsign import validate_pdf
from app.services.contracts.textpdf import _hex
from app.services.customers.archive import verify_archive
from app.services.guarantees import contract_text, form_group, witness_name
from tests.factories.guarantees import households, members, signing_kit
from tests.factories.risk import actor
from tests.factories.worklists import TODAY

pytestmark = pytest.mark.pdf

ON = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


@pytest.fixture
async def bank(demo):
    await business_date.set_current(TODAY)
    return demo


async def test_each_member_signs_a_pdf_guarantee_contract_sealed_by_the_bank_and_archived(bank, vault):
    officer = await actor("officer1")
    customers = await households(vault, 5)
    kit = signing_kit()
    group = await form_group(actor=officer, name="西街村第一联保小组", members=members(customers), on=ON, now=NOW, kit=kit)
    rows = await GuaranteeMember.filter(group_id=group.id).order_by("created_at", "id").prefetch_related("customer", "document")
    assert len(rows) == 5 and len({r.document_id for r in rows}) == 5
    for row in rows:
        doc = row.document
        pdf = kit.media.get(doc.sha256)
        # the file exists, hashes to its address, belongs to the guarantor's archive and is titled with the contract number
        assert hashlib.sha256(pdf).hexdigest() == doc.sha256 and doc.size_bytes == len(pdf) and pdf.startswith(b"%PDF")
        assert doc.customer_id == row.customer_id and doc.content_type == "application/pdf" and row.contract_no in doc.title
        # the guarantor's one-time certificate, then the bank's time-stamped seal, both valid
        checks = await asyncio.to_thread(validate_pdf, pdf, kit.pki.trust_roots)
        assert [(c.field, c.signer, c.ok) for c in checks] == [("signer", row.customer.name, True), ("bank", "村信开发银行 合同专用章", True)]
        assert checks[1].timestamped and not checks[0].timestamped
        # the text names the group, the guarantor, every borrower guaranteed and joint and several liability
        others = [c for c in customers if c.id != row.customer_id]
        for words in ("西街村第一联保小组", row.customer.name, *(o.name for o in others), "连带责任保证", "保证期间", row.contract_no):
            assert _hex(words).encode() in pdf, words
        # the record keeps the hash of exactly that text
        bank_row = await Bank.get(id=group.bank_id)
        text = contract_text(bank_name=bank_row.legal_name or bank_row.name, group_name=group.name, contract_no=row.contract_no,
                             guarantor=f"{row.customer.name}（身份证 {row.customer.id_number_masked}）",
                             others=[f"{o.name}（身份证 {o.id_number_masked}）" for o in others], amount_fen=row.amount_fen, on=ON,
                             witness=await witness_name(officer))
        assert row.contract_sha256 == hashlib.sha256(text.encode()).hexdigest()
    audit = await AuditEvent.get(action="guarantee.form", entity_id=str(group.id))
    assert [c["sha256"] for c in audit.after["contracts"]] == [r.document.sha256 for r in rows]
    assert {c["padesLevel"] for c in audit.after["contracts"]} == {"B-T"}


async def test_the_guarantors_archive_verifies_with_the_contract_and_fails_when_it_is_changed(bank, vault):
    officer = await actor("officer1")
    customers = await households(vault, 5)
    kit = signing_kit()
    group = await form_group(actor=officer, name="小组", members=members(customers), on=ON, now=NOW, kit=kit)
    row = await GuaranteeMember.get(group_id=group.id, customer_id=customers[0].id).prefetch_related("document")
    report = await verify_archive(actor=SYSTEM, customer_id=customers[0].id, media=kit.media, trust_roots=kit.pki.trust_roots)
    check = next(c for c in report.checks if c.document.id == row.document_id)
    assert report.ok and check.expected_signatures == 2 and len(check.signatures) == 2
    # one byte of the PDF changed on disk: its hash and its signatures fail
    path = kit.media.path_for(row.document.sha256)
    data = bytearray(path.read_bytes())
    at = data.index(b"stream") + 40
    data[at] ^= 0x01
    path.write_bytes(bytes(data))
    try:
        broken = await verify_archive(actor=SYSTEM, customer_id=customers[0].id, media=kit.media, trust_roots=kit.pki.trust_roots)
    finally:
        data[at] ^= 0x01
        path.write_bytes(bytes(data))
    bad = next(c for c in broken.checks if c.document.id == row.document_id)
    assert not broken.ok and not bad.hash_ok and not bad.signatures_ok


async def test_archive_verify_on_the_command_line_lists_the_guarantee_contract(bank, vault):
    officer = await actor("officer1")
    customers = await households(vault, 5)
    group = await form_group(actor=officer, name="小组", members=members(customers), on=ON, now=NOW, kit=signing_kit())
    row = await GuaranteeMember.get(group_id=group.id, customer_id=customers[2].id)
    ran = subprocess.run([sys.executable, "-m", "app.cli", "archive-verify", str(customers[2].id)], cwd=ROOT, env=dict(os.environ),
                         capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"联保保证合同 {row.contract_no}" in ran.stdout and "[失败]" not in ran.stdout
    assert "签名 signer 联保户3：通过" in ran.stdout and "签名 bank 村信开发银行 合同专用章：通过，含时间戳" in ran.stdout


async def test_a_seal_that_cannot_be_used_records_nothing_and_the_retry_forms_the_group_once(bank, vault, tmp_path):
    officer = await actor("officer1")
    customers = await households(vault, 5)
    kit = signing_kit()
    bank_id = customers[0].bank_id
    await Bank.filter(id=bank_id).update(seal_cert_path=str(tmp_path / "missing.pem"), seal_key_path=str(tmp_path / "missing.key"))
    documents = await Document.all().count()
    with pytest.raises(DomainError) as refused:
        await form_group(actor=officer, name="小组", members=members(customers), on=ON, now=NOW, kit=kit)
    assert refused.value.code == ContractCode.SEAL_UNAVAILABLE and "电子印章证书无法使用" in refused.value.message
    assert await GuaranteeGroup.all().count() == 0 and await GuaranteeMember.all().count() == 0 and await Document.all().count() == documents
    # the seal fixed, the officer presses again: one group, one contract per member
    await Bank.filter(id=bank_id).update(seal_cert_path=None, seal_key_path=None)
    group = await form_group(actor=officer, name="小组", members=members(customers), on=ON, now=NOW, kit=kit)
    assert await GuaranteeMember.filter(group_id=group.id, document_id__not_isnull=True).count() == 5
    # pressing once more forms nothing and signs nothing (the households are in the group)
    with pytest.raises(Conflict, match="已在有效的联保小组「小组」中"):
        await form_group(actor=officer, name="小组", members=members(customers), on=ON, now=NOW, kit=kit)
    assert await GuaranteeGroup.all().count() == 1 and await Document.all().count() == documents + 5

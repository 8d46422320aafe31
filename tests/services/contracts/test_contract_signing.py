import asyncio
import io
import uuid

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from app.domain.errors import Conflict, Forbidden, ValidationError
from app.models import AuditEvent, Contract, ContractSignature, Document, OutboxMessage
from app.models.contract import ContractStatus, SignatureRole
from app.domain.vocabulary import DocumentKind
from app.models.outbox import OutboxKind
from app.services.actor import SYSTEM
from app.services.contracts import seal_contract, sign_contract
from app.services.contracts.pdfsign import field_names, validate_pdf
from app.services.outbox import customer_hash
from tests.factories import customer_with_line
from tests.services.contracts.helpers import NOW, XIJIE, FaceChecks, rendered_contract, sign, signature_png, spouse_of

pytestmark = pytest.mark.pdf


async def _validate(pdf: bytes, kit):
    return await asyncio.to_thread(validate_pdf, pdf, kit.pki.trust_roots)  # pyhanko runs its own event loop


async def _pdf(kit, document_id) -> bytes:
    return kit.media.get((await Document.get(id=document_id)).sha256)


async def test_borrower_then_co_borrower_then_bank_seal(demo, vault, kit, renderer):
    # given a rendered contract with a co-borrower
    customer, line = await customer_with_line(vault, checked=False)
    spouse = await spouse_of(vault, customer)
    contract = await rendered_contract(line, renderer, kit.media, co_borrower_id=spouse.id)
    faces = FaceChecks()
    # when the borrower signs
    first = await sign(contract, SignatureRole.BORROWER, kit, faces, customer.id)
    contract = await Contract.get(id=contract.id)
    assert contract.status == ContractStatus.BORROWER_SIGNED
    pdf1 = await _pdf(kit, contract.borrower_signed_document_id)
    checks = await _validate(pdf1, kit)
    assert [(c.field, c.signer, c.ok) for c in checks] == [("borrower", "王建国", True)]
    assert field_names(pdf1) == {"borrower": True, "co_borrower": False, "bank": False}
    # the signature records who, when, where, which face check and the pad image
    assert (first.role, first.customer_id, first.signed_at, (first.lat, first.lng)) == (SignatureRole.BORROWER, customer.id, NOW, XIJIE)
    image = await Document.get(id=first.signature_image_id)
    assert image.kind == DocumentKind.SIGNATURE and image.customer_id == customer.id and kit.media.get(image.sha256) == signature_png(1)
    sig = PdfFileReader(io.BytesIO(pdf1)).embedded_signatures[0]
    assert str(first.face_verification_id) in sig.sig_object["/Reason"] and sig.sig_object["/Location"] == "35.876500,111.442100"
    # when the co-borrower signs and the bank seals
    await sign(contract, SignatureRole.CO_BORROWER, kit, faces, spouse.id, seed=2)
    sealed = await seal_contract(actor=SYSTEM, contract_id=contract.id, now=NOW, kit=kit)
    # then every version is kept and the sealed PDF carries three valid signatures, the seal time-stamped (B-T)
    assert sealed.status == ContractStatus.SEALED and sealed.sealed_at == NOW
    final = await _pdf(kit, sealed.sealed_document_id)
    checks = await _validate(final, kit)
    assert [(c.field, c.ok) for c in checks] == [("borrower", True), ("co_borrower", True), ("bank", True)]
    assert [c.timestamped for c in checks] == [False, False, True] and kit.pki.seal_level == "B-T"
    assert checks[1].signer == "李秀英" and "合同专用章" in checks[2].signer
    assert final.startswith(pdf1[:1024]) and len({sealed.unsigned_document_id, sealed.borrower_signed_document_id, sealed.co_borrower_signed_document_id, sealed.sealed_document_id}) == 4
    # and the provincial system hears of it through the outbox, without the ID number
    message = await OutboxMessage.get(key=f"contract_signed:{contract.id}")
    assert message.kind == OutboxKind.CONTRACT_SIGNED and message.payload["customerHash"] == customer_hash(customer)
    assert message.payload["coBorrowerHash"] == customer_hash(spouse) and message.payload["idNumberMasked"] == customer.id_number_masked
    assert message.payload["documentSha256"] == (await Document.get(id=sealed.sealed_document_id)).sha256
    assert [e.action for e in await AuditEvent.filter(entity_id=str(contract.id)).order_by("at")] == [
        "contract.create", "contract.render", "contract.sign.borrower", "contract.sign.co_borrower", "contract.seal"]
    # sealing again changes nothing
    again = await seal_contract(actor=SYSTEM, contract_id=contract.id, now=NOW, kit=kit)
    assert again.sealed_document_id == sealed.sealed_document_id and await OutboxMessage.all().count() == 1


async def test_one_changed_byte_breaks_the_signatures(demo, vault, kit, renderer):
    customer, line = await customer_with_line(vault, checked=False)
    faces = FaceChecks()
    contract = await rendered_contract(line, renderer, kit.media)
    await sign(contract, SignatureRole.BORROWER, kit, faces, customer.id)
    sealed = await seal_contract(actor=SYSTEM, contract_id=contract.id, now=NOW, kit=kit)
    pdf = bytearray(await _pdf(kit, sealed.sealed_document_id))
    assert all(c.ok for c in await _validate(bytes(pdf), kit))
    # a byte inside the page content that every signature covers
    at = pdf.index(b"stream", 2000) + 40
    pdf[at] ^= 0x01
    checks = await _validate(bytes(pdf), kit)
    assert [c.field for c in checks] == ["borrower", "bank"]
    assert not any(c.ok for c in checks) and "签名后内容被改动" in checks[0].message


async def test_signing_needs_a_passed_face_match_and_saves_nothing_otherwise(demo, vault, kit, renderer):
    customer, line = await customer_with_line(vault, checked=False)
    contract = await rendered_contract(line, renderer, kit.media)
    faces = FaceChecks()
    base = dict(actor=SYSTEM, contract_id=contract.id, role=SignatureRole.BORROWER, signature_png=signature_png(), face_checks=faces,
                lat=XIJIE[0], lng=XIJIE[1], now=NOW, kit=kit)
    with pytest.raises(ValidationError) as exc:
        await sign_contract(**base, face_verification_id=None)
    assert (exc.value.code, exc.value.field, exc.value.message) == ("FACE_CHECK_REQUIRED", "face_verification_id", "签署合同前必须完成人脸核验")
    failed = uuid.uuid4()  # a record that is not a passed match for this customer
    with pytest.raises(Forbidden) as exc:
        await sign_contract(**base, face_verification_id=failed)
    assert (exc.value.code, exc.value.message) == ("FACE_CHECK_FAILED", "人脸核验未通过，不能签署合同")
    assert faces.asked == [failed]
    someone_else = faces.grant(uuid.uuid4())  # passed, but for another person
    with pytest.raises(Forbidden):
        await sign_contract(**base, face_verification_id=someone_else)
    # nothing was signed or stored
    assert (await Contract.get(id=contract.id)).status == ContractStatus.RENDERED
    assert await ContractSignature.all().count() == 0
    assert await Document.filter(kind=DocumentKind.SIGNATURE).count() == 0
    assert await Document.filter(kind=DocumentKind.CONTRACT).count() == 1


async def test_refusals_in_the_signing_order(demo, vault, kit, renderer):
    customer, line = await customer_with_line(vault, checked=False)
    spouse = await spouse_of(vault, customer)
    contract = await rendered_contract(line, renderer, kit.media, co_borrower_id=spouse.id)
    faces = FaceChecks()
    with pytest.raises(Conflict) as exc:  # co-borrower before the borrower
        await sign(contract, SignatureRole.CO_BORROWER, kit, faces, spouse.id)
    assert exc.value.code == "WRONG_STATE"
    with pytest.raises(Conflict) as exc:  # seal before the customers
        await seal_contract(actor=SYSTEM, contract_id=contract.id, now=NOW, kit=kit)
    assert exc.value.code == "WRONG_STATE"
    with pytest.raises(ValidationError) as exc:
        await sign_contract(actor=SYSTEM, contract_id=contract.id, role=SignatureRole.BORROWER, signature_png=b"GIF89a....", face_verification_id=faces.grant(customer.id),
                            face_checks=faces, lat=XIJIE[0], lng=XIJIE[1], now=NOW, kit=kit)
    assert exc.value.code == "BAD_SIGNATURE_IMAGE"
    with pytest.raises(ValidationError) as exc:
        await sign_contract(actor=SYSTEM, contract_id=contract.id, role=SignatureRole.BORROWER, signature_png=signature_png(), face_verification_id=faces.grant(customer.id),
                            face_checks=faces, lat=95.0, lng=XIJIE[1], now=NOW, kit=kit)
    assert (exc.value.code, exc.value.field) == ("INVALID_LOCATION", "lat")
    first = await sign(contract, SignatureRole.BORROWER, kit, faces, customer.id)
    with pytest.raises(Conflict) as exc:  # the borrower again
        await sign(contract, SignatureRole.BORROWER, kit, faces, customer.id)
    assert exc.value.code == "WRONG_STATE"
    with pytest.raises(Conflict) as exc:  # one face check, one signature
        await sign_contract(actor=SYSTEM, contract_id=contract.id, role=SignatureRole.CO_BORROWER, signature_png=signature_png(2),
                            face_verification_id=first.face_verification_id, face_checks=faces, lat=XIJIE[0], lng=XIJIE[1], now=NOW, kit=kit)
    assert exc.value.code == "FACE_CHECK_USED"
    assert await ContractSignature.all().count() == 1
    assert (await Contract.get(id=contract.id)).status == ContractStatus.BORROWER_SIGNED


async def test_a_blank_pad_is_refused(demo, vault, kit, renderer):
    from PIL import Image

    customer, line = await customer_with_line(vault, checked=False)
    contract = await rendered_contract(line, renderer, kit.media)
    blank = io.BytesIO()
    Image.new("RGBA", (300, 100), (0, 0, 0, 0)).save(blank, "PNG")
    faces = FaceChecks()
    with pytest.raises(ValidationError) as exc:
        await sign_contract(actor=SYSTEM, contract_id=contract.id, role=SignatureRole.BORROWER, signature_png=blank.getvalue(),
                            face_verification_id=faces.grant(customer.id), face_checks=faces, lat=XIJIE[0], lng=XIJIE[1], now=NOW, kit=kit)
    assert exc.value.code == "BLANK_SIGNATURE"


async def test_a_tampered_stored_version_is_not_signed_on(demo, vault, kit, renderer):
    customer, line = await customer_with_line(vault, checked=False)
    contract = await rendered_contract(line, renderer, kit.media)
    doc = await Document.get(id=contract.unsigned_document_id)
    path = kit.media.path_for(doc.sha256)
    original = path.read_bytes()
    try:
        path.write_bytes(original.replace(b"/Type /Catalog", b"/Type /Catalog ", 1))
        with pytest.raises(Exception) as exc:
            await sign(contract, SignatureRole.BORROWER, kit, FaceChecks(), customer.id)
        assert getattr(exc.value, "code", None) == "ARCHIVE_DAMAGED"
    finally:
        path.write_bytes(original)
    assert await ContractSignature.all().count() == 0

"""Each member bank seals its contracts with its own certificate (issue 15); a bank without one uses the installation's."""

import re
import subprocess

import pytest

from app.domain.error_codes import ContractCode
from app.domain.errors import DomainError
from app.models import Contract, Document
from app.models.contract import ContractStatus, SignatureRole
from app.services.actor import SYSTEM
from app.services.contracts import seal_contract
from app.services.contracts.pki import issue_sandbox_seal
from app.services.org import set_bank_seal
from tests.factories import customer_with_line
from tests.factories.banks import YC_BRANCH, second_bank
from tests.services.contracts.helpers import NOW, FaceChecks, rendered_contract, sealed_contract, sign

pytestmark = pytest.mark.pdf


def _pdfsig_signers(pdf: bytes, tmp_path) -> list[str]:
    """The signers' certificate common names as poppler's pdfsig (an independent validator) reads them."""
    path = tmp_path / "sealed.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False).stdout
    return re.findall(r"Signer Certificate Common Name: (.+)", out)


async def _bank_b_line(vault):
    """A line of bank B (翼城, the shared factory) to its customer, on bank B's own product."""
    bank_b = await second_bank()
    _, line = await customer_with_line(vault, checked=False, branch_code=YC_BRANCH, card="6217000010009999")
    assert line.product_id == (await bank_b.product()).id
    return bank_b, line


async def _platform_admin():
    from app.models import Officer
    from app.services.auth.officers import actor_for

    return await actor_for(await Officer.get(username="platform_admin"))


async def test_bank_b_seals_with_its_own_certificate_and_bank_a_with_the_installations(demo, vault, kit, renderer, tmp_path):
    # given bank A with no seal of its own, and bank B with a sandbox seal (issued by the development CA)
    _, line_a = await customer_with_line(vault, checked=False, sequence=359)
    bank_b, line_b = await _bank_b_line(vault)
    cert, key = issue_sandbox_seal(kit.pki, directory=tmp_path / "yc", bank_name=bank_b.bank.name, now=NOW)
    await set_bank_seal(actor=await _platform_admin(), bank_id=bank_b.bank.id, seal_cert_path=str(cert), seal_key_path=str(key))
    faces = FaceChecks()
    # when one contract of each bank is signed and sealed
    sealed_b = await sealed_contract(line_b, renderer, kit, faces)
    sealed_a = await sealed_contract(line_a, renderer, kit, faces)
    # then an independent validator names bank B's seal on B's contract and the installation's seal on A's
    pdf_b = kit.media.get((await Document.get(id=sealed_b.sealed_document_id)).sha256)
    pdf_a = kit.media.get((await Document.get(id=sealed_a.sealed_document_id)).sha256)
    assert _pdfsig_signers(pdf_b, tmp_path) == ["王建国", "翼城农商行 合同专用章（沙箱）"]
    from cryptography.x509.oid import NameOID

    installation_seal = kit.pki.bank_cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert _pdfsig_signers(pdf_a, tmp_path) == ["王建国", installation_seal] and "翼城" not in installation_seal
    # and B's contract number and PDF are B's
    assert sealed_b.number.startswith("YC-YC010-") and sealed_a.number.startswith("SX-XF010-")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf_b, capture_output=True, check=True).stdout.decode()
    assert "山西翼城农村商业银行股份有限公司" in text and "段建民" in text


async def test_a_bank_seal_that_cannot_be_loaded_is_refused_and_nothing_is_sealed(demo, vault, kit, renderer, tmp_path):
    # given bank B's seal key does not belong to its certificate
    bank_b, line_b = await _bank_b_line(vault)
    cert, _ = issue_sandbox_seal(kit.pki, directory=tmp_path / "one", bank_name="翼城农商行", now=NOW)
    _, other_key = issue_sandbox_seal(kit.pki, directory=tmp_path / "two", bank_name="翼城农商行", now=NOW)
    await set_bank_seal(actor=await _platform_admin(), bank_id=bank_b.bank.id, seal_cert_path=str(cert), seal_key_path=str(other_key))
    faces = FaceChecks()
    contract = await rendered_contract(line_b, renderer, kit.media)
    await sign(contract, SignatureRole.BORROWER, kit, faces, contract.customer_id)
    documents = await Document.all().count()
    # when the bank seals
    with pytest.raises(DomainError) as refused:
        await seal_contract(actor=SYSTEM, contract_id=contract.id, now=NOW, kit=kit)
    # then a plain Chinese refusal, and the contract stays signed by the borrower only
    assert refused.value.code == ContractCode.SEAL_UNAVAILABLE and "翼城农商行的电子印章证书无法使用" in refused.value.message
    after = await Contract.get(id=contract.id)
    assert after.status == ContractStatus.BORROWER_SIGNED and after.sealed_document_id is None
    assert await Document.all().count() == documents
    # and once the key is right, sealing works (the broken pair was not cached as the bank's seal)
    _, right_key = cert, tmp_path / "one" / "seal.key"
    await set_bank_seal(actor=await _platform_admin(), bank_id=bank_b.bank.id, seal_cert_path=str(cert), seal_key_path=str(right_key))
    sealed = await seal_contract(actor=SYSTEM, contract_id=contract.id, now=NOW, kit=kit)
    assert sealed.status == ContractStatus.SEALED


async def test_sandbox_seals_come_only_from_the_development_ca(kit, tmp_path):
    import dataclasses

    from app.services.contracts.pki import PkiConfigurationError

    with pytest.raises(PkiConfigurationError, match="沙箱印章"):
        issue_sandbox_seal(dataclasses.replace(kit.pki, is_development=False), directory=tmp_path, bank_name="某行", now=NOW)

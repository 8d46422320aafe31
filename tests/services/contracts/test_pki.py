import asyncio
import stat

import pytest
from cryptography.hazmat.primitives import hashes

from app.config import Settings
from app.services.contracts import pdfsign
from app.services.contracts.pki import PkiConfigurationError, issue_signer_certificate, load_pki
from app.wiring import pki_config
from tests.services.contracts.helpers import NOW


def test_the_development_pki_is_made_once_and_kept(tmp_path):
    settings = Settings(var_dir=tmp_path, env="dev")
    first = load_pki(pki_config(settings), now=NOW)
    second = load_pki(pki_config(settings), now=NOW)
    assert first.ca_cert.fingerprint(hashes.SHA256()) == second.ca_cert.fingerprint(hashes.SHA256())
    assert first.is_development and first.seal_level == "B-T" and first.tsa_cert is not None
    assert first.bank_cert.issuer == first.ca_cert.subject and first.trust_roots == (first.ca_cert,)
    assert stat.S_IMODE((pki_config(settings).dev_dir / "bank.key").stat().st_mode) == 0o600
    key, cert = issue_signer_certificate(first, common_name="王建国", now=NOW)
    assert cert.issuer == first.ca_cert.subject and cert.not_valid_after_utc <= first.ca_cert.not_valid_after_utc


def test_production_refuses_to_invent_certificates(tmp_path):
    with pytest.raises(PkiConfigurationError):
        load_pki(pki_config(Settings(var_dir=tmp_path, env="prod")), now=NOW)
    assert not (tmp_path / "pki").exists()


@pytest.mark.pdf
async def test_configured_certificates_without_a_tsa_seal_at_b_b(tmp_path, renderer):
    # given certificates from settings (here: a dev PKI made elsewhere) in production, no TSA URL
    made = Settings(var_dir=tmp_path / "elsewhere", env="dev")
    load_pki(pki_config(made), now=NOW)
    d = pki_config(made).dev_dir
    prod = Settings(var_dir=tmp_path / "var", env="prod", signing_ca_cert=d / "ca.pem", signing_ca_key=d / "ca.key",
                    bank_seal_cert=d / "bank.pem", bank_seal_key=d / "bank.key")
    pki = load_pki(pki_config(prod), now=NOW)
    assert not pki.is_development and pki.tsa_cert is None and pki.seal_level == "B-B"
    assert pdfsign.local_timestamper(pki) is None
    # when a one-page PDF with a field is sealed
    rendered = await renderer.render('<html><body style="font-family: \'Noto Sans CJK SC\'">合同<div id="sig-bank" style="width:60mm;height:30mm"></div></body></html>')
    pdf = pdfsign.add_signature_fields(rendered.pdf, [pdfsign.FieldBox("bank", rendered.anchors["sig-bank"].page, rendered.anchors["sig-bank"].box)])
    from app.services.contracts import stamps

    sealed = await asyncio.to_thread(pdfsign.sign_field, pdf, field="bank", key=pki.bank_key, cert=pki.bank_cert, chain=pki.chain,
                                     reason="test", location="test", appearance=stamps.appearance_image(stamps.seal_image("测试银行"), ()))
    # then it validates without a time stamp
    (check,) = await asyncio.to_thread(pdfsign.validate_pdf, sealed, pki.trust_roots)
    assert check.ok and not check.timestamped
    # and not against someone else's roots
    (foreign,) = await asyncio.to_thread(pdfsign.validate_pdf, sealed, (load_pki(pki_config(Settings(var_dir=tmp_path / "other", env="dev")), now=NOW).ca_cert,))
    assert not foreign.ok and "证书不受信任" in foreign.message

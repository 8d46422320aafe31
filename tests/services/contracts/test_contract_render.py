import subprocess

import pytest
from weasyprint.urls import FatalURLFetchingError

from app.domain.errors import Conflict, NotFound, ValidationError
from app.models import AuditEvent, Contract, Document
from app.models.contract import ContractStatus
from app.domain.vocabulary import CreditLineStatus, DocumentKind
from app.services.actor import SYSTEM
from app.services.contracts import create_contract, render_contract
from app.services.contracts.document import ASSET_BASE_URL, contract_html, yuan_in_words
from app.services.contracts.pdfsign import field_names
from tests.factories import customer_with_line, officer
from tests.services.contracts.helpers import NOW, TODAY, rendered_contract, spouse_of
from workers.engines.pdf import AssetFetcher


def _text(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return done.stdout.decode()


@pytest.mark.pdf
async def test_renders_the_contract_with_terms_schedule_and_every_signature_field(demo, vault, kit, renderer):
    # given a granted line of 100,000 yuan on 便利贷 (LPR 1y 3.00% + 150 bp) and a spouse as co-borrower
    customer, line = await customer_with_line(vault, checked=False)
    spouse = await spouse_of(vault, customer)
    # when the contract is created and rendered
    contract = await rendered_contract(line, renderer, kit.media, co_borrower_id=spouse.id)
    # then the unsigned PDF is stored content-addressed and carries the terms in Chinese
    assert contract.status == ContractStatus.RENDERED and contract.error is None
    doc = await Document.get(id=contract.unsigned_document_id)
    assert doc.kind == DocumentKind.CONTRACT and doc.customer_id == customer.id and doc.content_type == "application/pdf"
    pdf = kit.media.get(doc.sha256)
    text = _text(pdf)
    for expected in ("个人授信合同", contract.number, "山西襄汾农村商业银行股份有限公司", "襄汾农商行新城支行", "山西省临汾市襄汾县新城镇", "王建国", customer.id_number_masked, "李秀英",
                     "100,000.00", "壹拾万元整", "2026年1月1日", "2028年12月31日", "便利贷", "等额本息", "3.00%", "150 个基点", "4.50%",
                     "2026-12-27", "2027-11-27", "共同借款人（签名）", "贷款人（盖章）"):
        assert expected in text, expected
    assert idcard_whole(customer) not in text  # never the whole ID number
    # and all three signature fields exist, none signed yet
    assert field_names(pdf) == {"borrower": False, "co_borrower": False, "bank": False}
    assert await AuditEvent.filter(action="contract.render", entity_id=str(contract.id)).count() == 1


def idcard_whole(customer):
    from app.crypto import Vault
    from app.config import get_settings

    return Vault(get_settings().secret()).decrypt(customer.id_number_enc, context=b"id_number")


@pytest.mark.pdf
async def test_without_a_co_borrower_there_is_no_co_borrower_field_and_rendering_is_idempotent(demo, vault, kit, renderer):
    _, line = await customer_with_line(vault, checked=False)
    contract = await rendered_contract(line, renderer, kit.media)
    again = await render_contract(contract_id=contract.id, media=kit.media, renderer=renderer, now=NOW, actor=SYSTEM)
    assert again.unsigned_document_id == contract.unsigned_document_id
    pdf = kit.media.get((await Document.get(id=contract.unsigned_document_id)).sha256)
    assert field_names(pdf) == {"borrower": False, "bank": False}
    assert "共同借款人" not in _text(pdf)
    assert await Document.filter(kind=DocumentKind.CONTRACT).count() == 1


async def test_the_contract_number_starts_with_the_granting_banks_prefix(demo, vault):
    # given the demo bank's contract prefix changed (a bank's own prefix, not the old hard-coded SX)
    from app.models import Bank, Branch

    bank_id = (await Branch.get(code="XF010")).bank_id
    await Bank.filter(id=bank_id).update(contract_prefix="XFNS")
    _, line = await customer_with_line(vault, checked=False)
    # when a contract is created
    contract = await create_contract(actor=SYSTEM, credit_line_id=line.id, today=TODAY)
    # then its number carries that prefix, the branch and the date
    assert contract.number.startswith(f"XFNS-XF010-{TODAY:%Y%m%d}-")


class _Broken:
    async def render(self, html):
        raise OSError("pango exploded")


async def test_a_failed_render_is_recorded_on_the_contract_and_nothing_is_stored(demo, vault, kit):
    _, line = await customer_with_line(vault, checked=False)
    contract = await create_contract(actor=SYSTEM, credit_line_id=line.id, today=TODAY)
    result = await render_contract(contract_id=contract.id, media=kit.media, renderer=_Broken(), now=NOW, actor=SYSTEM)
    assert result.status == ContractStatus.DRAFT
    assert result.error == "合同生成失败（OSError）"
    assert result.unsigned_document_id is None
    assert await Document.filter(kind=DocumentKind.CONTRACT).count() == 0


async def test_the_html_links_only_to_its_own_assets(demo, vault):
    _, line = await customer_with_line(vault, checked=False)
    contract = await create_contract(actor=SYSTEM, credit_line_id=line.id, today=TODAY)
    html = await contract_html(contract)
    assert f'href="{ASSET_BASE_URL}contract.css"' in html
    assert "file:" not in html and "http://" not in html


def test_the_fetcher_serves_the_stylesheet_and_refuses_files_network_and_traversal():
    fetcher = AssetFetcher()
    css = fetcher(ASSET_BASE_URL + "contract.css")
    assert b"Noto Sans CJK SC" in css.read() and css.content_type == "text/css"
    for url in ("file:///etc/passwd", "http://example.com/x.css", "https://assets.cunxin.invalid/other/x.css",
                ASSET_BASE_URL + "../pki.py", ASSET_BASE_URL + "%2e%2e/document.py", ASSET_BASE_URL + "missing.css", "data:text/css,body{}"):
        with pytest.raises(FatalURLFetchingError):
            fetcher(url)


@pytest.mark.pdf
def test_a_template_pointing_outside_stops_the_render(renderer):
    from weasyprint.urls import FatalURLFetchingError as Fatal

    with pytest.raises(Fatal):
        renderer.render_sync('<html><head><link rel="stylesheet" href="file:///etc/hostname"></head><body>x</body></html>')


async def test_contract_creation_refusals(demo, vault):
    customer, line = await customer_with_line(vault, checked=False)
    other_branch = await officer("officer2")
    from app.services.auth.officers import branch_scope
    from app.services.actor import Actor
    from app.domain.vocabulary import ActorType

    outsider = Actor(type=ActorType.OFFICER, id=other_branch.id, role=other_branch.role, branch_ids=await branch_scope(other_branch.branch_id), bank_id=other_branch.branch.bank_id)
    with pytest.raises(NotFound) as exc:
        await create_contract(actor=outsider, credit_line_id=line.id, today=TODAY)
    assert exc.value.field == "credit_line_id"
    with pytest.raises(ValidationError) as exc:
        await create_contract(actor=SYSTEM, credit_line_id=line.id, co_borrower_id=customer.id, today=TODAY)
    assert exc.value.code == "INVALID_CO_BORROWER"
    first = await create_contract(actor=SYSTEM, credit_line_id=line.id, today=TODAY)
    assert (await create_contract(actor=SYSTEM, credit_line_id=line.id, today=TODAY)).id == first.id  # resumes
    spouse = await spouse_of(vault, customer)
    with pytest.raises(Conflict) as exc:
        await create_contract(actor=SYSTEM, credit_line_id=line.id, co_borrower_id=spouse.id, today=TODAY)
    assert exc.value.code == "CONTRACT_EXISTS"
    assert await Contract.all().count() == 1
    assert first.annual_rate_ppm == 45_000 and first.lpr_ppm == 30_000


async def test_a_frozen_line_gets_no_contract(demo, vault):
    from app.models import CreditLine

    _, line = await customer_with_line(vault, checked=False)
    await CreditLine.filter(id=line.id).update(status=CreditLineStatus.FROZEN)
    with pytest.raises(ValidationError) as exc:
        await create_contract(actor=SYSTEM, credit_line_id=line.id, today=TODAY)
    assert exc.value.code == "LINE_NOT_ACTIVE"
    assert await Contract.all().count() == 0


def test_amounts_in_chinese_capitals():
    assert yuan_in_words(10_000_000) == "壹拾万元整"
    assert yuan_in_words(12_340_050) == "壹拾贰万叁仟肆佰元伍角整"
    assert yuan_in_words(10_001_000) == "壹拾万零壹拾元整"
    assert yuan_in_words(1_005) == "壹拾元零伍分"
    assert yuan_in_words(0) == "零元整"


@pytest.mark.postgres
async def test_two_simultaneous_creations_give_one_contract(demo, vault):
    import asyncio

    _, line = await customer_with_line(vault, checked=False)
    results = await asyncio.gather(*(create_contract(actor=SYSTEM, credit_line_id=line.id, today=TODAY) for _ in range(3)))
    assert len({c.id for c in results}) == 1 and await Contract.all().count() == 1


async def test_a_revolving_only_line_shows_an_interest_first_example(demo, vault):
    from app.models import CreditLine
    from app.services.contracts.document import contract_context

    _, line = await customer_with_line(vault, checked=False)
    await CreditLine.filter(id=line.id).update(allowed_methods=["revolving"])
    contract = await create_contract(actor=SYSTEM, credit_line_id=line.id, today=TODAY)
    context = await contract_context(contract)
    assert context["methods"] == ["随借随还"] and context["example"]["method"] == "先息后本"
    rows = context["example"]["schedule"].installments
    assert len(rows) == 12 and rows[-1].principal_fen == 10_000_000 and rows[0].interest_fen == 37_500

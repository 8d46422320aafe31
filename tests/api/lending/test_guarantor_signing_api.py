"""A 联保 guarantor's signatures through GraphQL (issue 17), the PAD's two loan-page forms as mutations on the same
services: the written consent to an extension (guarantorConsentSign: 保证人同意展期书) and the guarantee contract for
the new loan of a renewal (guaranteeRenewalSign: 借新还旧保证合同). Each is a PDF signed with a one-time certificate in
the guarantor's name and sealed by the member bank, in the guarantor's e-archive; a repeat returns the first; bad input
is a typed error in Chinese and signs nothing; a borrower is refused at the door and another branch's officer finds
no loan (NOT_FOUND, as on the PAD)."""

import base64
import uuid
from datetime import UTC, datetime

from app.integrations.core_banking import SandboxCoreBanking
from app.models import AuditEvent, Document, GuaranteeMember, GuaranteeRenewal, GuarantorConsent
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.guarantees import form_group
from app.services.lending.drawdown import draw_down
from tests.api.lending.test_classification_api import _run, _token
from tests.factories import customer_with_line
from tests.factories.borrower import sign_in
from tests.factories.guarantees import households, in_household, members, signing_kit
from tests.factories.risk import actor
from tests.services.lending.conftest import TODAY

SIGNED = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
CONSENT = """mutation($input: GuarantorConsentSignInput!) { guarantorConsentSign(input: $input) {
  consent { id guaranteeId guarantorName months signedAt documentId sha256 } errors { code field message } } }"""
RENEWAL = """mutation($input: GuaranteeRenewalSignInput!) { guaranteeRenewalSign(input: $input) {
  contract { id guaranteeId guarantorName contractNo termMonths principal signedAt documentId sha256 } errors { code field message } } }"""
SIGNED_SO_FAR = """query($loan: ID!) { node(id: $loan) { ... on Loan {
  extensionConsents { guarantee { guarantorName } consent { months documentId } }
  renewalGuarantees { guarantee { guarantorName } contract { termMonths contractNo } } } } }"""
PROPOSE = """mutation($input: LoanExtendProposeInput!) { loanExtendPropose(input: $input) { command { status } errors { code field message } } }"""


def gid(kind: str, value) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


async def _guaranteed_loan(vault):
    """王建国's six-month loan of 6,000.00; he and four other households of 西街村 form a 联保 group."""
    await business_date.set_current(TODAY)
    borrower, line = await customer_with_line(vault)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=600_000, term_months=6, method="equal_principal",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    await in_household(borrower, "900")
    others = await households(vault, 4)
    await form_group(actor=await actor("officer1"), name="西街村联保小组", members=members([borrower, *others]), on=TODAY, now=SIGNED,
                     kit=signing_kit())
    guarantors = [await GuaranteeMember.get(customer_id=c.id) for c in others]
    own = await GuaranteeMember.get(customer_id=borrower.id)
    return loan, guarantors, own


async def test_a_guarantors_consent_to_an_extension_through_graphql(client, app, demo, vault):
    loan, guarantors, own = await _guaranteed_loan(vault)
    officer = await _token("officer1")

    def consent(member, months=2, loan_id=None):
        return {"input": {"loanId": loan_id or gid("Loan", loan.id), "guaranteeId": gid("Guarantee", member.id), "months": months}}

    # bad input: a term out of range, the borrower's own membership, an id of nothing: typed errors, nothing signed
    term = (await _run(client, CONSENT, consent(guarantors[0], months=0), officer))["guarantorConsentSign"]
    assert term == {"consent": None, "errors": [{"code": "INVALID_TERM", "field": "months", "message": "同意展期期限应为 1 到 36 个月"}]}
    mine = (await _run(client, CONSENT, consent(own), officer))["guarantorConsentSign"]
    assert mine == {"consent": None, "errors": [{"code": "INVALID", "field": "guaranteeId", "message": "该保证人不为这笔借据提供保证"}]}
    nothing = (await _run(client, CONSENT, {"input": {"loanId": "x", "guaranteeId": "y", "months": 2}}, officer))["guarantorConsentSign"]
    assert [(e["code"], e["field"]) for e in nothing["errors"]] == [("NOT_FOUND", "loanId")]
    # another branch's officer finds no loan
    hidden = (await _run(client, CONSENT, consent(guarantors[0]), await _token("officer2")))["guarantorConsentSign"]
    assert hidden == {"consent": None, "errors": [{"code": "NOT_FOUND", "field": "loanId", "message": "借据不存在"}]}
    assert await GuarantorConsent.all().count() == 0
    # the loan shows each guarantor and whether they have consented (none yet)
    before = (await _run(client, SIGNED_SO_FAR, {"loan": gid("Loan", loan.id)}, officer))["node"]["extensionConsents"]
    assert before == [{"guarantee": {"guarantorName": f"联保户{i}"}, "consent": None} for i in range(1, 5)]
    # when the first guarantor consents to two months
    made = (await _run(client, CONSENT, consent(guarantors[0]), officer))["guarantorConsentSign"]
    # then the consent is a signed PDF in the guarantor's archive
    assert made["errors"] == [] and made["consent"]["months"] == 2 and made["consent"]["guarantorName"] == "联保户1"
    assert made["consent"]["guaranteeId"] == gid("Guarantee", guarantors[0].id)
    doc = await Document.get(id=made["consent"]["documentId"])
    assert doc.sha256 == made["consent"]["sha256"] and doc.customer_id == guarantors[0].customer_id and "保证人同意展期书" in doc.title
    assert await AuditEvent.filter(action="loan.extension_consent", entity_id=str(loan.id)).count() == 1
    # a second tap returns the same consent
    again = (await _run(client, CONSENT, consent(guarantors[0]), officer))["guarantorConsentSign"]
    assert again["consent"]["id"] == made["consent"]["id"] and await GuarantorConsent.all().count() == 1
    after = (await _run(client, SIGNED_SO_FAR, {"loan": gid("Loan", loan.id)}, officer))["node"]["extensionConsents"]
    assert [(c["guarantee"]["guarantorName"], c["consent"]) for c in after] == [
        ("联保户1", {"months": 2, "documentId": made["consent"]["documentId"]}), ("联保户2", None), ("联保户3", None), ("联保户4", None)]
    # the extension is still refused naming those who have not consented; once all have, it is proposed
    propose = {"input": {"loanId": gid("Loan", loan.id), "months": 2, "reason": "借款人申请"}}
    refused = (await _run(client, PROPOSE, propose, officer))["loanExtendPropose"]
    assert refused["errors"][0]["message"].startswith("保证人联保户2、联保户3、联保户4尚未书面同意本次展期（2 个月）")
    for member in guarantors[1:]:
        assert (await _run(client, CONSENT, consent(member), officer))["guarantorConsentSign"]["errors"] == []
    assert (await _run(client, PROPOSE, propose, officer))["loanExtendPropose"] == {"command": {"status": "PENDING"}, "errors": []}


async def test_a_guarantors_contract_for_a_renewal_through_graphql(client, app, demo, vault):
    loan, guarantors, own = await _guaranteed_loan(vault)
    officer = await _token("officer1")

    def contract(member, term=12):
        return {"input": {"loanId": gid("Loan", loan.id), "guaranteeId": gid("Guarantee", member.id), "termMonths": term}}

    term = (await _run(client, RENEWAL, contract(guarantors[0], term=61), officer))["guaranteeRenewalSign"]
    assert term == {"contract": None, "errors": [{"code": "INVALID_TERM", "field": "termMonths", "message": "续贷期限应为 1 到 60 个月"}]}
    mine = (await _run(client, RENEWAL, contract(own), officer))["guaranteeRenewalSign"]
    assert mine == {"contract": None, "errors": [{"code": "INVALID", "field": "guaranteeId", "message": "该保证人不为这笔借据提供保证"}]}
    hidden = (await _run(client, RENEWAL, contract(guarantors[0]), await _token("officer2")))["guaranteeRenewalSign"]
    assert hidden == {"contract": None, "errors": [{"code": "NOT_FOUND", "field": "loanId", "message": "借据不存在"}]}
    assert await GuaranteeRenewal.all().count() == 0
    made = (await _run(client, RENEWAL, contract(guarantors[0]), officer))["guaranteeRenewalSign"]
    signed = made["contract"]
    assert made["errors"] == [] and (signed["guarantorName"], signed["termMonths"], signed["principal"]) == ("联保户1", 12, "6000.00")
    assert signed["contractNo"].startswith("XD") and signed["guaranteeId"] == gid("Guarantee", guarantors[0].id)
    doc = await Document.get(id=signed["documentId"])
    assert doc.sha256 == signed["sha256"] and doc.customer_id == guarantors[0].customer_id and signed["contractNo"] in doc.title
    assert await AuditEvent.filter(action="loan.renewal_guarantee", entity_id=str(loan.id)).count() == 1
    again = (await _run(client, RENEWAL, contract(guarantors[0]), officer))["guaranteeRenewalSign"]
    assert again["contract"]["id"] == signed["id"] and await GuaranteeRenewal.all().count() == 1
    so_far = (await _run(client, SIGNED_SO_FAR, {"loan": gid("Loan", loan.id)}, officer))["node"]["renewalGuarantees"]
    assert [(c["guarantee"]["guarantorName"], c["contract"]) for c in so_far] == [
        ("联保户1", {"termMonths": 12, "contractNo": signed["contractNo"]}), ("联保户2", None), ("联保户3", None), ("联保户4", None)]


async def test_a_borrower_signs_nothing_for_a_guarantor(client, app, demo, vault):
    loan, guarantors, _ = await _guaranteed_loan(vault)
    token = (await sign_in(client, app))["accessToken"]
    headers = {"Authorization": f"Bearer {token}"}
    ids = {"loanId": gid("Loan", loan.id), "guaranteeId": gid("Guarantee", guarantors[0].id)}
    for query, extra in ((CONSENT, {"months": 2}), (RENEWAL, {"termMonths": 12})):
        body = (await client.post("/graphql", json={"query": query, "variables": {"input": {**ids, **extra}}}, headers=headers)).json()
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await GuarantorConsent.all().count() == 0 and await GuaranteeRenewal.all().count() == 0
    # the borrower reads no guarantor's signatures (other people's records); another branch does not see the loan
    body = (await client.post("/graphql", json={"query": SIGNED_SO_FAR, "variables": {"loan": ids["loanId"]}}, headers=headers)).json()
    assert body["data"]["node"] == {"extensionConsents": [], "renewalGuarantees": []}
    assert (await _run(client, SIGNED_SO_FAR, {"loan": ids["loanId"]}, await _token("officer2")))["node"] is None

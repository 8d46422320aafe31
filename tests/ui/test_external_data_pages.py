"""外部数据授权与查询 on the customer page (issue 20): the officer sees the customer's consents, records one the customer
signs on the PAD (filed in the e-archive like the app's), and queries a consented source — the result and its date shown,
every query recorded and audited by the service; no consent, an expired one and a silent source refused in Chinese."""

import base64
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from app import clock
from app.domain.external_data import ExternalSource
from app.domain.vocabulary import DocumentKind
from app.models import AuditEvent, Document, ExternalDataConsent, ExternalDataQuery
from app.services import external_data
from tests.factories import csrf_token, login
from tests.factories.risk import actor, make_customer
from tests.services.contracts.helpers import signature_png

HX = {"HX-Request": "true"}
TIMEOUT = 831


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


async def _sign(client, customer, token, **fields):
    data = {"csrf_token": token, "source": "housing_fund", "purposes": ["application"], "valid_days": "365", "signature_png": _data_url(signature_png()),
            "lat": "35.87700", "lng": "111.44250", **fields}
    return await client.post(f"/customers/{customer.id}/external/consent", data=data, headers=HX)


async def _query(client, customer, token, source="housing_fund", purpose="application"):
    return await client.post(f"/customers/{customer.id}/external/query", data={"csrf_token": token, "source": source, "purpose": purpose}, headers=HX)


async def test_consent_signed_on_the_pad_then_a_query_shows_the_result_and_its_date(client, demo, vault):
    customer = await make_customer(vault, sequence=101)
    await login(client, "officer1")
    page = await client.get(f"/customers/{customer.id}")
    assert page.status_code == 200 and 'id="customer-external"' in page.text and "外部数据授权与查询" in page.text
    assert 'id="external-no-consents"' in page.text and not re.search(r"\d{17}[\dX]", page.text)
    token = await csrf_token(client)

    # no consent: refused in Chinese, the source not asked, the refusal audited
    refused = await _query(client, customer, token)
    assert refused.status_code == 422 and "<html" not in refused.text, refused.text[:3000]
    assert "客户没有有效的公积金数据查询授权（用途：授信申请），不能查询" in refused.text
    assert await ExternalDataQuery.all().count() == 0 and await AuditEvent.filter(action="external_query.refused").count() == 1

    # a consent without a signature is refused in place and nothing is filed
    unsigned = await _sign(client, customer, token, signature_png="")
    assert unsigned.status_code == 422 and 'id="external-consent-signature-error"' in unsigned.text and "缺少手写签名图片" in unsigned.text
    assert await ExternalDataConsent.all().count() == 0

    # the customer signs on the PAD: the signed sheet in the e-archive, the consent with the officer, audited as from the PAD
    signed = await _sign(client, customer, token)
    assert signed.status_code == 200 and 'id="external-notice"' in signed.text
    consent = await ExternalDataConsent.get(customer_id=customer.id)
    officer = await actor("officer1")
    assert (consent.source, consent.purposes, consent.officer_id) == (ExternalSource.HOUSING_FUND, ["application"], officer.id)
    assert (consent.expires_at - consent.signed_at) == timedelta(days=365)
    sheet = await Document.get(id=consent.document_id)
    assert (sheet.kind, sheet.content_type, sheet.customer_id) == (DocumentKind.AUTHORISATION, "image/png", customer.id)
    event = await AuditEvent.get(action="external_consent.record", entity_id=str(consent.id))
    assert event.after["channel"] == "pad" and event.after["documentId"] == str(sheet.id)
    row = re.search(rf'id="consent-{consent.id}-row">(.*?)</tr>', signed.text, re.S).group(1)
    assert "公积金" in row and "授信申请" in row and "客户经理 PAD 现场签署" in row and "有效" in row

    # now the query runs: recorded in the officer's name, its summary and date shown
    answered = await _query(client, customer, token)
    assert answered.status_code == 200 and 'id="external-result"' in answered.text
    query = await ExternalDataQuery.get(customer_id=customer.id)
    assert (query.status, query.officer_id, query.purpose, query.consent_id) == ("ok", officer.id, "application", consent.id)
    shown = re.search(r'id="external-result-date">([^<]+)<', answered.text).group(1)
    assert shown == query.requested_at.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert f"缴存单位 {query.facts['employer']}" in answered.text and "已返回数据" in answered.text
    assert await AuditEvent.filter(action="external_query.finish", entity_id=str(query.id)).exists()
    assert await AuditEvent.filter(action="customer.id_number_use", entity_id=str(customer.id)).exists()
    assert not re.search(r"\d{17}[\dX]", answered.text)
    # a purpose the consent does not name is refused
    monitoring = await _query(client, customer, token, purpose="post_loan")
    assert monitoring.status_code == 422 and "（用途：贷后监测），不能查询" in monitoring.text


async def test_an_expired_consent_and_a_silent_source_are_refused_in_chinese(client, demo, vault):
    officer = await actor("officer1")
    lapsed, silent = await make_customer(vault, sequence=102), await make_customer(vault, sequence=TIMEOUT, name="李秀英")
    now = clock.now_utc()
    await external_data.record_consent(actor=officer, customer_id=lapsed.id, source="grain_subsidy", purposes=["application"],
                                       signed_at=now - timedelta(days=400), expires_at=now - timedelta(days=35))
    await external_data.record_consent(actor=officer, customer_id=silent.id, source="grain_subsidy", purposes=["application"],
                                       signed_at=now - timedelta(days=1), expires_at=now + timedelta(days=30))
    await login(client, "officer1")
    token = await csrf_token(client)

    page = await client.get(f"/customers/{lapsed.id}")
    assert "已过期" in re.search(r'id="external-consents">(.*?)</table>', page.text, re.S).group(1)
    expired = await _query(client, lapsed, token, source="grain_subsidy")
    assert expired.status_code == 422 and re.search(r"客户的粮补数据查询授权（用途：授信申请）已于 \d{4}-\d{2}-\d{2} 到期，请客户重新签署授权后再查询", expired.text)
    assert await ExternalDataQuery.filter(customer_id=lapsed.id).count() == 0

    timed_out = await _query(client, silent, token, source="grain_subsidy")
    assert timed_out.status_code == 200 and 'id="external-refusal"' in timed_out.text
    assert "粮补查询超时，未取得数据（本次查询已记录）" in timed_out.text and "查询超时" in re.search(r'id="external-result">(.*?)</dl>', timed_out.text, re.S).group(1)
    query = await ExternalDataQuery.get(customer_id=silent.id)
    assert query.status == "timeout" and query.facts is None  # recorded, never a pass
    latest = re.search(r'id="external-latest-grain_subsidy-row">(.*?)</tr>', timed_out.text, re.S).group(1)
    assert "查询超时" in latest


async def test_an_auditor_sees_no_external_section_and_cannot_post(client, demo, vault):
    customer = await make_customer(vault, sequence=101)
    await external_data.record_consent(actor=await actor("officer1"), customer_id=customer.id, source="housing_fund", purposes=["application"],
                                       signed_at=clock.now_utc() - timedelta(days=1), expires_at=clock.now_utc() + timedelta(days=30))
    assert (await login(client, "auditor")).status_code == 303
    page = await client.get(f"/customers/{customer.id}")
    assert page.status_code == 200 and 'id="customer-external"' not in page.text
    token = await csrf_token(client)
    refused = await _query(client, customer, token)
    assert refused.status_code == 403 and await ExternalDataQuery.all().count() == 0

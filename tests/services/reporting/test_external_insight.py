"""External facts in customer tags (用户画像) and the shared-employer link of the relationship graph (issue 20)."""

from datetime import date, timedelta

from app.domain.external_data import ExternalSource
from app.domain.external_import import KINDS
from app.domain.tags import Tag
from app.domain.vocabulary import RelationshipKind
from app.integrations.external_data import sandbox_sources
from app.models import CustomerTag, ExternalDataQuery
from app.services import external_data
from app.services.actor import SYSTEM
from app.services.external_data import ExternalDataPolicy
from app.services.external_data.imports import import_external
from app.services.insight import refresh_customer_tags, relationship_graph
from tests.factories.risk import NOW, actor, id_number, make_customer

S = ExternalSource
ON = date(2026, 11, 28)  # the tags refresh for the day after the answers
EXTERNAL_TAGS = {Tag.HOUSING_FUND_STEADY, Tag.SOCIAL_INSURED, Tag.TAX_ARREARS, Tag.ELECTRICITY_ARREARS, Tag.POLICY_HOLDER, Tag.LARGE_GROWER}


async def _consent(customer, by, source, purposes=("application", "post_loan")):
    return await external_data.record_consent(actor=by, customer_id=customer.id, source=source, purposes=purposes,
                                              signed_at=NOW - timedelta(days=1), expires_at=NOW + timedelta(days=365))


async def _ask(customer, by, source, vault):
    return await external_data.query_external(actor=by, customer_id=customer.id, source=source, purpose="application",
                                              sources=sandbox_sources(clock=lambda: NOW), vault=vault, policy=ExternalDataPolicy(), now=NOW)


async def _tags(customer) -> set[Tag]:
    return {Tag(t) for t in await CustomerTag.filter(customer_id=customer.id).values_list("tag", flat=True)} & EXTERNAL_TAGS


def _file(tmp_path, source, rows, name):
    path = tmp_path / name
    path.write_text("\n".join([",".join(KINDS[source].headers), *(",".join(r) for r in rows)]) + "\n", encoding="utf-8")
    return path


async def _import(path, source, vault, now=NOW + timedelta(hours=1)):
    result = await import_external(actor=SYSTEM, vault=vault, source=source, bank_code="14102301", path=path, confirm=True, max_bytes=1 << 20, now=now)
    assert result.committed, [str(e) for e in result.errors]


async def test_tags_carry_the_external_facts_of_consented_answers(demo, vault, tmp_path):
    officer = await actor()
    rich, trouble = await make_customer(vault, sequence=101), await make_customer(vault, sequence=801, name="李秀英")
    for customer in (rich, trouble):
        for source in (S.HOUSING_FUND, S.SOCIAL_INSURANCE, S.TAX, S.STATE_GRID):
            await _consent(customer, officer, source)
            await _ask(customer, officer, source, vault)

    await refresh_customer_tags(on=ON)

    assert await _tags(rich) == {Tag.HOUSING_FUND_STEADY, Tag.SOCIAL_INSURED}
    assert await _tags(trouble) == {Tag.TAX_ARREARS, Tag.ELECTRICITY_ARREARS}  # 公积金 in arrears, 养老 暂停缴费

    # a revoked consent takes its source's facts out of the profile
    tax = await trouble.external_consents.filter(source=S.TAX).first()
    await external_data.revoke_consent(actor=officer, consent_id=tax.id, now=NOW + timedelta(hours=2))
    # the 粮补 area and a policy in force from the bank's files
    await _consent(rich, officer, S.GRAIN_SUBSIDY)
    await _consent(rich, officer, S.INSURANCE)
    await _import(_file(tmp_path, S.GRAIN_SUBSIDY, [[id_number(101), "王建国", "2026", "耕地地力保护补贴", "60", "6390"]], "grain.csv"), S.GRAIN_SUBSIDY, vault)
    await _import(_file(tmp_path, S.INSURANCE, [[id_number(101), "王建国", "中国人寿", "国寿福终身寿险", "5000", "21000", "有效"]], "ins.csv"), S.INSURANCE, vault)

    report = await refresh_customer_tags(on=ON)

    assert await _tags(trouble) == {Tag.ELECTRICITY_ARREARS}
    assert await _tags(rich) == {Tag.HOUSING_FUND_STEADY, Tag.SOCIAL_INSURED, Tag.LARGE_GROWER, Tag.POLICY_HOLDER}
    assert (report.added, report.removed) == (2, 1)


async def test_the_graph_links_customers_of_one_employer(demo, vault, tmp_path):
    officer = await actor()
    a, b, c = (await make_customer(vault, sequence=101), await make_customer(vault, sequence=102, name="李秀英"),
               await make_customer(vault, sequence=103, name="张伟"))
    for customer in (a, b, c):
        await _consent(customer, officer, S.HOUSING_FUND)
    row = ["6000", "1440", "36", "2026-10", "0", "0"]
    await _import(_file(tmp_path, S.HOUSING_FUND, [[id_number(101), "王建国", "襄汾县供电公司", *row], [id_number(102), "李秀英", "襄汾县供电公司", *row],
                                                   [id_number(103), "张伟", "襄汾县第一中学", *row]], "gjj.csv"), S.HOUSING_FUND, vault)

    graph = await relationship_graph(actor=officer, customer_id=a.id, hops=2)

    assert {n.customer_id for n in graph.nodes} == {a.id, b.id}
    assert [(e.kind, e.label, {e.source, e.target}) for e in graph.edges] == [(RelationshipKind.SHARED_EMPLOYER, "同一公积金缴存单位", {a.id, b.id})]

    # the latest answer counts: B changed employer, so the link is gone; a queried answer keeps its employer too
    await _import(_file(tmp_path, S.HOUSING_FUND, [[id_number(102), "李秀英", "襄汾县第一中学", *row]], "gjj2.csv"), S.HOUSING_FUND, vault,
                  now=NOW + timedelta(hours=3))
    assert {n.customer_id for n in (await relationship_graph(actor=officer, customer_id=b.id, hops=1)).nodes} == {b.id, c.id}
    assert (await relationship_graph(actor=officer, customer_id=a.id, hops=2)).edges == []
    asked = await _ask(c, officer, S.HOUSING_FUND, vault)  # reused: the imported answer is fresh
    assert asked.reused and (await ExternalDataQuery.get(id=asked.query_id)).employer == "襄汾县第一中学"

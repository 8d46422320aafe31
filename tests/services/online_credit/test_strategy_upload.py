"""An online product's strategy uploaded by a bank admin like the visit strategy: the same service, maker-checker,
Chinese errors for a bad file, one active version per product and bank, the next application decided on it."""

from __future__ import annotations

import pytest

from app.domain.errors import DomainError
from app.domain.external_data import CreditApplicationStatus, ExternalSource
from app.domain.maker_checker import CommandStatus, MakerCheckerPolicy
from app.domain.vocabulary import RuleSetKind
from app.models import PendingCommand, RiskStrategyDecision, RuleSetVersion
from app.services import business_date
from app.services.maker_checker.commands import approve, command_view
from app.services.risk.rulesets import online_strategies, propose_ruleset_activate, propose_ruleset_upload, propose_use_platform_default
from tests.factories.risk import NOW, TODAY, actor
from tests.services.online_credit.test_apply import _apply, _borrower, _consent, media  # noqa: F401 (fixture)

POLICY = MakerCheckerPolicy()
STRICT_GJJ = """# 本行公积金贷策略
version: xf-gjj-2027.1
description: 本行公积金贷策略（缴存满 24 个月，月缴存额 10 倍）
product: GJJ
source: housing_fund
admission: {min_months_paid: 24, max_arrears_months: 0}
limit: {contribution_multiple: 10, round_down_fen: 100000}
"""


async def _upload(text: str, by: str = "admin"):
    return await propose_ruleset_upload(actor=await actor(by), yaml_text=text, kind=RuleSetKind.ONLINE, today=TODAY, now=NOW, policy=POLICY)


async def test_a_bank_admins_online_strategy_waits_for_a_checker_then_decides_the_next_application(demo, vault, media):  # noqa: F811
    await business_date.set_current(TODAY)
    admin = await actor("admin")
    command = await _upload(STRICT_GJJ)
    assert isinstance(command, PendingCommand) and command.status == CommandStatus.PENDING
    assert (await online_strategies(admin.bank_id))["GJJ"][0].version == "gjj-2026.1"  # nothing took effect yet
    view = await command_view(actor=await actor("hq_approver"), command_id=command.id, today=TODAY, now=NOW)
    figures = {f.label: (f.before, f.after) for f in view.seen.figures}
    assert figures["生效版本"] == ("gjj-2026.1（出厂默认）", "xf-gjj-2027.1（本行）")
    assert any("admission.min_months_paid=24" in n for n in view.seen.notes) and any("产品 GJJ" in n for n in view.seen.notes)

    done = await approve(actor=await actor("hq_approver"), command_id=command.id, today=TODAY, now=NOW)
    assert done.status == CommandStatus.APPROVED
    row = await RuleSetVersion.get(bank_id=admin.bank_id, version="xf-gjj-2027.1")
    assert row.kind == RuleSetKind.ONLINE and row.product_code == "GJJ" and row.is_active
    current = await online_strategies(admin.bank_id)
    assert current["GJJ"][0].version == "xf-gjj-2027.1" and current["BAODAN"][0].version == "baodan-2026.1"  # per product

    # the next application for GJJ is decided on it, and says so
    _, borrower, bank, products = await _borrower(vault)
    assert products["GJJ"].strategy.version == "xf-gjj-2027.1"
    await _consent(borrower, bank, media, ExternalSource.HOUSING_FUND)
    app = await _apply(borrower, bank, media, vault, "GJJ")
    assert app.strategy_version == "xf-gjj-2027.1"
    decision = await RiskStrategyDecision.get(id=app.strategy_decision_id)
    assert decision.ruleset_version == "xf-gjj-2027.1"
    if app.status == CreditApplicationStatus.OFFERED:
        assert "housing_fund_multiple" in app.decision["strategy"]["limit"]["terms"]
        assert app.decision["strategy"]["limit"]["terms"]["housing_fund_multiple"] % 10 == 0

    # a second product's upload leaves GJJ's version active; rolling GJJ back is per product too
    other = await _upload(STRICT_GJJ.replace("xf-gjj-2027.1", "xf-gjj-2027.2").replace("contribution_multiple: 10", "contribution_multiple: 12"))
    await approve(actor=await actor("hq_approver"), command_id=other.id, today=TODAY, now=NOW)
    baodan = await _upload("version: xf-baodan-2027.1\nproduct: BAODAN\nsource: insurance\nlimit: {cash_value_share_pct: 50}\n")
    await approve(actor=await actor("hq_approver"), command_id=baodan.id, today=TODAY, now=NOW)
    back = await propose_ruleset_activate(actor=admin, version="xf-gjj-2027.1", today=TODAY, now=NOW, policy=POLICY)
    await approve(actor=await actor("hq_approver"), command_id=back.id, today=TODAY, now=NOW)
    active = set(await RuleSetVersion.filter(bank_id=admin.bank_id, kind=RuleSetKind.ONLINE, is_active=True).values_list("version", flat=True))
    assert active == {"xf-gjj-2027.1", "xf-baodan-2027.1"}


@pytest.mark.parametrize(("text", "words"), [
    ("version: x.1\nproduct: GJJ\nsource: housing_fund\nlimit: [oops", "不是有效的 YAML"),
    ("version: x.1\nproduct: GJJ\nsource: housing_fund\nlimit: {contribution_multiple: 20, income_multiple: 3}\n", "不支持的参数"),  # an unknown term
    ("version: x.1\nproduct: GJJ\nsource: housing_fund\nlimit: {contribution_multiple: '20 * 2'}\n", "整数"),  # no expressions
    ("version: x.1\nproduct: NOPE\nsource: housing_fund\nlimit: {contribution_multiple: 20}\n", "本行没有产品代码为 NOPE"),
])
async def test_a_bad_online_strategy_is_refused_in_chinese_and_nothing_is_stored(demo, text, words):
    with pytest.raises(DomainError) as bad:
        await _upload(text)
    assert bad.value.code == "BAD_RULESET" and bad.value.message.startswith("线上产品策略无效") and words in bad.value.message
    assert await PendingCommand.all().count() == 0 and await RuleSetVersion.filter(kind=RuleSetKind.ONLINE).count() == 0


async def test_online_strategies_have_no_platform_default_switch(demo):
    with pytest.raises(DomainError) as refused:
        await propose_use_platform_default(actor=await actor("admin"), kind=RuleSetKind.ONLINE, today=TODAY, now=NOW, policy=POLICY)
    assert refused.value.code == "WRONG_STATUS" and "按产品生效" in refused.value.message

"""Risk pages: worklists, the warning and task forms (303 / 422, page / fragment), rule sets, lists."""

import re
from datetime import date, timedelta

from app.models import CollectionAction, EarlyWarning, ListEntry, RuleSetVersion, WarningAction
from app.services import business_date
from app.services.risk.collections import open_collection_tasks
from app.services.documents import MediaStore
from app.services.risk.warnings import run_warnings
from tests.factories import csrf_token, login
from tests.factories.risk import id_number
from tests.factories.worklists import TODAY, drawn_loan, make_overdue

ON = date(2027, 1, 26)


async def _overdue(vault, tmp_path, **kwargs):
    await business_date.set_current(TODAY)
    customer, _, loan = await drawn_loan(vault, **kwargs)
    await make_overdue(loan, days_past_due=30)
    await run_warnings(on=ON, media=MediaStore(tmp_path / "media"))
    await open_collection_tasks(on=ON)
    await business_date.set_current(ON + timedelta(days=1))
    return customer, loan


async def test_warning_worklist_page_and_fragment(client, demo, vault, tmp_path):
    _, loan = await _overdue(vault, tmp_path)
    warning = await EarlyWarning.get(loan_id=loan.id)
    await login(client)
    page = await client.get("/risk/warnings")
    assert page.status_code == 200 and page.headers["vary"] == "HX-Request"
    assert "<html" in page.text and f'id="warning-{warning.id}-row"' in page.text and "逾期天数已达 30 天" in page.text
    fragment = await client.get("/risk/warnings?status=handled", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="warning-rows"' in fragment.text and "暂无预警" in fragment.text
    boosted = await client.get("/risk/warnings", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.text  # a boosted navigation gets the whole page


async def test_another_branch_officer_sees_no_warning_and_gets_404(client, demo, vault, tmp_path):
    _, loan = await _overdue(vault, tmp_path)
    warning = await EarlyWarning.get(loan_id=loan.id)
    await login(client, "officer2")
    assert "暂无预警" in (await client.get("/risk/warnings")).text
    assert (await client.get(f"/risk/warnings/{warning.id}")).status_code == 404
    assert (await client.get("/risk/warnings/not-a-uuid")).status_code == 404


async def test_handling_a_warning_422_then_303(client, demo, vault, tmp_path):
    _, loan = await _overdue(vault, tmp_path)
    warning = await EarlyWarning.get(loan_id=loan.id)
    await login(client)
    page = await client.get(f"/risk/warnings/{warning.id}")
    assert page.status_code == 200 and "处理预警" in page.text and "daysPastDue" in page.text
    token = await csrf_token(client)
    url = f"/risk/warnings/{warning.id}/handle"
    bad = await client.post(url, data={"action": "handle", "note": "", "csrf_token": token}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "请填写处理说明" in bad.text and 'id="warning-form"' in bad.text and "<html" not in bad.text
    full = await client.post(url, data={"action": "handle", "note": "", "csrf_token": token})
    assert full.status_code == 422 and "<html" in full.text
    assert await WarningAction.all().count() == 0
    done = await client.post(url, data={"action": "handle", "note": "客户已还清逾期", "csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == f"/risk/warnings/{warning.id}"
    assert (await EarlyWarning.get(id=warning.id)).status == "handled"
    after = await client.get(f"/risk/warnings/{warning.id}")
    assert "客户已还清逾期" in after.text and "该预警已处理" in after.text


async def test_collection_worklist_task_page_and_action_form(client, demo, vault, tmp_path):
    customer, loan = await _overdue(vault, tmp_path)
    await login(client)
    listing = await client.get("/risk/collections")
    task_id = re.search(r'id="task-([0-9a-f-]{36})-row"', listing.text).group(1)
    page = await client.get(f"/risk/collections/{task_id}")
    assert page.status_code == 200 and "记录催收" in page.text and customer.id_number_masked in page.text
    assert 'value="legal"' not in page.text  # officers do not see legal collection
    token = await csrf_token(client)
    url = f"/risk/collections/{task_id}/actions"
    form = {"kind": "promise_to_pay", "outcome": "客户承诺还款", "promised_amount": "300.00", "promised_on": "2027-01-27", "next_action_on": "", "csrf_token": token}
    past = await client.post(url, data=form, headers={"HX-Request": "true"})
    assert past.status_code == 422 and "承诺还款日期应晚于今天" in past.text and 'id="task-form"' in past.text and "<html" not in past.text
    bad_date = await client.post(url, data={**form, "promised_on": "2027-02-30"})
    assert bad_date.status_code == 422 and "日期格式不正确" in bad_date.text
    both = await client.post(url, data={**form, "promised_on": "2027-02-30", "promised_amount": "abc"})  # every typing error at once (issue 19 #8b)
    assert 'id="promised_on-error">日期格式不正确' in both.text and 'id="promised_amount-error">金额格式不正确' in both.text
    bad_amounts = {"abc": "金额格式不正确", "1.001": "金额最多保留两位小数", "-1": "金额不能为负数", "9" * 60: "金额过大", " ": "请填写承诺还款金额"}
    for text, message in bad_amounts.items():
        bad = await client.post(url, data={**form, "promised_amount": text, "promised_on": "2027-02-05"})
        assert bad.status_code == 422 and f'id="promised_amount-error">{message}<' in bad.text, text
    assert await CollectionAction.all().count() == 0
    ok = await client.post(url, data={**form, "promised_on": "2027-02-05"})
    assert ok.status_code == 303 and ok.headers["location"] == f"/risk/collections/{task_id}"
    after = await client.get(f"/risk/collections/{task_id}")
    assert "客户承诺还款" in after.text and "¥300.00" in after.text


async def _checked(client, response, *, checker: str, maker: str) -> str:
    """A change went to maker-checker (双人复核): the maker cannot approve it, `checker` does; back as the maker (its CSRF token)."""
    assert response.status_code == 303 and response.headers["location"].startswith("/checks/")
    location = response.headers["location"]
    own = await client.post(f"{location}/approve", data={"csrf_token": await csrf_token(client)})
    assert own.status_code == 422 and "不能审批本人发起的申请" in own.text
    await client.post("/logout", data={"csrf_token": await csrf_token(client)})
    await login(client, checker)
    page = await client.get(location)
    assert page.status_code == 200 and "复核" in page.text
    done = await client.post(f"{location}/approve", data={"csrf_token": await csrf_token(client)})
    assert done.status_code == 303
    await client.post("/logout", data={"csrf_token": await csrf_token(client)})
    await login(client, maker)
    return await csrf_token(client)


async def test_ruleset_page_is_for_admins(client, demo):
    await login(client, "manager")
    assert (await client.get("/risk/rulesets")).status_code == 404
    await client.post("/logout", data={"csrf_token": await csrf_token(client)})
    await login(client, "admin")
    page = await client.get("/risk/rulesets")
    assert page.status_code == 200 and "上传新版本" in page.text and page.text.count("尚未启用") == 2
    token = await csrf_token(client)
    bad = await client.post("/risk/rulesets", data={"yaml_text": "version: v\nrules: [", "csrf_token": token}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "规则集无效" in bad.text and 'id="ruleset-form"' in bad.text
    assert await RuleSetVersion.all().count() == 0
    good = "version: reject-2027.5\ndescription: 只查当前逾期\nrules:\n  - code: CURRENT_OVERDUE\n    kind: reject\n    message: \"账户{account}当前逾期\"\n"
    assert "提交复核" in page.text
    ok = await client.post("/risk/rulesets", data={"yaml_text": good, "csrf_token": token})
    assert await RuleSetVersion.all().count() == 0  # nothing in force before a second officer checks it
    request = await client.get(ok.headers["location"])
    assert "reject-2027.5" in request.text and "待复核" in request.text
    await _checked(client, ok, checker="hq_approver", maker="admin")
    page = await client.get("/risk/rulesets")
    assert "reject-2027.5" in re.search(r'id="ruleset-active-reject">(.*?)</p>', page.text, re.S).group(1)


async def test_a_platform_default_upload_waits_for_a_second_platform_admin_on_the_pad(client, demo):
    """A platform command (no bank): the platform admin's upload is a request; the bank's checkers never see it in 待复核
    nor open it; a second platform admin does and approves it."""
    await login(client, "platform_admin")
    page = await client.get("/risk/rulesets")
    assert page.status_code == 200 and "提交复核" in page.text and "另一位平台系统管理员" in page.text
    good = "version: reject-2027.8\ndescription: 只查当前逾期\nrules:\n  - code: CURRENT_OVERDUE\n    kind: reject\n    message: \"账户{account}当前逾期\"\n"
    ok = await client.post("/risk/rulesets", data={"yaml_text": good, "csrf_token": await csrf_token(client)})
    assert ok.status_code == 303 and ok.headers["location"].startswith("/checks/")
    location = ok.headers["location"]
    assert await RuleSetVersion.filter(version="reject-2027.8").count() == 0
    for bank_checker in ("hq_approver", "admin"):
        await client.post("/logout", data={"csrf_token": await csrf_token(client)})
        await login(client, bank_checker)
        queue = await client.get("/checks")
        assert queue.status_code == 200 and location not in queue.text
        assert (await client.get(location)).status_code == 404
        refused = await client.post(f"{location}/approve", data={"csrf_token": await csrf_token(client)})
        assert refused.status_code in (404, 422)
    await client.post("/logout", data={"csrf_token": await csrf_token(client)})
    await login(client, "platform_admin")
    await _checked(client, ok, checker="platform_admin2", maker="platform_admin")
    row = await RuleSetVersion.get(version="reject-2027.8")
    assert row.bank_id is None and row.is_active


async def test_ruleset_page_uploads_a_strategy(client, demo):
    from app.models.risk import RuleSetKind
    from app.services.risk import shipped_ruleset_text

    await login(client, "admin")
    token = await csrf_token(client)
    reject_text = shipped_ruleset_text(RuleSetKind.REJECT).replace("reject-2026.1", "reject-2027.6")
    wrong = await client.post("/risk/rulesets", data={"yaml_text": reject_text, "kind": "strategy", "csrf_token": token}, headers={"HX-Request": "true"})
    assert wrong.status_code == 422 and "策略规则集无效" in wrong.text and 'value="strategy" selected' in wrong.text
    odd = await client.post("/risk/rulesets", data={"yaml_text": reject_text, "kind": "pricing", "csrf_token": token}, headers={"HX-Request": "true"})
    assert odd.status_code == 422 and "请选择规则集类型" in odd.text
    assert await RuleSetVersion.all().count() == 0
    text = shipped_ruleset_text(RuleSetKind.STRATEGY).replace("strategy-2026.1", "strategy-2027.2")
    ok = await client.post("/risk/rulesets", data={"yaml_text": text, "kind": "strategy", "csrf_token": token})
    await _checked(client, ok, checker="hq_approver", maker="admin")
    page = await client.get("/risk/rulesets")
    assert "strategy-2027.2" in re.search(r'id="ruleset-active-strategy">(.*?)</p>', page.text, re.S).group(1)
    assert "尚未启用" in re.search(r'id="ruleset-active-reject">(.*?)</p>', page.text, re.S).group(1)


async def test_ruleset_page_uploads_an_online_product_strategy(client, demo):
    await login(client, "admin")
    page = await client.get("/risk/rulesets")
    table = re.search(r'id="ruleset-online">(.*?)</table>', page.text, re.S).group(1)
    assert "gjj-2026.1" in table and "出厂默认" in table and "BIANLI_ONLINE" in table and "本行数据" in table
    assert 'value="online"' in page.text
    token = await csrf_token(client)
    bad = await client.post("/risk/rulesets", data={"yaml_text": "version: x.1\nproduct: GJJ\nsource: housing_fund\nlimit: {salary_multiple: 3}\n",
                                                    "kind": "online", "csrf_token": token}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "线上产品策略无效" in bad.text and "不支持的参数" in bad.text and 'value="online" selected' in bad.text
    text = "version: xf-gjj-2027.3\nproduct: GJJ\nsource: housing_fund\nadmission: {min_months_paid: 18}\nlimit: {contribution_multiple: 15}\n"
    ok = await client.post("/risk/rulesets", data={"yaml_text": text, "kind": "online", "csrf_token": token})
    assert await RuleSetVersion.all().count() == 0  # nothing in force before a second officer checks it
    await _checked(client, ok, checker="hq_approver", maker="admin")
    page = await client.get("/risk/rulesets")
    table = re.search(r'id="ruleset-online">(.*?)</table>', page.text, re.S).group(1)
    assert "xf-gjj-2027.3" in table and "本行版本" in table and "baodan-2026.1" in table


async def test_ruleset_page_says_which_version_applies_to_the_bank(client, demo):
    from app.models.risk import RuleSetKind
    from app.services.risk import active_ruleset, shipped_ruleset_text
    from app.services.actor import SYSTEM

    # given the platform default is in force and 襄汾's admin uploads the bank's own strategy
    await active_ruleset(actor=SYSTEM, kind=RuleSetKind.STRATEGY, bank_id=None)
    await login(client, "admin")
    token = await csrf_token(client)
    text = shipped_ruleset_text(RuleSetKind.STRATEGY).replace("strategy-2026.1", "strategy-2027.3")
    token = await _checked(client, await client.post("/risk/rulesets", data={"yaml_text": text, "kind": "strategy", "csrf_token": token}),
                           checker="hq_approver", maker="admin")
    # then the page names the bank's own version as the one that applies, replacing the platform default
    page = await client.get("/risk/rulesets")
    assert re.search(r'id="ruleset-owner-strategy">(.*?)</span>', page.text).group(1) == "本行版本"
    assert "本行版本替代平台默认版本 <span class=\"mono\">strategy-2026.1</span>" in page.text
    # when the admin goes back to the platform default: a second officer checks it (双人复核), the maker cannot
    token = await _checked(client, await client.post("/risk/rulesets", data={"kind": "strategy", "use_default": "1", "csrf_token": token}),
                           checker="hq_approver", maker="admin")
    # then
    page = await client.get("/risk/rulesets")
    assert "strategy-2026.1" in re.search(r'id="ruleset-active-strategy">(.*?)</p>', page.text, re.S).group(1)
    assert re.search(r'id="ruleset-owner-strategy">(.*?)</span>', page.text).group(1) == "平台默认"
    # and taking the bank's own version back (启用此版本) is checked the same way
    assert 'name="activate" value="strategy-2027.3"' in page.text
    made = await client.post("/risk/rulesets", data={"kind": "strategy", "activate": "strategy-2027.3", "csrf_token": token})
    pending = await client.get(made.headers["location"])
    assert "启用" in pending.text and "strategy-2027.3（本行）" in pending.text and "strategy-2026.1（平台默认）" in pending.text
    await _checked(client, made, checker="hq_approver", maker="admin")
    page = await client.get("/risk/rulesets")
    assert re.search(r'id="ruleset-owner-strategy">(.*?)</span>', page.text).group(1) == "本行版本"


async def test_lists_page_adds_and_removes_with_masked_numbers(client, demo):
    await business_date.set_current(TODAY)
    number = id_number(101)
    await login(client, "officer1")
    assert (await client.get("/risk/lists")).status_code == 404
    await client.post("/logout", data={"csrf_token": await csrf_token(client)})
    await login(client, "manager")
    token = await csrf_token(client)
    form = {"list_kind": "grey", "name": "王建国", "id_number": number, "reason": "多头借贷", "expires_on": "2026-11-01", "csrf_token": token}
    past = await client.post("/risk/lists", data=form, headers={"HX-Request": "true"})
    assert past.status_code == 422 and "到期日应晚于今天" in past.text and number not in past.text and 'id="lists-body"' in past.text
    ok = await client.post("/risk/lists", data={**form, "expires_on": "2027-06-01"})
    assert await ListEntry.all().count() == 0  # listed only once a second officer checks it
    token = await _checked(client, ok, checker="approver", maker="manager")
    page = await client.get("/risk/lists")
    entry = await ListEntry.get()
    assert f'id="entry-{entry.id}-row"' in page.text and entry.id_number_masked in page.text and number not in page.text
    no_reason = await client.post(f"/risk/lists/{entry.id}/remove", data={"reason": "", "csrf_token": token})
    assert no_reason.status_code == 422 and "请填写移出名单的原因" in no_reason.text
    removed = await client.post(f"/risk/lists/{entry.id}/remove", data={"reason": "已结清", "csrf_token": token})
    assert (await ListEntry.get(id=entry.id)).removed_at is None
    await _checked(client, removed, checker="approver", maker="manager")
    assert (await ListEntry.get(id=entry.id)).removed_at is not None


async def test_a_list_change_runs_at_once_when_the_settings_leave_it_out(client, demo, app):
    from app.domain.maker_checker import CommandKind, MakerCheckerPolicy

    app.state.maker_checker_policy = MakerCheckerPolicy(kinds=frozenset(CommandKind) - {CommandKind.LIST_CHANGE})
    await business_date.set_current(TODAY)
    await login(client, "manager")
    page = await client.get("/risk/lists")
    assert "提交复核" not in page.text
    form = {"list_kind": "black", "name": "王建国", "id_number": id_number(102), "reason": "骗贷", "csrf_token": await csrf_token(client)}
    ok = await client.post("/risk/lists", data=form)
    assert ok.status_code == 303 and (await ListEntry.get()).list_kind == "black"
    request = await client.get(ok.headers["location"])
    assert "已通过" in request.text


async def test_risk_pages_need_a_login(client, demo):
    response = await client.get("/risk/warnings")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")

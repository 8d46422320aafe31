"""Warnings, collections, rule sets, lists and decisions through HTTP GraphQL, with bearer tokens."""

import base64
from datetime import UTC, date, datetime, timedelta

from app.config import ROOT
from app.models import AuditEvent, CollectionAction, EarlyWarning, ListEntry, RuleSetVersion, WarningAction
from app.services import business_date
from app.services.auth import officers as auth
from app.services.risk.collections import open_collection_tasks
from app.services.documents import MediaStore
from app.services.risk.warnings import run_warnings
from tests.factories import DEMO_PASSWORD
from tests.factories.risk import id_number
from tests.factories.worklists import TODAY, drawn_loan, make_overdue

ON = date(2027, 1, 26)


def _doc(name: str) -> str:
    return (ROOT / "graphql" / "reporting" / f"{name}.graphql").read_text(encoding="utf-8")


def _gid(type_name: str, pk) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def _token(username="officer1"):
    token, _ = await auth.login(username=username, password=DEMO_PASSWORD, now=datetime.now(UTC), session_hours=1)
    return {"Authorization": f"Bearer {token}"}


async def _gql(client, query, variables=None, headers=None):
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {})
    assert response.status_code == 200
    return response.json()


async def _overdue_loan(vault, tmp_path):
    await business_date.set_current(TODAY)
    customer, _, loan = await drawn_loan(vault)
    await make_overdue(loan, days_past_due=30)
    await run_warnings(on=ON, media=MediaStore(tmp_path / "media"))
    await open_collection_tasks(on=ON)
    await business_date.set_current(ON + timedelta(days=1))
    return customer, loan


HANDLE = """mutation H($input: WarningHandleInput!) { warningHandle(input: $input) {
  warning { id status handledAt actions { action note officerName } } errors { code field message } } }"""

RECORD = """mutation R($input: CollectionActionRecordInput!) { collectionActionRecord(input: $input) {
  task { id nextActionOn actions { kind outcome promisedAmount promisedOn officerName } } errors { code field message } } }"""

COMMAND = "command { id kind status subject effectSeen { title figures { label before after } } }"

UPLOAD = """mutation U($input: RuleSetUploadInput!) { ruleSetUpload(input: $input) {
  ruleSet { kind version description isActive } %s errors { code field message } } }""" % COMMAND

LIST_ADD = """mutation A($input: ListEntryAddInput!) { listEntryAdd(input: $input) {
  entry { id listKind idNumberMasked name reason expiresOn } %s errors { code field message } } }""" % COMMAND

LIST_REMOVE = """mutation D($input: ListEntryRemoveInput!) { listEntryRemove(input: $input) {
  entry { id removedAt removedReason } %s errors { code field message } } }""" % COMMAND

APPROVE = """mutation($input: CommandApproveInput!) { commandApprove(input: $input) { command { status } errors { code message } } }"""


async def _approve(client, command: dict, checker: str, maker_headers: dict) -> None:
    """The maker may not check their own request (双人复核); `checker` approves it."""
    own = (await _gql(client, APPROVE, {"input": {"commandId": command["id"]}}, maker_headers))["data"]["commandApprove"]
    assert [e["code"] for e in own["errors"]] == ["OWN_REQUEST"]
    done = (await _gql(client, APPROVE, {"input": {"commandId": command["id"]}}, await _token(checker)))["data"]["commandApprove"]
    assert done == {"command": {"status": "APPROVED"}, "errors": []}


async def test_officer_reads_and_handles_a_warning(client, demo, vault, tmp_path):
    _, loan = await _overdue_loan(vault, tmp_path)
    officer = await _token()
    listed = (await _gql(client, _doc("Warnings"), {"status": "OPEN"}, officer))["data"]["warnings"]
    assert listed["totalCount"] == 1
    node = listed["edges"][0]["node"]
    assert (node["kind"], node["kindLabel"], node["severity"], node["level"]) == ("RISING_DPD", "逾期天数上升", "MEDIUM", 30)
    assert node["loanId"] == _gid("Loan", loan.id) and node["officerName"] == "张建华" and node["evidence"]["daysPastDue"] == 30
    # another branch's officer sees nothing and cannot act
    other = await _token("officer2")
    assert (await _gql(client, _doc("Warnings"), {}, other))["data"]["warnings"]["totalCount"] == 0
    refused = (await _gql(client, HANDLE, {"input": {"warningId": node["id"], "action": "HANDLE", "note": "已处理"}}, other))["data"]["warningHandle"]
    assert refused["warning"] is None and [(e["code"], e["field"]) for e in refused["errors"]] == [("NOT_FOUND", "warningId")]
    # an empty note is a typed error; nothing is written
    empty = (await _gql(client, HANDLE, {"input": {"warningId": node["id"], "action": "HANDLE", "note": " "}}, officer))["data"]["warningHandle"]
    assert [(e["code"], e["field"], e["message"]) for e in empty["errors"]] == [("INVALID", "note", "请填写处理说明")]
    assert await WarningAction.all().count() == 0
    # handled by the assigned officer
    done = (await _gql(client, HANDLE, {"input": {"warningId": node["id"], "action": "HANDLE", "note": "客户已还清"}}, officer))["data"]["warningHandle"]
    assert done["errors"] == [] and done["warning"]["status"] == "HANDLED"
    assert done["warning"]["actions"] == [{"action": "HANDLE", "note": "客户已还清", "officerName": "张建华"}]
    again = (await _gql(client, HANDLE, {"input": {"warningId": node["id"], "action": "DISMISS", "note": "x"}}, officer))["data"]["warningHandle"]
    assert [e["code"] for e in again["errors"]] == ["WARNING_CLOSED"]
    # node lookup respects scope
    lookup = "query N($id: ID!) { node(id: $id) { ... on EarlyWarning { status } } }"
    assert (await _gql(client, lookup, {"id": node["id"]}, officer))["data"]["node"] == {"status": "HANDLED"}
    assert (await _gql(client, lookup, {"id": node["id"]}, other))["data"]["node"] is None


async def test_auditors_read_but_do_not_handle_and_anonymous_callers_are_refused(client, demo, vault, tmp_path):
    await _overdue_loan(vault, tmp_path)
    auditor = await _token("auditor")
    node = (await _gql(client, _doc("Warnings"), {}, auditor))["data"]["warnings"]["edges"][0]["node"]
    refused = await _gql(client, HANDLE, {"input": {"warningId": node["id"], "action": "NOTE", "note": "看看"}}, auditor)
    assert refused["data"] is None and [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    anonymous = await _gql(client, _doc("Warnings"))
    assert anonymous["data"] is None and anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await EarlyWarning.get()).status == "open"


async def test_collection_task_list_and_a_promise_to_pay(client, demo, vault, tmp_path):
    await _overdue_loan(vault, tmp_path)
    officer = await _token()
    tasks = (await _gql(client, _doc("CollectionTasks"), {"status": "OPEN"}, officer))["data"]["collectionTasks"]
    assert tasks["totalCount"] == 1
    task = tasks["edges"][0]["node"]
    assert task["openedOn"] == ON.isoformat() and task["openedDaysPastDue"] == 30 and task["loan"]["daysPastDue"] == 30
    promise = {"taskId": task["id"], "kind": "PROMISE_TO_PAY", "outcome": "客户承诺下周还款", "promisedAmount": "500.00", "promisedOn": "2027-02-03"}
    bad = (await _gql(client, RECORD, {"input": {**promise, "promisedAmount": "0.00"}}, officer))["data"]["collectionActionRecord"]
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("INVALID_AMOUNT", "promisedAmount")]
    bad_strings = {"abc": "金额格式不正确", "1.001": "金额最多保留两位小数", "-1": "金额不能为负数", "9" * 30: "金额过大",
                   "": "请填写承诺还款金额", "  ": "请填写承诺还款金额"}  # blank has always read as not given
    for text, message in bad_strings.items():
        body = (await _gql(client, RECORD, {"input": {**promise, "promisedAmount": text}}, officer))["data"]["collectionActionRecord"]
        assert [(e["code"], e["field"], e["message"]) for e in body["errors"]] == [("INVALID_AMOUNT", "promisedAmount", message)], text
    too_long = await _gql(client, RECORD, {"input": {**promise, "promisedAmount": "1" * 41}}, officer)
    assert too_long["data"] is None and "too long" in too_long["errors"][0]["message"]
    past = (await _gql(client, RECORD, {"input": {**promise, "promisedOn": "2027-01-27"}}, officer))["data"]["collectionActionRecord"]
    assert [(e["code"], e["field"]) for e in past["errors"]] == [("INVALID_DATE", "promisedOn")]
    as_number = await _gql(client, RECORD, {"input": {**promise, "promisedAmount": 500}}, officer)
    assert as_number["data"] is None and "strings" in as_number["errors"][0]["message"]
    assert await CollectionAction.all().count() == 0
    ok = (await _gql(client, RECORD, {"input": promise}, officer))["data"]["collectionActionRecord"]
    assert ok["errors"] == [] and ok["task"]["nextActionOn"] == "2027-02-04"
    assert ok["task"]["actions"] == [{"kind": "PROMISE_TO_PAY", "outcome": "客户承诺下周还款", "promisedAmount": "500.00", "promisedOn": "2027-02-03", "officerName": "张建华"}]
    other = (await _gql(client, RECORD, {"input": {**promise}}, await _token("officer2")))["data"]["collectionActionRecord"]
    assert [e["code"] for e in other["errors"]] == ["NOT_FOUND"]


async def test_rule_set_upload_is_for_admins_with_typed_errors(client, demo):
    good = "version: reject-2027.9\ndescription: 测试\nrules:\n  - code: CURRENT_OVERDUE\n    kind: reject\n    message: \"账户{account}当前逾期\"\n"
    refused = await _gql(client, UPLOAD, {"input": {"yamlText": good}}, await _token("manager"))
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    admin = await _token("admin")
    bad = (await _gql(client, UPLOAD, {"input": {"yamlText": "version: x\nrules: [oops"}}, admin))["data"]["ruleSetUpload"]
    assert bad["ruleSet"] is None and bad["errors"][0]["code"] == "BAD_RULESET" and bad["errors"][0]["message"].startswith("规则集无效")
    assert await RuleSetVersion.all().count() == 0
    param = good + "    params: {tolerance_fen: 1.5}\n"
    path = (await _gql(client, UPLOAD, {"input": {"yamlText": param}}, admin))["data"]["ruleSetUpload"]
    assert [e["field"] for e in path["errors"]] == ["rules[0].params.tolerance_fen"]  # a YAML path, shown as written
    ok = (await _gql(client, UPLOAD, {"input": {"yamlText": good, "reason": "试行"}}, admin))["data"]["ruleSetUpload"]
    assert ok["errors"] == [] and ok["ruleSet"] is None  # waits for a second officer (双人复核)
    command = ok["command"]
    assert command["kind"] == "RULESET_UPLOAD" and command["status"] == "PENDING" and command["subject"] == "征信拒绝规则集 reject-2027.9"
    assert {f["label"]: f["after"] for f in command["effectSeen"]["figures"]}["生效版本"] == "reject-2027.9（本行）"
    assert await RuleSetVersion.all().count() == 0
    await _approve(client, command, "hq_approver", admin)
    row = await RuleSetVersion.get(version="reject-2027.9")
    assert row.is_active and row.description == "测试"
    dup = (await _gql(client, UPLOAD, {"input": {"yamlText": good}}, admin))["data"]["ruleSetUpload"]
    assert [e["code"] for e in dup["errors"]] == ["DUPLICATE_VERSION"] and dup["command"] is None


async def test_a_platform_admins_upload_through_graphql_is_a_platform_command(client, demo):
    """The platform default waits for a second platform admin; a bank's head-office approver cannot decide it."""
    good = "version: reject-2027.9\ndescription: 平台试行\nrules:\n  - code: CURRENT_OVERDUE\n    kind: reject\n    message: \"账户{account}当前逾期\"\n"
    platform = await _token("platform_admin")
    ok = (await _gql(client, UPLOAD, {"input": {"yamlText": good}}, platform))["data"]["ruleSetUpload"]
    assert ok["errors"] == [] and ok["ruleSet"] is None and ok["command"]["status"] == "PENDING"
    assert {f["label"]: f["after"] for f in ok["command"]["effectSeen"]["figures"]}["生效版本"] == "reject-2027.9（平台默认）"
    bank = (await _gql(client, APPROVE, {"input": {"commandId": ok["command"]["id"]}}, await _token("hq_approver")))["data"]["commandApprove"]
    assert bank["command"] is None and bank["errors"][0]["code"] == "NOT_FOUND"
    assert await RuleSetVersion.filter(version="reject-2027.9").count() == 0
    await _approve(client, ok["command"], "platform_admin2", platform)
    row = await RuleSetVersion.get(version="reject-2027.9")
    assert row.bank_id is None and row.is_active


async def test_a_strategy_version_is_uploaded_as_its_own_kind(client, demo):
    from app.models.risk import RuleSetKind
    from app.services.risk import shipped_ruleset_text

    admin = await _token("admin")
    reject_text = shipped_ruleset_text(RuleSetKind.REJECT).replace("reject-2026.1", "reject-2027.8")
    wrong = (await _gql(client, UPLOAD, {"input": {"yamlText": reject_text, "kind": "STRATEGY"}}, admin))["data"]["ruleSetUpload"]
    assert wrong["ruleSet"] is None and wrong["errors"][0]["code"] == "BAD_RULESET" and wrong["errors"][0]["message"].startswith("策略规则集无效")
    text = shipped_ruleset_text(RuleSetKind.STRATEGY).replace("strategy-2026.1", "strategy-2027.1")
    ok = (await _gql(client, UPLOAD, {"input": {"yamlText": text, "kind": "STRATEGY"}}, admin))["data"]["ruleSetUpload"]
    assert ok["errors"] == [] and ok["command"]["status"] == "PENDING"
    await _approve(client, ok["command"], "hq_approver", admin)
    assert [(r.kind.value, r.version) for r in await RuleSetVersion.filter(is_active=True)] == [("strategy", "strategy-2027.1")]


ONLINE_UPLOAD = """mutation U($input: RuleSetUploadInput!) { ruleSetUpload(input: $input) {
  ruleSet { kind version productCode isActive } %s errors { code field message } } }""" % COMMAND


async def test_an_online_product_strategy_is_uploaded_per_product_through_the_same_mutation(client, demo):
    admin = await _token("admin")
    bad = (await _gql(client, ONLINE_UPLOAD, {"input": {"yamlText": "version: x.1\nproduct: GUOWANG\nsource: state_grid\nlimit: {bill_multiple: 'a*b'}\n",
                                                         "kind": "ONLINE"}}, admin))["data"]["ruleSetUpload"]
    assert bad["ruleSet"] is None and bad["errors"][0]["code"] == "BAD_RULESET" and bad["errors"][0]["message"].startswith("线上产品策略无效")
    text = "version: xf-guowang-2027.1\nproduct: GUOWANG\nsource: state_grid\nadmission: {min_months: 6}\nlimit: {bill_multiple: 60}\n"
    ok = (await _gql(client, ONLINE_UPLOAD, {"input": {"yamlText": text, "kind": "ONLINE"}}, admin))["data"]["ruleSetUpload"]
    assert ok["errors"] == [] and ok["ruleSet"] is None and ok["command"]["status"] == "PENDING"  # 双人复核
    await _approve(client, ok["command"], "hq_approver", admin)
    row = await RuleSetVersion.get(version="xf-guowang-2027.1")
    assert (row.kind.value, row.product_code, row.is_active) == ("online", "GUOWANG", True)


ACTIVATE = """mutation V($input: RuleSetActivateInput!) { ruleSetActivate(input: $input) {
  ruleSet { version isActive } %s errors { code field message } } }""" % COMMAND

USE_DEFAULT = """mutation P($input: RuleSetUsePlatformDefaultInput!) { ruleSetUsePlatformDefault(input: $input) {
  ruleSet { version } %s errors { code field message } } }""" % COMMAND


async def test_rolling_back_a_rule_set_and_using_the_platform_default_wait_for_a_second_officer(client, demo):
    from app.services.actor import SYSTEM
    from app.services.risk import active_ruleset

    # given the bank's own reject-2027.1 was checked in, then the bank went back to the platform default (checked too)
    await active_ruleset(actor=SYSTEM, bank_id=None)
    admin = await _token("admin")
    good = "version: reject-2027.1\ndescription: 测试\nrules:\n  - code: CURRENT_OVERDUE\n    kind: reject\n    message: \"账户{account}当前逾期\"\n"
    up = (await _gql(client, UPLOAD, {"input": {"yamlText": good}}, admin))["data"]["ruleSetUpload"]
    await _approve(client, up["command"], "hq_approver", admin)
    back = (await _gql(client, USE_DEFAULT, {"input": {"kind": "REJECT", "reason": "回到平台默认"}}, admin))["data"]["ruleSetUsePlatformDefault"]
    assert back["errors"] == [] and back["ruleSet"] is None and back["command"]["status"] == "PENDING"
    assert back["command"]["kind"] == "RULESET_UPLOAD" and back["command"]["subject"] == "征信拒绝规则集改用平台默认"
    figures = {f["label"]: (f["before"], f["after"]) for f in back["command"]["effectSeen"]["figures"]}
    assert figures["生效版本"] == ("reject-2027.1（本行）", "reject-2026.1（平台默认）")
    assert (await RuleSetVersion.get(version="reject-2027.1", bank_id__not_isnull=True)).is_active  # not yet
    await _approve(client, back["command"], "hq_approver", admin)
    assert not (await RuleSetVersion.get(version="reject-2027.1", bank_id__not_isnull=True)).is_active
    # when the admin takes the bank's own version back: a request too, the maker cannot approve it
    refused = await _gql(client, ACTIVATE, {"input": {"version": "reject-2027.1"}}, await _token("manager"))
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    missing = (await _gql(client, ACTIVATE, {"input": {"version": "reject-1999.1"}}, admin))["data"]["ruleSetActivate"]
    assert [e["code"] for e in missing["errors"]] == ["NOT_FOUND"] and missing["command"] is None
    again = (await _gql(client, ACTIVATE, {"input": {"version": "reject-2027.1"}}, admin))["data"]["ruleSetActivate"]
    assert again["errors"] == [] and again["command"]["status"] == "PENDING" and again["ruleSet"] is None
    assert {f["label"]: f["after"] for f in again["command"]["effectSeen"]["figures"]}["生效版本"] == "reject-2027.1（本行）"
    await _approve(client, again["command"], "hq_approver", admin)
    assert (await RuleSetVersion.get(version="reject-2027.1", bank_id__not_isnull=True)).is_active


async def test_list_entries_are_kept_by_managers_and_masked(client, demo):
    await business_date.set_current(TODAY)
    number = id_number(101)
    add = {"idNumber": number, "name": "王建国", "listKind": "BLACK", "reason": "骗贷", "expiresOn": "2027-11-27"}
    officer = await _gql(client, LIST_ADD, {"input": add}, await _token("officer1"))
    assert officer["data"] is None and officer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    manager = await _token("manager")
    proposed = (await _gql(client, LIST_ADD, {"input": add}, manager))["data"]["listEntryAdd"]
    assert proposed["errors"] == [] and proposed["entry"] is None and proposed["command"]["status"] == "PENDING"
    assert number not in str(proposed) and await ListEntry.all().count() == 0
    await _approve(client, proposed["command"], "approver", manager)
    entry = await ListEntry.get()
    added = {"entry": {"id": _gid("ListEntry", entry.id)}}
    assert entry.id_number_masked == number[:6] + "********" + number[-4:]
    dup = (await _gql(client, LIST_ADD, {"input": add}, manager))["data"]["listEntryAdd"]
    assert [(e["code"], e["field"]) for e in dup["errors"]] == [("DUPLICATE", "idNumber")]
    bad = (await _gql(client, LIST_ADD, {"input": {**add, "idNumber": "123"}}, manager))["data"]["listEntryAdd"]
    assert [e["field"] for e in bad["errors"]] == ["idNumber"]
    listed = (await _gql(client, "{ listEntries { totalCount edges { node { id name } } } }", {}, manager))["data"]["listEntries"]
    assert listed["totalCount"] == 1
    removing = (await _gql(client, LIST_REMOVE, {"input": {"entryId": added["entry"]["id"], "reason": "误报"}}, manager))["data"]["listEntryRemove"]
    assert removing["errors"] == [] and removing["command"]["status"] == "PENDING"
    assert (await _gql(client, "{ listEntries { totalCount } }", {}, manager))["data"]["listEntries"]["totalCount"] == 1
    await _approve(client, removing["command"], "approver", manager)
    assert (await _gql(client, "{ listEntries { totalCount } }", {}, manager))["data"]["listEntries"]["totalCount"] == 0
    assert await ListEntry.filter(removed_at__isnull=False).count() == 1
    assert await AuditEvent.filter(action__in=["risk_list.add", "risk_list.remove"]).count() == 2


async def test_a_list_change_the_settings_leave_out_runs_at_once(client, demo, app):
    from app.domain.maker_checker import CommandKind, MakerCheckerPolicy

    app.state.maker_checker_policy = MakerCheckerPolicy(kinds=frozenset(CommandKind) - {CommandKind.LIST_CHANGE})
    await business_date.set_current(TODAY)
    add = {"idNumber": id_number(102), "name": "王建国", "listKind": "GREY", "reason": "多头借贷"}
    added = (await _gql(client, LIST_ADD, {"input": add}, await _token("manager")))["data"]["listEntryAdd"]
    assert added["errors"] == [] and added["entry"]["listKind"] == "GREY" and added["command"]["status"] == "APPROVED"


async def test_risk_decisions_of_a_customer_in_scope(client, demo, vault):
    await business_date.set_current(TODAY)
    customer, _, _ = await drawn_loan(vault)
    variables = {"customerId": _gid("Customer", customer.id)}
    mine = (await _gql(client, _doc("RiskDecisions"), variables, await _token()))["data"]["riskDecisions"]
    assert len(mine) == 1 and mine[0]["decision"] == "PASS" and mine[0]["ruleSetVersion"] == "reject-2026.1" and mine[0]["hits"] == []
    assert (await _gql(client, _doc("RiskDecisions"), variables, await _token("officer2")))["data"]["riskDecisions"] == []
    garbage = await _gql(client, _doc("RiskDecisions"), {"customerId": "garbage"}, await _token())
    assert garbage["data"]["riskDecisions"] == []


async def test_strategy_decisions_of_a_customer_in_scope(client, demo, vault):
    from app.services.actor import SYSTEM
    from app.services.risk import evaluate_strategy

    await business_date.set_current(TODAY)
    customer, _, _ = await drawn_loan(vault)
    await evaluate_strategy(actor=SYSTEM, customer_id=customer.id, product_code="BIANLI", today=TODAY, now=datetime.now(UTC), income_fen=12_345_600)
    variables = {"customerId": _gid("Customer", customer.id)}
    mine = (await _gql(client, _doc("StrategyDecisions"), variables, await _token()))["data"]["strategyDecisions"]
    assert len(mine) == 1
    assert (mine[0]["decision"], mine[0]["ruleSetVersion"], mine[0]["productCode"], mine[0]["annualIncome"]) == ("PASS", "strategy-2026.1", "BIANLI", "123456.00")
    assert mine[0]["limitBinding"].isupper() and mine[0]["limitBinding"].lower() in mine[0]["limitTerms"]["terms"]
    assert mine[0]["explanation"].startswith("准入与反欺诈结论：通过")
    assert (await _gql(client, _doc("StrategyDecisions"), variables, await _token("officer2")))["data"]["strategyDecisions"] == []
    assert (await _gql(client, _doc("StrategyDecisions"), {"customerId": "garbage"}, await _token()))["data"]["strategyDecisions"] == []


async def test_worklist_queries_do_not_grow_with_the_page(client, demo, vault, tmp_path, monkeypatch):
    from tortoise import connections

    from app.services.risk.warnings import handle_warning
    from tests.factories.risk import actor

    conn = connections.get("default")
    counted = []
    for name in ("execute_query", "execute_query_dict"):
        original = getattr(conn, name)

        async def wrapper(*args, _original=original, **kwargs):
            counted.append(args[0] if args else "")
            return await _original(*args, **kwargs)

        monkeypatch.setattr(conn, name, wrapper)

    async def cost(name):
        counted.clear()
        body = await _gql(client, _doc(name), {}, headers)
        assert "errors" not in body
        return len(counted)

    await _overdue_loan(vault, tmp_path)
    officer = await actor("officer1")
    await handle_warning(actor=officer, warning_id=(await EarlyWarning.get()).id, action="note", note="已联系", now=datetime.now(UTC))
    headers = await _token()
    one = (await cost("Warnings"), await cost("CollectionTasks"))
    for sequence in (359, 361, 363):
        await business_date.set_current(TODAY)
        _, _, loan = await drawn_loan(vault, sequence=sequence, card=f"62170000100{sequence}99")
        await make_overdue(loan, days_past_due=30)
    await run_warnings(on=ON, media=MediaStore(tmp_path / "media"))
    await open_collection_tasks(on=ON)
    for w in await EarlyWarning.filter(actions__id__isnull=True):
        await handle_warning(actor=officer, warning_id=w.id, action="note", note="已联系", now=datetime.now(UTC))
    headers = await _token()
    assert (await _gql(client, _doc("Warnings"), {}, headers))["data"]["warnings"]["totalCount"] == 4
    assert (await cost("Warnings"), await cost("CollectionTasks")) == one

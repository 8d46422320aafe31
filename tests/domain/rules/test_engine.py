from datetime import date

import pytest

from app.integrations.sandbox import generate_report
from app.domain.errors import DomainError
from app.domain.rules import CATALOGUE, Decision, Hit, evaluate, explain, load_ruleset
from tests.domain.rules.helpers import REPORT_DATE, account, codes, default_rules, default_text, run, with_account

MINIMAL = """
version: test-1
rules:
  - code: FIVE_CLASS
    kind: reject
    message: "账户{account}分类{className}"
"""


def bad(text: str) -> DomainError:
    with pytest.raises(DomainError) as info:
        load_ruleset(text)
    assert info.value.code == "BAD_RULESET"
    return info.value


# --- loading -------------------------------------------------------------------------------


def test_default_ruleset_loads_with_every_catalogue_rule():
    rules = default_rules()
    assert rules.version == "reject-2026.1"
    assert [r.code for r in rules.rules] == list(CATALOGUE)
    by_code = {r.code: r for r in rules.rules}
    assert dict(by_code["LIAN_SAN_LEI_LIU"].params) == {"window_months": 24, "consecutive": 3, "cumulative": 6}
    assert by_code["BAD_ACCOUNT_STATUS"].params["statuses"] == ("4", "5", "6", "8", "冻结", "止付")
    assert [by_code[c].kind for c in ("HARD_QUERIES_1M", "HARD_QUERIES_3M", "HARD_QUERIES_6M", "PUBLIC_RECORD")] == [
        "review",
        "reject",
        "reject",
        "review",
    ]
    assert [by_code[c].params["max_count"] for c in ("HARD_QUERIES_1M", "HARD_QUERIES_3M", "HARD_QUERIES_6M")] == [4, 6, 10]


def test_omitted_params_take_their_defaults():
    rule = load_ruleset(MINIMAL).rules[0]
    assert dict(rule.params) == {"min_class": 2}
    assert rule.enabled is True


def test_loaded_params_cannot_be_changed():
    rule = load_ruleset(MINIMAL).rules[0]
    with pytest.raises(TypeError):
        rule.params["min_class"] = 5


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (MINIMAL.replace("FIVE_CLASS", "NO_SUCH_RULE"), "rules[0].code"),
        (MINIMAL.replace("kind: reject", "kind: block"), "rules[0].kind"),
        (MINIMAL.replace("version: test-1", "version: 1.0"), "version"),
        (MINIMAL.replace("version: test-1", "version: 'has space'"), "version"),
        (MINIMAL + "    params: {min_class: 1}\n", "rules[0].params.min_class"),
        (MINIMAL + "    params: {min_class: true}\n", "rules[0].params.min_class"),
        (MINIMAL + "    params: {min_class: '2'}\n", "rules[0].params.min_class"),
        (MINIMAL + "    params: {max_class: 2}\n", "rules[0].params"),
        (MINIMAL + "    enabled: 'no'\n", "rules[0].enabled"),
        (MINIMAL + "    colour: red\n", "rules[0]"),
        (MINIMAL.replace("账户{account}分类{className}", "账户{acount}"), "rules[0].message"),
        (MINIMAL.replace("账户{account}分类{className}", "{account.__class__}"), "rules[0].message"),
        (MINIMAL.replace("账户{account}分类{className}", "{account!r}"), "rules[0].message"),
        (MINIMAL.replace("账户{account}分类{className}", "{account:>99999}"), "rules[0].message"),
        (MINIMAL.replace("账户{account}分类{className}", "未闭合{account"), "rules[0].message"),
        (MINIMAL.replace('"账户{account}分类{className}"', "''"), "rules[0].message"),
        (MINIMAL + "  - code: FIVE_CLASS\n    kind: review\n    message: x\n", "rules[1].code"),
        ("version: x\nrules: []\n", "rules"),
        ("version: x\nrules: [1]\n", "rules[0]"),
        ("version: x\nextra: 1\nrules: []\n", None),
        ("- just\n- a list\n", None),
        ("version: [unclosed\n", None),
    ],
)
def test_refuses_bad_rulesets(text, field):
    assert bad(text).field == field


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ("{window_months: 24, consecutive: 25, cumulative: 6}", "rules[0].params"),
        ("{window_months: 61}", "rules[0].params.window_months"),
        ("{consecutive: 0}", "rules[0].params.consecutive"),
    ],
)
def test_refuses_impossible_lian_san_lei_liu(params, field):
    text = f"version: x\nrules:\n  - code: LIAN_SAN_LEI_LIU\n    kind: reject\n    message: m\n    params: {params}\n"
    assert bad(text).field == field


@pytest.mark.parametrize(
    ("code", "params", "field"),
    [
        ("BAD_ACCOUNT_STATUS", "{statuses: ['4', '坏']}", "rules[0].params.statuses"),
        ("BAD_ACCOUNT_STATUS", "{statuses: []}", "rules[0].params.statuses"),
        ("BAD_ACCOUNT_STATUS", "{statuses: '4'}", "rules[0].params.statuses"),
        ("BAD_REPAYMENT_SYMBOL", "{symbols: 'BX'}", "rules[0].params.symbols"),
        ("BAD_REPAYMENT_SYMBOL", "{symbols: 'BB'}", "rules[0].params.symbols"),
        ("HARD_QUERIES_1M", "{window_months: 2}", "rules[0].params.window_months"),
        ("HARD_QUERIES_3M", "{max_count: -1}", "rules[0].params.max_count"),
        ("CURRENT_OVERDUE", "{tolerance_fen: 1.5}", "rules[0].params.tolerance_fen"),
        ("PUBLIC_RECORD", "{kinds: ['']}", "rules[0].params.kinds"),
    ],
)
def test_refuses_bad_parameter_values(code, params, field):
    text = f"version: x\nrules:\n  - code: {code}\n    kind: reject\n    message: m\n    params: {params}\n"
    err = bad(text)
    assert err.field == field
    assert code in err.message


def test_refuses_an_oversized_ruleset():
    assert "64 KB" in bad(MINIMAL + "#" * 70_000).message


def test_message_may_use_parameters_and_literal_braces():
    rules = load_ruleset(MINIMAL.replace("账户{account}分类{className}", "{{注}}分类不低于{min_class}：{account}"))
    [hit] = evaluate(rules, with_account(account(five_class=3)), REPORT_DATE).hits
    assert hit.message == "{注}分类不低于2：A9"


# --- deciding ------------------------------------------------------------------------------


def test_review_only_hits_give_review():
    decision = run(generate_report(1, report_date=REPORT_DATE, profile="public_record"))
    assert decision.decision == "review"


def test_any_reject_hit_gives_reject_even_with_review_hits():
    decision = run(generate_report(3, report_date=REPORT_DATE, profile="many_queries"))
    assert {h.kind for h in decision.hits} == {"review", "reject"}
    assert decision.decision == "reject"


def test_kind_from_the_ruleset_decides_not_the_rule():
    text = default_text().replace(
        "  - code: FIVE_CLASS\n    kind: reject", "  - code: FIVE_CLASS\n    kind: review"
    )
    decision = run(generate_report(9, report_date=REPORT_DATE, profile="special_mention"), load_ruleset(text))
    assert (decision.decision, [h.kind for h in decision.hits]) == ("review", ["review"])


def test_disabled_rule_does_not_fire():
    text = default_text().replace("  - code: FIVE_CLASS\n", "  - code: FIVE_CLASS\n    enabled: false\n")
    decision = run(generate_report(9, report_date=REPORT_DATE, profile="special_mention"), load_ruleset(text))
    assert (decision.decision, decision.hits) == ("pass", ())


def test_decision_records_version_and_as_of_and_keeps_rule_order():
    report = generate_report(2, report_date=REPORT_DATE, profile="bad_debt")
    decision = evaluate(default_rules(), report, date(2026, 12, 1))
    assert (decision.ruleset_version, decision.as_of) == ("reject-2026.1", date(2026, 12, 1))
    assert codes(decision) == ["LIAN_SAN_LEI_LIU", "CURRENT_OVERDUE", "BAD_ACCOUNT_STATUS", "BAD_REPAYMENT_SYMBOL", "FIVE_CLASS"]


def test_decision_json_shape():
    decision = run(generate_report(9, report_date=REPORT_DATE, profile="special_mention"))
    data = decision.to_json()
    assert list(data) == ["decision", "ruleSetVersion", "rules"]
    assert data["rules"] == [
        {"code": "FIVE_CLASS", "kind": "reject", "message": decision.hits[0].message, "evidence": decision.hits[0].evidence}
    ]


# --- explaining ----------------------------------------------------------------------------


def test_explains_a_pass():
    decision = Decision(decision="pass", ruleset_version="reject-2026.1", as_of=REPORT_DATE)
    assert explain(decision) == "结论：通过（规则集 reject-2026.1），未命中任何拒绝或复核规则。"


def test_explains_each_hit_in_order():
    decision = Decision(
        decision="reject",
        ruleset_version="v9",
        as_of=REPORT_DATE,
        hits=(
            Hit(code="HARD_QUERIES_1M", kind="review", message="近1个月硬查询6次，超过4次", evidence={}),
            Hit(code="FIVE_CLASS", kind="reject", message="未结清贷款账户A1五级分类为「关注」", evidence={}),
        ),
    )
    assert explain(decision) == (
        "结论：拒绝（规则集 v9），命中 2 条规则：\n"
        "1.【人工复核】近1个月硬查询6次，超过4次\n"
        "2.【拒绝】未结清贷款账户A1五级分类为「关注」"
    )


def test_the_worst_outcome_wins():
    from app.domain.rules import worst_outcome

    assert worst_outcome("pass", "pass") == "pass"
    assert worst_outcome("review", "pass") == "review"
    assert worst_outcome("pass", "reject", "review") == "reject"

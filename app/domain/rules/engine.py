"""Rule sets as versioned data: load (validated), evaluate on a report, explain in Chinese.

A rule set is YAML:

    version: reject-2026.1          # stored on every decision
    description: 默认拒绝规则        # optional
    rules:
      - code: LIAN_SAN_LEI_LIU       # a code from catalogue.CATALOGUE
        kind: reject                 # reject | review
        enabled: true                # optional, default true
        message: "账户{account}…"    # Chinese template: {param} or {evidenceKey}
        params: {window_months: 24, consecutive: 3, cumulative: 6}   # omitted ones take defaults

Anything else — unknown code or key, wrong type, out-of-range value, a placeholder the
rule cannot fill — is refused with DomainError code "BAD_RULESET".
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

import yaml

from app.domain.credit_report.model import SYMBOLS, CreditReport
from app.domain.error_codes import RiskCode
from app.domain.errors import DomainError
from app.domain.rules.catalogue import CATALOGUE, Param
from app.domain.vocabulary import RISK_OUTCOME_LABELS

DEFAULT_REJECT_RULESET = "rulesets/default-reject-1.yaml"  # package resource of app.domain.rules
MAX_RULESET_CHARS = 64 * 1024
KINDS = ("reject", "review")
DECISIONS = ("pass", "review", "reject")
KIND_NAMES = {kind: RISK_OUTCOME_LABELS[kind] for kind in KINDS}  # a hit reject or review: the label of the decision it leads to
VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # a rule set's version string
_PLACEHOLDER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    kind: str
    message: str
    params: Mapping[str, Any]
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: str
    rules: tuple[Rule, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class Hit:
    code: str
    kind: str
    message: str
    evidence: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "kind": self.kind, "message": self.message, "evidence": self.evidence}


@dataclass(frozen=True, slots=True)
class Decision:
    decision: str  # pass | review | reject
    ruleset_version: str
    as_of: date
    hits: tuple[Hit, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The shape the command line prints and other tools read."""
        return {
            "decision": self.decision,
            "ruleSetVersion": self.ruleset_version,
            "rules": [h.to_json() for h in self.hits],
        }


def worst_outcome(*outcomes: str) -> str:
    """reject beats review beats pass: how the report's rules and the strategy combine into one answer."""
    return max(outcomes, key=DECISIONS.index)


# --- loading ------------------------------------------------------------------------------


def _bad(message: str, field: str | None = None) -> DomainError:
    return DomainError(f"规则集无效：{message}", code=RiskCode.BAD_RULESET, field=field)


@dataclass(frozen=True, slots=True)
class RuleSetDocument:
    """What every rule-set YAML has: the parsed mapping, its version, description and checked rules."""

    data: dict[str, Any]
    version: str
    description: str
    rules: tuple[Any, ...]


def load_document(
    yaml_text: str,
    *,
    example: str,
    extra_keys: tuple[str, ...] = (),
    catalogue: Mapping[str, Any] = CATALOGUE,
    make: Callable[..., Any] = Rule,
    bad: Callable[..., DomainError] = _bad,
) -> RuleSetDocument:
    """Size, YAML, top-level keys, version, description and the `rules:` list, for reject rules and strategies alike."""
    if len(yaml_text) > MAX_RULESET_CHARS:
        raise bad("文件过大（最多 64 KB）")
    try:
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"（第 {mark.line + 1} 行）" if mark is not None else ""
        raise bad(f"不是有效的 YAML{where}") from None
    keys = ("version", "rules", *extra_keys)
    if not isinstance(data, dict):
        raise bad(f"顶层应为映射（{'、'.join(keys)}）")
    unknown = set(data) - {*keys, "description"}
    if unknown:
        raise bad(f"未知的字段 {sorted(map(str, unknown))}")
    version = data.get("version")
    if not isinstance(version, str) or not VERSION_PATTERN.match(version):
        raise bad(f"version 必须是字符串（字母、数字、点、横线），例如 {example}", "version")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise bad("description 必须是字符串", "description")
    rules_data = data.get("rules")
    if not isinstance(rules_data, list) or not rules_data:
        raise bad("rules 必须是非空列表", "rules")
    rules: list[Any] = []
    seen: set[str] = set()
    for i, item in enumerate(rules_data):
        rule = load_rule_entry(item, f"rules[{i}]", catalogue=catalogue, make=make, bad=bad)
        if rule.code in seen:
            raise bad(f"规则 {rule.code} 重复", f"rules[{i}].code")
        seen.add(rule.code)
        rules.append(rule)
    return RuleSetDocument(data=data, version=version, description=description, rules=tuple(rules))


def load_ruleset(yaml_text: str) -> RuleSet:
    doc = load_document(yaml_text, example="reject-2026.1")
    return RuleSet(version=doc.version, rules=doc.rules, description=doc.description)


def load_rule_entry(item: Any, where: str, *, catalogue: Mapping[str, Any] = CATALOGUE, make: Callable[..., Any] = Rule, bad: Callable[..., DomainError] = _bad) -> Any:
    """One `rules:` entry of a rule-set YAML checked against a catalogue (reject rules here, strategies elsewhere)."""
    _bad = bad  # noqa: N806 (the caller's error wording)
    if not isinstance(item, dict):
        raise _bad(f"{where} 应为映射", where)
    unknown = set(item) - {"code", "kind", "message", "params", "enabled"}
    if unknown:
        raise _bad(f"{where} 含未知字段 {sorted(map(str, unknown))}", where)
    code = item.get("code")
    rule_type = catalogue.get(code) if isinstance(code, str) else None
    if rule_type is None:
        raise _bad(f"{where} 的规则代码未知：{code!r}", f"{where}.code")
    kind = item.get("kind")
    if kind not in KINDS:
        raise _bad(f"{code} 的 kind 必须是 reject 或 review", f"{where}.kind")
    enabled = item.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _bad(f"{code} 的 enabled 必须是 true 或 false", f"{where}.enabled")
    params = _load_params(rule_type, item.get("params") or {}, where, bad)
    message = item.get("message")
    if not isinstance(message, str) or not message.strip():
        raise _bad(f"{code} 缺少 message", f"{where}.message")
    _check_template(rule_type, message, f"{where}.message", bad)
    return make(code=code, kind=kind, message=message, params=MappingProxyType(params), enabled=enabled)


def _load_params(rule_type: Any, raw: Any, where: str, _bad: Callable[..., DomainError] = _bad) -> dict[str, Any]:
    code = rule_type.code
    if not isinstance(raw, dict):
        raise _bad(f"{code} 的 params 应为映射", f"{where}.params")
    unknown = set(raw) - set(rule_type.params)
    if unknown:
        raise _bad(f"{code} 含未知参数 {sorted(map(str, unknown))}", f"{where}.params")
    params = {}
    for name, spec in rule_type.params.items():
        field = f"{where}.params.{name}"
        params[name] = _param(spec, raw[name], f"{code} 的参数 {name}", field, _bad) if name in raw else spec.default
    problem = rule_type.check(params)
    if problem is not None:
        raise _bad(f"{code}：{problem}", f"{where}.params")
    return params


def _param(spec: Param, value: Any, label: str, field: str, _bad: Callable[..., DomainError] = _bad) -> Any:
    if spec.type == "int":
        if not isinstance(value, int) or isinstance(value, bool) or not spec.low <= value <= spec.high:
            raise _bad(f"{label} 应为 {spec.low} 到 {spec.high} 之间的整数", field)
        return value
    if spec.type == "symbols":
        if not isinstance(value, str) or not value or not set(value) <= SYMBOLS or len(set(value)) != len(value):
            raise _bad(f"{label} 应为不重复的还款状态符号组成的字符串", field)
        return value
    if spec.type == "strings":
        ok = isinstance(value, list) and value and all(isinstance(v, str) and v for v in value)
        if not ok or (spec.choices is not None and not set(value) <= spec.choices):
            allowed = f"，取值为 {sorted(spec.choices)}" if spec.choices is not None else ""
            raise _bad(f"{label} 应为非空字符串列表{allowed}", field)
        return tuple(value)
    raise AssertionError(f"unknown parameter type {spec.type}")  # pragma: no cover - catalogue bug


def _check_template(rule_type: Any, message: str, field: str, _bad: Callable[..., DomainError] = _bad) -> None:
    allowed = set(rule_type.params) | rule_type.evidence_keys
    try:
        parts = list(string.Formatter().parse(message))
    except ValueError:
        raise _bad(f"{rule_type.code} 的 message 花括号不匹配（字面花括号请写成 {{{{ }}}}）", field) from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not _PLACEHOLDER.match(name) or name not in allowed or spec or conversion:
            raise _bad(f"{rule_type.code} 的 message 不能使用占位符 {{{name}}}；可用：{sorted(allowed)}", field)


# --- evaluation ---------------------------------------------------------------------------


def _show(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


def evaluate(ruleset: RuleSet, report: CreditReport, as_of: date) -> Decision:
    """Run every enabled rule; reject if any reject hit, else review if any review hit, else pass.

    Windows count back from the report's own date (the data knows nothing later);
    `as_of` is the evaluation date recorded on the decision.
    """
    hits: list[Hit] = []
    for rule in ruleset.rules:
        if not rule.enabled:
            continue
        rule_type = CATALOGUE[rule.code]
        for evidence in rule_type.evaluate(report, rule.params):
            values = dict.fromkeys(rule_type.evidence_keys, "—")  # optional evidence (e.g. an amount) may be absent
            values.update((k, _show(v)) for k, v in rule.params.items())
            values.update((k, _show(v)) for k, v in evidence.items())
            hits.append(Hit(code=rule.code, kind=rule.kind, message=rule.message.format_map(values), evidence=evidence))
    if any(h.kind == "reject" for h in hits):
        decision = "reject"
    elif hits:
        decision = "review"
    else:
        decision = "pass"
    return Decision(decision=decision, ruleset_version=ruleset.version, as_of=as_of, hits=tuple(hits))


def explain(decision: Decision) -> str:
    """A short Chinese explanation for the officer."""
    head = f"结论：{RISK_OUTCOME_LABELS[decision.decision]}（规则集 {decision.ruleset_version}）"
    if not decision.hits:
        return head + "，未命中任何拒绝或复核规则。"
    lines = [f"{head}，命中 {len(decision.hits)} 条规则："]
    lines += [f"{i}.【{KIND_NAMES[h.kind]}】{h.message}" for i, h in enumerate(decision.hits, start=1)]
    return "\n".join(lines)

"""Rule sets as data: the active version per kind and bank, uploads by admins (validated, audited).

Three kinds: the credit-report reject rules, the admission/anti-fraud/limit/pricing
strategy, and the online products' strategies (kind `online`: one active version per product and
bank, the product named by the YAML's `product`; `online_strategies` gives what applies, the shipped
file of a product when nothing was uploaded for it). Each has its shipped default and its own loader,
which refuses a bad upload before anything is stored. A bank admin's online strategy must name one of
the bank's own products; the next application for that product is decided on it.

Per bank: a version with no bank is the platform default; a member bank's admin may upload and
activate the bank's own version of a kind, which then applies to that bank's customers only
(`active_ruleset(kind=…, bank_id=…)`: the bank's own active version, else the platform default).
A platform admin's upload is the platform default. Version names are unique within a bank (and
within the platform defaults), so two banks may each have their own "strategy-2027.1".

Maker-checker (双人复核): the doors call `propose_ruleset_upload`, `propose_ruleset_activate` (an older version
again) and `propose_use_platform_default`. A bank admin's change is a pending command (kind `ruleset_upload`, its
`op` param `upload` / `activate` / `use_default`) that a second admin or a head-office approver checks; it takes
effect only then (`OPERATION.execute` checks the text, the version name or the version again). A platform admin's
upload or activation (the platform default) is a platform command (no bank: `params["bank_id"]` null) that a second
platform admin checks; a bank's officers never see it. When the settings leave the kind out of
`CUNXIN_MAKER_CHECKER_KINDS` it runs at once through the same command. The system's changes (no officer: nobody to
check them) run at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from importlib import resources
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain.error_codes import CommonCode, RiskCode
from app.domain.errors import Conflict, DomainError, NotFound
from app.domain.maker_checker import CommandKind, Effect, Figure, MakerCheckerPolicy
from app.domain.permissions import Action
from app.domain.rules import DEFAULT_REJECT_RULESET, DEFAULT_STRATEGY_RULESET, load_ruleset, load_strategy_ruleset
from app.domain.rules.online import SHIPPED_ONLINE_STRATEGIES, OnlineStrategy, load_online_strategy
from app.models import Officer, PendingCommand, Product, RuleSetVersion
from app.models.risk import RuleSetKind
from app.services import audit
from app.services.actor import Actor
from app.services.maker_checker.registry import Operation, Params, Subject
from app.services.permissions import require

SHIPPED = {RuleSetKind.REJECT: DEFAULT_REJECT_RULESET, RuleSetKind.STRATEGY: DEFAULT_STRATEGY_RULESET}
LOADERS: dict[RuleSetKind, Callable[[str], Any]] = {
    RuleSetKind.REJECT: load_ruleset, RuleSetKind.STRATEGY: load_strategy_ruleset, RuleSetKind.ONLINE: load_online_strategy,
}


def shipped_online_strategies() -> dict[str, tuple[OnlineStrategy, str]]:
    """Product code -> its shipped strategy and text (the defaults, marked as configuration, not credit policy)."""
    out = {}
    for name in SHIPPED_ONLINE_STRATEGIES:
        text = resources.files("app.domain.rules").joinpath(name).read_text(encoding="utf-8")
        strategy = load_online_strategy(text)
        out[strategy.product_code] = (strategy, text)
    return out


async def online_strategies(bank_id: UUID | None) -> dict[str, tuple[OnlineStrategy, RuleSetVersion | None]]:
    """Product code -> the online strategy that decides the bank's applications for it, and its stored version: the
    bank's own active version, else the platform default's, else the shipped file (no stored version)."""
    out: dict[str, tuple[OnlineStrategy, RuleSetVersion | None]] = {code: (strategy, None) for code, (strategy, _) in shipped_online_strategies().items()}
    rows = await RuleSetVersion.filter(kind=RuleSetKind.ONLINE, is_active=True, bank_id=None)
    if bank_id is not None:
        rows += await RuleSetVersion.filter(kind=RuleSetKind.ONLINE, is_active=True, bank_id=bank_id)  # after the platform's: they win
    for row in rows:
        out[row.product_code] = (load_online_strategy(row.yaml_text), row)
    return out


def _product_of(kind: RuleSetKind, ruleset: Any) -> str:
    """The product an online strategy decides ("" for the other kinds: one active version per kind and bank)."""
    return ruleset.product_code if kind == RuleSetKind.ONLINE else ""


async def _check_product(kind: RuleSetKind, ruleset: Any, bank_id: UUID | None) -> None:
    if kind == RuleSetKind.ONLINE and bank_id is not None and not await Product.exists(bank_id=bank_id, code=ruleset.product_code):
        raise DomainError(f"线上产品策略无效：本行没有产品代码为 {ruleset.product_code} 的产品", code=RiskCode.BAD_RULESET, field="product")


def shipped_ruleset_text(kind: RuleSetKind = RuleSetKind.REJECT) -> str:
    return resources.files("app.domain.rules").joinpath(SHIPPED[kind]).read_text(encoding="utf-8")


def load_kind(kind: RuleSetKind, yaml_text: str) -> Any:
    """The loaded rule set (RuleSet or StrategyRuleSet); BAD_RULESET when the text is not one of this kind."""
    return LOADERS[kind](yaml_text)


def _require_admin(actor: Actor) -> None:
    require(actor, Action.RULESET_UPLOAD)


def owner_label(bank_id: UUID | None) -> str:
    return "平台默认" if bank_id is None else "本行"


async def active_ruleset(*, actor: Actor, kind: RuleSetKind = RuleSetKind.REJECT, bank_id: UUID | None) -> tuple[RuleSetVersion, Any]:
    """The version that applies to the bank's decisions (row and loaded rules): the bank's own active one, else the platform default.

    `bank_id` is the bank of the customer at hand (None: the platform default itself). The shipped YAML
    is stored as the platform default first when there is none.
    """
    row = await _applying(kind, bank_id)
    if row is None:
        return await _seed_shipped(actor, kind)
    return row, load_kind(kind, row.yaml_text)


async def _applying(kind: RuleSetKind, bank_id: UUID | None, product_code: str = "") -> RuleSetVersion | None:
    """The bank's own active version of the kind (of an online product: of that product), else the platform default's
    (None: none stored yet)."""
    row = await RuleSetVersion.filter(kind=kind, product_code=product_code, bank_id=bank_id, is_active=True).first() if bank_id is not None else None
    return row or await RuleSetVersion.filter(kind=kind, product_code=product_code, bank_id=None, is_active=True).first()


async def _seed_shipped(actor: Actor, kind: RuleSetKind) -> tuple[RuleSetVersion, Any]:
    text = shipped_ruleset_text(kind)
    ruleset = load_kind(kind, text)
    async with in_transaction():
        row, created = await RuleSetVersion.get_or_create(
            bank_id=None, version=ruleset.version,
            defaults={"kind": kind, "yaml_text": text, "description": ruleset.description[:256], "is_active": True},
        )
        if not row.is_active:
            await RuleSetVersion.filter(id=row.id).update(is_active=True)
            row.is_active = True
        await audit.record(actor, "ruleset.seed", "rule_set_version", row.id, after={"version": row.version, "kind": kind.value, "created": created})
    return row, ruleset


async def upload_ruleset(*, actor: Actor, yaml_text: str, kind: RuleSetKind = RuleSetKind.REJECT) -> RuleSetVersion:
    """Store a new version and make it the active one of the uploader's bank (a platform admin's: the platform default), at once.

    BAD_RULESET errors pass through; nothing is stored. The doors call `propose_ruleset_upload` (maker-checker);
    this is what runs for the platform and the system, and what a checked command runs.
    """
    _require_admin(actor)
    return await _store(actor, yaml_text=yaml_text, kind=RuleSetKind(kind), bank_id=actor.bank_id, uploaded_by_id=actor.id)


async def _store(actor: Actor, *, yaml_text: str, kind: RuleSetKind, bank_id: UUID | None, uploaded_by_id: UUID | None) -> RuleSetVersion:
    ruleset = load_kind(kind, yaml_text)
    product = _product_of(kind, ruleset)
    await _check_product(kind, ruleset, bank_id)
    async with in_transaction():
        if await RuleSetVersion.exists(bank_id=bank_id, version=ruleset.version):
            raise Conflict(f"规则集版本 {ruleset.version} 已存在，请使用新的版本号", code=RiskCode.DUPLICATE_VERSION, field="version")
        previous = await _applying(kind, bank_id, product)
        await RuleSetVersion.filter(kind=kind, product_code=product, bank_id=bank_id, is_active=True).update(is_active=False)
        row = await RuleSetVersion.create(
            bank_id=bank_id,
            kind=kind,
            product_code=product,
            version=ruleset.version,
            description=ruleset.description[:256],
            yaml_text=yaml_text,
            is_active=True,
            uploaded_by_id=uploaded_by_id,
        )
        await audit.record(
            actor,
            "ruleset.upload",
            "rule_set_version",
            row.id,
            before={"version": previous.version} if previous else None,
            after={"version": row.version, "kind": kind.value, "rules": len(getattr(ruleset, "rules", ())), "product": product or None,
                   "bank_id": str(bank_id) if bank_id else None},
        )
    return row


# --- maker-checker (双人复核): the upload as a pending command ------------------------------------


def _op(params: Params) -> str:
    """What the command does to the bank's rule set: `upload` (a new version; commands made before `op` existed),
    `activate` (an older stored version again) or `use_default` (set the bank's own version aside)."""
    return params.get("op", "upload")


async def _subject(actor: Actor, params: Params) -> Subject:
    """The bank's rule set (a platform admin's: the platform default, no bank); the command sits at the maker's own
    branch (the head office's admin: the head branch; platform staff: the platform node)."""
    kind = RuleSetKind(params["kind"])
    officer = await Officer.get(id=actor.id)
    op = _op(params)
    if op == "activate":
        label = f"启用{kind.label} {params['version']}"
    elif op == "use_default":
        label = f"{kind.label}改用平台默认"
    else:
        label = f"{kind.label} {load_kind(kind, params['yaml_text']).version}"  # a bad text is refused to the maker at once
    return Subject(actor.bank_id, officer.branch_id, label[:128])


def _rule_codes(ruleset: Any) -> dict[str, bool]:
    if isinstance(ruleset, OnlineStrategy):  # no rules to switch: its parameters, each a "rule" for the comparison
        return {f"{name}.{k}={v}": True for name, section in (("admission", ruleset.admission), ("limit", ruleset.limit)) for k, v in section.items()}
    return {r.code: bool(getattr(r, "enabled", True)) for r in ruleset.rules}


async def _platform_default(kind: RuleSetKind) -> tuple[Any, str]:
    row = await RuleSetVersion.filter(kind=kind, bank_id=None, is_active=True).first()
    return load_kind(kind, row.yaml_text if row is not None else shipped_ruleset_text(kind)), "平台默认"


def _bank_of(params: Params) -> UUID | None:
    """The bank whose rule set the command changes (None: the platform default, a platform admin's command)."""
    return UUID(params["bank_id"]) if params.get("bank_id") else None


async def _target(kind: RuleSetKind, bank_id: UUID | None, params: Params) -> tuple[Any, str, str]:
    """The rule set that will apply after the command, its owner label and the title; raises when it cannot run."""
    op = _op(params)
    owner = owner_label(bank_id)
    if op == "activate":
        row = await RuleSetVersion.get_or_none(bank_id=bank_id, kind=kind, version=params["version"])
        if row is None:
            raise NotFound(f"规则集版本 {params['version']} 不存在", field="version")
        if row.is_active:
            raise Conflict(f"规则集版本 {row.version} 已是{owner}生效版本", code=CommonCode.WRONG_STATUS, field="version")
        return load_kind(kind, row.yaml_text), owner, f"启用{kind.label} {row.version}"
    if bank_id is None and op == "use_default":
        raise Conflict("平台默认版本不能撤销，请上传或启用另一个版本", code=CommonCode.WRONG_STATUS, field="kind")
    if op == "use_default":
        if kind == RuleSetKind.ONLINE:
            raise Conflict("线上产品策略按产品生效：请启用本行的另一个版本或上传新版本", code=CommonCode.WRONG_STATUS, field="kind")
        if not await RuleSetVersion.exists(kind=kind, bank_id=bank_id, is_active=True):
            raise Conflict(f"本行未启用自己的{kind.label}，已在使用平台默认版本", code=CommonCode.WRONG_STATUS, field="kind")
        new, owner = await _platform_default(kind)
        return new, owner, f"{kind.label}改用平台默认"
    new = load_kind(kind, params["yaml_text"])
    await _check_product(kind, new, bank_id)
    if await RuleSetVersion.exists(bank_id=bank_id, version=new.version):
        raise Conflict(f"规则集版本 {new.version} 已存在，请使用新的版本号", code=RiskCode.DUPLICATE_VERSION, field="version")
    return new, owner, f"上传{kind.label} {new.version}"


async def _preview(params: Params, today: date) -> Effect:
    kind = RuleSetKind(params["kind"])
    bank_id = _bank_of(params)
    new, new_owner, title = await _target(kind, bank_id, params)
    product = _product_of(kind, new)
    current = await _applying(kind, bank_id, product)
    if current is not None:
        old, old_owner = load_kind(kind, current.yaml_text), owner_label(current.bank_id)
    elif kind == RuleSetKind.ONLINE:
        shipped = shipped_online_strategies().get(product)
        old, old_owner = (shipped[0], "出厂默认") if shipped else (None, "未上线")
    else:
        old, old_owner = load_kind(kind, shipped_ruleset_text(kind)), "平台默认"
    if old is None:  # an online product without any strategy so far: it goes online with this one
        after = _rule_codes(new)
        notes = [f"产品 {product} 此前没有线上策略，复核通过后即可在手机银行在线申请", "参数：" + "、".join(sorted(after))]
        return Effect(title, (Figure("生效版本", "无", f"{new.version}（{new_owner}）", money=False),), tuple(notes))
    before, after = _rule_codes(old), _rule_codes(new)
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    switched = sorted(c for c in set(before) & set(after) if before[c] != after[c])
    figures = (
        Figure("生效版本", f"{old.version}（{old_owner}）", f"{new.version}（{new_owner}）", money=False),
        Figure("规则条数", str(len(before)), str(len(after)), money=False),
        Figure("启用的规则", str(sum(before.values())), str(sum(after.values())), money=False),
    )
    notes = [f"{kind.label}：{new.description}" if new.description else kind.label]
    if product:
        notes.append(f"产品 {product}，数据来源：{new.source.label if new.source else '征信报告与本行数据'}")
    if added:
        notes.append("新增规则：" + "、".join(added))
    if removed:
        notes.append("删去规则：" + "、".join(removed))
    if switched:
        notes.append("启用状态改变：" + "、".join(f"{c}（{'启用' if after[c] else '停用'}）" for c in switched))
    if bank_id is None:
        notes.append("复核通过后立即成为平台默认版本：未启用本行版本的法人行此后均按新版本决策；可在规则集页面启用旧版本回退")
    elif _op(params) == "use_default":
        notes.append("复核通过后本行停用自己的版本，此后本行的决策按平台默认版本执行；可在规则集页面再启用本行版本")
    else:
        notes.append("复核通过后立即成为本行生效版本，此后本行的决策按新版本执行；可在规则集页面启用旧版本回退")
    return Effect(title, figures, tuple(notes))


async def _execute(actor: Actor, params: Params, today: date) -> dict[str, Any]:
    """Runs in the checker's transaction: the text is loaded and the version name checked again (an activation: the
    version is still there and not active; setting aside: the bank still has its own active version)."""
    kind, bank_id = RuleSetKind(params["kind"]), _bank_of(params)
    op = _op(params)
    if op == "activate":
        row = await _activate(actor, bank_id=bank_id, version=params["version"])
        return {"version_id": str(row.id), "version": row.version}
    if op == "use_default":
        await _target(kind, bank_id, params)  # still its own version to set aside
        aside = await _set_aside(actor, bank_id=bank_id, kind=kind)
        return {"set_aside": aside.version if aside else None}
    row = await _store(actor, yaml_text=params["yaml_text"], kind=kind, bank_id=bank_id, uploaded_by_id=UUID(params["maker_id"]))
    return {"version_id": str(row.id), "version": row.version}


OPERATION = Operation(CommandKind.RULESET_UPLOAD, Action.RULESET_UPLOAD, Action.RULESET_UPLOAD_APPROVE, _subject, _preview, _execute)


async def propose_ruleset_upload(
    *, actor: Actor, yaml_text: str, kind: RuleSetKind = RuleSetKind.REJECT, reason: str = "", today: date, now: datetime,
    policy: MakerCheckerPolicy,
) -> PendingCommand | RuleSetVersion:
    """An admin uploads a rule set: a pending command (`PendingCommand`, approved at once when the settings do not list
    `ruleset_upload`) — a bank admin's for a second admin or a head-office approver, a platform admin's (the platform
    default, a platform command) for a second platform admin; the system's upload is stored at once (the
    `RuleSetVersion`: no officer, nobody to check it). `reason` defaults to the rule set's own description."""
    from app.services.maker_checker.commands import propose

    _require_admin(actor)
    kind = RuleSetKind(kind)
    if not actor.is_officer:
        return await upload_ruleset(actor=actor, yaml_text=yaml_text, kind=kind)
    ruleset = load_kind(kind, yaml_text)
    reason = reason.strip() or f"上传{kind.label} {ruleset.version}：{ruleset.description}".rstrip("：")
    params = {"kind": kind.value, "yaml_text": yaml_text, "bank_id": _bank_param(actor), "maker_id": str(actor.id)}
    return await propose(actor=actor, kind=CommandKind.RULESET_UPLOAD, params=params, reason=reason, today=today, now=now, policy=policy)


async def propose_ruleset_activate(
    *, actor: Actor, version: str, reason: str = "", today: date, now: datetime, policy: MakerCheckerPolicy,
) -> PendingCommand | RuleSetVersion:
    """An admin makes an older stored version active again (roll back): a pending command of kind `ruleset_upload`
    that a second admin or a head-office approver checks (a platform admin's, of a platform default: a second
    platform admin), its effect the versions before and after (approved at once when the settings leave the kind
    out); the system's runs at once (the `RuleSetVersion`)."""
    from app.services.maker_checker.commands import propose

    _require_admin(actor)
    if not actor.is_officer:
        return await activate_ruleset(actor=actor, version=version)
    row = await RuleSetVersion.get_or_none(bank_id=actor.bank_id, version=version.strip())
    if row is None:
        raise NotFound(f"规则集版本 {version} 不存在", field="version")
    kind = RuleSetKind(row.kind)
    reason = reason.strip() or f"启用{kind.label} {row.version}（回退）"
    params = {"op": "activate", "kind": kind.value, "version": row.version, "bank_id": _bank_param(actor), "maker_id": str(actor.id)}
    return await propose(actor=actor, kind=CommandKind.RULESET_UPLOAD, params=params, reason=reason, today=today, now=now, policy=policy)


def _bank_param(actor: Actor) -> str | None:
    """The command's bank: the maker's (None: platform staff, the platform default)."""
    return str(actor.bank_id) if actor.bank_id is not None else None


async def propose_use_platform_default(
    *, actor: Actor, kind: RuleSetKind, reason: str = "", today: date, now: datetime, policy: MakerCheckerPolicy,
) -> PendingCommand:
    """A bank admin sets the bank's own version of the kind aside (the platform default applies again): a pending
    command of kind `ruleset_upload` for a second admin or a head-office approver (approved at once when the settings
    leave the kind out). A platform admin has nothing to set aside (refused)."""
    from app.services.maker_checker.commands import propose

    _require_admin(actor)
    if not actor.is_officer or actor.bank_id is None:
        raise Conflict("平台默认版本不能撤销，请上传或启用另一个版本", code=CommonCode.WRONG_STATUS, field="kind")
    kind = RuleSetKind(kind)
    if kind == RuleSetKind.ONLINE:
        raise Conflict("线上产品策略按产品生效：请启用本行的另一个版本或上传新版本", code=CommonCode.WRONG_STATUS, field="kind")
    reason = reason.strip() or f"{kind.label}停用本行版本，改用平台默认"
    params = {"op": "use_default", "kind": kind.value, "bank_id": str(actor.bank_id), "maker_id": str(actor.id)}
    return await propose(actor=actor, kind=CommandKind.RULESET_UPLOAD, params=params, reason=reason, today=today, now=now, policy=policy)


async def activate_ruleset(*, actor: Actor, version: str) -> RuleSetVersion:
    """Make a stored version of the actor's bank (a platform admin: of the platform defaults) active again (roll back an upload)."""
    _require_admin(actor)
    return await _activate(actor, bank_id=actor.bank_id, version=version)


async def _activate(actor: Actor, *, bank_id: UUID | None, version: str) -> RuleSetVersion:
    async with in_transaction():
        row = await RuleSetVersion.get_or_none(bank_id=bank_id, version=version)
        if row is None:
            raise NotFound(f"规则集版本 {version} 不存在", field="version")
        previous = await _applying(row.kind, bank_id, row.product_code)
        await RuleSetVersion.filter(kind=row.kind, product_code=row.product_code, bank_id=bank_id, is_active=True).update(is_active=False)
        await RuleSetVersion.filter(id=row.id).update(is_active=True)
        await audit.record(
            actor,
            "ruleset.activate",
            "rule_set_version",
            row.id,
            before={"version": previous.version} if previous else None,
            after={"version": row.version, "bank_id": str(bank_id) if bank_id else None},
        )
    await row.refresh_from_db()
    return row


async def use_platform_default(*, actor: Actor, kind: RuleSetKind) -> RuleSetVersion | None:
    """A bank admin sets its own version of the kind aside: the bank's decisions follow the platform default again.

    Returns the version set aside (None when the bank had none active). Platform admins have nothing to set aside.
    """
    _require_admin(actor)
    if actor.bank_id is None:
        raise Conflict("平台默认版本不能撤销，请上传或启用另一个版本", code=CommonCode.WRONG_STATUS, field="kind")
    if RuleSetKind(kind) == RuleSetKind.ONLINE:
        raise Conflict("线上产品策略按产品生效：请启用本行的另一个版本或上传新版本", code=CommonCode.WRONG_STATUS, field="kind")
    return await _set_aside(actor, bank_id=actor.bank_id, kind=RuleSetKind(kind))


async def _set_aside(actor: Actor, *, bank_id: UUID, kind: RuleSetKind) -> RuleSetVersion | None:
    async with in_transaction():
        row = await RuleSetVersion.filter(kind=kind, bank_id=bank_id, is_active=True).first()
        if row is None:
            return None
        await RuleSetVersion.filter(id=row.id).update(is_active=False)
        await audit.record(actor, "ruleset.use_default", "rule_set_version", row.id, before={"version": row.version}, after={"kind": kind.value})
    return row

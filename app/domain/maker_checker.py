"""Maker-checker (双人复核): the vocabulary of pending commands and what a checker is shown.

An operation that needs a second officer is stored as a pending command: its kind, its parameters
and the effect the maker saw (`Effect`: figures before and after). At check time the effect is
computed again; when it differs (an end-of-day ran in between), the checker sees both. Pure: the
registry of operation kinds and the service that runs them are in `app/services/maker_checker/`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class CommandKind(StrEnum):
    """Operations that may need a second officer (the settings list which ones do)."""

    WRITE_OFF = "write_off"  # 核销
    REVERSAL = "reversal"  # 冲正
    EXTENSION = "extension"  # 展期
    RENEWAL = "renewal"  # 无还本续贷
    COUNTER_DRAWDOWN = "counter_drawdown"  # 柜面用信（超过阈值）
    RULESET_UPLOAD = "ruleset_upload"  # 上传规则集
    LIST_CHANGE = "list_change"  # 黑灰名单变更

    @property
    def label(self) -> str:
        return COMMAND_KIND_LABELS[self]


COMMAND_KIND_LABELS = {
    CommandKind.WRITE_OFF: "贷款核销",
    CommandKind.REVERSAL: "冲正",
    CommandKind.EXTENSION: "贷款展期",
    CommandKind.RENEWAL: "无还本续贷",
    CommandKind.COUNTER_DRAWDOWN: "柜面用信",
    CommandKind.RULESET_UPLOAD: "上传规则集",
    CommandKind.LIST_CHANGE: "黑灰名单变更",
}


class CommandStatus(StrEnum):
    PENDING = "pending"  # 待复核
    APPROVED = "approved"  # 已复核通过并执行
    REJECTED = "rejected"  # 已退回
    EXPIRED = "expired"  # 已过期
    FAILED = "failed"  # 复核通过但执行失败（未做任何变更）

    @property
    def label(self) -> str:
        return COMMAND_STATUS_LABELS[self]


COMMAND_STATUS_LABELS = {
    CommandStatus.PENDING: "待复核",
    CommandStatus.APPROVED: "已通过",
    CommandStatus.REJECTED: "已退回",
    CommandStatus.EXPIRED: "已过期",
    CommandStatus.FAILED: "执行失败",
}


@dataclass(frozen=True, slots=True)
class Figure:
    """One line of an effect: a label and the value before and after (money in fen, or a text)."""

    label: str
    before: int | str | None
    after: int | str | None
    money: bool = True  # True: before/after are integer fen

    @property
    def changes(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True, slots=True)
class Effect:
    """What an operation will do, as the maker and the checker see it."""

    title: str  # e.g. 核销 借据 SX-2026-0001（张三）
    figures: tuple[Figure, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)  # plain sentences: 账销案存, 催收继续…

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "figures": [{"label": f.label, "before": f.before, "after": f.after, "money": f.money} for f in self.figures],
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Effect:
        data = data or {}
        return cls(
            title=str(data.get("title", "")),
            figures=tuple(Figure(f["label"], f.get("before"), f.get("after"), bool(f.get("money", True))) for f in data.get("figures", [])),
            notes=tuple(str(n) for n in data.get("notes", [])),
        )


def effect_differs(seen: Effect, now: Effect) -> bool:
    """True when the effect computed now is not the one the maker saw (the checker is then shown both)."""
    return seen.to_json() != now.to_json()


@dataclass(frozen=True, slots=True)
class MakerCheckerPolicy:
    """Which operations need a second officer and how long a request waits (from the settings)."""

    kinds: frozenset[CommandKind] = frozenset(CommandKind)
    expire_hours: int = 72
    counter_drawdown_above_fen: int = 50_000_00  # a counter drawdown above this amount needs a checker
    branch_authority_fen: int | None = 500_000_00  # 支行审批权限: a request above it is checked by the head office (None: no limit)

    def needs_check(self, kind: CommandKind) -> bool:
        return kind in self.kinds

    def above_branch_authority(self, amount_fen: int | None) -> bool:
        """A request of this amount goes to the bank's head office (总行) for its check."""
        return amount_fen is not None and self.branch_authority_fen is not None and amount_fen > self.branch_authority_fen


DEFAULT_POLICY = MakerCheckerPolicy()


def parse_kinds(text: str) -> frozenset[CommandKind]:
    """The settings' comma-separated list ("write_off,reversal"); "all" or empty-string handling is the caller's."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    return frozenset(CommandKind(n) for n in names)

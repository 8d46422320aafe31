"""Seeing how the outside systems are wired: count adapter constructions, record an adapter's calls."""

from __future__ import annotations

from collections import Counter
from typing import Any

from app.integrations import bureau, core_banking, identity, provincial, sms

ADAPTER_CLASSES = (
    bureau.SandboxBureau, bureau.HttpBureau, identity.SandboxIdentityCheck, identity.HttpIdentityCheck,
    core_banking.SandboxCoreBanking, core_banking.HttpCoreBanking, sms.SandboxSms, sms.HttpSms,
    provincial.SandboxProvincial, provincial.HttpProvincial,
)


def count_constructions(monkeypatch) -> Counter:
    """From now on, every adapter built (any of ADAPTER_CLASSES) adds one to its class name."""
    built: Counter = Counter()
    for cls in ADAPTER_CLASSES:
        original = cls.__init__

        def counting(self, *args: Any, _original=original, _name=cls.__name__, **kwargs: Any) -> None:
            built[_name] += 1
            _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__init__", counting)
    return built


class Recording:
    """An adapter passed through: each awaited method call is noted by name in `calls`."""

    def __init__(self, inner: Any, calls: list[str]) -> None:
        self._inner, self._calls = inner, calls

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            self._calls.append(name)
            return await method(*args, **kwargs)

        return call

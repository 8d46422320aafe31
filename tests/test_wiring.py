"""One composition root (app/wiring.py): each process builds its outside systems once, from the settings.

The web app, both workers' start-up and the CLI get them from `Adapters.from_settings`: a URL in the
settings gives the HTTP client everywhere, none gives the sandbox. (A page builds none:
tests/ui/test_visit_pages.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from app.config import ROOT
from app.integrations.bureau import HttpBureau, SandboxBureau
from app.integrations.core_banking import HttpCoreBanking, SandboxCoreBanking
from app.integrations.identity import HttpIdentityCheck, SandboxIdentityCheck
from app.integrations.provincial import HttpProvincial, SandboxProvincial
from app.integrations.sms import HttpSms, SandboxSms
from app.services import contracts
from app.wiring import Adapters
from tests.factories.borrower import graphql_view
from tests.support.adapters import count_constructions

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, a call fails at once
URLS = {"bureau_url": CLOSED, "identity_url": CLOSED, "core_banking_url": CLOSED, "sms_url": CLOSED, "provincial_url": CLOSED}
HTTP = {"bureau": HttpBureau, "identity_check": HttpIdentityCheck, "core": HttpCoreBanking, "sms": HttpSms, "provincial": HttpProvincial}
SANDBOX = {"bureau": SandboxBureau, "identity_check": SandboxIdentityCheck, "core": SandboxCoreBanking, "sms": SandboxSms,
           "provincial": SandboxProvincial}


def _kinds(adapters: dict) -> dict[str, type]:
    return {name: type(adapters[name]) for name in HTTP}


def test_each_outside_system_is_its_sandbox_unless_the_settings_name_a_url(settings):
    assert _kinds(Adapters.from_settings(settings).by_name()) == SANDBOX
    assert _kinds(Adapters.from_settings(settings.model_copy(update=URLS)).by_name()) == HTTP


def test_the_signing_kit_loads_on_first_use_and_is_kept(settings, tmp_path, monkeypatch):
    loads = []
    real = Adapters.from_settings(settings.model_copy(update={"var_dir": tmp_path}))
    monkeypatch.setattr("app.wiring.load_pki", lambda *a, **kw: loads.append(1) or contracts.pki.load_pki(*a, **kw))
    adapters = Adapters.from_settings(settings.model_copy(update={"var_dir": tmp_path}))
    assert loads == []  # building the adapters loads no PKI (a prod process without certificates still starts)
    kit = adapters.signing_kit()
    assert adapters.signing_kit() is kit and loads == [1] and kit.media == adapters.media
    assert real.signing_kit().pki.ca_cert == kit.pki.ca_cert  # the development PKI, generated once under var/pki


async def test_the_web_app_builds_its_adapters_once_and_hands_them_to_both_doors(settings, monkeypatch):
    from app.main import create_app

    built = count_constructions(monkeypatch)
    app = create_app(settings.model_copy(update=URLS), manage_db=False)
    assert _kinds(vars(app.state)["_state"]) == HTTP
    assert set(built.values()) == {1}, built  # each outside system once, for pages and /graphql alike
    mobile = graphql_view(app).mobile
    assert mobile.sms is app.state.sms and mobile.bureau is app.state.bureau and mobile.media is app.state.media
    assert _kinds(vars(create_app(settings, manage_db=False).state)["_state"]) == SANDBOX


@pytest.mark.parametrize("worker", ["workers.default", "workers.ml"])
async def test_each_worker_start_up_builds_its_adapters_from_the_settings(worker, settings, monkeypatch):
    import importlib

    module = importlib.import_module(worker)

    class NoModels:  # the ML worker's model child is not what this test is about
        def __init__(self, *args, **kwargs): ...
        async def start(self): ...
        async def close(self): ...

    async def no_database(settings):
        return None

    monkeypatch.setattr(module, "get_settings", lambda: settings.model_copy(update=URLS))
    monkeypatch.setattr(module, "init_db", no_database)  # the test process has the ORM open already
    if hasattr(module, "ModelProcess"):
        monkeypatch.setattr(module, "ModelProcess", NoModels)
    built = count_constructions(monkeypatch)
    ctx: dict = {}
    await module.startup(ctx)
    try:
        assert _kinds(ctx) == HTTP and set(built.values()) == {1}, built
        assert ctx["media"].root == settings.media_dir and ctx["vault"] is not None and ctx["queue"] is not None
    finally:
        await module.shutdown(ctx)


def _cunxin(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)


async def test_the_cli_uses_the_core_banking_the_settings_name(db):
    sandbox = _cunxin("reconcile", "--date", "2026-11-27")
    assert sandbox.returncode == 0 and "对账平" in sandbox.stdout, sandbox.stderr
    http = _cunxin("reconcile", "--date", "2026-11-27", CUNXIN_CORE_BANKING_URL=CLOSED)
    assert http.returncode == 1 and "核心系统流水不可用" in http.stderr, (http.stdout, http.stderr)


def test_each_external_data_source_is_its_sandbox_unless_its_url_is_set(settings):
    from app.domain.external_data import ExternalSource
    from app.integrations.external_data import HttpSource, SandboxSource

    sandbox = Adapters.from_settings(settings).external
    assert {type(sandbox.get(s)) for s in ExternalSource} == {SandboxSource}
    wired = Adapters.from_settings(settings.model_copy(update={"state_grid_url": CLOSED})).external
    assert type(wired.get(ExternalSource.STATE_GRID)) is HttpSource and wired.get(ExternalSource.STATE_GRID).base_url == CLOSED
    assert type(wired.get(ExternalSource.HOUSING_FUND)) is SandboxSource
    assert all(wired.get(s).source == s for s in ExternalSource)


def test_the_external_data_freshness_comes_from_the_settings(settings):
    from datetime import timedelta

    from app.domain.external_data import ExternalSource
    from app.wiring import external_data_policy

    policy = external_data_policy(settings.model_copy(update={"external_data_freshness_days": {"state_grid": 7}}))
    assert policy.freshness_of(ExternalSource.STATE_GRID) == timedelta(days=7)
    assert policy.freshness_of(ExternalSource.TAX) == timedelta(days=settings.external_data_default_freshness_days)

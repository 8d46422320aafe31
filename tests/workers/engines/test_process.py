"""The model process: a call past its timeout kills the child (the work stops with it), the next call gets a fresh one."""

from __future__ import annotations

import os
import time

import pytest

from app.domain.errors import ValidationError
from workers.engines.process import ModelCrashed, ModelProcess, ModelTimeout


def build_light(settings) -> dict:
    """Stands in for the real engines (tests/workers/test_ml_worker.py runs those): just the child's pid."""
    return {"pid": os.getpid(), "marker": settings["marker"]}


def pid_of(engines: dict) -> int:
    return engines["pid"]


def sleep_then_write(engines: dict, seconds: float, path: str) -> str:
    time.sleep(seconds)
    with open(path, "w") as f:  # a side effect that must NOT happen once the call was given up
        f.write("late")
    return "slept"


def refuse(engines: dict) -> None:
    raise ValidationError("图片为空，请重新拍摄或上传", code="BAD_IMAGE", field="probe")


def die(engines: dict) -> None:
    os._exit(3)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
async def models():
    m = ModelProcess({"marker": "m"}, timeout=1.5, build=build_light)
    await m.start()
    yield m
    await m.close()


async def test_a_call_returns_its_result_from_the_child(models):
    (pid, _ms) = await models.run(pid_of)
    assert pid != os.getpid()
    assert (await models.run(pid_of))[0] == pid  # one child serves every call


async def test_a_call_past_its_timeout_kills_the_child_and_its_side_effect_never_happens(models, tmp_path):
    pid = (await models.run(pid_of))[0]
    started = time.monotonic()
    with pytest.raises(ModelTimeout):
        await models.run(sleep_then_write, 3.0, str(tmp_path / "late"))
    assert time.monotonic() - started < 2.5
    assert not _alive(pid)
    time.sleep(2.0)  # past the moment the call would have finished
    assert not (tmp_path / "late").exists()
    new_pid = (await models.run(pid_of))[0]
    assert new_pid not in (pid, os.getpid())


async def test_a_domain_error_comes_back_with_its_code_and_field(models):
    with pytest.raises(ValidationError) as caught:
        await models.run(refuse)
    assert (caught.value.message, caught.value.code, caught.value.field) == ("图片为空，请重新拍摄或上传", "BAD_IMAGE", "probe")


async def test_a_child_that_dies_is_reported_and_replaced(models):
    with pytest.raises(ModelCrashed):
        await models.run(die)
    assert (await models.run(pid_of))[0] != os.getpid()

"""`cunxin dev`'s supervisor: a crashed child is started again with backoff; the others keep running."""

from __future__ import annotations

import subprocess
import sys
import time

from app.cli.supervise import Supervisor


def test_a_crashed_child_is_restarted_and_the_others_are_left_running(tmp_path):
    lines: list[str] = []
    supervisor = Supervisor(echo=lines.append, poll_seconds=0.05)
    starts = tmp_path / "starts"

    def crashing() -> subprocess.Popen:
        with starts.open("a") as f:
            f.write("x")
        return subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"])

    steady = lambda: subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # noqa: E731
    supervisor.add("steady", steady)
    supervisor.add("crashy", crashing)
    steady_pid = supervisor.children[0].proc.pid
    deadline = time.monotonic() + 4.5  # crashes at ≈0 s, restarts after 1 s and then 2 s more
    supervisor.run(until=lambda: time.monotonic() > deadline)
    assert starts.read_text() == "xxx"
    assert lines[:2] == ["crashy 已退出（代码 3），1 秒后重新启动", "crashy 已退出（代码 3），2 秒后重新启动"]
    assert supervisor.children[0].proc.pid == steady_pid and supervisor.children[0].restarts == 0
    assert supervisor.children[0].proc.returncode is not None  # stopped at the end, with the rest

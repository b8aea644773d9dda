"""`./dev.sh run` twice, as a newcomer does (`qunyun demo` then `qunyun up`, on a real
Synapse; issue 11, walk findings 2, 4, 5, 31):

- the local homeserver's port can be chosen (`--homeserver-port`) and is kept afterwards;
- the demo room is printed by its name, the id after it;
- on the first start the plan line says the plan was imported (首次导入), not 未改动;
- a later start skips the tour in one line, and the lines that matter (console, set-up
  link, homeserver, accounts) come last, together.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from qunyun.adapters.matrix.homeserver import installed
from qunyun.cli import app
from qunyun.ports import free_port

ROOM = "Python 数据分析进阶营"


def _demo(tmp_path: Path, db: str, **env: str) -> str:
    result = CliRunner().invoke(app, ["demo", "--db", db, "--out", str(tmp_path / "qunyun-demo")],
                                env={"QUNYUN_PROGRESS": "0", **env})
    assert result.exit_code == 0, result.output
    return result.output


def _up(tmp_path: Path, db: str, console: int, *extra: str) -> str:
    """`qunyun up` until the console answers and the bot line is printed, then Ctrl-C."""
    log = tmp_path / f"up-{time.monotonic_ns()}.log"
    env = {k: v for k, v in os.environ.items() if k != "QUNYUN_HOMESERVER_PORT"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qunyun", "up", "--db", db, "--port", str(console),
         "--local-dir", str(tmp_path / "matrix"), *extra],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=tmp_path,
        env={**env, "QUNYUN_PROGRESS": "0", "COLUMNS": "200"},
    )
    try:
        deadline = time.monotonic() + 120
        ready = False
        while time.monotonic() < deadline and not ready:
            assert proc.poll() is None, log.read_text()
            with contextlib.suppress(httpx.HTTPError):
                ready = (httpx.get(f"http://127.0.0.1:{console}/login", timeout=2)
                         .status_code == 200 and "Ctrl-C" in log.read_text())
            time.sleep(0.3)
        assert ready, log.read_text()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    assert proc.returncode == 0, log.read_text()
    return log.read_text()


def _block(output: str) -> list[str]:
    """The lines from the "ready" rule to the bot line."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if "现在可以用了" in line)
    end = next(i for i, line in enumerate(lines) if line.startswith("机器人 bot:"))
    return lines[start:end + 1]


@pytest.mark.skipif(not installed(), reason="Synapse not installed (./dev.sh setup)")
def test_run_twice_on_a_chosen_homeserver_port(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'qunyun.db'}"
    chosen, console = free_port(), free_port()

    tour = _demo(tmp_path, db)
    assert "① 社群计划检查" in tour and "新增 new" in tour
    first = _up(tmp_path, db, console, "--homeserver-port", str(chosen))
    assert "计划 plan: 首次导入" in first and "文件未改动" not in first
    block = _block(first)
    text = "\n".join(block)
    assert f"http://127.0.0.1:{console}/" in block[1]  # the console first
    assert "setup?token=" in text  # no owner yet: the one-time link
    assert f"http://127.0.0.1:{chosen}" in text  # the homeserver on the chosen port
    assert f"演示群 room: 「{ROOM}」（!" in text  # the room by its name, then its id
    assert "张三" in text and "密码 password" in text
    assert "计划 plan:" not in text  # what came before stays before

    again = _demo(tmp_path, db)
    assert "演示数据已就绪，跳过导览" in again and "QUNYUN_DEMO_TOUR=1" in again
    assert "①" not in again and "新增 new" not in again and len(again.splitlines()) == 1
    second = _up(tmp_path, db, console)  # no port given: the chosen one is kept
    assert f"http://127.0.0.1:{chosen}" in "\n".join(_block(second))
    assert "文件未改动" in second and "首次导入" not in second

"""Ctrl-C on `qunyun up` (the tail of `./dev.sh run`) as a person at the terminal meets it:
it says it is stopping and that a second Ctrl-C forces it, then what it stopped, where the
data stays and how to start again (issue 11 walk finding 21: it printed nothing).

Run with `--accounts-only` and a stored QQ account whose OneBot server is not there (the
bot keeps retrying), so no homeserver is needed: the lines are the same with one."""

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

from qunyun.ports import free_port
from tests.conftest import photo_club_with_qq_account


def test_ctrl_c_says_what_stopped_where_the_data_stays_and_how_to_start_again(
        tmp_path: Path) -> None:
    db_file = tmp_path / "q.db"
    db = f"sqlite:///{db_file}"
    engine, _club = photo_club_with_qq_account(
        db, onebot_url=f"ws://127.0.0.1:{free_port()}/", token="t")
    engine.dispose()
    port = free_port()
    log = tmp_path / "up.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "qunyun", "up", "--accounts-only", "--db", db,
         "--port", str(port)],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=tmp_path,
        env={**os.environ, "QUNYUN_PROGRESS": "0"})
    try:
        deadline = time.monotonic() + 60
        up = False
        while time.monotonic() < deadline and not up:
            assert proc.poll() is None, log.read_text()
            with contextlib.suppress(httpx.HTTPError):
                up = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200
            time.sleep(0.2)
        assert up, log.read_text()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    said = log.read_text()
    assert proc.returncode == 0, said
    assert "Traceback" not in said, said
    assert "正在停止" in said and "再按一次 Ctrl-C 强制停止" in said, said
    stopped = next(line for line in said.splitlines() if line.startswith("已停止"))
    assert "控制台" in stopped and "1 个已保存的账号" in stopped, said
    assert f"数据库 database {db_file.resolve()}" in said, said
    # Walk13 #15: the hint repeats the console port the run was started with.
    assert f"再次启动 start again: ./dev.sh run --port {port}（或 or qunyun up --port {port}）" \
        in said, said
    assert said.index("正在停止") < said.index("已停止") < said.index("再次启动")


def test_a_second_ctrl_c_forces_the_stop(capsys: pytest.CaptureFixture[str]) -> None:
    """The first Ctrl-C asks everything to finish; when something does not (here a console
    that never returns), the second one cancels it instead of leaving the terminal hung."""
    import asyncio

    from qunyun.cli import up

    class StuckServer:
        should_exit = False

        async def serve(self) -> None:
            await asyncio.Event().wait()  # never ends, whatever should_exit says

    async def go(stopping: up._Stopping) -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(0.1, os.kill, os.getpid(), signal.SIGINT)
        loop.call_later(0.4, os.kill, os.getpid(), signal.SIGINT)
        await up._both(None, StuckServer(), None, [], stopping)  # type: ignore[arg-type]

    stopping = up._Stopping()
    with contextlib.suppress(asyncio.CancelledError):
        asyncio.run(asyncio.wait_for(go(stopping), 10))
    assert stopping.asked and stopping.forced
    said = capsys.readouterr().out
    assert "正在停止" in said and "强制停止" in said, said

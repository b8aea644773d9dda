"""`qunyun up` (the tail of the README's run command) on a fresh directory: the console
answers, the bot syncs on a local Synapse it started, and Ctrl-C stops all three."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.ports import free_port


def test_up_runs_console_bot_and_local_homeserver_then_stops(homeserver: LocalHomeserver,
                                                            tmp_path: Path) -> None:
    port = free_port()
    db = f"sqlite:///{tmp_path / 'q.db'}"
    log = tmp_path / "up.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "qunyun", "up", "--db", db, "--port", str(port),
         "--local-dir", str(tmp_path / "matrix")],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=tmp_path,
        env={**os.environ, "QUNYUN_PROGRESS": "0"},
    )
    try:
        deadline = time.monotonic() + 90
        console = synced = False
        while time.monotonic() < deadline and not (console and synced):
            assert proc.poll() is None, log.read_text()
            with contextlib.suppress(httpx.HTTPError):
                console = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200
            # The file appears before its tables do: a missing table just means "not yet".
            if (tmp_path / "q.db").exists() and not synced:
                with contextlib.suppress(OperationalError), create_engine(db).connect() as conn:
                    synced = bool(conn.execute(text(
                        "SELECT count(*) FROM adapter_state WHERE key LIKE '%since'")).scalar_one())
            time.sleep(0.3)
        assert console and synced, log.read_text()
        assert "setup?token=" in log.read_text()  # no default password: a one-time link
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 0, log.read_text()
    pid_file = tmp_path / "matrix" / "homeserver.pid"
    assert not pid_file.exists() or not _alive(int(pid_file.read_text() or 0))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


class _ThreadedOneBot:
    """The local OneBot 11 server on its own event loop in a thread: `qunyun up` runs in a
    subprocess and dials it as a stored account's forward WebSocket."""

    def __init__(self) -> None:
        import asyncio
        import threading

        from tests.adapters.onebot.server import OneBotServer

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = self.call(OneBotServer().start())

    def call(self, coro):  # type: ignore[no-untyped-def]
        import asyncio

        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=20)

    def close(self) -> None:
        self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def test_up_also_runs_every_stored_account(homeserver: LocalHomeserver, tmp_path: Path) -> None:
    # I1: one `qunyun up` serves the plan's community on Matrix and another community's
    # stored QQ account (its own plan) — each welcomes by its plan, each reports its status.
    from qunyun.bot import accounts
    from tests.adapters.onebot.server import TOKEN, fixture
    from tests.conftest import photo_club_with_qq_account

    qq = _ThreadedOneBot()
    port = free_port()
    db = f"sqlite:///{tmp_path / 'q.db'}"
    engine, club = photo_club_with_qq_account(db, onebot_url=qq.server.url, token=TOKEN)
    log = tmp_path / "up.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "qunyun", "up", "--db", db, "--port", str(port),
         "--local-dir", str(tmp_path / "matrix")],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=tmp_path,
        env={**os.environ, "QUNYUN_PROGRESS": "0"},
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            if any(a["action"] == "get_group_list" for a in qq.server.actions):
                break
            time.sleep(0.3)
        else:
            raise AssertionError("the stored QQ account was not run:\n" + log.read_text())
        qq.call(qq.server.push(fixture("event-notice-group_increase", time=int(time.time()),
                                       sub_type="approve", user_id=20001)))
        states: dict[str, dict[str, object]] = {}
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                states = {s["platform"]: s for s in accounts.statuses(conn)}
            if (qq.server.sent("send_group_msg") and states.get("matrix", {}).get("connected")
                    and states.get("onebot", {}).get("connected")):
                break
            time.sleep(0.3)
        assert qq.server.texts(), log.read_text()  # the club's welcome, on QQ
        assert states["onebot"]["community_id"] == club
        assert states["matrix"]["connected"] and states["matrix"]["last_sync_ms"], states
        assert states["matrix"]["community_id"] != club  # the plan's community
        assert "onebot" in log.read_text()  # said which accounts it runs
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        qq.close()
    assert proc.returncode == 0, log.read_text()
    with engine.connect() as conn:
        assert not any(s["connected"] for s in accounts.statuses(conn))
    engine.dispose()

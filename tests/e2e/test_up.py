"""`qunyun up` (the tail of the README's run command) on a fresh directory: the console
answers, the bot syncs on a local Synapse it started, and Ctrl-C stops all three."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from qunyun.adapters.matrix.homeserver import LocalHomeserver


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_up_runs_console_bot_and_local_homeserver_then_stops(homeserver: LocalHomeserver,
                                                            tmp_path: Path) -> None:
    port = _free_port()
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

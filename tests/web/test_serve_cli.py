"""`qunyun serve` first run: no default password — it prints a one-time setup link that
works; `qunyun operator add` creates accounts from the shell (password from stdin)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_first_run_prints_a_working_one_time_setup_link(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qunyun", "serve", "--db", f"sqlite:///{tmp_path / 'q.db'}",
         "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=env)
    try:
        link = None
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        while link is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            found = re.search(r"(http://127\.0\.0\.1:\d+/setup\?token=\S+)", line)
            link = found.group(1) if found else None
        assert link, "no setup link printed"
        for _ in range(100):
            try:
                response = httpx.get(link)
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert response.status_code == 200 and "创建第一个所有者账号" in response.text
        assert httpx.get(link.split("token=")[0] + "token=guess").status_code == 404
        assert httpx.get(f"http://127.0.0.1:{port}/", follow_redirects=False).status_code == 303
    finally:
        proc.terminate()
        proc.wait(10)


def test_operator_add_from_the_shell(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'q.db'}"
    run = [sys.executable, "-m", "qunyun", "operator"]
    ok = subprocess.run([*run, "add", "alice", "--role", "owner", "--password-stdin", "--db", db],
                        input="a long password\n", capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    short = subprocess.run([*run, "add", "bob", "--password-stdin", "--db", db],
                           input="short\n", capture_output=True, text=True)
    assert short.returncode == 1 and "10" in short.stderr
    listed = subprocess.run([*run, "list", "--db", db], capture_output=True, text=True)
    assert "alice" in listed.stdout and "owner" in listed.stdout and "bob" not in listed.stdout

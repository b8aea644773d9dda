"""`qunyun serve` first run: no default password — it prints a one-time setup link that
works; `qunyun operator add` creates accounts from the shell (password from stdin)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from qunyun.ports import free_port


def test_first_run_prints_a_working_one_time_setup_link(tmp_path: Path) -> None:
    port = free_port()
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


def _serve(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    """`qunyun serve` with two workers over a database holding one owner and one admin."""
    db = f"sqlite:///{tmp_path / 'q.db'}"
    if not (tmp_path / "q.db").exists():
        for name, role in (("boss", "owner"), ("lin", "admin")):
            subprocess.run([sys.executable, "-m", "qunyun", "operator", "add", name, "--role",
                            role, "--password-stdin", "--db", db], input="a long password\n",
                           check=True, capture_output=True, text=True)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qunyun", "serve", "--db", db, "--port", str(port),
         "--workers", "2", *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/login", timeout=5)
            return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.terminate()
    raise AssertionError("qunyun serve did not start")


def _workers(parent: int) -> list[int]:
    """Worker processes uvicorn spawned under `parent` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def _login(base: str, username: str, password: str, headers: dict[str, str]) -> int:
    with httpx.Client(base_url=base, timeout=10) as client:
        html = client.get("/login").text
        token = re.search(r'name="csrf" value="([^"]+)"', html)
        assert token
        return client.post("/login", data={"csrf": token.group(1), "username": username,
                                           "password": password}, headers=headers).status_code


def test_a_spoofed_x_forwarded_for_changes_nothing(tmp_path: Path) -> None:
    proc, base = _serve(tmp_path)
    try:
        # Twenty failures, each "from" a different address and for a different name: all
        # are counted against 127.0.0.1, the real peer, which is then stopped.
        for i in range(20):
            assert _login(base, f"nobody{i}", "wrong password",
                          {"X-Forwarded-For": f"203.0.113.{i}"}) == 401
        assert _login(base, "lin", "a long password",
                      {"X-Forwarded-For": "198.51.100.1"}) == 429
    finally:
        proc.terminate()
        proc.wait(20)


def test_forwarded_for_is_believed_from_the_configured_proxy(tmp_path: Path) -> None:
    proc, base = _serve(tmp_path, "--forwarded-allow-ips", "127.0.0.1")
    try:
        for i in range(20):
            assert _login(base, f"nobody{i}", "wrong password",
                          {"X-Forwarded-For": "203.0.113.9"}) == 401
        assert _login(base, "lin", "a long password", {"X-Forwarded-For": "203.0.113.9"}) == 429
        # Another client behind the same proxy is not stopped by that address's failures.
        assert _login(base, "lin", "a long password", {"X-Forwarded-For": "198.51.100.2"}) == 303
    finally:
        proc.terminate()
        proc.wait(20)


def test_workers_share_sessions_and_logout_ends_them_everywhere(tmp_path: Path) -> None:
    proc, base = _serve(tmp_path)
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
            assert token
            assert client.post("/login", data={"csrf": token.group(1), "username": "boss",
                                               "password": "a long password"}).status_code == 303
            cookies = dict(client.cookies)
        assert len(_workers(proc.pid)) == 2
        # New connections land on either worker; every one knows the session.
        for _ in range(30):
            response = httpx.get(f"{base}/operators", cookies=cookies, timeout=10)
            assert response.status_code == 200
        page = httpx.get(f"{base}/", cookies=cookies, timeout=10).text
        csrf = re.search(r'data-csrf="([^"]+)"', page)
        assert csrf
        httpx.post(f"{base}/logout", data={"csrf": csrf.group(1)}, cookies=cookies, timeout=10)
        for _ in range(10):
            gone = httpx.get(f"{base}/operators", cookies=cookies, timeout=10)
            # The login page, which would bring them back to the page (bot13).
            assert gone.status_code == 303
            assert gone.headers["location"] == "/login?next=%2Foperators"
    finally:
        proc.terminate()
        proc.wait(20)


def test_operator_role_and_remove_from_the_shell(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'q.db'}"
    run = [sys.executable, "-m", "qunyun", "operator"]
    for name, role in (("alice", "owner"), ("bob", "admin")):
        subprocess.run([*run, "add", name, "--role", role, "--password-stdin", "--db", db],
                       input="a long password\n", check=True, capture_output=True, text=True)
    assert subprocess.run([*run, "role", "bob", "viewer", "--db", db],
                          capture_output=True, text=True).returncode == 0
    last = subprocess.run([*run, "remove", "alice", "--db", db], capture_output=True, text=True)
    assert last.returncode == 1 and "最后一个所有者" in last.stderr
    assert subprocess.run([*run, "remove", "bob", "--db", db],
                          capture_output=True, text=True).returncode == 0
    listed = subprocess.run([*run, "list", "--db", db], capture_output=True, text=True).stdout
    assert "viewer" in listed and "disabled" in listed

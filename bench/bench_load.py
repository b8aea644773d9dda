"""The console under load (issue 13): 200 signed-in clients for 20 s, a 200k-message community.

Seeds a community (200,000 events, 5,000 members, the python-camp plan) with the import
path, starts the real `qunyun serve --workers N` on 127.0.0.1, waits until every worker
has its report cached, signs in 200 clients (each its own session, as 200 operators'
browsers would be), then each client requests pages from the mix below back to back over
its own keep-alive connection for `--seconds`. Reports requests/s, latency percentiles,
errors (any status other than 200), per page.

The load generator runs in this process on the same machine (one asyncio loop, a minimal
HTTP/1.1 client on raw streams, so it costs little of the CPU the server needs).

    .venv/bin/python bench/bench_load.py                   # SQLite in a temp dir, 2 workers
    .venv/bin/python bench/bench_load.py --workers 1       # one process, as before issue 13
    .venv/bin/python bench/bench_load.py --db postgresql://postgres@127.0.0.1:5432/bench_load
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from qunyun.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_console import PASSWORD, seed  # noqa: E402

# (weight, name, path); {g} is the biggest group, {m} the most active member.
MIX = [
    (10, "communities", "/"),
    (10, "community", "/c/bench"),
    (15, "community panel", "/c/bench/panel"),
    (10, "group", "/c/bench/g/{g}"),
    (15, "group panel", "/c/bench/g/{g}/panel"),
    (10, "members", "/c/bench/members"),
    (5, "members search", "/c/bench/members?q=%E6%88%90%E5%91%9812"),  # q=成员12
    (10, "member 360", "/c/bench/members/{m}"),
    (5, "work queues", "/c/bench/queues"),
    (5, "audit log", "/c/bench/audit"),
    (5, "plan editor", "/c/bench/plan"),
]


def sign_in(base: str) -> str:
    """A new session; returns its cookie header."""
    with httpx.Client(base_url=base, timeout=60) as client:
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert token
        response = client.post("/login", data={"csrf": token.group(1), "username": "bench",
                                               "password": PASSWORD}, follow_redirects=False)
        assert response.status_code == 303, response.status_code
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


async def client_loop(port: int, cookie: str, paths: list[tuple[str, str]], weights: list[int],
                      until: float, seed_n: int,
                      results: list[tuple[str, int, float, int, float]]) -> None:
    rng = random.Random(seed_n)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < until:
            if writer.is_closing():
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            name, path = rng.choices(paths, weights)[0]
            request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
                       "HX-Request: true\r\n\r\n" if "panel" in path else
                       f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                       f"Cookie: {cookie}\r\n\r\n")
            started = time.perf_counter()
            try:
                writer.write(request.encode())
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
            except (OSError, asyncio.IncompleteReadError):
                status = 0  # a dropped connection counts as an error; open a new one
                writer.close()
            results.append((name, status, time.perf_counter() - started, seed_n, started))
    finally:
        writer.close()


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of process `root` and its live descendants (Linux /proc):
    the server's cost per request, which a loaded machine does not change as it changes
    latency."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, help="`qunyun serve --threads` (default: its own)")
    parser.add_argument("--save", type=Path, help="write every request (page, status, start, "
                        "latency, client) as JSON lines, to look at the tail over time")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="qunyun-load-")
    url = args.db or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    seed(url, args.members, args.events, 180)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "qunyun", "serve", "--db", url, "--port", str(port),
         "--workers", str(args.workers),
         *(["--threads", str(args.threads)] if args.threads else [])],
        stdout=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/login", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        with ThreadPoolExecutor(4) as pool:  # password hashing: both workers at once
            cookies = list(pool.map(sign_in, [base] * args.clients))
        # Every worker builds its own report cache: wait until all of them answer panels
        # from it (a panel still building says so instead of showing the table).
        started = time.perf_counter()
        ready = 0
        while ready < 10 * args.workers and time.perf_counter() - started < 300:
            panel = httpx.get(f"{base}/c/bench/panel", headers={"Cookie": cookies[0]},
                              timeout=120)
            ready = ready + 1 if 'class="num"' in panel.text else 0
        print(f"reports cached in every worker after {time.perf_counter() - started:.1f} s",
              flush=True)
        home = httpx.get(f"{base}/c/bench/panel", headers={"Cookie": cookies[0]}).text
        group = re.search(r'/c/bench/g/(\d+)', home)
        members = httpx.get(f"{base}/c/bench/members", headers={"Cookie": cookies[0]}).text
        member = re.search(r'/c/bench/members/(\d+)', members)
        assert group and member
        paths = [(name, path.format(g=group.group(1), m=member.group(1)))
                 for _w, name, path in MIX]
        weights = [w for w, _n, _p in MIX]
        load = os.getloadavg()
        results: list[tuple[str, int, float, int, float]] = []

        async def run() -> float:
            t0 = time.perf_counter()
            until = t0 + args.seconds
            await asyncio.gather(*(client_loop(port, cookie, paths, weights, until, i, results)
                                   for i, cookie in enumerate(cookies)))
            return time.perf_counter() - t0

        server_cpu = tree_cpu_seconds(server.pid)
        client_cpu = time.process_time()
        elapsed = asyncio.run(run())
        server_cpu = tree_cpu_seconds(server.pid) - server_cpu
        client_cpu = time.process_time() - client_cpu
    finally:
        server.terminate()
        server.wait(30)
        tmp.cleanup()

    if args.save:
        with args.save.open("w", encoding="utf-8") as out:
            for name, status, seconds, client, at in results:
                out.write(json.dumps({"page": name, "status": status, "at": at,
                                      "ms": seconds * 1000, "client": client}) + "\n")
    lat = [r[2] * 1000 for r in results]
    errors = sum(1 for r in results if r[1] != 200)
    rate = len(results) / elapsed
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(f"\n{args.events:,} events, {args.members:,} members, {backend}; {args.workers} "
          f"worker(s), {args.clients} clients, {elapsed:.1f} s; load average before "
          f"the run {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} on {os.cpu_count()} cores\n")
    print(f"requests: {len(results):,}  errors: {errors}  rate: {rate:.0f}/s  "
          f"p50 {pct(lat, 50):.0f} ms  p90 {pct(lat, 90):.0f} ms  p99 {pct(lat, 99):.0f} ms  "
          f"max {max(lat, default=0):.0f} ms\n")
    print(f"CPU: server {server_cpu:.1f} s ({server_cpu * 1000 / max(1, len(results)):.2f} ms "
          f"a request), load generator {client_cpu:.1f} s, in {elapsed:.1f} s on "
          f"{os.cpu_count()} cores\n")
    # Clients whose connection landed on the busier worker wait longer throughout: the
    # spread of the per-client medians shows how evenly the workers share the clients.
    per_client = sorted(statistics.median([r[2] * 1000 for r in results if r[3] == n])
                        for n in {r[3] for r in results})
    print(f"per-client median latency: lowest {per_client[0]:.0f} ms, median "
          f"{statistics.median(per_client):.0f} ms, highest {per_client[-1]:.0f} ms\n")
    print("| page | requests | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|")
    for _w, name, _p in MIX:
        mine = [r[2] * 1000 for r in results if r[0] == name]
        if mine:
            print(f"| {name} | {len(mine)} | {statistics.median(mine):.0f} | "
                  f"{pct(mine, 99):.0f} |")
    ok = rate >= 250 and pct(lat, 99) < 1000 and errors == 0
    print(f"\ntarget ≥ 250 requests/s, p99 < 1 s, 0 errors: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()

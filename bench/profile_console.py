"""Where a console worker spends its time under the load mix (issue 13), per function.

Seeds (or reuses, `--db`) the bench_load community, builds the app as a `qunyun serve`
worker does (`qunyun.web.worker.app`), and serves it from one uvicorn server in this
process with the sync endpoints run inline on the event loop (instead of the thread
pool), so one cProfile sees the whole request. A child process plays `--clients` signed-in
clients on the bench_load mix for `--seconds`. Prints the app time per page (the
Server-Timing header; one request at a time, so it is the page's own cost, not its
queueing) and the top functions by own time and by cumulative time.

    .venv/bin/python bench/profile_console.py                    # a temp SQLite database
    .venv/bin/python bench/profile_console.py --db sqlite:////tmp/prof.db --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_console import seed as seed_community  # noqa: E402
from bench.bench_console import seeded  # noqa: E402
from bench.bench_load import MIX, free_port, sign_in  # noqa: E402


def play(port: int, clients: int, seconds: float) -> None:
    """The child: sign in, then request the mix; print per-page server times."""
    import random
    import re

    import httpx

    base = f"http://127.0.0.1:{port}"
    cookies = [sign_in(base) for _ in range(clients)]
    home = httpx.get(f"{base}/c/bench/panel", headers={"Cookie": cookies[0]}, timeout=300).text
    group = re.search(r"/c/bench/g/(\d+)", home)
    members = httpx.get(f"{base}/c/bench/members", headers={"Cookie": cookies[0]}).text
    member = re.search(r"/c/bench/members/(\d+)", members)
    assert group and member
    paths = [(name, path.format(g=group.group(1), m=member.group(1))) for _w, name, path in MIX]
    weights = [w for w, _n, _p in MIX]
    timings: dict[str, list[float]] = {}

    async def one(n: int, until: float) -> None:
        rng = random.Random(n)
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            while time.perf_counter() < until:
                name, path = rng.choices(paths, weights)[0]
                headers = {"Cookie": cookies[n]}
                if "panel" in path:
                    headers["HX-Request"] = "true"
                response = await client.get(path, headers=headers)
                assert response.status_code == 200, (path, response.status_code)
                timings.setdefault(name, []).append(
                    float(response.headers["server-timing"].split("dur=")[1])
                )

    async def run() -> None:
        until = time.perf_counter() + seconds
        await asyncio.gather(*(one(n, until) for n in range(clients)))

    asyncio.run(run())
    print("| page | requests | app ms (median) | app ms (p90) |")
    print("|---|---:|---:|---:|")
    for _w, name, _p in MIX:
        mine = sorted(timings.get(name, []))
        if mine:
            print(
                f"| {name} | {len(mine)} | {statistics.median(mine):.2f} | "
                f"{mine[int(0.9 * len(mine))]:.2f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--no-profile",
        action="store_true",
        help="only the app time per page, without cProfile's overhead",
    )
    parser.add_argument("--play", type=int, help=argparse.SUPPRESS)  # the child's port
    args = parser.parse_args()
    if args.play:
        play(args.play, args.clients, args.seconds)
        return

    import uvicorn
    from fastapi import routing

    tmp = tempfile.TemporaryDirectory(prefix="qunyun-profile-")
    url = args.db or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    if seeded(url) is None:
        seed_community(url, args.members, args.events, 180)

    async def inline(func: Any, *a: Any, **kw: Any) -> Any:
        return func(*a, **kw)

    routing.run_in_threadpool = inline  # type: ignore[assignment]  # one thread, one profile
    from qunyun.web import worker

    os.environ[worker.ENV_DB] = url
    os.environ[worker.ENV_SECURE] = "0"
    app = worker.app()
    for thread in list(threading.enumerate()):
        if thread.name == "qunyun-report-warm":
            thread.join()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    child = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--play",
            str(port),
            "--clients",
            str(args.clients),
            "--seconds",
            str(args.seconds),
        ]
    )
    profile = cProfile.Profile()

    def stop_with_child() -> None:
        child.wait()
        server.should_exit = True

    threading.Thread(target=stop_with_child, daemon=True).start()
    if args.no_profile:
        server.run()
        tmp.cleanup()
        return
    profile.enable()
    server.run()
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumtime").print_stats(args.top)
    print(out.getvalue())
    tmp.cleanup()


if __name__ == "__main__":
    main()

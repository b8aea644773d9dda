"""Console pages as a person gets them while the bot runs in the same process: `qunyun up`
on the demo (console, Matrix bot and the local homeserver), an owner signed in with
Chromium, and each main page loaded N times — wall time from navigation start to the
page's `load` event (Navigation Timing), the server's part of it (`Server-Timing`), and on
chart pages from navigation start to the charts drawn. Median and worst of N per page (issue 11).

    .venv/bin/python bench/bench_up_pages.py                 # makes a demo database first
    .venv/bin/python bench/bench_up_pages.py qunyun.db --runs 7
    .venv/bin/python bench/bench_up_pages.py --code /tmp/old   # another source tree

The database is copied (the bench adds an owner); the local homeserver lives in a
temporary directory and is stopped with `qunyun up` (Ctrl-C) at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
USER, PASSWORD = "bench", "bench-pass-12345"
PAGES = ["/", "/c/python-camp", "{group}", "/c/python-camp/members", "/c/python-camp/queues",
         "/c/python-camp/audit", "/c/python-camp/boards", "/c/python-camp/volunteers",
         "/c/python-camp/core", "/c/python-camp/activities", "/c/python-camp/plan",
         "/c/python-camp/calendar"]
CHART_PAGES = {"/c/python-camp", "{group}"}
# Navigation start to `load`, and the server's time, in ms.
TIMING = """() => { const n = performance.getEntriesByType("navigation")[0];
  const app = (n.serverTiming || []).find(s => s.name === "app");
  return [n.loadEventEnd - n.startTime, app ? app.duration : -1]; }"""
# Navigation start to the charts drawn: the time console.js noted, or (older consoles, whose
# panel came after the page) the first animation frame that found them drawn.
DRAWN = """() => window.qunyunChartsAt ||
  (window.qunyunCharts && window.qunyunCharts.length ? performance.now() : 0)"""


def _demo_db(work: Path, given: Path | None) -> Path:
    db = work / "qunyun.db"
    if given is not None:
        shutil.copy(given, db)
    else:
        subprocess.run([sys.executable, "-m", "qunyun", "demo", "--db", f"sqlite:///{db}",
                        "--out", str(work / "demo")], cwd=work, check=True,
                       stdout=subprocess.DEVNULL, env={**os.environ, "QUNYUN_PROGRESS": "0"})
    from qunyun.app import open_database
    from qunyun.services import operators

    engine = open_database(f"sqlite:///{db}")
    with engine.begin() as conn:
        operators.create_operator(conn, username=USER, password=PASSWORD, role="owner",
                                  all_communities=True)
    engine.dispose()
    return db


def _wait_until_up(proc: subprocess.Popen[bytes], log: Path, db: Path, url: str,
                   seconds: float) -> None:
    """The console answers, the bot has synced and the demo's report is built."""
    import httpx
    from sqlalchemy import create_engine, text

    deadline = time.monotonic() + seconds
    engine = create_engine(f"sqlite:///{db}")
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("qunyun up stopped:\n" + log.read_text(errors="replace"))
        with contextlib.suppress(Exception), engine.connect() as conn:
            synced = conn.execute(text("SELECT count(*) FROM adapter_state "
                                       "WHERE key LIKE '%since'")).scalar_one()
            if synced and httpx.get(url + "/login", timeout=2).status_code == 200:
                engine.dispose()
                return
        time.sleep(0.5)
    raise SystemExit("qunyun up did not come up in time:\n" + log.read_text(errors="replace"))


def measure(url: str, runs: int, width: int, height: int) -> dict[str, list[list[float]]]:
    from playwright.sync_api import sync_playwright

    out: dict[str, list[list[float]]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--no-first-run"])
        context = browser.new_context(viewport={"width": width, "height": height},
                                      locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(url + "/login")
        page.fill("input[name=username]", USER)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(url + "/")
        # The report `qunyun up` builds at start: the community page shows it once built.
        deadline = time.monotonic() + 120
        while True:
            page.goto(url + "/c/python-camp")
            if page.locator("#report-title").count() or time.monotonic() > deadline:
                break
            page.wait_for_timeout(1000)
        group = page.locator("#health-table tbody a").first.get_attribute("href") or "/"
        for pattern in PAGES:
            path = pattern.format(group=group)
            page.goto(url + path, wait_until="load")  # a first load: caches and code warm
            out[path] = []
            for _ in range(runs):
                page.goto(url + path, wait_until="load")
                load_ms, server_ms = page.evaluate(TIMING)
                drawn_ms = float(page.wait_for_function(DRAWN, polling="raf").json_value()) \
                    if pattern in CHART_PAGES else -1.0
                out[path].append([load_ms, server_ms, drawn_ms])
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path, nargs="?", help="a demo database (default: make one)")
    parser.add_argument("--runs", type=int, default=5, help="loads of each page (1–50)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--start-seconds", type=float, default=180,
                        help="how long `qunyun up` may take to come up")
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="the qunyun source tree `qunyun up` runs (default: this one; "
                             "an older commit: git archive REV qunyun | tar -x -C DIR)")
    args = parser.parse_args()
    runs = max(1, min(args.runs, 50))
    work = Path(tempfile.mkdtemp(prefix="qunyun-bench-up-"))
    db = _demo_db(work, args.db)
    from qunyun.ports import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = work / "up.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "qunyun", "up", "--db", f"sqlite:///{db}", "--port", str(port),
         "--plan", str(ROOT / "examples" / "python-camp.yaml"),
         "--local-dir", str(work / "matrix"), "--quiet"],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=work,
        env={**os.environ, "QUNYUN_PROGRESS": "0", "PYTHONPATH": str(args.code.resolve())})
    try:
        _wait_until_up(proc, log, db, url, args.start_seconds)
        results = measure(url, runs, args.width, args.height)
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: it stops the local homeserver too
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=60)
        if proc.poll() is None:
            proc.kill()
    _print(results, runs, args.width, args.height, args.code)
    shutil.rmtree(work, ignore_errors=True)


def _print(results: dict[str, list[list[float]]], runs: int, width: int, height: int,
           code: Path) -> None:
    load = os.getloadavg()
    print(f"qunyun up ({code}) on the demo, Chromium {width}x{height}, {runs} loads a page "
          f"after one warm-up; {os.cpu_count()} cores, load average at the end "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'page':40} {'load ms median':>15} {'worst':>7} {'server ms':>10} {'charts ms':>10}")
    for path, rows in results.items():
        loads = [r[0] for r in rows]
        server = statistics.median(r[1] for r in rows)
        charts = [r[2] for r in rows if r[2] >= 0]
        drawn = f"{statistics.median(charts):10.0f}" if charts else f"{'—':>10}"
        print(f"{path:40} {statistics.median(loads):15.0f} {max(loads):7.0f} "
              f"{server:10.0f} {drawn}")


if __name__ == "__main__":
    main()

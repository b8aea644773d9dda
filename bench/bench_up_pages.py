"""Console pages as a person gets them while the bot runs in the same process: `qunyun up`
on the demo (console, Matrix bot and the local homeserver), an owner signed in with
Chromium, and each main page loaded N times — wall time from navigation start to the
page's `load` event (Navigation Timing), the server's part of it (`Server-Timing`), and on
chart pages from navigation start to the charts drawn. Median and worst of N per page (issue 11).

    .venv/bin/python bench/bench_up_pages.py                 # makes a demo database first
    .venv/bin/python bench/bench_up_pages.py qunyun.db --runs 7
    .venv/bin/python bench/bench_up_pages.py --code /tmp/old   # another source tree
    .venv/bin/python bench/bench_up_pages.py --panel-ab --runs 15  # panel in page vs after

The database is copied (the bench adds an owner); the local homeserver lives in a
temporary directory and is stopped with `qunyun up` (Ctrl-C) at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


def _signed_in(browser: Any, url: str, width: int, height: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url + "/login")
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")
    return page


def _as_second_request(route: Any) -> None:
    """The page as the console served it before charts13: the report panel left out, to
    be fetched by HTMX once the page has loaded."""
    response = route.fetch()
    body = re.sub(r'(<div id="report-panel" hx-get="[^"]+" hx-trigger=")report-changed '
                  r'from:body(" hx-swap="innerHTML">).*?(\n</div>\n)',
                  r'\1load, report-changed from:body\2<p class="muted loading">…</p>\3',
                  response.text(), count=1, flags=re.S)
    route.fulfill(response=response, body=body)


def panel_ab(browser: Any, url: str, group: str, runs: int, width: int, height: int
             ) -> dict[str, list[float]]:
    """Navigation start to the charts drawn on the two chart pages, the panel in the page
    against the same page with its panel as a second request, interleaved in one browser
    (both through the same interception, so its cost is on both sides)."""
    pages = {}
    for shape, handler in (("in the page", lambda route: route.fulfill(response=route.fetch())),
                           ("second request", _as_second_request)):
        page = _signed_in(browser, url, width, height)
        page.route(re.compile(r".*/c/python-camp(/g/\d+)?$"), handler)
        pages[shape] = page
    out: dict[str, list[float]] = {}
    for _ in range(runs):
        for shape, page in pages.items():
            for path in ("/c/python-camp", group):
                page.goto(url + path, wait_until="load")
                out.setdefault(f"{path}, panel {shape}", []).append(float(
                    page.wait_for_function("() => window.qunyunChartsAt",
                                           polling="raf").json_value()))
    return out


def measure(url: str, runs: int, width: int, height: int, ab: bool
            ) -> tuple[dict[str, list[list[float]]], dict[str, list[float]]]:
    from playwright.sync_api import sync_playwright

    out: dict[str, list[list[float]]] = {}
    compared: dict[str, list[float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--no-first-run"])
        page = _signed_in(browser, url, width, height)
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
        if ab:
            compared = panel_ab(browser, url, group, runs, width, height)
        browser.close()
    return out, compared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path, nargs="?", help="a demo database (default: make one)")
    parser.add_argument("--runs", type=int, default=5, help="loads of each page (1–50)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--start-seconds", type=float, default=180,
                        help="how long `qunyun up` may take to come up")
    parser.add_argument("--panel-ab", action="store_true",
                        help="also time the chart pages with the report panel in the page "
                             "against the same pages with it as a second request")
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
        results, compared = measure(url, runs, args.width, args.height, args.panel_ab)
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: it stops the local homeserver too
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=60)
        if proc.poll() is None:
            proc.kill()
    _print(results, runs, args.width, args.height, args.code)
    for key, values in compared.items():
        print(f"charts drawn, {key:48} {statistics.median(values):7.0f} ms median "
              f"(worst {max(values):.0f})")
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

"""The console's slow clicks on the demo database (issue 11, walk findings 27, 41, 42):
the work queues' first load in a fresh process, the plan editor's 只检查 of a changed
(broken) plan and 检查并保存 of a changed plan. Server time from the `Server-Timing`
header (the whole request inside the app), in process (Starlette's TestClient).

Make the demo database first (`QUNYUN_DEMO_ONLY=1 ./dev.sh run`, or `qunyun demo --db …`);
the bench works on a copy and signs in as a new owner:

    .venv/bin/python bench/bench_demo_console.py qunyun.db
    .venv/bin/python bench/bench_demo_console.py qunyun.db --runs 3   # three fresh processes

`--cold-templates` leaves the templates to compile on first use (as before `qunyun up`
compiled them in the background at start); `--code DIR` measures another source tree
(an older commit's `git archive … qunyun | tar -x -C DIR`).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _server_ms(response: object) -> float:
    header = response.headers.get("server-timing", "")  # type: ignore[attr-defined]
    found = re.search(r"dur=([0-9.]+)", header)
    return float(found.group(1)) if found else float("nan")


def one_run(db_file: Path, warm: bool, code: Path) -> dict[str, list[float]]:
    sys.path.insert(0, str(code))
    from fastapi.testclient import TestClient

    from qunyun.app import open_database
    from qunyun.services import operators
    from qunyun.web.app import create_app

    work = Path(tempfile.mkdtemp()) / "bench.db"
    shutil.copy(db_file, work)
    engine = open_database(f"sqlite:///{work}")
    with engine.begin() as conn:
        operators.create_operator(conn, username="bench", password="bench-pass-12345",
                                  role="owner", all_communities=True)
    app = create_app(engine, secure_cookies=False)
    # The report built before the clicks, as `qunyun up` warms it at start: the page
    # times are the pages', not a report build's competing for the two cores.
    with engine.connect() as conn:
        camp = conn.exec_driver_sql(
            "SELECT id FROM communities WHERE slug = 'python-camp'").scalar_one()
    app.state.reports.get(int(camp))
    if warm:
        from qunyun.web.render import warm_templates

        warm_templates().join()
    client = TestClient(app, base_url="http://127.0.0.1")
    login = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', login).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"csrf": token, "username": "bench",
                                "password": "bench-pass-12345"}, follow_redirects=False)
    out: dict[str, list[float]] = {}
    out["queues, first load"] = [_server_ms(client.get("/c/python-camp/queues"))]
    out["queues, later loads"] = [_server_ms(client.get("/c/python-camp/queues"))
                                  for _ in range(3)]
    page = client.get("/c/python-camp/plan").text
    text = html.unescape(re.search(r'<textarea[^>]*name="plan_yaml"[^>]*>(.*?)</textarea>',
                                   page, re.S).group(1))  # type: ignore[union-attr]
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    # Changed texts each time: nothing comes from the check's cache.
    broken = text.replace("warn_limit: 3", "warn_limit: 三次")
    out["只检查 (a changed, broken plan)"] = [_server_ms(client.post(
        "/c/python-camp/plan", data={"csrf": csrf, "plan_yaml": broken.replace(
            "回放", f"回放{n}", 1), "intent": "check"})) for n in range(3)]
    out["检查并保存 (a changed plan)"] = [_server_ms(client.post(
        "/c/python-camp/plan", data={"csrf": csrf, "plan_yaml": text.replace(
            "回放", f"回放（第{n}版）", 1), "intent": "save"})) for n in range(3)]
    client.close()
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path, help="the demo's SQLite file (qunyun.db)")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes")
    parser.add_argument("--cold-templates", action="store_true")
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="the qunyun source tree to measure (default: this one)")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.db, warm=not args.cold_templates, code=args.code),
                         ensure_ascii=False))
        return
    merged: dict[str, list[float]] = {}
    for _ in range(args.runs):
        done = subprocess.run([sys.executable, __file__, str(args.db), "--one",
                               "--code", str(args.code),
                               *(["--cold-templates"] if args.cold_templates else [])],
                              capture_output=True, text=True, check=True)
        for key, values in json.loads(done.stdout.splitlines()[-1]).items():
            merged.setdefault(key, []).extend(values)
    print(f"{'click':36} {'server ms median':>17} {'worst':>8}  n")
    for key, values in merged.items():
        print(f"{key:36} {statistics.median(values):17.0f} {max(values):8.0f}  {len(values)}")


if __name__ == "__main__":
    main()

"""Console page render time on a large community (issue 5: < 300 ms server time).

Seeds a community of 10,000 members and 1,000,000 events (three groups, 180 days, skewed
activity, joins, leaves, invites) with the import path (`services.importing.import_events`),
opens the work queues from its report, starts the console under uvicorn on 127.0.0.1 and
requests every page several times as a signed-in owner. Reports, per page, the server
time (the `Server-Timing` header: the whole request inside the app) and the wall time
seen by the client, median and worst. The report itself is built once up front (cold
build time printed separately); pages only ever use the cached report.

    .venv/bin/python bench/bench_console.py                       # SQLite in a temp dir
    .venv/bin/python bench/bench_console.py --db postgresql://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/bench_console.py --members 2000 --events 100000   # quick run
    .venv/bin/python bench/bench_console.py --events 10000000 \
        --db sqlite:///bench/data/console-10m.db --reuse     # 10M events, seeded once
    .venv/bin/python bench/bench_console.py --reuse \
        --db sqlite:///bench/data/curve-10000000.db          # a 10M-message Telegram import
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qunyun.events import Event, GroupRef, MemberJoined, MemberLeft, MessagePosted, UserRef  # noqa: E402
from qunyun.ports import free_port  # noqa: E402

START = datetime(2025, 6, 1, tzinfo=UTC)
WORDS = ["大家好", "请问作业怎么交", "今天的直播回放在哪", "打卡第{}天", "谢谢老师", "收到",
         "这个报错怎么解决", "分享一个 pandas 技巧", "周末一起学习吗", "哈哈哈"]
PASSWORD = "bench password 1"


def events(members: int, total: int, days: int, seed: int) -> Iterator[Event]:
    """Events in time order (as an export or a live bot delivers them)."""
    rng = random.Random(seed)
    groups = [GroupRef("telegram", f"-100{g}", f"大群 {g + 1}") for g in range(3)]
    users = [UserRef("telegram", f"user{i}", f"成员{i}-城市-职业") for i in range(members)]
    group_of = [groups[0] if i % 5 < 3 else groups[1 + i % 2] for i in range(members)]
    span = days * 86400
    join_s = [rng.uniform(0, 0.7) * span for _ in range(members)]
    service: list[tuple[float, int, str]] = [(t, i, "join") for i, t in enumerate(join_s)]
    service += [(join_s[i] + rng.uniform(1, 60) * 86400, i, "leave")
                for i in range(members) if rng.random() < 0.05]
    service.sort()
    # Skewed activity: a few members write most messages (as in real groups).
    weights = [1 / (rank + 5) ** 1.1 for rank in range(members)]
    order = list(range(members))
    rng.shuffle(order)
    authors = rng.choices(order, weights=weights, k=total - len(service))
    messages = sorted((join_s[i] + (span - join_s[i]) * rng.random() ** 1.6, i) for i in authors)
    s = 0
    for n, (offset, i) in enumerate([*messages, (float("inf"), -1)]):
        while s < len(service) and service[s][0] <= offset:
            t, j, kind = service[s]
            if kind == "join":
                inviter = users[rng.randrange(j)] if j and rng.random() < 0.3 else None
                yield MemberJoined(source="bench", source_event_id=f"j{j}", group=group_of[j],
                                   at=START + timedelta(seconds=t), member=users[j],
                                   inviter=inviter, via="invite" if inviter else "link")
            else:
                yield MemberLeft(source="bench", source_event_id=f"l{j}", group=group_of[j],
                                 at=START + timedelta(seconds=t), member=users[j])
            s += 1
        if i < 0:
            break
        yield MessagePosted(source="bench", source_event_id=f"m{n}", group=group_of[i],
                            at=START + timedelta(seconds=offset), actor=users[i],
                            text=rng.choice(WORDS).format(n % 100))


def seed(url: str, members: int, total: int, days: int) -> tuple[int, float]:
    from qunyun.app import open_database
    from qunyun.services.importing import import_events

    cid = prepare(url)
    engine = open_database(url)
    started = time.perf_counter()
    counts = import_events(engine, community_id=cid, events=events(members, total, days, 7))
    seconds = time.perf_counter() - started
    print(f"seeded {counts.seen:,} events ({counts.inserted:,} new) in {seconds:.1f} s",
          flush=True)
    engine.dispose()
    return cid, seconds


def prepare(url: str) -> int:
    """The community "bench" with the example plan, and the owner the bench signs in as."""
    from qunyun.app import open_database
    from qunyun.services import operators as operator_service
    from qunyun.storage.community import communities as community_repo

    engine = open_database(url)
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="bench", name="基准社群",
                                                     now_ms=0)
        community_repo.save_plan_yaml(
            conn, community_id=cid,
            plan_yaml=(ROOT / "examples" / "python-camp.yaml").read_text(encoding="utf-8"))
        if operator_service.needs_first_owner(conn):
            operator_service.create_operator(conn, username="bench", password=PASSWORD,
                                             role="owner")
    engine.dispose()
    return cid


def seeded(url: str) -> int | None:
    """The community "bench" of an earlier run — or of `qunyun import … --community bench`
    (bench/bench_import_report.py's databases) — if it has events; plan and owner added."""
    from qunyun.app import open_database
    from qunyun.storage.community import communities as community_repo
    from qunyun.storage.events import log as event_log

    engine = open_database(url)
    try:
        with engine.connect() as conn:
            found = community_repo.find_community(conn, slug="bench")
            if found is None or not event_log.count_events(conn, community_id=found):
                return None
    finally:
        engine.dispose()
    return prepare(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--audit", type=int, default=20_000, help="audit entries to add")
    parser.add_argument("--reuse", action="store_true",
                        help="keep a database already seeded by an earlier run (--db)")
    args = parser.parse_args()

    import uvicorn

    from qunyun.app import open_database
    from qunyun.services.report_queues import open_from_report
    from qunyun.web.app import create_app

    tmp = tempfile.TemporaryDirectory(prefix="qunyun-bench-")
    url = args.db or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    cid = seeded(url) if args.reuse else None
    if cid is None:
        cid, _seed_s = seed(url, args.members, args.events, args.days)
    else:
        print(f"reusing the seeded community in {url}", flush=True)
    engine = open_database(url)
    app = create_app(engine, secure_cookies=False)
    started = time.perf_counter()
    report = app.state.reports.get(cid)
    print(f"report (build_report, cold) built in {time.perf_counter() - started:.2f} s",
          flush=True)
    member_ids = [m["id"] for m in report["members"]]
    with engine.connect() as conn:
        from qunyun.storage.events import log as event_log

        n_events = event_log.count_events(conn, community_id=cid)
    with engine.begin() as conn:
        opened = open_from_report(conn, community_id=cid, report=report, operator="bench")
        # An audit log with history: bot effects and operator decisions (once).
        from qunyun.services import audit

        for n in range(0 if args.reuse and opened == 0 else args.audit):
            audit.record_operator_action(
                conn, community_id=cid, operator=f"op{n % 7}", action=("suspect:dismissed",
                "elimination:exempted", "todo:done")[n % 3], reason=f"基准第 {n} 条",
                evidence={"n": n}, member_id=member_ids[n % len(member_ids)])
    print(f"queues: {opened} items opened from the report; {args.audit:,} audit entries",
          flush=True)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, timeout=120)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
    assert client.post("/login", data={"csrf": token, "username": "bench",
                                       "password": PASSWORD}).status_code in (200, 303)

    biggest = max(report["groups"], key=lambda g: g["messages"])
    top = max(report["members"], key=lambda m: m["messages"])
    pages = [
        ("communities", "/"),
        ("communities: health cells (HTMX)", "/c/bench/summary"),
        ("community", "/c/bench"),
        ("community panel (health table + trend)", "/c/bench/panel"),
        ("group", f"/c/bench/g/{biggest['id']}"),
        ("group panel (5 charts)", f"/c/bench/g/{biggest['id']}/panel"),
        (f"members (page 1 of {len(member_ids):,})", "/c/bench/members"),
        ("members search", "/c/bench/members?q=成员12"),
        ("member 360 (most active)", f"/c/bench/members/{top['id']}"),
        ("work queues (all open)", "/c/bench/queues?status=open"),
        ("audit log", "/c/bench/audit"),
        ("plan editor", "/c/bench/plan"),
    ]
    rows = []
    for name, path in pages:
        server_ms, wall_ms = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            response = client.get(path)
            wall_ms.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (path, response.status_code)
            timing = response.headers["server-timing"]
            server_ms.append(float(timing.split("dur=")[1]))
        rows.append((name, path, statistics.median(server_ms), max(server_ms),
                     statistics.median(wall_ms), len(response.content)))
    server.should_exit = True
    thread.join(10)

    backend = engine.dialect.name
    print(f"\n{len(member_ids):,} members, {n_events:,} events, {backend}; "
          f"{args.runs} requests per page\n")
    print("| page | server ms (median) | server ms (worst) | client wall ms (median) | KB |")
    print("|---|---:|---:|---:|---:|")
    for name, _path, med, worst, wall, size in rows:
        print(f"| {name} | {med:.1f} | {worst:.1f} | {wall:.1f} | {size / 1024:.0f} |")
    slowest = max(r[3] for r in rows)
    print(f"\nworst page: {slowest:.1f} ms server time (target < 300 ms): "
          f"{'OK' if slowest < 300 else 'OVER'}")
    tmp.cleanup()


if __name__ == "__main__":
    main()

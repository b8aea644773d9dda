"""In-process pipeline throughput and per-event latency with every bot policy on (I1, R1-R5,
O1-O3, A2-A4, T3), on SQLite (or PostgreSQL with --pg), for a seeded realistic mix of group
traffic.

    .venv/bin/python bench/bench_pipeline.py --events 20000
    .venv/bin/python bench/bench_pipeline.py --events 20000 \
        --pg postgresql://postgres@127.0.0.1:5432/postgres

Each event is recorded in the event log and passed through the plan's policies, as the
live bot does minus the network: once with a transaction per event (a quiet room: the
latency columns are the bot's own added latency before it sends) and once with a sync
batch per transaction (a burst: throughput). Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from qunyun.app import open_database
from qunyun.bot.wiring import build_policies
from qunyun.events import Event, GroupRef, MemberJoined, MessagePosted, ReactionAdded, UserRef
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.load import load_plan
from qunyun.plan.model import Plan
from qunyun.storage.community import communities as community_repo
from qunyun.storage.engine import database_url

ROOT = Path(__file__).resolve().parent.parent
GROUP = GroupRef("matrix", "!bench:localhost", "进阶营")
TALK = ["今天的作业好难啊，有人一起讨论吗", "老师讲的分组那块终于搞懂了", "收到", "同问",
        "我用 Python 把周报自动化了，省了半天", "这个报错谁遇到过：KeyError", "哈哈哈", "学到了"]


def traffic(n: int, members: int, seed: int) -> list[Event]:
    rng = random.Random(seed)
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    users = [UserRef("matrix", f"@u{i}:localhost", f"学员{i}-杭州-财务") for i in range(members)]
    out: list[Event] = []
    at = start
    for i in range(n):
        at += timedelta(seconds=rng.expovariate(1 / 6))  # ~10 events a minute
        who = users[int(rng.paretovariate(1.2)) % members]
        roll = rng.random()
        if roll < 0.03:
            out.append(MemberJoined(source="b", source_event_id=f"e{i}", group=GROUP, at=at,
                                    member=users[rng.randrange(members)], via="link"))
        elif roll < 0.08 and out:
            out.append(ReactionAdded(source="b", source_event_id=f"e{i}", group=GROUP, at=at,
                                     actor=who, target_event_id=f"e{rng.randrange(i)}",
                                     key="👍"))
        else:
            text = rng.choice(TALK) + f" {i}"
            if roll < 0.10:
                text = "打卡 今天学了两小时"
            elif roll < 0.11:
                text = "直播回放在哪里看？"
            elif roll < 0.115:
                text = "兼职日结 加微信 http://spam.example.com"
            elif roll < 0.12:
                text = "!积分"
            reply = f"e{rng.randrange(i)}" if i and rng.random() < 0.2 else None
            out.append(MessagePosted(source="b", source_event_id=f"e{i}", group=GROUP, at=at,
                                     actor=who, text=text, reply_to=reply))
    return out


@contextmanager
def fresh_database(pg_url: str | None) -> Iterator[str]:
    """A new, empty database: a SQLite file, or a throw-away PostgreSQL database."""
    if pg_url is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    base = make_url(database_url(pg_url))
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"qunyun_bench_{os.getpid()}_{next(_RUNS)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


_RUNS = itertools.count()


def run(plan: Plan, events: list[Event], batch: int, pg_url: str | None = None
        ) -> tuple[float, list[float], int]:
    """(wall seconds, per-event latencies in ms, effects) on a fresh database (SQLite unless
    `pg_url`). batch == 1: one transaction per event (a quiet room); otherwise `process_many`
    over chunks of `batch` events (one sync response during a burst); each event's latency
    is then its chunk's time, the wait before the bot can act on it."""
    with fresh_database(pg_url) as url:
        engine = open_database(url)
        with engine.begin() as conn:
            cid = community_repo.get_or_create_community(conn, slug="b", name="b", now_ms=0)
        clock = [events[0].at]
        pipeline = Pipeline(engine, community_id=cid, policies=build_policies(plan), plan=plan,
                            clock=lambda: clock[0])
        latencies: list[float] = []
        effects = 0
        started = time.perf_counter()
        for at in range(0, len(events), batch):
            chunk = events[at:at + batch]
            clock[0] = chunk[-1].at
            t0 = time.perf_counter()
            effects += sum(len(o.effects) for o in pipeline.process_many(chunk))
            latencies.extend([(time.perf_counter() - t0) * 1000] * len(chunk))
        wall = time.perf_counter() - started
        engine.dispose()
    return wall, latencies, effects


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--members", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--batch", type=int, default=50, help="events per sync batch (burst mode)")
    ap.add_argument("--pg", metavar="URL", default=None,
                    help="run on fresh PostgreSQL databases created through this server URL "
                         "(e.g. postgresql://postgres@127.0.0.1:5432/postgres) instead of SQLite")
    ap.add_argument("--repeat", type=int, default=5,
                    help="runs per mode; the row is the median run (this machine's speed "
                         "varies by ±25%% between runs), the range is shown beside it")
    args = ap.parse_args()
    loaded = load_plan(ROOT / "examples" / "python-camp.yaml")
    assert loaded.plan is not None
    events = traffic(args.events, args.members, args.seed)
    backend = "PostgreSQL" if args.pg else "SQLite"
    print(f"events: {len(events):,} · members: {args.members:,} · {backend} · "
          f"policies: {', '.join(p.name for p in build_policies(loaded.plan))}")
    print(f"median of {args.repeat} runs per mode (range of the runs in brackets)")
    print("| mode | throughput | p50 | p90 | p99 | max | effects |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, batch in (("one event per transaction", 1),
                         (f"sync batches of {args.batch}", args.batch)):
        runs = sorted((run(loaded.plan, events, batch, args.pg) for _ in range(args.repeat)),
                      key=lambda r: r[0])
        wall, lat, effects = runs[len(runs) // 2]
        assert all(r[2] == effects for r in runs), "runs disagree on the effects"
        q = statistics.quantiles(lat, n=100)
        slowest, fastest = len(events) / runs[-1][0], len(events) / runs[0][0]
        print(f"| {label} | {len(events) / wall:,.0f} events/s "
              f"({slowest:,.0f}–{fastest:,.0f}) | {q[49]:.2f} ms | "
              f"{q[89]:.2f} ms | {q[98]:.2f} ms | {max(lat):.1f} ms | {effects:,} |")


if __name__ == "__main__":
    main()

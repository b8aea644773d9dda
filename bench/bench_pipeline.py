"""In-process pipeline throughput and per-event latency with every bot policy on (I1, R1-R5,
O1-O3, A2-A4, T3), on SQLite, for a seeded realistic mix of group traffic.

    .venv/bin/python bench/bench_pipeline.py --events 20000

Each event is recorded in the event log and passed through the plan's policies in one
transaction (what the live bot does per event, minus the network). Prints events/s and
p50/p90/p99 latency of `Pipeline.process`, the bot's own added latency before it sends.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from qunyun.app import open_database
from qunyun.bot.wiring import build_policies
from qunyun.events import Event, GroupRef, MemberJoined, MessagePosted, ReactionAdded, UserRef
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.load import load_plan
from qunyun.storage import communities as community_repo

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--members", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    loaded = load_plan(ROOT / "examples" / "python-camp.yaml")
    assert loaded.plan is not None
    plan = loaded.plan
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_database(f"sqlite:///{tmp}/bench.db")
        with engine.begin() as conn:
            cid = community_repo.get_or_create_community(conn, slug="b", name="b", now_ms=0)
        events = traffic(args.events, args.members, args.seed)
        clock = [events[0].at]
        pipeline = Pipeline(engine, community_id=cid, policies=build_policies(plan), plan=plan,
                            clock=lambda: clock[0])
        latencies: list[float] = []
        effects = 0
        started = time.perf_counter()
        for event in events:
            clock[0] = event.at
            t0 = time.perf_counter()
            effects += len(pipeline.process(event).effects)
            latencies.append((time.perf_counter() - t0) * 1000)
        wall = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100)
    print(f"events: {len(events):,} · members: {args.members:,} · effects planned: {effects:,}")
    print("| metric | value |\n|---|---:|")
    print(f"| throughput | {len(events) / wall:,.0f} events/s |")
    print(f"| latency p50 | {q[49]:.2f} ms |")
    print(f"| latency p90 | {q[89]:.2f} ms |")
    print(f"| latency p99 | {q[98]:.2f} ms |")
    print(f"| latency max | {max(latencies):.1f} ms |")


if __name__ == "__main__":
    main()

"""End-to-end moderation latency on a local Synapse (I1, R1): a member posts an advert →
the member's own client sees it redacted. Side by side in one run with Synapse alone: the
same member's message seen by another member's client (what any reaction has to pay).

    .venv/bin/python bench/bench_matrix_e2e.py --rounds 50

Everything runs on this machine: Synapse from .venv-synapse (./dev.sh setup) in a temp
directory, the bot (`qunyun bot`'s runner, long-polling /sync) in this process, and the
two clients long-polling their own /sync. Rounds are sequential and paced, far below
Synapse's own limit (20–35 messages/s on 2 cores). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from qunyun.adapters.matrix.client import HttpMatrixApi
from qunyun.adapters.matrix.homeserver import LocalHomeserver, installed
from qunyun.adapters.matrix.runner import MatrixBot
from qunyun.app import open_database
from qunyun.bot.wiring import build_policies
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.load import load_plan
from qunyun.plan.model import Plan
from qunyun.storage.community import communities as community_repo

ROOT = Path(__file__).resolve().parent.parent
ADVERT = "兼职日结，加微信 http://spam.example.com"


async def wait_for(api: HttpMatrixApi, since: str, match: Any, seconds: float = 10.0
                   ) -> tuple[float, str]:
    """Long-poll `api`'s sync until an event satisfies `match`: (perf time seen, token)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        resp = await api.sync(since=since, timeout_ms=5_000)
        since = str(resp["next_batch"])
        for room in ((resp.get("rooms") or {}).get("join") or {}).values():
            for event in (room.get("timeline") or {}).get("events") or []:
                if match(event):
                    return time.perf_counter(), since
    raise TimeoutError("not seen in time")


async def bench(rounds: int, data: Path) -> None:
    loaded = load_plan(ROOT / "examples" / "python-camp.yaml")
    assert loaded.plan is not None
    raw = loaded.plan.model_dump()
    raw["moderation"]["warn_limit"] = rounds + 10  # warn every round, never remove the member
    raw["moderation"]["flood"]["enabled"] = False  # one advert a second is not the point
    plan = Plan.model_validate(raw)
    with LocalHomeserver(data / "synapse") as hs:
        bot_user = hs.register("bot", displayname="群运助手")
        ann_user = hs.register("ann", displayname="小安-杭州-财务")
        bob_user = hs.register("bob", displayname="小博-上海-运营")
        bot_api = HttpMatrixApi(hs.url, bot_user.access_token)
        ann = HttpMatrixApi(hs.url, ann_user.access_token)
        bob = HttpMatrixApi(hs.url, bob_user.access_token)
        room = await bot_api.create_room(name="进阶营",
                                         invite=[ann_user.user_id, bob_user.user_id])
        await ann.join(room)
        await bob.join(room)
        engine = open_database(f"sqlite:///{data / 'bot.db'}")
        with engine.begin() as conn:
            cid = community_repo.get_or_create_community(conn, slug="b", name="b", now_ms=0)
        bot = MatrixBot(bot_api, Pipeline(engine, community_id=cid,
                                          policies=build_policies(plan), plan=plan),
                        bot_user_id=bot_user.user_id, homeserver=hs.url)
        await bot.sync_once()  # first start: what came before is history
        stop = asyncio.Event()
        running = asyncio.create_task(bot.run(stop, timeout_ms=30_000))
        ann_since = str((await ann.sync())["next_batch"])
        bob_since = str((await bob.sync())["next_batch"])
        plain: list[float] = []
        redacted: list[float] = []
        try:
            for i in range(rounds):
                # Synapse alone: Ann says something ordinary, Bob's client shows it.
                t0 = time.perf_counter()
                sent = await ann.send_text(room, f"今天的作业第 {i} 题谁做出来了")
                seen, bob_since = await wait_for(
                    bob, bob_since, lambda e, s=sent: e.get("event_id") == s)
                plain.append((seen - t0) * 1000)
                await asyncio.sleep(0.3)
                # The bot: Ann posts an advert, Ann's own client shows it redacted.
                t0 = time.perf_counter()
                sent = await ann.send_text(room, f"{ADVERT} {i}")
                seen, ann_since = await wait_for(
                    ann, ann_since,
                    lambda e, s=sent: e.get("type") == "m.room.redaction"
                    and (e.get("redacts") == s or (e.get("content") or {}).get("redacts") == s))
                redacted.append((seen - t0) * 1000)
                await asyncio.sleep(0.3)
        finally:
            stop.set()
            await running
            for api in (bot_api, ann, bob):
                await api.close()
            engine.dispose()
    print(f"rounds: {rounds} · Synapse {hs.url} on 127.0.0.1 · bot on SQLite")
    print("| path | median | p90 | max |\n|---|---:|---:|---:|")
    for label, values in (("Synapse alone: message sent → another member sees it", plain),
                          ("qunyun: advert sent → its sender sees it redacted", redacted)):
        q = statistics.quantiles(values, n=10)
        print(f"| {label} | {statistics.median(values):.0f} ms | {q[8]:.0f} ms | "
              f"{max(values):.0f} ms |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=50)
    args = ap.parse_args()
    if not installed():
        raise SystemExit("Synapse is not installed: run ./dev.sh setup")
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(bench(args.rounds, Path(tmp)))


if __name__ == "__main__":
    main()

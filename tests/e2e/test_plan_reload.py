"""A plan saved in the console reaches the running bot within seconds (issue 11, item 13),
on a real Synapse: the bot answers a FAQ from the stored plan, an operator saves a plan
with a new answer, and the next question gets the new answer — audited as plan:reloaded."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.app import open_database
from qunyun.bot.app import run_matrix_bot
from qunyun.plan.load import parse_plan
from qunyun.services import plans as plan_service
from qunyun.storage.community import communities as community_repo
from qunyun.storage.work import audit as audit_repo
from tests.conftest import EXAMPLES
from tests.e2e.conftest import make_room, timeline

OLD = "群公告置顶的链接，每次课后 24 小时内更新。"
NEW = "回放改到学习平台的「我的课程」页了。"


def test_a_saved_plan_reaches_the_running_bot(homeserver: LocalHomeserver,
                                              tmp_path: Path) -> None:
    text = (EXAMPLES / "python-camp.yaml").read_text(encoding="utf-8")
    assert OLD in text
    engine = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="python-camp", name="营",
                                                     now_ms=0)
        plan_service.import_file(conn, community_id=cid, path="/p/camp.yaml", text=text)
    plan = parse_plan(text).plan
    assert plan is not None

    async def go() -> float:
        room = await make_room(homeserver, alice_name="小王-杭州-财务")
        alice = room.api(room.alice)
        stop = asyncio.Event()
        bot = asyncio.create_task(run_matrix_bot(
            engine, community_id=cid, plan=plan, homeserver=homeserver.url,
            token=room.bot.access_token, stop=stop, timeout_ms=500, plan_text=text,
            plan_interval=0.3))

        async def bot_says(needle: str) -> bool:
            return any(e["sender"] == room.bot.user_id and needle in
                       (e.get("content") or {}).get("body", "")
                       for e in await timeline(alice, room.room_id))

        async def until(check: object, seconds: float = 20) -> None:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                if await check():  # type: ignore[operator]
                    return
                await asyncio.sleep(0.3)
            raise AssertionError("not in time")

        try:
            async def synced() -> bool:
                with engine.connect() as conn:
                    return bool(audit_repo.entries(conn, community_id=cid,
                                                   action="plan:running"))
            await until(synced)
            await asyncio.sleep(1.5)  # the first sync (history) has passed
            await alice.send_text(room.room_id, "直播回放在哪里看呀")
            await until(lambda: bot_says(OLD))
            with engine.begin() as conn:
                saved = plan_service.save_plan(conn, community_id=cid, operator="lin",
                                               text=text.replace(OLD, NEW),
                                               expected_slug="python-camp")
            assert saved.saved
            started = time.monotonic()

            async def reloaded() -> bool:
                with engine.connect() as conn:
                    return bool(audit_repo.entries(conn, community_id=cid,
                                                   action="plan:reloaded"))
            await until(reloaded, 10)
            took = time.monotonic() - started
            await alice.send_text(room.room_id, "回放去哪看？")
            await until(lambda: bot_says(NEW))
            return took
        finally:
            stop.set()
            await asyncio.wait_for(bot, 30)
            await alice.close()

    took = asyncio.run(go())
    assert took < 5, took
    engine.dispose()

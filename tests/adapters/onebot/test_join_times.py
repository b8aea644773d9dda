"""QQ members' join times from `get_group_member_list` (onebot-11 api/public.md 获取群成员
列表, `join_time`): on start, a member who joined before the bot (or while it was down) has
a join in the log at that time; one whose join the bot saw keeps it; a restart records
nothing twice. Their join date is then on the console's member page and in the figures
an elimination sweep judges by."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from qunyun.adapters.onebot.client import OneBotClient
from qunyun.adapters.onebot.runner import OneBotBot
from qunyun.pipeline.runner import Pipeline
from qunyun.services import lookup
from qunyun.storage.lifecycle.activity import group_members
from qunyun.storage.tables import events
from qunyun.web.app import create_app
from qunyun.web.render import when
from tests.adapters.onebot.server import TOKEN, OneBotServer, fixture
from tests.web.conftest import sign_in
from tests.web.seed import seed

GID = "100200300"
OWNER_JOINED = 1763000000  # 30001, in the group long before the bot
SEEN_JOINED = 1763500000  # 20001: the bot saw the group_increase notice (3 s later)
BACK_JOINED = 1763600000  # 20002: left (seen), came back while the bot was down


def member(user_id: int, card: str, join_time: int, role: str = "member") -> dict[str, object]:
    return {"group_id": int(GID), "user_id": user_id, "nickname": card, "card": card,
            "sex": "unknown", "age": 0, "area": "", "join_time": join_time,
            "last_sent_time": 0, "level": "1", "role": role, "unfriendly": False,
            "title": "", "title_expire_time": 0, "card_changeable": True}


def test_join_times_from_the_member_list(engine: Engine) -> None:
    seeded = seed(engine)

    def new_bot(server: OneBotServer) -> OneBotBot:  # a new process: nothing in memory
        return OneBotBot(OneBotClient(server.url, TOKEN, min_interval_s=0, timeout_s=5),
                         Pipeline(engine, community_id=seeded.community_id, policies=[]),
                         admin_group="900900900")

    def joins() -> list[tuple[str, int]]:
        with engine.connect() as conn:
            rows = conn.execute(select(events.c.source_event_id, events.c.ts_ms).where(
                events.c.kind == "join", events.c.source.like("onebot:%"))
                .order_by(events.c.ts_ms)).all()
        return [(r[0], int(r[1])) for r in rows]

    async def go() -> None:
        server = await OneBotServer().start()
        server.answers["get_group_member_list"] = [
            member(10001, "群运助手", 1764000000, "admin"), member(30001, "班主任小林",
                                                               OWNER_JOINED, "owner")]
        bot = new_bot(server)
        try:
            await bot.client.connect()
            await bot.start()
            # While it runs: 20001 joins (the notice, 3 s after QQ's join_time), 20002
            # joins and leaves.
            for raw in (fixture("event-notice-group_increase", user_id=20001,
                                time=SEEN_JOINED + 3, sub_type="approve", operator_id=30001),
                        fixture("event-notice-group_increase", user_id=20002,
                                time=BACK_JOINED - 200_000, sub_type="approve"),
                        fixture("event-notice-group_decrease", user_id=20002,
                                time=BACK_JOINED - 100_000, sub_type="leave", operator_id=0)):
                await bot.handle_raw(raw)
            await bot.client.close()
            server.answers["get_group_member_list"] = [
                member(10001, "群运助手", 1764000000, "admin"),
                member(30001, "班主任小林", OWNER_JOINED, "owner"),
                member(20001, "小王", SEEN_JOINED), member(20002, "小李", BACK_JOINED)]
            for _ in range(2):  # restarted, twice
                bot = new_bot(server)
                await bot.client.connect()
                await bot.start()
                await bot.client.close()
        finally:
            await bot.client.close()
            await server.stop()

    asyncio.run(go())
    got = joins()
    # 30001: from the list; 20001: the notice only (no second join 3 s earlier); 20002:
    # the join seen, then the return the list reports.
    assert [ts for _, ts in got] == [OWNER_JOINED * 1000, (BACK_JOINED - 200_000) * 1000,
                                     (SEEN_JOINED + 3) * 1000, BACK_JOINED * 1000]
    assert sum(sid.startswith("list:") for sid, _ in got) == 2
    with engine.connect() as conn:
        cid = seeded.community_id
        (gid,) = [g for g, ref in lookup.community_groups(conn, community_id=cid)
                  if ref.group_id == GID]
        ids = {}
        for qq in ("30001", "20001", "20002"):
            (ids[qq],) = lookup.member_ids_of(conn, community_id=cid, platform="qq",
                                              user_ids=[qq])
        sweep = {r.member_id: r.joined_ms for r in
                 group_members(conn, group_id=gid, since_ms=0, day_offset_ms=0)}
    # What an elimination sweep judges by: silent since they joined, not "unknown".
    assert sweep == {ids["30001"]: OWNER_JOINED * 1000, ids["20001"]: (SEEN_JOINED + 3) * 1000,
                     ids["20002"]: BACK_JOINED * 1000}
    with TestClient(create_app(engine, secure_cookies=False),
                    base_url="http://127.0.0.1") as client:
        sign_in(client, "viewer")
        page = client.get(f"/c/python-camp/members/{ids['30001']}").text
        assert f"入群 {when(OWNER_JOINED * 1000)}" in page
        assert datetime.fromtimestamp(OWNER_JOINED, UTC).year == 2025
        page = client.get(f"/c/python-camp/members/{ids['20002']}").text
        # Joined, left, came back: the page reads the stays in order, the last as 重新入群.
        assert f"重新入群 {when(BACK_JOINED * 1000)}" in page

"""QQ 全员禁言 (onebot-11 event/notice.md 群禁言 with user_id 0): the whole group muted and
lifted by an admin arrives over the wire, is recorded once as the group's event, and the
group page says who did it and when, in words, in the page's language."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from qunyun.adapters.onebot.client import OneBotClient
from qunyun.adapters.onebot.runner import OneBotBot
from qunyun.pipeline.runner import Pipeline
from qunyun.services import lookup
from qunyun.storage.tables import events
from qunyun.web.app import create_app
from qunyun.web.render import when
from tests.adapters.onebot.server import TOKEN, OneBotServer, fixture
from tests.web.conftest import sign_in
from tests.web.seed import seed


def test_a_whole_group_mute_is_on_the_group_page(engine: Engine) -> None:
    seeded = seed(engine)
    muted = fixture("event-notice-group_ban-whole")
    lifted = {**muted, "sub_type": "lift_ban", "duration": 0, "time": muted["time"] + 600}

    async def go() -> None:
        server = await OneBotServer().start()
        bot = OneBotBot(OneBotClient(server.url, TOKEN, min_interval_s=0, timeout_s=5),
                        Pipeline(engine, community_id=seeded.community_id, policies=[]),
                        admin_group="900900900")
        try:
            await bot.client.connect()
            await bot.start()  # the member list names 30001 班主任小林
            assert await bot.handle_raw(muted) == 1
            assert await bot.handle_raw(muted) == 0  # sent again after a reconnect
            assert await bot.handle_raw(lifted) == 1
        finally:
            await bot.client.close()
            await server.stop()

    asyncio.run(go())
    with engine.connect() as conn:
        kinds = conn.execute(select(events.c.kind, events.c.member_id).where(
            events.c.source.like("onebot:%"), events.c.kind.like("%mute%"))).all()
        (gid,) = [g for g, ref in lookup.community_groups(conn, community_id=seeded.community_id)
                  if ref.group_id == "100200300"]
        (admin,) = lookup.member_ids_of(conn, community_id=seeded.community_id,
                                        platform="qq", user_ids=["30001"])
    assert [k for k, _ in kinds] == ["group_mute", "group_mute"]  # no member was muted
    assert {m for _, m in kinds} == {admin}
    with TestClient(create_app(engine, secure_cookies=False),
                    base_url="http://127.0.0.1") as client:
        sign_in(client, "viewer")
        page = client.get(f"/c/python-camp/g/{gid}").text
        assert "全员禁言记录" in page
        assert f"{when(muted['time'] * 1000)}</td><td>班主任小林 开启了全员禁言" in page
        assert f"{when(lifted['time'] * 1000)}</td><td>班主任小林 解除了全员禁言" in page
        assert page.index("解除了") < page.index("开启了")  # newest first
        assert "group_mute" not in page and "lift_ban" not in page
        assert "开启了全员禁言" in client.get(f"/c/python-camp/members/{admin}").text
        client.cookies.set("qunyun_lang", "en")
        page = client.get(f"/c/python-camp/g/{gid}").text
        assert "Whole-group mutes" in page and "班主任小林 muted the whole group" in page
        assert "班主任小林 lifted the whole-group mute" in page

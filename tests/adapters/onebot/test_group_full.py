"""G4 where the bot cannot create groups (QQ through OneBot 11; Telegram alike): the plan's
`size_cap` is 3, and when the third member is in 「进阶营」 the operator gets one to-do in
the console — the next group's suggested name and the text to post in the full group —
never an action QQ does not have; a fourth join files no second to-do."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from qunyun.adapters.onebot.client import OneBotClient
from qunyun.adapters.onebot.runner import OneBotBot
from qunyun.bot.wiring import build_policies
from qunyun.capabilities import ONEBOT, TELEGRAM
from qunyun.pipeline.runner import Pipeline
from qunyun.storage.tables import audit_log
from qunyun.storage.work import queues as queue_repo
from qunyun.web.app import create_app
from tests.adapters.onebot.server import TOKEN, OneBotServer, fixture
from tests.policies.test_bot_policies import camp_plan
from tests.web.conftest import sign_in
from tests.web.seed import seed


def test_a_full_qq_group_is_an_operator_to_do(engine: Engine) -> None:
    assert not ONEBOT.create_groups and not TELEGRAM.create_groups
    seeded = seed(engine)
    plan = camp_plan(community__size_cap=3)

    async def go() -> None:
        server = await OneBotServer().start()  # its member list: the bot and 30001
        bot = OneBotBot(OneBotClient(server.url, TOKEN, min_interval_s=0, timeout_s=5),
                        Pipeline(engine, community_id=seeded.community_id, plan=plan,
                                 policies=build_policies(plan, capabilities=ONEBOT)),
                        admin_group="900900900")
        try:
            await bot.client.connect()
            await bot.start()
            for n, qq in enumerate((20001, 20002, 20003)):
                await bot.handle_raw(fixture("event-notice-group_increase", user_id=qq,
                                             sub_type="approve", operator_id=30001,
                                             time=1764633603 + n))
            sent = [a["action"] for a in server.actions]
            assert not any("create" in a for a in sent)  # OneBot 11 has no such action
        finally:
            await bot.client.close()
            await server.stop()

    asyncio.run(go())
    with engine.connect() as conn:
        (item,) = queue_repo.list_items(conn, community_id=seeded.community_id,
                                        queue="group_todo")
        failed = conn.execute(select(audit_log.c.action).where(
            audit_log.c.action == "open_group")).all()
    assert failed == []
    assert item["title"] == "新开群「进阶营 2群」：「进阶营」已满 3/3 人"
    text = item["detail"]["text"]
    assert "本群已满 3 人" in text and "「进阶营 2群」" in text and "（新群的群号或邀请链接）" in text
    with TestClient(create_app(engine, secure_cookies=False),
                    base_url="http://127.0.0.1") as client:
        sign_in(client, "viewer")
        page = client.get("/c/python-camp/queues?queue=group_todo").text
        assert "待新开的群" in page and "新开群「进阶营 2群」" in page
        assert "建好新群后，请把以下文案发到已满的群" in page and "本群已满 3 人" in page
        client.cookies.set("qunyun_lang", "en")
        page = client.get("/c/python-camp/queues?queue=group_todo").text
        assert "Groups to open" in page
        assert "Open the group 进阶营 2群: 进阶营 is full (3/3)" in page

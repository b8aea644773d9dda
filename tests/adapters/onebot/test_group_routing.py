"""G4 routing on QQ (OneBot 11; Telegram alike: neither lets a bot pull a member into a
group): the plan routes by the city in the group card. 小王-杭州-财务 joins 「进阶营」: the
bot tells her in the group, with an at, to join 「进阶营 杭州群」 (a group the bot is in),
and the operator gets the to-do to bring her in — in the console, in words."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.adapters.onebot.client import OneBotClient
from qunyun.adapters.onebot.runner import OneBotBot
from qunyun.bot.wiring import build_policies
from qunyun.capabilities import ONEBOT
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.model import Plan
from qunyun.storage.work import queues as queue_repo
from qunyun.web.app import create_app
from tests.adapters.onebot.server import TOKEN, OneBotServer, fixture
from tests.policies.test_bot_policies import camp_plan
from tests.web.conftest import sign_in
from tests.web.seed import seed

HANGZHOU = 100200400


def test_a_newcomer_is_sent_to_the_group_of_their_city(engine: Engine) -> None:
    seeded = seed(engine)
    data = camp_plan().model_dump()
    data["onboarding"]["form"] = []
    data["groups"] = {"route_by": "city",
                      "routes": [{"match": ["杭州"], "group": "进阶营 杭州群"}]}
    plan = Plan.model_validate(data)

    async def go() -> None:
        server = await OneBotServer().start()
        server.answers["get_group_list"] = [
            *fixture("api-get_group_list"),
            {"group_id": HANGZHOU, "group_name": "进阶营 杭州群", "member_count": 2,
             "max_member_count": 500}]
        server.answers["get_group_member_info"] = fixture("api-get_group_member_info",
                                                          card="小王-杭州-财务")
        bot = OneBotBot(OneBotClient(server.url, TOKEN, min_interval_s=0, timeout_s=5),
                        Pipeline(engine, community_id=seeded.community_id, plan=plan,
                                 policies=build_policies(plan, capabilities=ONEBOT)),
                        admin_group="900900900")
        try:
            await bot.client.connect()
            await bot.start()
            await bot.handle_raw(fixture("event-notice-group_increase", user_id=20001,
                                         sub_type="approve", operator_id=30001))
            told = [p for p in server.sent("send_group_msg")
                    if any("进阶营 杭州群" in s["data"].get("text", "") for s in p["message"])]
            assert len(told) == 1 and told[0]["group_id"] == 100200300
            assert {"type": "at", "data": {"qq": "20001"}} in told[0]["message"]
            assert not [a for a in server.actions if a["action"] == "set_group_add_request"]
            again = fixture("event-notice-group_increase", user_id=20001, sub_type="approve",
                            operator_id=30001, time=1764633999)  # back after a leave
            await bot.handle_raw(again)
            assert len([p for p in server.sent("send_group_msg")
                        if "进阶营 杭州群" in str(p["message"])]) == 1  # told once
        finally:
            await bot.client.close()
            await server.stop()

    asyncio.run(go())
    with engine.connect() as conn:
        (item,) = queue_repo.list_items(conn, community_id=seeded.community_id,
                                        queue="group_todo")
    assert item["title"] == "把 小王-杭州-财务（20001） 拉进「进阶营 杭州群」（资料：杭州）"
    with TestClient(create_app(engine, secure_cookies=False),
                    base_url="http://127.0.0.1") as client:
        sign_in(client, "viewer")
        page = client.get("/c/python-camp/queues?queue=group_todo").text
        assert "把 小王-杭州-财务（20001） 拉进「进阶营 杭州群」" in page
        assert "机器人已在群内：是" in page
        assert "建好新群后" not in page and "route_group" not in page.split("<details")[0]
        client.cookies.set("qunyun_lang", "en")
        page = client.get("/c/python-camp/queues?queue=group_todo").text
        assert "Bring 小王-杭州-财务（20001） into 进阶营 杭州群 (杭州)" in page

"""T3 badges on a real Synapse, through `run_matrix_bot` (the wiring `qunyun bot` uses): a
member's first message earns the plan's 破冰 badge, the bot congratulates them in the room,
and `!徽章` shows it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from qunyun.adapters.matrix.client import HttpMatrixApi
from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.app import open_database
from qunyun.bot.app import run_matrix_bot
from qunyun.plan.model import Plan
from qunyun.storage.community import communities as community_repo
from tests.e2e.conftest import timeline, unique
from tests.e2e.test_bot_rules import scalar, until
from tests.policies.test_bot_policies import camp_plan


def test_a_badge_is_awarded_announced_and_shown(homeserver: LocalHomeserver,
                                                tmp_path: Path) -> None:
    hs = homeserver
    bot_user = hs.register(unique("bot"), displayname="群运助手")
    operator = hs.register(unique("operator"), displayname="运营者")
    alice_user = hs.register(unique("alice"), displayname="小王-杭州-财务")
    bob_user = hs.register(unique("bob"), displayname="小周-上海-运营")
    data = camp_plan().model_dump()
    data["bot"]["admin_room"] = None
    data["badges"] = [{"key": "first-words", "name": "破冰", "rule": "first_message",
                       "description": "在群里说了第一句话"}]
    plan = Plan.model_validate(data)
    engine = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="camp", name="camp", now_ms=0)

    async def go() -> None:
        bot = HttpMatrixApi(hs.url, bot_user.access_token)
        op = HttpMatrixApi(hs.url, operator.access_token)
        alice = HttpMatrixApi(hs.url, alice_user.access_token)
        bob = HttpMatrixApi(hs.url, bob_user.access_token)
        stop = asyncio.Event()
        runner: asyncio.Task[None] | None = None

        async def bot_says(needle: str) -> bool:
            return any(e["sender"] == bot_user.user_id and e["type"] == "m.room.message"
                       and needle in e["content"].get("body", "")
                       for e in await timeline(op, main))

        try:
            main = await bot.create_room(name="进阶营", invite=[operator.user_id],
                                         power_users={operator.user_id: 100})
            await op.join(main)
            runner = asyncio.create_task(run_matrix_bot(
                engine, community_id=cid, plan=plan, homeserver=hs.url,
                token=bot_user.access_token, stop=stop, timeout_ms=300))

            async def started() -> bool:
                return scalar(engine, "SELECT count(*) FROM adapter_state") >= 1

            await until(started)
            # two members, as in a real group (a room of two looks like a DM to the bot)
            for member, api in ((alice_user, alice), (bob_user, bob)):
                await op.invite(main, member.user_id)
                await api.join(main)
            await until(lambda: bot_says("欢迎"))
            await alice.send_text(main, "大家好，我是小王，在杭州做财务")
            await until(lambda: bot_says("获得徽章「破冰」"), 60)
            assert scalar(engine, "SELECT count(*) FROM growth_badges WHERE badge = "
                                  "'first-words'") == 1
            assert scalar(engine, "SELECT count(*) FROM events WHERE kind = 'badge'") == 1
            await alice.send_text(main, "!徽章")
            await until(lambda: bot_says("🏅 破冰"))
        finally:
            stop.set()
            if runner is not None:
                await asyncio.wait_for(runner, timeout=30)
            for api in (bot, op, alice, bob):
                await api.close()

    asyncio.run(go())

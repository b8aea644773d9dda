"""T3 grants and period boards on a real Synapse, through `run_matrix_bot` (the wiring
`qunyun bot` uses): the room's moderator `!加分`s a member with a real mention (a pill), a
member who tries the same is refused, and the member's `!排行 周` shows the points with
their own rank."""

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


def test_an_admin_grants_points_and_the_week_board_shows_them(homeserver: LocalHomeserver,
                                                              tmp_path: Path) -> None:
    hs = homeserver
    bot_user = hs.register(unique("bot"), displayname="群运助手")
    operator = hs.register(unique("operator"), displayname="运营者")
    alice_user = hs.register(unique("alice"), displayname="小王-杭州-财务")
    bob_user = hs.register(unique("bob"), displayname="小周-上海-运营")
    data = camp_plan().model_dump()
    data["bot"]["admin_room"] = None
    data["badges"] = []
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
            for member, api in ((alice_user, alice), (bob_user, bob)):
                await op.invite(main, member.user_id)
                await api.join(main)
            await until(lambda: bot_says("欢迎"))
            name = "小王-杭州-财务"
            await alice.send_text(main, "今天的作业做完了")  # +1 participation point

            async def alice_known() -> bool:
                return scalar(engine, "SELECT count(*) FROM bot_points") >= 1

            await until(alice_known)
            # The moderator (power 100) is an admin to the bot; the mention is a real pill.
            await op.send_text(main, f"!加分 @{name} 10 分享了很好的学习笔记",
                               [alice_user.user_id], names={alice_user.user_id: name})
            await until(lambda: bot_says(f"@{name} +10 分（贡献，运营者）：分享了很好的学习笔记"))
            await bob.send_text(main, f"!加分 @{name} 50 我是她朋友")
            await until(lambda: bot_says("只有管理员可以加分"))
            await alice.send_text(main, "!排行 周")
            await until(lambda: bot_says("周榜 · 总积分"))
            board = next(e["content"]["body"] for e in reversed(await timeline(op, main))
                         if e["sender"] == bot_user.user_id
                         and "周榜" in e["content"].get("body", ""))
            assert f"1. {name} — 11 分" in board and "你：第 1 名，11 分" in board, board
            assert "运营者" not in board  # the admin is off the board
            assert scalar(engine, "SELECT count(*) FROM audit_log WHERE action = "
                                  "'points.grant'") == 1
        finally:
            stop.set()
            if runner is not None:
                await asyncio.wait_for(runner, timeout=30)
            for api in (bot, op, alice, bob):
                await api.close()

    asyncio.run(go())

"""T3 grants and period boards on a real Synapse, through `run_matrix_bot` (the wiring
`qunyun bot` uses): the room's moderator `!加分`s a member with a real mention (a pill), a
member who tries the same is refused, and the member's `!排行 周` shows the points with
their own rank; a grant in the console reaches the member in the room like `!加分`, with
the level it crossed (issue 11 walk13 #58)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.plan.model import Plan
from qunyun.services import boards as board_service
from qunyun.services import level_ups
from tests.e2e.conftest import camp_data, camp_scene, scalar, until


def test_an_admin_grants_points_and_the_week_board_shows_them(homeserver: LocalHomeserver,
                                                              tmp_path: Path) -> None:
    data = camp_data()
    data["badges"] = []
    plan = Plan.model_validate(data)

    async def go() -> None:
        async with camp_scene(homeserver, tmp_path, plan) as scene:
            engine, main = scene.engine, scene.main
            alice, bob, op = scene.alice, scene.bob.api, scene.operator.api
            name = "小王-杭州-财务"
            await alice.api.send_text(main, "今天的作业做完了")  # +1 participation point

            async def alice_known() -> bool:
                return scalar(engine, "SELECT count(*) FROM bot_points") >= 1

            await until(alice_known)
            # The moderator (power 100) is an admin to the bot; the mention is a real pill.
            await op.send_text(main, f"!加分 @{name} 10 分享了很好的学习笔记",
                               [alice.user.user_id], names={alice.user.user_id: name})
            await until(lambda: scene.bot_says(
                "@小王 +10 分（贡献，运营者）：分享了很好的学习笔记"))  # addressed by the name part
            await bob.send_text(main, f"!加分 @{name} 50 我是她朋友")
            await until(lambda: scene.bot_says("只有管理员可以加分"))
            await alice.api.send_text(main, "!排行 周")
            await until(lambda: scene.bot_says("周榜 · 总积分"))
            board = await scene.last_said("周榜")
            # Listed by the name part, as the bot addresses her (bot13).
            assert "1. 小王 — 11 分" in board and "你：第 1 名，11 分" in board, board
            assert "运营者" not in board  # the admin is off the board
            assert scalar(engine, "SELECT count(*) FROM audit_log WHERE action = "
                                  "'points.grant'") == 1

            # The console's grant form (its service): 11 + 40 crosses 成员 (50).
            member_id = scalar(engine, f"SELECT id FROM members WHERE display_name = '{name}'")
            with engine.begin() as conn:
                done = board_service.grant(conn, community_id=scene.community_id,
                                           member_id=int(member_id), points=40,
                                           reason="帮同学解决了报错", by="lin", plan=plan,
                                           at=datetime.now(UTC))
                told = level_ups.tell_grant(conn, community_id=scene.community_id,
                                            granted=done, plan=plan, operator="lin",
                                            at_ms=int(datetime.now(UTC).timestamp() * 1000))
            assert told.level == "成员" and told.where, told
            await until(lambda: scene.bot_says(
                "@小王 +40 分（贡献，运营者 lin）：帮同学解决了报错。现在共 51 分"))
            await until(lambda: scene.bot_says("🎉 恭喜 @小王 升级为「成员」（51 分）！"))

    asyncio.run(go())

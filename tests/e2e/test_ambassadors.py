"""T2 推广大使 on a real Synapse, through `run_matrix_bot`: the operator invites alice from
the console (`ambassadors.invite_by_operator`, the DM through the bot's outbox); the
invitation arrives in her DM with the plan's perks; she answers `!接受` there and gets her
code. A friend she invites into the group is credited to her; a walk-in who joins by the
room's link and gives her code with `!邀请码` is too. The console's roster counts both,
and the contribution board (`!排行 贡献`) shows her points."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.plan.model import Plan
from qunyun.services import ambassadors as service
from qunyun.services import lookup, outreach
from tests.e2e.conftest import SYNCED, camp_data, camp_scene, until
from tests.e2e.test_dm_todos import Inbox


def test_an_ambassador_invited_from_the_console_brings_two_members_and_is_credited(
        homeserver: LocalHomeserver, tmp_path: Path) -> None:
    data = camp_data()
    data["onboarding"]["welcome_batch_seconds"] = 1
    data["onboarding"]["form"] = []  # the invitation is the only DM
    data["tier_actions"] = None
    data["volunteers"] = None
    plan = Plan.model_validate(data)

    async def go() -> None:
        async with camp_scene(homeserver, tmp_path, plan, started=SYNCED,
                              others={"carol": "小李-北京-老师",
                                      "dave": "小赵-广州-学生"}) as scene:
            engine, cid, main = scene.engine, scene.community_id, scene.main
            alice, carol, dave = scene.alice, scene.others["carol"], scene.others["dave"]
            await alice.api.send_text(main, "大家好，我是小王，在杭州做财务，想学自动化报表")

            def alice_id() -> int | None:
                with engine.connect() as conn:
                    found = lookup.member_ids_of(conn, community_id=cid, platform="matrix",
                                                 user_ids=[alice.user.user_id])
                return next(iter(found), None)

            async def known() -> bool:
                return alice_id() is not None

            await until(known)
            mid = alice_id()
            assert mid is not None
            with engine.begin() as conn:
                assert service.invite_by_operator(
                    conn, community_id=cid, member_id=mid, plan=plan, operator="lin",
                    now_ms=int(time.time() * 1000)) == outreach.QUEUED

            # The operator's invitation arrives in her DM.
            box = Inbox(alice, {main})
            await until(box.invited)
            (dm,) = box.invites
            await alice.api.join(dm)
            await until(lambda: scene.bot_says("推广大使", dm, viewer=alice))
            invitation = next(b for b in await scene.bot_messages(dm, viewer=alice)
                              if "推广大使" in b)
            assert "8 折" in invitation and "!接受" in invitation and "{" not in invitation

            await alice.api.send_text(dm, "!接受")
            await until(lambda: scene.bot_says("欢迎成为推广大使", dm, viewer=alice))
            accepted = next(b for b in await scene.bot_messages(dm, viewer=alice)
                            if "欢迎成为推广大使" in b)
            found = re.search(r"邀请码：([A-Z0-9]{6})", accepted)
            assert found is not None and "直接邀请朋友" in accepted
            code = found.group(1)

            # A friend she invites into the group is hers.
            await alice.api.invite(main, carol.user.user_id)
            await carol.api.join(main)

            def brought() -> int:
                with engine.connect() as conn:
                    rows = {int(r["member_id"]): r for r in service.roster(
                        conn, community_id=cid, tz=plan.bot.timezone,
                        now_ms=int(time.time() * 1000))}
                return int(rows[mid]["brought_total"])

            async def one() -> bool:
                return brought() == 1

            await until(one)
            # A walk-in by the room's link gives her code.
            await scene.bot.api.set_state(main, "m.room.join_rules", {"join_rule": "public"})
            await dave.api.join(main)
            await until(lambda: scene.bot_says("@小赵 欢迎", main, viewer=dave))
            await dave.api.send_text(main, f"!邀请码 {code.lower()}")
            await until(lambda: scene.bot_says("你是 小王-杭州-财务 邀请来的"))

            async def two() -> bool:
                return brought() == 2

            await until(two)
            with engine.connect() as conn:
                (row,) = [r for r in service.roster(conn, community_id=cid,
                                                    tz=plan.bot.timezone,
                                                    now_ms=int(time.time() * 1000))
                          if int(r["member_id"]) == mid]
            assert row["state_name"] == "推广大使" and row["brought_month"] == 2

            # The contribution board: her 60 ambassador points on top of what she earned.
            await carol.api.send_text(main, "!排行 贡献")
            await until(lambda: scene.bot_says("贡献"))
            board = await scene.last_said("贡献")
            first = board.split("\n")[1]
            assert first.startswith("1. 小王 — "), board  # the name part, as she is addressed
            points = int(re.findall(r"(\d+)\s*分", first)[0])
            assert points >= 60, board

    asyncio.run(go())

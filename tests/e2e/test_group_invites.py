"""Issue 11 #58 on a real Synapse, through `run_matrix_bot`: a member (not an admin) invites
the bot into a room of her own. The bot does not join; the invitation waits in the
console's 「新群待确认」 queue, named with who invited it where. Approved (the console's
decision, `queues.resolve_item`), the bot joins, the room is a community group and a
newcomer there is welcomed; a room declined is turned down (the bot is not in it) and
is no group."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.plan.model import Plan
from qunyun.services import queues
from qunyun.storage.work import queues as queue_repo
from tests.e2e.conftest import SYNCED, CampScene, Member, camp_data, camp_scene, scalar, until


def waiting(scene: CampScene) -> list[dict[str, Any]]:
    with scene.engine.connect() as conn:
        return queue_repo.list_items(conn, community_id=scene.community_id,
                                     queue="group_invite")


def decide(scene: CampScene, item_id: int, resolution: str) -> None:
    """What the console's 批准 / 忽略 buttons call."""
    with scene.engine.begin() as conn:
        queues.resolve_item(conn, community_id=scene.community_id, item_id=item_id,
                            operator="lin", status=resolution, reason="")


async def bot_membership(scene: CampScene, room: str, viewer: Member) -> str | None:
    state = await viewer.api.room_state(room)
    return next((e["content"].get("membership") for e in state
                 if e["type"] == "m.room.member"
                 and e["state_key"] == scene.bot.user.user_id), None)


def test_a_members_room_waits_for_the_operator_and_becomes_a_group_once_approved(
        homeserver: LocalHomeserver, tmp_path: Path) -> None:
    data = camp_data()
    data["onboarding"]["welcome_batch_seconds"] = 1
    data["onboarding"]["form"] = []
    data["tier_actions"] = None
    plan = Plan.model_validate(data)

    async def go() -> None:
        async with camp_scene(homeserver, tmp_path, plan, started=SYNCED,
                              others={"carol": "小李-北京-老师"}) as scene:
            alice, bob, carol = scene.alice, scene.bob, scene.others["carol"]
            study = await alice.api.create_room(name="小王的学习小组",
                                                invite=[scene.bot.user.user_id])
            ads = await bob.api.create_room(name="小周的福利群",
                                            invite=[scene.bot.user.user_id])

            async def both_wait() -> bool:
                return len(waiting(scene)) == 2

            await until(both_wait)
            titles = {i["detail"]["room"]: i for i in waiting(scene)}
            assert titles[study]["title"] == "小王-杭州-财务 邀请机器人进「小王的学习小组」"
            assert titles[ads]["title"] == "小周-上海-运营 邀请机器人进「小周的福利群」"
            await asyncio.sleep(1)
            assert await bot_membership(scene, study, alice) == "invite"  # not joined by itself

            decide(scene, titles[study]["id"], "approved")
            decide(scene, titles[ads]["id"], "dismissed")

            async def joined() -> bool:
                return await bot_membership(scene, study, alice) == "join"

            async def turned_down() -> bool:
                return await bot_membership(scene, ads, bob) == "leave"

            await until(joined)
            await until(turned_down)

            async def a_group() -> bool:
                return scalar(scene.engine, f"SELECT count(*) FROM groups WHERE external_id"
                                            f" = '{study}'") == 1

            await until(a_group)
            # A newcomer in the approved room is welcomed there, as in any group.
            await alice.api.invite(study, carol.user.user_id)
            await carol.api.join(study)
            await until(lambda: scene.bot_says("欢迎", study, viewer=alice))
            welcome = next(b for b in await scene.bot_messages(study, viewer=alice)
                           if "欢迎" in b)
            assert "@小李 " in welcome, welcome  # addressed by the name part (bot12)
            assert scalar(scene.engine, f"SELECT count(*) FROM groups WHERE external_id = "
                                        f"'{ads}'") == 0
            assert waiting(scene) == []

    asyncio.run(go())

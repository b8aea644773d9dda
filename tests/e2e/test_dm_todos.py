"""R2/R3/O2 on a real Synapse, through `run_matrix_bot`: DMs a member cannot be reached by.

Alice turns the bot's DM invitation down (the questionnaire's); bob never accepts his. A
later DM to either (an operator's volunteer invitation) is no new DM room and no second
invitation: it is the operator's 待发私信 to-do in the console, the text ready to copy and
why in words. When bob accepts his invitation, and when alice opens a DM with the bot
herself, the bot sends what waited, in their DM, and the to-dos close."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.plan.model import Plan
from qunyun.services import lookup
from qunyun.services import volunteers as volunteer_service
from qunyun.storage.work import queues as queue_repo
from tests.e2e.conftest import SYNCED, CampScene, Member, camp_data, camp_scene, until


class Inbox:
    """The rooms a member is invited to, read as her client does (incremental syncs)."""

    def __init__(self, member: Member, ignore: set[str]) -> None:
        self.member = member
        self.ignore = ignore
        self.since: str | None = None
        self.invites: list[str] = []

    async def poll(self) -> list[str]:
        resp = await self.member.api.sync(since=self.since, timeout_ms=0)
        self.since = str(resp["next_batch"])
        for room in (resp.get("rooms") or {}).get("invite") or {}:
            if room not in self.ignore and room not in self.invites:
                self.invites.append(room)
        return self.invites

    async def invited(self) -> bool:
        return bool(await self.poll())


def todos(scene: CampScene, member: Member, status: str = "open") -> list[dict[str, Any]]:
    with scene.engine.connect() as conn:
        ids = lookup.member_ids_of(conn, community_id=scene.community_id, platform="matrix",
                                   user_ids=[member.user.user_id])
        return [dict(i) for i in queue_repo.list_items(
            conn, community_id=scene.community_id, queue="dm_todo", status=status)
            if i["member_id"] in ids]


def invite_as_volunteer(scene: CampScene, member: Member) -> None:
    """The console's 邀请做志愿者 for a member (the DM goes through the bot's outbox)."""
    with scene.engine.begin() as conn:
        (mid,) = lookup.member_ids_of(conn, community_id=scene.community_id,
                                      platform="matrix", user_ids=[member.user.user_id])
        assert volunteer_service.invite_by_operator(
            conn, community_id=scene.community_id, member_id=mid, plan=scene.plan,
            operator="lin", now_ms=int(time.time() * 1000), role="答疑志愿者")


async def rooms_with(scene: CampScene, member: Member) -> list[str]:
    """The bot's rooms besides the group that the member was ever invited to."""
    found = []
    for room in await scene.bot.api.joined_rooms():
        if room == scene.main:
            continue
        state = await scene.bot.api.room_state(room)
        if any(e["type"] == "m.room.member" and e["state_key"] == member.user.user_id
               for e in state):
            found.append(room)
    return found


def test_a_member_who_turned_the_dm_down_or_never_accepted_it_is_an_operator_todo(
        homeserver: LocalHomeserver, tmp_path: Path) -> None:
    data = camp_data()
    data["tier_actions"] = None
    data["onboarding"]["welcome_batch_seconds"] = 1
    plan = Plan.model_validate(data)

    async def go() -> None:
        async with camp_scene(homeserver, tmp_path, plan, started=SYNCED) as scene:
            alice, bob = scene.alice, scene.bob
            alice_box, bob_box = Inbox(alice, {scene.main}), Inbox(bob, {scene.main})
            # The questionnaire comes by DM: one invitation each.
            await until(alice_box.invited)
            await until(bob_box.invited)
            (alice_dm,), (bob_dm,) = alice_box.invites, bob_box.invites
            # The invitation comes with the room; the question is sent just after it.
            await until(lambda: scene.bot_says("你的 Python 基础", bob_dm, viewer=scene.bot))
            await alice.api.leave(alice_dm)  # turns the DM down
            await until(lambda: _left(scene, alice_dm, alice))

            for member in (alice, bob):
                invite_as_volunteer(scene, member)

            async def both_todos() -> bool:
                return bool(todos(scene, alice)) and bool(todos(scene, bob))

            await until(both_todos)
            (a_item,) = todos(scene, alice)
            assert "私信没能送达" in a_item["title"] and "小王-杭州-财务" in a_item["title"]
            assert "志愿者" in a_item["detail"]["dm_text"]
            assert "拒绝" in a_item["detail"]["undelivered"]
            (b_item,) = todos(scene, bob)
            assert "还没有接受" in b_item["detail"]["undelivered"]
            # Not spammed: no second DM room, no second invitation, nothing more in bob's.
            await asyncio.sleep(1)
            assert await rooms_with(scene, alice) == [alice_dm]
            assert await rooms_with(scene, bob) == [bob_dm]
            assert await alice_box.poll() == [alice_dm]
            assert await bob_box.poll() == [bob_dm]
            assert not await scene.bot_says("志愿者", bob_dm, viewer=scene.bot)

            # Bob accepts at last: the invitation that waited is sent in his DM.
            await bob.api.join(bob_dm)
            await until(lambda: scene.bot_says("志愿者", bob_dm, viewer=bob))
            assert todos(scene, bob) == []
            (done,) = todos(scene, bob, status="done")
            assert done["id"] == b_item["id"]

            # Alice opens a DM with the bot herself: the bot joins and sends what waited.
            own = await alice.api.create_dm(scene.bot.user.user_id)
            await until(lambda: scene.bot_says("志愿者", own, viewer=alice))
            assert todos(scene, alice) == []
            said = await scene.bot_messages(own, viewer=alice)
            assert sum("志愿者" in s for s in said) == 1

    asyncio.run(go())


async def _left(scene: CampScene, room: str, member: Member) -> bool:
    state = await scene.bot.api.room_state(room)
    return any(e["type"] == "m.room.member" and e["state_key"] == member.user.user_id
               and e["content"].get("membership") == "leave" for e in state)

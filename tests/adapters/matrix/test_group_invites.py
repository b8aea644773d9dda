"""Issue 11 #58 on the in-memory Matrix API: the bot joins at once only DMs, rooms an admin
invites it to (the plan's `bot.admins`, or a moderator of a community room); a member's
own room waits in the console's 「新群待确认」 queue and becomes a group only once an
operator approves it (declined: the bot turns the invitation down)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Engine, text

from qunyun.adapters.matrix.runner import MatrixBot
from qunyun.pipeline.runner import Pipeline
from qunyun.services import queues
from qunyun.storage.community import communities as community_repo
from tests.adapters.matrix.test_rooms import BOT, LISI, state
from tests.adapters.matrix.test_runner import ROOM, Counts, FakeApi
from tests.policies.test_bot_policies import camp_plan

ADMIN = "@lin:localhost"
MOD = "@mod:localhost"


def invite(room: str, sender: str, name: str) -> dict[str, Any]:
    return {"invite_state": {"events": [
        {"type": "m.room.name", "state_key": "", "sender": sender, "content": {"name": name}},
        {"type": "m.room.member", "state_key": BOT, "sender": sender,
         "content": {"membership": "invite"}}]}}


def make_bot(engine: Engine, api: FakeApi) -> tuple[MatrixBot, int]:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    pipe = Pipeline(engine, community_id=cid, policies=[Counts()],
                    plan=camp_plan(bot__admins=[ADMIN]))
    return MatrixBot(api, pipe, bot_user_id=BOT, homeserver="localhost"), cid


def test_only_an_admins_invitation_is_joined_at_once_a_members_room_waits(
        engine: Engine) -> None:
    api = FakeApi()
    api.state[ROOM] = state("进阶营", {BOT: "群运助手", MOD: "版主", LISI: "李四"},
                            power={BOT: 100, MOD: 50, LISI: 0})
    api.batches.append({"next_batch": "t1", "rooms": {"invite": {
        "!lisi:localhost": invite("!lisi:localhost", LISI, "李四的学习小组"),
        "!lin:localhost": invite("!lin:localhost", ADMIN, "进阶营二群"),
        "!mod:localhost": invite("!mod:localhost", MOD, "进阶营答疑群")}}})
    bot, cid = make_bot(engine, api)
    asyncio.run(bot.start())
    asyncio.run(bot.sync_once())
    assert sorted(api.joins) == ["!lin:localhost", "!mod:localhost"]
    with engine.connect() as conn:
        (item,) = conn.execute(text("SELECT id, title, status FROM work_items "
                                    "WHERE queue = 'group_invite'")).all()
    assert item.title == "李四 邀请机器人进「李四的学习小组」" and item.status == "open"
    asyncio.run(bot.sync_once())
    assert "!lisi:localhost" not in api.joins  # still waiting for an operator

    with engine.begin() as conn:
        queues.resolve_item(conn, community_id=cid, item_id=item.id, operator="lin",
                            status="approved", reason="")
    asyncio.run(bot.sync_once())
    assert api.joins.count("!lisi:localhost") == 1
    asyncio.run(bot.sync_once())
    assert api.joins.count("!lisi:localhost") == 1  # carried out once


def test_a_declined_room_is_turned_down(engine: Engine) -> None:
    api = FakeApi()
    api.batches.append({"next_batch": "t1", "rooms": {"invite": {
        "!lisi:localhost": invite("!lisi:localhost", LISI, "李四的学习小组")}}})
    bot, cid = make_bot(engine, api)
    asyncio.run(bot.sync_once())
    with engine.begin() as conn:
        item_id = conn.execute(text("SELECT id FROM work_items WHERE queue = 'group_invite'")
                               ).scalar_one()
        queues.resolve_item(conn, community_id=cid, item_id=item_id, operator="lin",
                            status="dismissed", reason="不是社群的群")
    asyncio.run(bot.sync_once())
    assert api.left == ["!lisi:localhost"] and api.joins == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM groups WHERE external_id = "
                                 "'!lisi:localhost'")).scalar_one() == 0

"""A newcomer's first hour with the running bot on a real Synapse (issue 11, items 1, 2, 3,
5, 7, 8, 10), members as real Matrix clients and the bot's own loop (`MatrixBot.run`, with
its 30 s long-poll) doing the work:

- the plan's admin room does not exist: the bot creates it and invites the room's moderator;
- two members join 34 ms apart: one welcome mentioning both, when the window closes, with
  no other traffic in the room; a member whose nickname has the format is not told to rename;
- the questionnaire in the DM: plain answers read in order, each with a reply; joining the
  DM posts no welcome; the DM is no group (not listed, no checklist);
- a question to the teacher is no introduction, a reply to the welcome is; the unanswered
  question goes to the admin room only, with a real draft;
- check-in answers are real replies with real mentions;
- after a restart, names are still the members' names, never localparts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from qunyun.adapters.matrix.client import HttpMatrixApi
from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.adapters.matrix.runner import MatrixBot
from qunyun.app import open_database
from qunyun.bot.wiring import build_policies, build_scheduler
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.model import Plan
from qunyun.storage.community import communities as community_repo
from qunyun.storage.console import overview
from tests.e2e.conftest import timeline, unique
from tests.policies.test_bot_policies import camp_plan

ADMIN_ROOM = "进阶营管理组"


async def until(check: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def bot_messages(events: list[dict[str, Any]], bot: str) -> list[dict[str, Any]]:
    return [e for e in events if e["sender"] == bot and e["type"] == "m.room.message"]


async def invited_rooms(api: HttpMatrixApi) -> list[str]:
    resp = await api.sync(timeout_ms=0)
    return list((resp.get("rooms") or {}).get("invite") or {})


def test_the_first_hour(homeserver: LocalHomeserver, tmp_path: Path) -> None:
    hs = homeserver
    bot_user = hs.register(unique("bot"), displayname="群运助手")
    users = {name: hs.register(unique(name), displayname=dn) for name, dn in (
        ("operator", "运营者"), ("alice", "小王-杭州-财务"), ("bob", "随便起的名"),
        ("carol", "卡罗"))}
    apis = {name: HttpMatrixApi(hs.url, u.access_token) for name, u in users.items()}
    bot_api = HttpMatrixApi(hs.url, bot_user.access_token)
    op, alice, bob, carol = (apis[n] for n in ("operator", "alice", "bob", "carol"))
    plan: Plan = camp_plan(onboarding__welcome_batch_seconds=2, bot__admin_room=ADMIN_ROOM,
                           bot__admins=[])
    engine = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="camp", name="camp", now_ms=0)
    bot_id = bot_user.user_id

    def make_bot() -> MatrixBot:
        return MatrixBot(
            bot_api, Pipeline(engine, community_id=cid, policies=build_policies(plan),
                              plan=plan),
            bot_user_id=bot_id, homeserver=hs.url, admin_room=ADMIN_ROOM,
            scheduler=build_scheduler(engine, community_id=cid, plan=plan, resolution_s=1),
            timer_interval_s=0.3)

    def scalar(sql: str) -> Any:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar_one()

    async def go() -> None:
        room = await bot_api.create_room(
            name="进阶营", invite=[u.user_id for u in users.values()],
            power_users={users["operator"].user_id: 100})
        await op.join(room)
        stop = asyncio.Event()
        bot = make_bot()
        task = asyncio.ensure_future(bot.run(stop, timeout_ms=30_000))

        async def synced() -> bool:
            return bot.load_token() is not None

        await until(synced, 30, "the bot's first sync")

        # Item 10: the admin room is created, the room's moderator invited to it.
        assert bot.rooms.admin_room is not None
        admin_room = bot.rooms.admin_room
        assert admin_room in await invited_rooms(op)
        await op.join(admin_room)

        # Item 1: two joins 34 ms apart, then silence: one welcome for both, on time.
        joined_at = time.monotonic()
        await bob.join(room)
        await asyncio.sleep(0.034)
        await carol.join(room)

        async def welcomed() -> bool:
            return any("欢迎加入" in e["content"].get("body", "")
                       for e in bot_messages(await timeline(op, room), bot_id))

        await until(welcomed, 15, "the burst welcome")
        assert time.monotonic() - joined_at < 8  # the window (2 s), not the long-poll (30 s)
        await asyncio.sleep(1.5)
        welcomes = [e for e in bot_messages(await timeline(op, room), bot_id)
                    if "欢迎加入" in e["content"].get("body", "")]
        assert len(welcomes) == 1
        content = welcomes[0]["content"]
        assert set(content["m.mentions"]["user_ids"]) == {users["bob"].user_id,
                                                          users["carol"].user_id}
        assert f'https://matrix.to/#/{users["bob"].user_id}' in content["formatted_body"]
        assert "群昵称改成" in content["body"]
        # Walk13 finding 3: the welcome says where the questionnaire is.
        assert "问卷已私信发给你，请在私聊里回复" in content["body"]

        # Item 3: a newcomer whose nickname has the plan's format is not told to rename.
        await alice.join(room)

        async def alice_welcomed() -> bool:
            return any(users["alice"].user_id in e["content"].get("m.mentions", {}).get(
                "user_ids", []) and "欢迎加入" in e["content"].get("body", "")
                for e in bot_messages(await timeline(op, room), bot_id))

        await until(alice_welcomed, 15, "alice's welcome")
        alice_welcome = [e for e in bot_messages(await timeline(op, room), bot_id)
                         if "欢迎加入" in e["content"].get("body", "")][-1]
        assert "昵称" not in alice_welcome["content"]["body"]

        # Item 2: the questionnaire in the DM.
        async def bob_invited() -> bool:
            return bool([r for r in await invited_rooms(bob) if r != room])

        await until(bob_invited, 15, "the DM invite")
        dm = next(r for r in await invited_rooms(bob) if r != room)
        await bob.join(dm)

        async def dm_says(needle: str) -> bool:
            return any(needle in e["content"].get("body", "")
                       for e in bot_messages(await timeline(bob, dm), bot_id))

        await until(lambda: dm_says("新人问卷 1/3"), 15, "question 1 in the DM")
        # Walk13 finding 4: a choice question takes one of its choices, else asks again.
        await bob.send_text(dm, "不知道")
        await until(lambda: dm_says("请从这几个里选一个：1. 零基础 / 2. 会一点 / 3. 能写脚本"),
                    15, "the choices listed")
        first = await bob.send_text(dm, "会一点")
        await until(lambda: dm_says("新人问卷 2/3"), 15, "question 2 after a plain answer")
        answer = next(e for e in bot_messages(await timeline(bob, dm), bot_id)
                      if "2/3" in e["content"]["body"])
        assert answer["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == first
        # Walk13 finding 5: a required question cannot be skipped, and the bot says so.
        await bob.send_text(dm, "跳过")
        await until(lambda: dm_says("这道题必答，不能跳过"), 15, "the refused skip")
        await bob.send_text(dm, "每周 5 小时")
        await until(lambda: dm_says("新人问卷 3/3"), 15, "question 3")
        await bob.send_text(dm, "跳过")
        await until(lambda: dm_says("问卷完成"), 15, "the form done")
        dm_bodies = [e["content"]["body"] for e in bot_messages(await timeline(bob, dm), bot_id)]
        assert not any("欢迎加入" in b for b in dm_bodies)  # joining the DM is no join
        # Question 1 once, and once more only where the answer named no choice.
        assert sum("1/3" in b and "请从这几个里选一个" not in b for b in dm_bodies) == 1
        with engine.connect() as conn:
            listed = [g["external_id"] for g in overview.groups_with_counts(conn,
                                                                            community_id=cid)]
        assert listed == [room]  # the console lists the group, not the DM or the admin room
        assert scalar(f"SELECT kind FROM groups WHERE external_id = '{dm}'") == "direct"
        assert scalar("SELECT count(DISTINCT group_id) FROM bot_onboarding") == 1
        assert scalar("SELECT count(*) FROM memberships m JOIN groups g ON g.id = m.group_id "
                      "WHERE g.kind <> 'group'") == 0  # nobody "invited by the bot" to a DM
        raw = scalar("SELECT attributes FROM members WHERE display_name = '随便起的名'")
        assert "会一点" in str(raw)

        # Item 5 + 10: a question to the teacher is no introduction; it is escalated to the
        # admin room only, with a draft. A reply to the welcome is the introduction.
        question = "老师，我的作业提交不了，页面一直转圈怎么办？"
        await bob.send_event(room, "m.room.message", {
            "msgtype": "m.text", "body": f"@运营者 {question}",
            "m.mentions": {"user_ids": [users["operator"].user_id]}})

        async def alerted() -> bool:
            return any("需要人工" in e["content"].get("body", "")
                       for e in bot_messages(await timeline(op, admin_room), bot_id))

        await until(alerted, 15, "the alert in the admin room")
        alert_event = [e for e in bot_messages(await timeline(op, admin_room), bot_id)
                       if "需要人工" in e["content"]["body"]][-1]
        alert = alert_event["content"]["body"]
        # The operator (a moderator of the room, not in the plan's list) is notified: a real
        # mention with a pill (issue 11 walk finding 12).
        assert users["operator"].user_id in alert_event["content"]["m.mentions"]["user_ids"]
        assert "请处理：" in alert and "matrix.to" in alert_event["content"]["formatted_body"]
        draft = alert.split("建议回复：", 1)[1]
        assert draft.startswith("@随便起的名 ") and len(draft) > 20
        in_admin_room = [e["content"].get("body", "")
                         for e in bot_messages(await timeline(op, admin_room), bot_id)]
        assert not any("欢迎加入" in b for b in in_admin_room)  # the operator joined it: no group
        assert "群：进阶营" in alert
        public = [e["content"].get("body", "") for e in bot_messages(await timeline(op, room),
                                                                      bot_id)]
        assert not any("需要人工" in b for b in public)
        assert not any("收到你的自我介绍" in b for b in public)
        await bob.send_event(room, "m.room.message", {
            "msgtype": "m.text", "body": "做了五年财务，想用 Python 把每月的报表自动化",
            "m.relates_to": {"m.in_reply_to": {"event_id": welcomes[0]["event_id"]}}})

        async def intro_ack() -> bool:  # in bob's DM with the bot (walk finding 8)
            return any("收到你的自我介绍" in e["content"].get("body", "")
                       for e in bot_messages(await timeline(bob, dm), bot_id))

        await until(intro_ack, 15, "the introduction acknowledged")

        # Item 8: a check-in answer is a real reply with a real mention.
        checkin = await alice.send_text(room, "打卡 今天学了一小时 pandas")

        async def checked_in() -> bool:
            return any("打卡成功" in e["content"].get("body", "")
                       for e in bot_messages(await timeline(op, room), bot_id))

        await until(checked_in, 15, "the check-in answer")
        reply = [e for e in bot_messages(await timeline(op, room), bot_id)
                 if "打卡成功" in e["content"]["body"]][-1]["content"]
        assert reply["m.relates_to"]["m.in_reply_to"]["event_id"] == checkin
        assert reply["m.mentions"]["user_ids"] == [users["alice"].user_id]
        # Called by the name part of her nickname (walk12 finding 13), still a real pill.
        assert f'https://matrix.to/#/{users["alice"].user_id}">小王</a>' \
            in reply["formatted_body"]

        # Item 7: restart; names are still names.
        stop.set()
        await asyncio.wait_for(task, 20)
        stop = asyncio.Event()
        bot = make_bot()
        task = asyncio.ensure_future(bot.run(stop, timeout_ms=30_000))
        await asyncio.sleep(1)
        await alice.send_text(room, "!积分")

        async def points() -> bool:
            return any("积分" in e["content"].get("body", "") and "等级" in e["content"]["body"]
                       for e in bot_messages(await timeline(op, room), bot_id))

        await until(points, 20, "the points answer after the restart")
        said = [e for e in bot_messages(await timeline(op, room), bot_id)
                if "等级" in e["content"]["body"]][-1]["content"]["body"]
        assert said.startswith("@小王 ")  # the name survives the restart
        assert bot.rooms.kind(dm) == "direct" and bot.rooms.admin_room == admin_room
        stop.set()
        await asyncio.wait_for(task, 20)
        with engine.connect() as conn:
            names = set(conn.execute(text("SELECT display_name FROM members")).scalars())
            nicknames = set(conn.execute(text("SELECT nickname FROM nicknames")).scalars())
        localparts = {u.user_id.split(":")[0].lstrip("@") for u in users.values()}
        assert not (names | nicknames) & localparts
        assert "小王-杭州-财务" in names

    async def main() -> None:
        try:
            await go()
        finally:
            for api in (*apis.values(), bot_api):
                await api.close()

    asyncio.run(main())
    engine.dispose()

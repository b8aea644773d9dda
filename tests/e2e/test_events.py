"""A5 on a real Synapse: the bot announces the plan's event in the group, members register
with `!报名` (two places, the third waits), `!取消报名` moves the first waiting member up,
the reminders a day and an hour before name the registered, `!签到` on the day (a member who
cancelled and came anyway is a walk-in), `!反馈`, and the summary in the admin room.

The event starts 40 minutes after the test does, so members' `!签到` (stamped by the
homeserver, in real time) falls in its check-in window; the bot's clock — the schedule's —
starts two days before the event and is moved forward step by step: announcement, the day
before, the hour before, the end, the summary. Every message is real, and the test reads
them as a member does: in Chinese, with people's names, without keys or codes.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from qunyun.adapters.matrix.client import HttpMatrixApi
from qunyun.adapters.matrix.homeserver import LocalHomeserver, RegisteredUser
from qunyun.adapters.matrix.runner import MatrixBot
from qunyun.app import open_database
from qunyun.bot.wiring import build_policies, build_scheduler
from qunyun.events import GroupRef
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.model import Plan
from qunyun.storage.community import communities as community_repo
from tests.e2e.conftest import timeline, unique
from tests.policies.test_bot_policies import camp_plan

TZ = ZoneInfo("Asia/Shanghai")
EVENT_NAME = "Pandas 实战夜（线上）"
# What a member must never read: plan keys, policy reasons, step names, raw placeholders.
CODES = re.compile(r"pandas-night|A5|_ms\b|reminded|announced|\{|\}|\bNone\b")


@dataclass
class Person:
    user: RegisteredUser
    api: HttpMatrixApi
    name: str


def _plan(admin: str, admin_room: str, starts: datetime) -> Plan:
    """The course plan with one event, two places; nothing else timed (no calendar posts,
    no sweep, no weekly report) so the room holds what the event says."""
    base = camp_plan(elimination__enabled=False, reports__weekly=False,
                     calendar={"posts": [], "campaigns": []}, volunteers=None)
    data = base.model_dump()
    data["bot"]["admins"] = [admin]
    data["bot"]["admin_room"] = admin_room
    data["events"] = [{
        "key": "pandas-night", "name": EVENT_NAME, "goal": "用真实的报销表学会分组汇总",
        "audience": "第 2 周及以后的学员",
        "starts": starts.astimezone(TZ).replace(tzinfo=None).isoformat(),
        "duration_minutes": 90, "online_link": "https://meeting.example.cn/pycamp-pandas",
        "agenda": ["案例讲解", "分组练习", "答疑"], "roles": [{"role": "主持人", "who": "班主任小林"}],
        "budget": [{"item": "嘉宾讲师课酬", "amount": "300"}],
        "expected_attendance": 4, "capacity": 2, "summary_after_hours": 2}]
    return Plan.model_validate(data)


def test_an_event_from_announcement_to_the_admin_summary(homeserver: LocalHomeserver,
                                                        tmp_path: Path) -> None:
    asyncio.run(_event(homeserver, tmp_path))


async def _event(hs: LocalHomeserver, tmp: Path) -> None:
    bot_user = hs.register(unique("bot"), displayname="群运助手")
    bot_api = HttpMatrixApi(hs.url, bot_user.access_token)
    people = {}
    for key, name in (("admin", "班主任小林"), ("lin", "林一"), ("chen", "陈二"),
                      ("zhang", "张三")):
        u = hs.register(unique(key), displayname=name)
        people[key] = Person(u, HttpMatrixApi(hs.url, u.access_token), name)
    admin, lin, chen, zhang = (people[k] for k in ("admin", "lin", "chen", "zhang"))
    try:
        admin_room = await bot_api.create_room(name="管理组", invite=[admin.user.user_id])
        await admin.api.join(admin_room)
        room = await bot_api.create_room(
            name="进阶营", invite=[p.user.user_id for p in people.values()])
        await admin.api.join(room)
        starts = (datetime.now(UTC) + timedelta(minutes=41)).replace(second=0, microsecond=0)
        plan = _plan(admin.user.user_id, admin_room, starts)
        engine = open_database(f"sqlite:///{tmp / 'bot.db'}")
        with engine.begin() as conn:
            cid = community_repo.get_or_create_community(conn, slug="camp", name="camp",
                                                         now_ms=0)
        # The bot's clock: two days before the event (behind the homeserver's), then forward.
        shift = {"by": starts - timedelta(days=2) - datetime.now(UTC)}

        def clock() -> datetime:
            return datetime.now(UTC) + shift["by"]

        def set_clock(at: datetime) -> None:
            shift["by"] = at - datetime.now(UTC)

        holder: dict[str, MatrixBot] = {}

        def is_direct(group: GroupRef) -> bool:
            return group.group_id in holder["bot"].dm_rooms.values()

        bot = MatrixBot(
            bot_api, Pipeline(engine, community_id=cid, plan=plan,
                              policies=build_policies(plan, is_direct=is_direct), clock=clock),
            bot_user_id=bot_user.user_id, homeserver=hs.url, admin_room=admin_room,
            scheduler=build_scheduler(engine, community_id=cid, plan=plan, resolution_s=1,
                                      now=clock()))
        holder["bot"] = bot
        await bot.sync_once()

        async def bot_says(room_id: str) -> list[str]:
            return [str(e["content"].get("body", "")) for e in
                    await timeline(admin.api, room_id)
                    if e["sender"] == bot_user.user_id and e["type"] == "m.room.message"]

        async def until(check: Callable[[], Awaitable[bool]], what: str,
                        seconds: float = 40) -> None:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                await bot.sync_once(timeout_ms=300)
                if await check():
                    return
            raise AssertionError(f"the bot did not get there in time: {what}")

        async def line(room_id: str, *needles: str, what: str) -> str:
            """The bot's message in the room that has every needle (waits for it)."""
            found: list[str] = []

            async def check() -> bool:
                found[:] = [b for b in await bot_says(room_id) if all(n in b for n in needles)]
                return bool(found)

            await until(check, what)
            return found[-1]

        async def reply_to(person: Person, text: str, *needles: str) -> str:
            await person.api.send_text(room, text)
            return await line(room, *needles, what=f"the answer to {person.name}: {text}")

        for p in (lin, chen, zhang):
            await p.api.join(room)
        await until(lambda: _joined(admin.api, room, 4), "everyone in the room")

        # Two days before: the announcement, with the seed 003 template's fields.
        announce = await line(room, "【活动】", what="the announcement")
        local = starts.astimezone(TZ)
        when = f"{local.month} 月 {local.day} 日 {local:%H:%M}"
        assert EVENT_NAME in announce and f"时间：{when}" in announce
        assert "目标：用真实的报销表学会分组汇总" in announce
        assert "线上：https://meeting.example.cn/pycamp-pandas" in announce
        assert "议程：1. 案例讲解；2. 分组练习；3. 答疑" in announce
        assert "主持人 班主任小林" in announce and "名额 2 人，满额后可候补" in announce
        assert "300" not in announce  # the budget is for the admins' summary

        # Registration: two places, the third waits; a cancellation moves them up.
        said = await reply_to(lin, "!报名", "@林一 已报名")
        assert f"已报名「{EVENT_NAME}」✓ {when} 见！" in said
        await reply_to(chen, "！报名", "@陈二 已报名")
        said = await reply_to(zhang, "!报名", "@张三", "候补")
        assert "名额已满，你在候补第 1 位" in said
        said = await reply_to(lin, "!报名", "@林一 你已经报过名了")
        await reply_to(lin, "!取消报名", f"@林一 已取消「{EVENT_NAME}」的报名")
        moved = await line(room, "@张三 有名额空出", what="the waiting list moving up")
        assert f"你已从候补转为「{EVENT_NAME}」正式报名 ✓" in moved

        # The day before: the reminder names the two registered (not the one who cancelled).
        set_clock(starts - timedelta(hours=23))
        day = await line(room, "⏰ 明天", what="the day-before reminder")
        assert "@陈二" in day and "@张三" in day and "林一" not in day
        assert f"明天 {when}「{EVENT_NAME}」，已报名 2 人" in day

        # The hour before: the reminder, then check-in (the homeserver's clock is in the
        # window that opens an hour before the start).
        set_clock(starts - timedelta(minutes=59))
        hour = await line(room, "1 小时后开始", what="the hour-before reminder")
        assert "@陈二" in hour and "@张三" in hour and "到场后发送 !签到" in hour
        said = await reply_to(chen, "!签到", "@陈二", "签到成功")
        assert f"「{EVENT_NAME}」签到成功 ✓ 欢迎！" in said
        await reply_to(chen, "!签到", "@陈二 你已经签到过了")
        said = await reply_to(lin, "!签到", "@林一", "签到成功")
        assert "未报名，已记为现场参加" in said

        # The end: the bot asks for feedback; those who came rate it, others cannot.
        set_clock(starts + timedelta(minutes=91))
        ask = await line(room, "结束啦", what="the feedback request")
        assert f"「{EVENT_NAME}」结束啦" in ask and "!反馈 1-5" in ask
        said = await reply_to(chen, "!反馈 9 太棒了", "请这样反馈")
        said = await reply_to(chen, "!反馈 5 案例很实用", "评分 5 分已记录")
        assert f"感谢反馈 ✓「{EVENT_NAME}」评分 5 分已记录" in said
        await reply_to(lin, "!反馈 4 时间有点晚", "评分 4 分已记录")
        await reply_to(zhang, "!反馈 3", "签到参加过的成员才能反馈")

        # Two hours after the end (the plan's feedback window): the admins' summary.
        set_clock(starts + timedelta(minutes=90 + 121))
        summary = await line(admin_room, "活动总结", what="the summary in the admin room")
        assert f"活动总结「{EVENT_NAME}」" in summary
        # 林一 cancelled, then came anyway: counted once, as the walk-in.
        assert "报名 2 人（候补 0，取消 0），签到 2 人（其中未报名 1），缺席 1 人" in summary
        assert "到场率 66.7%（签到 / 报名+现场）" in summary
        assert "预期 4 人，实到为预期的 50%" in summary
        assert "评分 4.5 / 5（2 条反馈）" in summary and "预算 300 元，人均 150.00 元" in summary
        assert "案例很实用" in summary and "时间有点晚" in summary
        assert not [b for b in await bot_says(room) if "活动总结" in b]  # admins only

        # Once each, and nothing a member reads carries a key or a code.
        for _ in range(3):
            await bot.sync_once(timeout_ms=300)
        group = await bot_says(room)
        for needle in ("【活动】", "⏰ 明天", "1 小时后开始", "结束啦"):
            assert sum(needle in b for b in group) == 1, (needle, group)
        assert not [b for b in group + await bot_says(admin_room)
                    if CODES.search(b)], group
    finally:
        await bot_api.close()
        for p in people.values():
            await p.api.close()


async def _joined(api: HttpMatrixApi, room_id: str, n: int) -> bool:
    joins = {e["state_key"] for e in await timeline(api, room_id)
             if e["type"] == "m.room.member" and e["content"].get("membership") == "join"}
    return len(joins) >= n + 1  # and the bot

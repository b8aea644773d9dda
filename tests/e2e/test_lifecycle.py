"""E1 → E2 on a real Synapse: a silent member gets the elimination notice by DM, is removed
from the room after the notice period with the reason, applies with `!复活` in the DM,
an operator approves in the queue, and the bot invites them back into the room.

The bot's clock runs 22 days ahead of the homeserver's (the pipeline's clock is the
schedule's), so three weeks of silence take seconds; every message is real.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from qunyun.adapters.matrix.client import HttpMatrixApi
from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.adapters.matrix.runner import MatrixBot
from qunyun.app import open_database
from qunyun.bot.wiring import build_policies, build_scheduler
from qunyun.events import GroupRef
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.model import Plan
from qunyun.services import queues as queue_service
from qunyun.storage.community import communities as community_repo
from qunyun.storage.work import queues as queue_repo
from tests.e2e.conftest import timeline, unique
from tests.policies.test_bot_policies import camp_plan


def _after_slot(at_least: timedelta, *, weekday: int, hour: int) -> timedelta:
    """How far ahead the bot's clock must run to be two minutes past the first local
    `weekday` `hour`:00 at least `at_least` from now (the plan's cron slot)."""
    zone = ZoneInfo("Asia/Shanghai")
    now = datetime.now(UTC)
    local = (now + at_least).astimezone(zone)
    slot = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    slot += timedelta(days=(weekday - slot.weekday()) % 7)
    if slot < local:
        slot += timedelta(days=7)
    return slot + timedelta(minutes=2) - now


def test_notice_removal_revival_round_trip(homeserver: LocalHomeserver, tmp_path: Path) -> None:
    asyncio.run(_round_trip(homeserver, tmp_path))


async def _round_trip(hs: LocalHomeserver, tmp: Path) -> None:
    bot_user = hs.register(unique("bot"), displayname="群运助手")
    admin_user = hs.register(unique("admin"), displayname="班主任小林")
    alice_user = hs.register(unique("alice"), displayname="潜水的小王")
    bot_api = HttpMatrixApi(hs.url, bot_user.access_token)
    admin = HttpMatrixApi(hs.url, admin_user.access_token)
    alice = HttpMatrixApi(hs.url, alice_user.access_token)
    try:
        admin_room = await bot_api.create_room(name="管理组", invite=[admin_user.user_id])
        await admin.join(admin_room)
        room = await bot_api.create_room(name="进阶营",
                                         invite=[admin_user.user_id, alice_user.user_id])
        await admin.join(room)
        base = camp_plan(elimination__onboarding_incomplete=False,
                         elimination__notice_days=0, elimination__auto_remove=True,
                         revival__ways=["reapply"])
        data = base.model_dump()
        data["bot"]["admins"] = [admin_user.user_id]
        data["bot"]["admin_room"] = admin_room
        plan = Plan.model_validate(data)
        engine = open_database(f"sqlite:///{tmp / 'bot.db'}")
        with engine.begin() as conn:
            cid = community_repo.get_or_create_community(conn, slug="camp", name="camp",
                                                         now_ms=0)
        ahead = {"by": timedelta(0)}
        holder: dict[str, MatrixBot] = {}

        def is_direct(group: GroupRef) -> bool:
            return group.group_id in holder["bot"].dm_rooms.values()

        bot = MatrixBot(
            bot_api, Pipeline(engine, community_id=cid, plan=plan,
                              policies=build_policies(plan, is_direct=is_direct),
                              clock=lambda: datetime.now(UTC) + ahead["by"]),
            bot_user_id=bot_user.user_id, homeserver=hs.url, admin_room=admin_room,
            scheduler=build_scheduler(engine, community_id=cid, plan=plan, resolution_s=1))
        holder["bot"] = bot
        await bot.sync_once()

        async def until(check: Callable[[], Awaitable[bool]], seconds: float = 30) -> None:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                await bot.sync_once(timeout_ms=300)
                if await check():
                    return
            raise AssertionError("the bot did not get there in time")

        async def says(room_id: str, needle: str, api: HttpMatrixApi) -> bool:
            return any(e["sender"] == bot_user.user_id and needle in
                       e.get("content", {}).get("body", "")
                       for e in await timeline(api, room_id))

        async def membership() -> str:
            states = [e for e in await timeline(admin, room)
                      if e["type"] == "m.room.member" and e["state_key"] == alice_user.user_id]
            return str(states[-1]["content"]["membership"]) if states else "?"

        await alice.join(room)
        await until(lambda: says(room, "欢迎加入", admin))
        await admin.send_text(room, "今天的作业已经发到群公告了，大家记得按时提交")
        # Three weeks later, a few minutes after the Monday 10:00 sweep: alice never spoke.
        ahead["by"] = _after_slot(timedelta(days=22), weekday=0, hour=10)

        async def dm_invite() -> bool:
            return bool(bot.dm_rooms.get(alice_user.user_id))

        await until(dm_invite)
        dm = bot.dm_rooms[alice_user.user_id]
        await alice.join(dm)
        await until(lambda: says(dm, "【淘汰提醒】", alice))

        async def removed() -> bool:
            return await membership() == "leave"

        await until(removed)
        await until(lambda: says(dm, "你已被移出「进阶营」", alice))
        await until(lambda: says(admin_room, "淘汰：已移出 1 人", admin))
        # The admin was silent for the same three weeks and stays: admins never.
        assert not [e for e in await timeline(admin, room) if e["type"] == "m.room.member"
                    and e["state_key"] == admin_user.user_id
                    and e["content"].get("membership") == "leave"]

        await alice.send_text(dm, "!复活 最近太忙了，以后会积极参与")
        await until(lambda: says(dm, "回群申请已提交", alice))
        await until(lambda: says(admin_room, "申请回群", admin))
        with engine.begin() as conn:
            [item] = queue_repo.list_items(conn, community_id=cid, queue="revival")
            queue_service.resolve_item(conn, community_id=cid, item_id=int(item["id"]),
                                       operator="lin", status="approved", reason="同意回群")

        async def invited() -> bool:
            return await membership() == "invite"

        await until(invited)
        await until(lambda: says(dm, "回群申请已通过", alice))
        await alice.join(room)

        async def back() -> bool:
            return await membership() == "join"

        await until(back)
        # Back after an approved revival: welcomed back, not onboarded again (issue 11).
        await until(lambda: says(room, "欢迎回来", admin))
        assert len([e for e in await timeline(admin, room) if e["sender"] == bot_user.user_id
                    and "欢迎加入" in e.get("content", {}).get("body", "")]) == 1
        for _ in range(3):  # later sweeps (every minute here) leave the returned member be
            await bot.sync_once(timeout_ms=300)
        assert await membership() == "join"
    finally:
        for api in (bot_api, admin, alice):
            await api.close()


def test_weekly_report_reaches_the_admin_room_with_its_pdf(homeserver: LocalHomeserver,
                                                           tmp_path: Path) -> None:
    asyncio.run(_weekly(homeserver, tmp_path))


async def _weekly(hs: LocalHomeserver, tmp: Path) -> None:
    bot_user = hs.register(unique("bot"), displayname="群运助手")
    admin_user = hs.register(unique("admin"), displayname="班主任小林")
    bot_api = HttpMatrixApi(hs.url, bot_user.access_token)
    admin = HttpMatrixApi(hs.url, admin_user.access_token)
    try:
        admin_room = await bot_api.create_room(name="管理组", invite=[admin_user.user_id])
        await admin.join(admin_room)
        room = await bot_api.create_room(name="进阶营", invite=[admin_user.user_id])
        await admin.join(room)
        data = camp_plan(reports__out_dir=str(tmp / "reports")).model_dump()
        data["bot"]["admins"] = [admin_user.user_id]
        data["bot"]["admin_room"] = admin_room
        plan = Plan.model_validate(data)
        engine = open_database(f"sqlite:///{tmp / 'bot.db'}")
        with engine.begin() as conn:
            cid = community_repo.get_or_create_community(conn, slug="camp", name="camp",
                                                         now_ms=0)
        ahead = _after_slot(timedelta(0), weekday=0, hour=9)  # just after Monday 09:00
        bot = MatrixBot(
            bot_api, Pipeline(engine, community_id=cid, plan=plan,
                              policies=build_policies(plan),
                              clock=lambda: datetime.now(UTC) + ahead),
            bot_user_id=bot_user.user_id, homeserver=hs.url, admin_room=admin_room,
            scheduler=build_scheduler(engine, community_id=cid, plan=plan, resolution_s=1))
        await bot.sync_once()
        await admin.send_text(room, "本周的直播安排已经发到群公告，大家留意")
        deadline = time.monotonic() + 60
        files: list[dict[str, object]] = []
        while time.monotonic() < deadline and not files:
            await bot.sync_once(timeout_ms=300)
            files = [e for e in await timeline(admin, admin_room)
                     if e.get("content", {}).get("msgtype") == "m.file"]
        assert files, "no weekly PDF in the admin room"
        content = files[0]["content"]
        assert isinstance(content, dict) and str(content["body"]).endswith(".pdf")
        assert content["info"]["mimetype"] == "application/pdf"
        texts = [e["content"].get("body", "") for e in await timeline(admin, admin_room)]
        assert any(t.startswith("【周报】") for t in texts)
        pdf = await admin.download(str(content["url"]))
        assert pdf.startswith(b"%PDF")
    finally:
        await bot_api.close()
        await admin.close()

"""The shared behaviour scenarios (tests/adapters/behaviour.py) through the Telegram
adapter: python-telegram-bot pointed at a local Bot API server on 127.0.0.1, updates built
from the fixture files, and the calls the bot makes read back from the server."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from qunyun.adapters.telegram.runner import TelegramBot, make_bot
from qunyun.app import open_database
from qunyun.bot.wiring import build_policies, build_scheduler
from qunyun.capabilities import TELEGRAM
from qunyun.pipeline.runner import Pipeline
from qunyun.storage.community import communities as community_repo
from tests.adapters.behaviour import (
    ADMIN_SCENARIOS,
    BOB_ID,
    DM_SCENARIOS,
    JOIN_SCENARIOS,
    SCENARIOS,
    alice_speaks_and_is_invited,
    decide_open_request,
    dm_todos,
    play,
    scene_plan,
    until,
    volunteer_accepts_warns_a_member_and_not_an_admin,
    volunteer_plan,
)
from tests.adapters.telegram.server import TOKEN, BotApiServer, fixture

GROUP, ADMIN_CHAT, ALICE, ADMIN = -1001002003, -1009009009, 20001, 30001
APPLICANT = 20002


class TelegramScene:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.server = BotApiServer().start()
        self.ids = itertools.count(100)
        self.task: asyncio.Task[None] | None = None
        self.stop = asyncio.Event()
        self.threshold: dict[str, object] | None = None
        self.plan_edit: Callable[[dict[str, Any]], None] | None = None
        self.platform, self.alice_id = "telegram", str(ALICE)

    async def start(self) -> None:
        self.plan = scene_plan(admin=ADMIN, admin_room=ADMIN_CHAT, threshold=self.threshold,
                               plan_edit=self.plan_edit)
        self.engine = open_database(f"sqlite:///{self.tmp / 'bot.db'}")
        with self.engine.begin() as conn:
            self.cid = community_repo.get_or_create_community(conn, slug="camp", name="camp",
                                                              now_ms=0)
        await self.start_bot()

    async def start_bot(self) -> None:
        holder: dict[str, TelegramBot] = {}
        pipeline = Pipeline(self.engine, community_id=self.cid, plan=self.plan,
                            policies=build_policies(
                                self.plan,
                                room_admins=lambda g: holder["bot"].moderators(g.group_id),
                                capabilities=TELEGRAM))
        api = make_bot(TOKEN, base_url=self.server.base_url,
                       base_file_url=self.server.base_file_url)
        self.bot = TelegramBot(api, pipeline, admin_chat=str(ADMIN_CHAT),
                               scheduler=build_scheduler(self.engine, community_id=self.cid,
                                                         plan=self.plan, resolution_s=1),
                               poll_timeout_s=1, timer_interval_s=0.2)
        holder["bot"] = self.bot
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.bot.run(self.stop))
        await asyncio.wait_for(self.bot.connected.wait(), 10)

    async def stop_bot(self) -> None:
        self.stop.set()
        assert self.task is not None
        await asyncio.wait_for(self.task, 10)

    async def close(self) -> None:
        if self.task is not None and not self.task.done():
            await self.stop_bot()
        self.server.stop()
        self.engine.dispose()

    async def join(self) -> None:
        update = fixture("Update-chat_member-join-invite_link")
        update["chat_member"]["chat"]["id"] = GROUP
        update["chat_member"]["date"] = int(time.time())
        self.server.push(update)

    def _message(self, **fields: Any) -> str:
        mid = next(self.ids)
        update = fixture("Update-message")
        message = update["message"]
        message.pop("entities")
        message.pop("text")
        message.update(message_id=mid, date=int(time.time()), **fields)
        message["chat"]["id"] = GROUP
        self.server.push(update)
        return f"{GROUP}:{mid}"

    async def say(self, text: str) -> str:
        return self._message(text=text)

    # -- T4 volunteers (VolunteerScene) --------------------------------------------------
    async def open_dm(self) -> None:
        """Alice presses Start: Telegram lets a bot write only to members who did."""
        update = fixture("Update-message-private-start")
        update["message"].update(message_id=next(self.ids), date=int(time.time()))
        self.server.push(update)

        async def started() -> bool:
            return str(ALICE) in self.bot.started

        await until(started)

    async def dm(self, text: str) -> None:
        update = fixture("Update-message-private-start")
        message = update["message"]
        message.pop("entities")
        message.update(message_id=next(self.ids), date=int(time.time()), text=text)
        self.server.push(update)

    # -- R2/R3 DMs (DmScene) ----------------------------------------------------------------
    async def refuse_dms(self) -> None:
        self.server.blocked.add(ALICE)  # she blocked the bot after pressing Start

    async def wire(self) -> list[tuple[str, str]]:
        out = []
        for method, params in list(self.server.calls):
            if method == "sendMessage" and params.get("chat_id") == ALICE:
                out.append(("dm", str(params.get("text", ""))))
            elif method == "banChatMember" and params.get("user_id") == ALICE:
                out.append(("kick", ""))
        return out

    async def admins_room(self) -> list[tuple[str, bool]]:
        return [(str(p.get("text", "")), f"tg://user?id={ADMIN}" in str(p.get("text", "")))
                for p in self.server.sent("sendMessage") if p.get("chat_id") == ADMIN_CHAT]

    async def bot_dmed_alice(self, needle: str) -> int:
        return sum(needle in str(p.get("text", "")) for p in self.server.sent("sendMessage")
                   if p.get("chat_id") == ALICE)

    async def member_speaks(self, text: str) -> None:
        self._message(text=text, **{"from": {"id": int(BOB_ID), "is_bot": False,
                                             "first_name": "小周"}})

    async def say_mentioning(self, before: str, who: str, after: str) -> str:
        user = ({"id": int(BOB_ID), "is_bot": False, "first_name": "小周"} if who == "member"
                else {"id": ADMIN, "is_bot": False, "first_name": "班主任小林"})
        name = str(user["first_name"])
        return self._message(text=before + name + after, entities=[
            {"type": "text_mention", "offset": len(before), "length": len(name),
             "user": user}])

    async def photo(self, png: bytes) -> str:
        fid = f"qr{next(self.ids)}"
        self.server.files[f"photos/{fid}"] = png
        return self._message(photo=[{"file_id": fid, "file_unique_id": fid, "width": 300,
                                     "height": 300, "file_size": len(png)}])

    async def redeliver(self) -> None:
        # The bot killed after handling but before saving its offset: Telegram sends every
        # update from the old offset again.
        await self.stop_bot()
        self.bot.save_cursor("1")
        await self.start_bot()

    def _texts(self) -> list[str]:
        return [str(p.get("text", "")) for p in self.server.sent("sendMessage")]

    async def bot_said(self, needle: str) -> int:
        return sum(needle in t for t in self._texts())

    async def mentioned_alice(self, needle: str) -> bool:
        return any(needle in t and f"tg://user?id={ALICE}" in t for t in self._texts())

    async def deleted(self, message_id: str) -> bool:
        chat, _, mid = message_id.rpartition(":")
        return any(p["chat_id"] == int(chat) and p["message_id"] == int(mid)
                   for p in self.server.sent("deleteMessage"))

    async def removed(self) -> bool:
        return any(p["user_id"] == ALICE for p in self.server.sent("banChatMember"))

    async def request_join(self, answer: str) -> None:
        update = fixture("Update-chat_join_request")
        request = update["chat_join_request"]
        request["chat"]["id"] = GROUP
        request.update(date=int(time.time()), bio=answer)
        self.server.push(update)

    async def answers(self) -> list[tuple[bool, str]]:
        # Telegram shows no reason on a decline: the bot DMs it to user_chat_id.
        dms = [str(p.get("text")) for p in self.server.sent("sendMessage")
               if p.get("chat_id") == APPLICANT]
        out = [(True, "") for p in self.server.sent("approveChatJoinRequest")
               if p["user_id"] == APPLICANT and p["chat_id"] == GROUP]
        out += [(False, dms[0] if dms else "")
                for p in self.server.sent("declineChatJoinRequest")
                if p["user_id"] == APPLICANT and p["chat_id"] == GROUP]
        return out

    async def decide_in_console(self, approve: bool, reason: str) -> None:
        await decide_open_request(self.engine, self.cid, approve, reason)


@pytest.mark.parametrize("name", list(JOIN_SCENARIOS))
def test_join_requests_through_telegram(name: str, tmp_path: Path) -> None:
    threshold, scenario = JOIN_SCENARIOS[name]

    async def go() -> None:
        scene = TelegramScene(tmp_path)
        scene.threshold = threshold
        try:
            await scene.start()
            await asyncio.wait_for(scenario(scene), 60)
            assert all("chat_join_request" in allowed for allowed in scene.server.allowed)
        finally:
            await scene.close()

    asyncio.run(go())


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_behaviour_through_telegram(name: str, tmp_path: Path) -> None:
    scenario: Callable[[TelegramScene], Awaitable[None]] = SCENARIOS[name]  # type: ignore[assignment]

    async def go() -> None:
        scene = TelegramScene(tmp_path)
        try:
            await scene.start()
            await asyncio.wait_for(scenario(scene), 60)
            assert all("chat_member" in allowed for allowed in scene.server.allowed)
        finally:
            await scene.close()

    asyncio.run(go())


@pytest.mark.parametrize("name", list(DM_SCENARIOS))
def test_dms_through_telegram(name: str, tmp_path: Path) -> None:
    """R2/R3 on Telegram: the removal explained by DM before the ban; a DM Telegram refuses
    (she blocked the bot) is the operator's 待发私信 to-do with the text."""
    scenario: Callable[[TelegramScene], Awaitable[None]] = DM_SCENARIOS[name]  # type: ignore[assignment]
    asyncio.run(play(TelegramScene(tmp_path), scenario))


@pytest.mark.parametrize("console", ["", "https://qunyun.example.org"])
@pytest.mark.parametrize("name", list(ADMIN_SCENARIOS))
def test_the_admins_chat_through_telegram(name: str, console: str, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The admins' chat: an alert mentions the plan's admin by id (tg://user), a burst
    pings once; a removal and an appeal are told there (issue 11 walk findings 12, 17),
    linked to their console page when the console's address is set (bot13)."""
    scenario: Callable[[TelegramScene], Awaitable[None]] = ADMIN_SCENARIOS[name]  # type: ignore[assignment]
    if console:
        monkeypatch.setenv("QUNYUN_CONSOLE_URL", console)
    else:
        monkeypatch.delenv("QUNYUN_CONSOLE_URL", raising=False)
    asyncio.run(play(TelegramScene(tmp_path), scenario, 90))


def test_a_members_own_invite_link_brings_joins_attributed_to_them(tmp_path: Path) -> None:
    """G2 on Telegram: alice sends !邀请, the bot creates her link (named qy-<her id>) and
    posts it to her in the group (she never started the bot); a friend who joins by it is
    in the event log as brought by alice."""
    from sqlalchemy import select

    from qunyun.storage.tables import events

    friend = 20003

    async def go() -> None:
        scene = TelegramScene(tmp_path)
        try:
            await scene.start()
            await scene.join()
            await scene.say("!邀请")

            async def link_posted() -> bool:
                return await scene.bot_said("你的专属邀请链接") > 0

            await until(link_posted)
            made = scene.server.sent("createChatInviteLink")
            assert [(p["chat_id"], p["name"]) for p in made] == [(GROUP, f"qy-{ALICE}")]
            assert await scene.mentioned_alice("你的专属邀请链接")
            said = next(t for t in scene._texts() if "你的专属邀请链接" in t)
            link = said.split("你的专属邀请链接：", 1)[1].split()[0]
            update = fixture("Update-chat_member-join-invite_link")
            cm = update["chat_member"]
            cm["chat"]["id"] = GROUP
            cm["date"] = int(time.time())
            user = {"id": friend, "is_bot": False, "first_name": "小张"}
            cm["from"] = cm["old_chat_member"]["user"] = cm["new_chat_member"]["user"] = user
            cm["invite_link"].update(invite_link=link, name=f"qy-{ALICE}")
            scene.server.push(update)

            def brought_by() -> list[Any]:
                with scene.engine.connect() as conn:
                    return list(conn.execute(
                        select(events.c.related_member_id, events.c.member_id)
                        .where(events.c.kind == "join",
                               events.c.source_event_id.like(f"cm:{GROUP}:%"))
                        .order_by(events.c.id)).all())

            async def friend_logged() -> bool:
                return len(brought_by()) == 2

            await until(friend_logged)
            alice_join, friend_join = brought_by()
            assert friend_join.related_member_id == alice_join.member_id
        finally:
            await scene.close()

    asyncio.run(go())


def test_a_volunteer_accepts_by_dm_and_warns_a_member_not_an_admin_on_telegram(
        tmp_path: Path) -> None:
    """T4 on Telegram: alice has started the bot, so the console's invitation reaches her
    in the private chat; `!接受` there, then `!警告` in the group."""

    scene = TelegramScene(tmp_path)
    scene.plan_edit = volunteer_plan
    asyncio.run(play(scene, volunteer_accepts_warns_a_member_and_not_an_admin))


def test_an_invitation_to_a_member_who_never_started_the_bot_is_an_operator_todo(
        tmp_path: Path) -> None:
    """Telegram does not let a bot write first: the invitation stays in the outbox as failed
    with the operator's words and the text to send by hand."""
    from sqlalchemy import text

    async def never_started(scene: TelegramScene) -> None:
        await scene.join()
        await alice_speaks_and_is_invited(scene)  # no open_dm: she never pressed Start

        async def failed() -> bool:
            with scene.engine.connect() as conn:
                return bool(conn.execute(text(
                    "SELECT count(*) FROM audit_log WHERE action = 'dm' AND status = "
                    "'failed'")).scalar())

        await until(failed)
        with scene.engine.connect() as conn:
            detail = str(conn.execute(text(
                "SELECT detail FROM audit_log WHERE action = 'dm'")).scalar())
        assert "需要运营者处理" in detail and "待发私信" in detail
        assert await scene.bot_dmed_alice("!接受") == 0
        # The text is not lost: the operator's to-do names her and holds it to copy.
        (item,) = dm_todos(scene.engine)
        assert "!接受" in item["detail"]["dm_text"]
        assert "没有点“开始”" in item["detail"]["undelivered"]

    scene = TelegramScene(tmp_path)
    scene.plan_edit = volunteer_plan
    asyncio.run(play(scene, never_started))


def test_an_ambassador_accepts_by_dm_gets_a_named_link_and_a_join_by_it_credits_them(
        tmp_path: Path) -> None:
    """T2 推广大使 on Telegram: alice (who started the bot) is invited from the console,
    answers `!接受` in the private chat, gets her code and her own link (named qy-<her id>)
    by DM; a friend who joins by the link is credited to her with the plan's points."""
    from sqlalchemy import text

    from qunyun.services import ambassadors as ambassador_service
    from qunyun.services import lookup
    from tests.adapters.behaviour import known

    friend = 20003

    async def scenario(scene: TelegramScene) -> None:
        await scene.join()
        await scene.open_dm()
        await scene.say("大家好，我是小王")
        await known(scene, str(ALICE))
        with scene.engine.begin() as conn:
            (mid,) = lookup.member_ids_of(conn, community_id=scene.cid, platform="telegram",
                                          user_ids=[str(ALICE)])
            assert ambassador_service.invite_by_operator(
                conn, community_id=scene.cid, member_id=mid, plan=scene.plan,
                operator="lin", now_ms=int(time.time() * 1000))
        await until(lambda: scene.bot_dmed_alice("推广大使"))
        await scene.dm("!接受")
        await until(lambda: scene.bot_dmed_alice("欢迎成为推广大使"))
        await until(lambda: scene.bot_dmed_alice("你的专属邀请链接："))
        made = scene.server.sent("createChatInviteLink")
        assert [(p["chat_id"], p["name"]) for p in made] == [(GROUP, f"qy-{ALICE}")]
        said = next(str(p["text"]) for p in scene.server.sent("sendMessage")
                    if p.get("chat_id") == ALICE and "你的专属邀请链接：" in str(p.get("text")))
        link = said.split("你的专属邀请链接：", 1)[1].split()[0]
        update = fixture("Update-chat_member-join-invite_link")
        cm = update["chat_member"]
        cm["chat"]["id"] = GROUP
        cm["date"] = int(time.time())
        user = {"id": friend, "is_bot": False, "first_name": "小张"}
        cm["from"] = cm["old_chat_member"]["user"] = cm["new_chat_member"]["user"] = user
        cm["invite_link"].update(invite_link=link, name=f"qy-{ALICE}")
        scene.server.push(update)

        def credited() -> list[Any]:
            with scene.engine.connect() as conn:
                return list(conn.execute(text(
                    "SELECT ambassador_member_id, via FROM growth_ambassador_referrals")))

        async def friend_credited() -> bool:
            return len(credited()) == 1

        await until(friend_credited)
        assert [tuple(r) for r in credited()] == [(mid, "link")]
        with scene.engine.connect() as conn:
            assert conn.execute(text(
                "SELECT sum(points) FROM bot_points WHERE action = 'ambassador' "
                "AND member_id = :m"), {"m": mid}).scalar() == 30

    scene = TelegramScene(tmp_path)
    scene.plan_edit = volunteer_plan
    asyncio.run(play(scene, scenario))

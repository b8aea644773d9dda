"""The OneBot 11 wire as the standard specifies it: the access token, the action frames
each effect becomes, what QQ cannot do (an operator to-do, not a silent drop), and a
lost connection retried."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from qunyun.adapters.contract import NotOnPlatform
from qunyun.adapters.onebot.client import OneBotClient, OneBotError
from qunyun.adapters.onebot.runner import OneBotBot
from qunyun.app import open_database
from qunyun.effects import (
    Alert,
    AnswerJoinRequest,
    Delete,
    DirectMessage,
    Invite,
    InviteLink,
    Kick,
    Mute,
    Reply,
    Send,
    SendFile,
)
from qunyun.events import GroupRef, MessagePosted, UserRef
from qunyun.pipeline.runner import Pipeline
from qunyun.services.ingest import EventRecorder
from qunyun.storage.community import communities as community_repo
from tests.adapters.onebot.server import TOKEN, OneBotServer, fixture

GROUP = GroupRef("qq", "100200300", "进阶营")
ALICE = UserRef("qq", "20001", "小王")


def make_bot(tmp: Path, server: OneBotServer, token: str | None = TOKEN) -> OneBotBot:
    engine = open_database(f"sqlite:///{tmp / 'bot.db'}")
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    return OneBotBot(OneBotClient(server.url, token, min_interval_s=0, timeout_s=5),
                     Pipeline(engine, community_id=cid, policies=[]), admin_group="900900900")


def test_token_is_sent_and_a_wrong_one_is_refused(tmp_path: Path) -> None:
    async def go() -> None:
        server = await OneBotServer().start()
        try:
            bad = OneBotClient(server.url, "wrong")
            with pytest.raises(Exception, match="403"):
                await bad.connect()
            good = OneBotClient(server.url, TOKEN, min_interval_s=0)
            await good.connect()
            me = await good.call("get_login_info")
            assert me["user_id"] == 10001
            await good.close()
            assert server.rejected == 1
        finally:
            await server.stop()

    asyncio.run(go())


def test_effects_become_the_documented_actions(tmp_path: Path) -> None:
    async def go() -> None:
        server = await OneBotServer().start()
        bot = make_bot(tmp_path, server)
        try:
            await bot.client.connect()
            await bot.start()
            assert bot.group_names["100200300"] == "进阶营"
            assert bot.moderators("100200300") == {"10001", "30001"}  # admin and owner
            assert bot.join_times[("100200300", "30001")] == 1763000000
            bot.admin_group = "管理组"  # the plan may name the group: its number is found
            await bot.start()
            assert bot.admin_group == "900900900"
            await bot.perform(Send(group=GROUP, reason="r", text="欢迎 @小王 加入",
                                   mentions=(ALICE,)))
            assert server.sent("send_group_msg")[-1] == {"group_id": 100200300, "message": [
                {"type": "text", "data": {"text": "欢迎 "}}, {"type": "at", "data": {"qq": "20001"}},
                {"type": "text", "data": {"text": " 加入"}}]}
            await bot.perform(Reply(group=GROUP, reason="r", event_id="42", text="在群公告里"))
            assert server.sent("send_group_msg")[-1]["message"][0] == {
                "type": "reply", "data": {"id": "42"}}
            await bot.perform(Delete(group=GROUP, reason="r", event_id="42"))
            assert server.sent("delete_msg") == [{"message_id": 42}]
            await bot.perform(Kick(group=GROUP, reason="r", member=ALICE))
            await bot.perform(Mute(group=GROUP, reason="r", member=ALICE, seconds=600))
            await bot.perform(DirectMessage(group=GROUP, reason="r", member=ALICE, text="你好"))
            await bot.perform(Alert(group=GROUP, reason="r", text="有人答不了",
                                    suggested_reply="稍等"))
            assert server.sent("set_group_kick") == [
                {"group_id": 100200300, "user_id": 20001, "reject_add_request": False}]
            assert server.sent("set_group_ban") == [
                {"group_id": 100200300, "user_id": 20001, "duration": 600}]
            assert server.sent("send_private_msg") == [
                {"user_id": 20001, "message": [{"type": "text", "data": {"text": "你好"}}]}]
            alert = server.sent("send_group_msg")[-1]
            assert alert["group_id"] == 900900900  # the admins' group, never the public one
            assert "群：进阶营" in alert["message"][0]["data"]["text"]
            await bot.perform(AnswerJoinRequest(group=GROUP, reason="r", member=ALICE,
                                                approve=False, handle="req-20002",
                                                message="请先填写问卷"))
            assert server.sent("set_group_add_request") == [
                {"flag": "req-20002", "sub_type": "add", "approve": False,
                 "reason": "请先填写问卷"}]
            with pytest.raises(NotOnPlatform, match="不能拉人进群"):
                await bot.perform(Invite(group=GROUP, reason="r", member=ALICE))
            with pytest.raises(NotOnPlatform, match="没有个人邀请链接"):
                await bot.perform(InviteLink(group=GROUP, reason="r", member=ALICE))
            with pytest.raises(NotOnPlatform, match="不能发文件"):
                await bot.perform(SendFile(group=GROUP, reason="r", path="/tmp/w.pdf",
                                           filename="周报.pdf"))
        finally:
            await bot.client.close()
            await server.stop()

    asyncio.run(go())


def test_a_lost_connection_is_retried_and_actions_fail_clearly(tmp_path: Path) -> None:
    async def go() -> None:
        server = await OneBotServer().start()
        bot = make_bot(tmp_path, server)
        stop = asyncio.Event()
        task = asyncio.create_task(bot.run(stop))
        try:
            await asyncio.wait_for(bot.connected.wait(), 10)
            await server.drop()
            for _ in range(100):  # reconnects after a 1 s backoff
                if not bot.connected.is_set():
                    break
                await asyncio.sleep(0.05)
            await asyncio.wait_for(bot.connected.wait(), 10)
            assert sum(a["action"] == "get_login_info" for a in server.actions) == 2
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)
            await server.stop()
        with pytest.raises(OneBotError, match="未连接"):
            await bot.client.call("get_login_info")

    asyncio.run(go())


def test_a_member_renamed_between_two_reads_is_a_nickname_change(tmp_path: Path) -> None:
    """The member list read on start names 30001 班主任小林; their next message comes as
    班主任小林-助教: the log gets the rename (once, even if the message comes again) before
    the message."""
    from sqlalchemy import select

    from qunyun.storage.tables import events

    async def go() -> None:
        server = await OneBotServer().start()
        bot = make_bot(tmp_path, server)
        try:
            await bot.client.connect()
            await bot.start()
            raw = fixture("event-message-group", user_id=30001, message_id=7,
                          sender={"user_id": 30001, "nickname": "班主任",
                                  "card": "班主任小林-助教", "role": "owner"})
            assert await bot.handle_raw(raw) == 2
            assert await bot.handle_raw(raw) == 0  # re-delivered after a reconnect
            with bot.engine.connect() as conn:
                rows = conn.execute(select(events.c.kind, events.c.payload, events.c.id)
                                    .where(events.c.source_event_id.in_(["7", "7:nick"]))
                                    .order_by(events.c.id)).all()
            assert [r.kind for r in rows] == ["nickname", "message"]
            assert rows[0].payload["new"] == "班主任小林-助教"
            assert rows[0].payload["old"] == "班主任小林"
        finally:
            await bot.client.close()
            await server.stop()

    asyncio.run(go())


def test_a_member_renamed_while_the_bot_was_down_is_a_nickname_change(tmp_path: Path) -> None:
    """OneBot sends no notice for a card changed while the bot was down: a new process reads
    the member list (班主任小林-助教) against the name the log holds (班主任小林, from the
    previous process's list) and records the rename, once: a reconnection and a further
    restart read no change."""
    from sqlalchemy import select

    from qunyun.services import lookup
    from qunyun.storage.tables import events

    def renames(bot: OneBotBot) -> list[dict[str, str]]:
        with bot.engine.connect() as conn:
            return [r.payload for r in conn.execute(
                select(events.c.payload).where(events.c.kind == "nickname")
                .order_by(events.c.id))]

    async def run_once(server: OneBotServer, starts: int = 1) -> OneBotBot:
        bot = make_bot(tmp_path, server)  # a new process: nothing in memory
        try:
            await bot.client.connect()
            for _ in range(starts):
                await bot.start()
        finally:
            await bot.client.close()
        return bot

    async def go() -> None:
        server = await OneBotServer().start()
        try:
            first = await run_once(server)
            assert renames(first) == []  # a name first read is not a rename
            server.answers["get_group_member_list"] = fixture(
                "api-get_group_member_list-card_changed")
            second = await run_once(server, starts=2)
            assert renames(second) == [{"old": "班主任小林", "new": "班主任小林-助教"}]
            with second.engine.connect() as conn:
                assert lookup.name_last_seen(conn, community_id=second.pipeline.community_id,
                                             member=UserRef("qq", "30001"),
                                             group=GROUP) == "班主任小林-助教"
            third = await run_once(server)
            assert len(renames(third)) == 1
        finally:
            await server.stop()

    asyncio.run(go())


def test_different_cards_in_two_groups_are_not_a_rename(tmp_path: Path) -> None:
    """A member is 「小林」 in one group and 「班主任小林」 in the other, the member list gives
    no join time and they never spoke: the bot's first start and its restart record no
    rename in either group (each group's card is compared with what that group showed)."""
    from sqlalchemy import func, select

    from qunyun.storage.tables import events

    def members(group_id: int, card: str) -> list[dict[str, object]]:
        # get_group_member_list 获取群成员列表 (api/public.md), no join time given
        return [{"group_id": group_id, "user_id": 30002, "nickname": "lin", "card": card,
                 "role": "member", "join_time": 0}]

    async def start_once(server: OneBotServer) -> OneBotBot:
        bot = make_bot(tmp_path, server)  # a new process each time
        try:
            await bot.client.connect()
            await bot.start()
        finally:
            await bot.client.close()
        return bot

    async def go() -> None:
        server = await OneBotServer().start()
        server.answers["get_group_list"] = [{"group_id": 100200300, "group_name": "进阶营"},
                                            {"group_id": 100200301, "group_name": "进阶营二期"}]
        server.answers["get_group_member_list:100200300"] = members(100200300, "小林")
        server.answers["get_group_member_list:100200301"] = members(100200301, "班主任小林")
        try:
            for _ in range(2):
                bot = await start_once(server)
                with bot.engine.connect() as conn:
                    renames = conn.execute(select(func.count()).select_from(events).where(
                        events.c.kind == "nickname")).scalar_one()
                assert renames == 0
        finally:
            await server.stop()

    asyncio.run(go())


def test_actions_are_spaced_so_qq_sees_no_burst(tmp_path: Path) -> None:
    """Actions leave at most one per `min_interval_s` (QQ's risk control punishes bursts),
    however many effects are due at once."""
    import time

    async def go() -> None:
        server = await OneBotServer().start()
        client = OneBotClient(server.url, TOKEN, min_interval_s=0.2, timeout_s=5)
        try:
            await client.connect()
            started = time.monotonic()
            await asyncio.gather(*(client.call("send_group_msg", group_id=100200300,
                                               message=[{"type": "text",
                                                         "data": {"text": str(i)}}])
                                   for i in range(4)))
            assert time.monotonic() - started >= 0.55  # three gaps of 0.2 s
            assert len(server.sent("send_group_msg")) == 4
        finally:
            await client.close()
            await server.stop()

    asyncio.run(go())


def test_members_already_in_the_group_are_its_members_from_the_start(tmp_path: Path) -> None:
    """get_group_member_list on start: 30001, in the group before the bot, is one of its
    members (the console's counts) without a join on record; the bot itself is not, and
    the admins' group is not a community group."""
    from qunyun.services import lookup

    async def go() -> None:
        server = await OneBotServer().start()
        bot = make_bot(tmp_path, server)
        try:
            await bot.client.connect()
            await bot.start()
            await bot.start()  # a reconnection reads them again: nothing changes
            cid = bot.pipeline.community_id
            with bot.engine.connect() as conn:
                groups = {ref.group_id: gid for gid, ref in
                          lookup.community_groups(conn, community_id=cid)}
                assert set(groups) == {"100200300"}
                (owner,) = lookup.member_ids_of(conn, community_id=cid, platform="qq",
                                                user_ids=["30001"])
                assert lookup.membership_active(conn, group_id=groups["100200300"],
                                                member_id=owner) is True
                assert lookup.member_ids_of(conn, community_id=cid, platform="qq",
                                            user_ids=["10001"]) == set()
        finally:
            await bot.client.close()
            await server.stop()

    asyncio.run(go())


def test_an_admins_group_named_but_not_found_keeps_alerts_in_the_console(
        tmp_path: Path) -> None:
    """`bot.admin_room: 进阶营管理组` when the account is in no group of that name: the
    alert is the operator's to-do saying what to do, never a `send_group_msg` to the name
    (the bundled plan's name; found by walking the README's QQ section)."""
    async def go() -> None:
        server = await OneBotServer().start()
        bot = make_bot(tmp_path, server)
        try:
            await bot.client.connect()
            bot.admin_group = "进阶营管理组"
            await bot.start()
            with pytest.raises(NotOnPlatform, match="不在名为「进阶营管理组」的群里"):
                await bot.perform(Alert(group=GROUP, reason="r", text="有人答不了"))
            assert server.sent("send_group_msg") == []
        finally:
            await bot.client.close()
            await server.stop()

    asyncio.run(go())


def test_a_reply_in_a_private_chat_mentions_nobody(tmp_path: Path) -> None:
    """QQ has no @ in a private chat: the bot's reply there is the reply and the text."""
    async def go() -> None:
        server = await OneBotServer().start()
        bot = make_bot(tmp_path, server)
        dm = GroupRef("qq", "private:20001", None, "direct")
        try:
            await bot.client.connect()
            await bot.start()
            with bot.engine.begin() as conn:
                EventRecorder(community_id=bot.pipeline.community_id).record_many(conn, [
                    MessagePosted(source=bot.source, source_event_id="21", group=dm,
                                  at=datetime.now(UTC), actor=ALICE, text="会一点")])
            await bot.perform(Reply(group=dm, reason="r", event_id="21", text="新人问卷 2/3"))
            (sent,) = server.sent("send_private_msg")
            assert [s["type"] for s in sent["message"]] == ["reply", "text"]
        finally:
            await bot.client.close()
            await server.stop()

    asyncio.run(go())

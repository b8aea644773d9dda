"""Bot API update payloads (fixture files after the API's sections) → qunyun events in
Telegram's own details (what every adapter must give alike is the shared suite's:
tests/adapters/test_conformance.py), and the Bot API calls each effect becomes, through python-telegram-bot against the local
server: kick = ban + unban, mute = restrict, DMs only to members who started the bot,
per-member invite links, the admins' chat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from telegram import Bot, Update

from qunyun.adapters.contract import NotOnPlatform
from qunyun.adapters.telegram.runner import TelegramBot, make_bot
from qunyun.adapters.telegram.translate import split_id, translate
from qunyun.app import open_database
from qunyun.effects import (
    Alert,
    Delete,
    DirectMessage,
    Invite,
    InviteLink,
    Kick,
    Mute,
    Reply,
    Send,
)
from qunyun.events import (
    MUTED_UNTIL_LIFTED,
    GroupRef,
    JoinRequested,
    MemberJoined,
    MemberLeft,
    MemberMuted,
    MessagePosted,
    ReactionAdded,
    UserRef,
)
from qunyun.pipeline.runner import Pipeline
from qunyun.storage.community import communities as community_repo
from tests.adapters.telegram.server import TOKEN, BotApiServer, fixture

SOURCE = "telegram:10001"
GROUP = GroupRef("telegram", "-1001002003", "进阶营")
ALICE = UserRef("telegram", "20001", "小王")


@dataclass
class Wire:
    """The local Bot API server and a bot database with one community, for the tests
    that drive a real `TelegramBot` (no policies) against the server."""

    server: BotApiServer
    engine: Engine
    community_id: int

    def new_bot(self, *, rate_limited: bool = True, **options: Any) -> TelegramBot:
        return TelegramBot(make_bot(TOKEN, base_url=self.server.base_url,
                                    rate_limited=rate_limited),
                           Pipeline(self.engine, community_id=self.community_id, policies=[]),
                           **options)


@pytest.fixture
def wire(tmp_path: Path) -> Iterator[Wire]:
    server = BotApiServer().start()
    engine = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    try:
        yield Wire(server, engine, cid)
    finally:
        server.stop()
        engine.dispose()


@asynccontextmanager
async def started(bot: TelegramBot) -> AsyncIterator[TelegramBot]:
    """The bot started (its getMe and admins' chat read), shut down on the way out."""
    await bot.start()
    try:
        yield bot
    finally:
        await bot.bot.shutdown()


def tr(name: str, **kw: Any) -> object:
    update = Update.de_json(fixture(name), Bot(TOKEN))
    assert update is not None
    return translate(update, source=SOURCE, bot_id=10001, **kw)


def test_text_message_with_a_mention() -> None:
    event = tr("Update-message")
    assert isinstance(event, MessagePosted)
    assert event.text == "大家好 @lin" and event.mentions == ("30001",)
    assert event.actor == UserRef("telegram", "20001", "小王 杭州")
    assert event.source_event_id == "-1001002003:1"
    assert split_id(event.source_event_id) == (-1001002003, 1)


def test_photo_reply_forward_and_edit() -> None:
    photo = tr("Update-message-photo")
    assert isinstance(photo, MessagePosted) and photo.media == "photo" and photo.text == "看图"
    reply = tr("Update-message-reply-forward")
    assert isinstance(reply, MessagePosted)
    assert reply.reply_to == "-1001002003:1" and reply.forwarded
    edit = tr("Update-edited_message")
    assert isinstance(edit, MessagePosted) and edit.edited and edit.text == "大家好（改）"
    assert edit.source_event_id != "-1001002003:1"  # an edit is not the message again


def test_a_restriction_from_sending_is_a_mute_and_its_end_a_lift() -> None:
    """ChatMemberRestricted with can_send_messages false (an admin's restrictChatMember):
    the seconds until `until_date`; 0 or more than 366 days away is for ever; back to a
    plain member is the lift; a restriction that still lets them write is no mute."""
    muted = tr("Update-chat_member-restricted")
    assert isinstance(muted, MemberMuted) and muted.seconds == 600
    assert muted.by is not None and muted.by.user_id == "30001"
    payload = fixture("Update-chat_member-restricted")
    payload["chat_member"]["new_chat_member"]["until_date"] = 0
    forever = translate(Update.de_json(payload, Bot(TOKEN)), source=SOURCE, bot_id=10001)
    assert isinstance(forever, MemberMuted) and forever.seconds == MUTED_UNTIL_LIFTED
    cm = payload["chat_member"]
    cm["old_chat_member"], cm["new_chat_member"] = (
        cm["new_chat_member"], {"status": "member", "user": cm["new_chat_member"]["user"]})
    lifted = translate(Update.de_json(payload, Bot(TOKEN)), source=SOURCE, bot_id=10001)
    assert isinstance(lifted, MemberMuted) and lifted.seconds == 0
    payload = fixture("Update-chat_member-restricted")
    payload["chat_member"]["new_chat_member"]["can_send_messages"] = True  # no photos only
    assert translate(Update.de_json(payload, Bot(TOKEN)), source=SOURCE, bot_id=10001) is None


def test_private_start_is_a_direct_chat() -> None:
    event = tr("Update-message-private-start")
    assert isinstance(event, MessagePosted) and event.group.kind == "direct"


def test_join_by_a_members_link_is_attributed_to_them() -> None:
    event = tr("Update-chat_member-join-invite_link")
    assert isinstance(event, MemberJoined)
    assert event.via == "link" and event.inviter is not None
    assert event.inviter.user_id == "30001"  # the link's name, qy-30001


def test_kick_names_the_admin_and_reaction_and_request() -> None:
    left = tr("Update-chat_member-kicked")
    assert isinstance(left, MemberLeft)
    assert left.removed_by is not None and left.removed_by.user_id == "30001"
    reaction = tr("Update-message_reaction")
    assert isinstance(reaction, ReactionAdded) and reaction.key == "👍"
    assert reaction.target_event_id == "-1001002003:1"
    request = tr("Update-chat_join_request")
    assert isinstance(request, JoinRequested)  # G1: answered by the admission policy
    assert request.member.user_id == "20002" and request.handle == "20002"
    assert request.answer == "朋友介绍" and request.inviter is None
    assert tr("Update-message", admin_chat="-1001002003") is None  # the admins' chat


def test_effects_become_bot_api_calls(wire: Wire) -> None:
    server = wire.server

    async def go() -> None:
        async with started(wire.new_bot(rate_limited=False, admin_chat="-1009009009")) as bot:
            await bot.perform(Send(group=GROUP, reason="r", text="欢迎 @小王 加入",
                                   mentions=(ALICE,)))
            welcome = server.sent("sendMessage")[-1]
            assert welcome["chat_id"] == -1001002003 and welcome["parse_mode"] == "HTML"
            assert welcome["text"] == '欢迎 <a href="tg://user?id=20001">小王</a> 加入'
            await bot.perform(Delete(group=GROUP, reason="r", event_id="-1001002003:5"))
            assert server.sent("deleteMessage") == [{"chat_id": -1001002003, "message_id": 5}]
            await bot.perform(Kick(group=GROUP, reason="r", member=ALICE))
            assert server.sent("banChatMember")[0]["user_id"] == 20001
            assert server.sent("unbanChatMember")[0]["only_if_banned"] is True
            await bot.perform(Mute(group=GROUP, reason="r", member=ALICE, seconds=600))
            restrict = server.sent("restrictChatMember")[0]
            assert restrict["permissions"]["can_send_messages"] is False
            with pytest.raises(NotOnPlatform, match="没有私聊过机器人"):
                await bot.perform(DirectMessage(group=GROUP, reason="r", member=ALICE,
                                                text="你好"))
            start = Update.de_json(fixture("Update-message-private-start"), bot.bot)
            assert start is not None
            await bot.handle_update(start)
            await bot.perform(DirectMessage(group=GROUP, reason="r", member=ALICE, text="你好"))
            assert server.sent("sendMessage")[-1]["chat_id"] == 20001
            await bot.perform(Reply(group=GROUP, reason="r", event_id="-1001002003:5",
                                    text="在群公告里"))
            assert server.sent("sendMessage")[-1]["reply_parameters"]["message_id"] == 5
            await bot.perform(Alert(group=GROUP, reason="r", text="答不了"))
            alert = server.sent("sendMessage")[-1]
            assert alert["chat_id"] == -1009009009 and "群：进阶营" in alert["text"]
            await bot.perform(Invite(group=GROUP, reason="r", member=ALICE))
            link = server.sent("createChatInviteLink")[0]
            assert link["name"] == "qy-20001" and link["member_limit"] == 1
            assert "https://t.me/+link" in server.sent("sendMessage")[-1]["text"]
            # G2 !邀请: her own link, no use limit, by DM (she started the bot above).
            await bot.perform(InviteLink(group=GROUP, reason="r", member=ALICE))
            own = server.sent("createChatInviteLink")[-1]
            assert own["name"] == "qy-20001" and "member_limit" not in own
            dm = server.sent("sendMessage")[-1]
            assert dm["chat_id"] == 20001 and "你的专属邀请链接：https://t.me/+link" in dm["text"]

    asyncio.run(go())


def test_the_started_members_survive_a_restart(wire: Wire) -> None:
    async def go() -> None:
        async with started(wire.new_bot(rate_limited=False)) as first:
            start = Update.de_json(fixture("Update-message-private-start"), first.bot)
            assert start is not None
            await first.handle_update(start)
        assert wire.new_bot(rate_limited=False).started == {"20001"}

    asyncio.run(go())


def test_retry_after_holds_that_chat_only(wire: Wire) -> None:
    """A 429 with `retry_after` for one group leaves its message in the outbox (sent when
    the wait is over) while another group's message goes out at once."""
    from qunyun.services import audit

    server, engine, cid = wire.server, wire.engine, wire.community_id
    other = GroupRef("telegram", "-1004004004", "另一个群")

    async def go() -> None:
        async with started(wire.new_bot()) as bot:
            server.fail_next["sendMessage"] = {
                "ok": False, "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1}}
            with engine.begin() as conn:
                for group, text in ((GROUP, "先发的"), (other, "另一个群的")):
                    audit.record_operator_effect(conn, Send(group=group, reason="r", text=text),
                                                 community_id=cid, operator="t", member_id=None,
                                                 group_id=None)
            await bot.flush_outbox()
            sent = [(p["chat_id"], p["text"]) for p in server.sent("sendMessage")]
            assert sent == [(-1001002003, "先发的"), (-1004004004, "另一个群的")]  # 429, then ok
            with engine.connect() as conn:
                assert len(audit.pending_effects(conn, community_id=cid)) == 1
            await bot.flush_outbox()  # still inside the wait: nothing is sent to that chat
            assert len(server.sent("sendMessage")) == 2
            await asyncio.sleep(1.1)
            await bot.flush_outbox()
            assert server.sent("sendMessage")[-1]["text"] == "先发的"
            with engine.connect() as conn:
                assert audit.pending_effects(conn, community_id=cid) == []

    asyncio.run(go())


def test_twenty_a_minute_per_group_without_holding_the_others(wire: Wire) -> None:
    """Telegram's per-group limit (20 messages a minute): the 21st message to one group
    waits (about 3 s, the limiter's leak rate), while a message to another group goes out
    at once."""
    import time

    server = wire.server
    other = GroupRef("telegram", "-1004004004", "另一个群")

    async def go() -> None:
        async with started(wire.new_bot()) as bot:
            begun = time.monotonic()
            for i in range(20):
                await bot.perform(Send(group=GROUP, reason="r", text=f"第{i}条"))
            assert time.monotonic() - begun < 2.5  # the first 20 are not held
            late = asyncio.ensure_future(bot.perform(Send(group=GROUP, reason="r",
                                                          text="第21条")))
            await asyncio.sleep(0.3)
            await asyncio.wait_for(bot.perform(Send(group=other, reason="r", text="别的群")),
                                   2)
            texts = [p["text"] for p in server.sent("sendMessage")]
            assert texts[-1] == "别的群" and "第21条" not in texts
            await asyncio.wait_for(late, 10)
            assert time.monotonic() - begun >= 2.5
            assert server.sent("sendMessage")[-1]["text"] == "第21条"

    asyncio.run(go())


def test_a_failing_bot_api_is_retried_with_backoff_and_nothing_is_lost(wire: Wire) -> None:
    """getUpdates answered 502 (Telegram's Bad Gateway): the bot says why on the console's
    status, waits (1 s, doubling) and polls again from the saved offset; the update that
    waited is handled then."""
    import json
    import time

    from qunyun.bot import accounts
    from qunyun.storage.bot import adapter_state
    from qunyun.storage.events import log as eventlog

    server, engine, cid = wire.server, wire.engine, wire.community_id
    key = accounts.status_key(cid, "telegram", "bot 10001")

    def status() -> dict[str, Any]:
        with engine.connect() as conn:
            return json.loads(adapter_state.load(conn, key=key) or "{}")  # type: ignore[no-any-return]

    async def go() -> None:
        bot = wire.new_bot(rate_limited=False, poll_timeout_s=1)
        bot.status_key = key
        server.fail_next["getUpdates"] = {"ok": False, "error_code": 502,
                                          "description": "Bad Gateway"}
        server.push(fixture("Update-message"))
        stop = asyncio.Event()
        task = asyncio.create_task(bot.run(stop))
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and "NetworkError" not in str(status().get("error")):
                await asyncio.sleep(0.05)
            assert status()["connected"] is False and "Bad Gateway" in status()["error"]
            while time.monotonic() < deadline and bot.load_cursor() is None:
                await asyncio.sleep(0.05)
            assert len(server.sent("getUpdates")) >= 2  # polled again after the wait
            with engine.connect() as conn:
                assert eventlog.exists(conn, source=SOURCE, source_event_id="-1001002003:1",
                                       community_id=cid)
            assert status()["connected"] is True and status()["error"] is None
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)

    asyncio.run(go())


def test_a_message_under_a_new_name_is_a_nickname_change(wire: Wire) -> None:
    """The Bot API sends no rename: alice's next message under another name is one, in the
    log before the message, once even if the update comes again."""
    from sqlalchemy import select

    from qunyun.storage.tables import events

    async def go() -> None:
        async with started(wire.new_bot(rate_limited=False)) as bot:
            first = Update.de_json(fixture("Update-message"), bot.bot)
            payload = fixture("Update-message")
            payload["update_id"] += 1
            payload["message"].update(message_id=2, text="改好了")
            payload["message"].pop("entities")
            payload["message"]["from"]["last_name"] = "杭州-财务"
            renamed = Update.de_json(payload, bot.bot)
            assert first is not None and renamed is not None
            assert await bot.handle_update(first) == 1
            assert await bot.handle_update(renamed) == 2
            assert await bot.handle_update(renamed) == 0  # the same update again
            with wire.engine.connect() as conn:
                rows = conn.execute(select(events.c.kind, events.c.payload)
                                    .where(events.c.source_event_id.like("-1001002003:2%"))
                                    .order_by(events.c.id)).all()
            assert [r.kind for r in rows] == ["nickname", "message"]
            assert rows[0].payload == {"old": "小王 杭州", "new": "小王 杭州-财务"}

    asyncio.run(go())


def test_a_member_renamed_while_the_bot_was_down_is_a_nickname_change(tmp_path: Path) -> None:
    """alice wrote as 小王 杭州; the bot stopped; she renamed herself; her first message to
    a new bot process (nothing in memory) comes under the new name: the rename is recorded
    against the name the log holds, once. Someone never recorded is no rename."""
    from sqlalchemy import select

    from qunyun.storage.tables import events

    server = BotApiServer().start()
    engine = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)

    def new_bot() -> TelegramBot:
        return TelegramBot(make_bot(TOKEN, base_url=server.base_url, rate_limited=False),
                           Pipeline(engine, community_id=cid, policies=[]))

    async def go() -> None:
        bot = new_bot()
        await bot.start()
        try:
            first = Update.de_json(fixture("Update-message"), bot.bot)
            assert first is not None and await bot.handle_update(first) == 1
        finally:
            await bot.bot.shutdown()
        payload = fixture("Update-message")
        payload["update_id"] += 1
        payload["message"].update(message_id=2, text="我改名了", date=payload["message"]["date"]
                                  + 3600)
        payload["message"].pop("entities")
        payload["message"]["from"]["last_name"] = "杭州-财务"
        newcomer = fixture("Update-message")
        newcomer["update_id"] += 2
        newcomer["message"].update(message_id=3, text="大家好")
        newcomer["message"].pop("entities")
        newcomer["message"]["from"].update(id=20009, first_name="新人", last_name="甲")
        bot = new_bot()  # restarted
        await bot.start()
        try:
            renamed = Update.de_json(payload, bot.bot)
            other = Update.de_json(newcomer, bot.bot)
            assert renamed is not None and other is not None
            assert await bot.handle_update(renamed) == 2
            assert await bot.handle_update(renamed) == 0
            assert await bot.handle_update(other) == 1  # a first message: no rename
        finally:
            await bot.bot.shutdown()
        with engine.connect() as conn:
            rows = conn.execute(select(events.c.source_event_id, events.c.payload)
                                .where(events.c.kind == "nickname")).all()
        assert [(r[0], r[1]) for r in rows] == [
            ("-1001002003:2:nick", {"old": "小王 杭州", "new": "小王 杭州-财务"})]

    try:
        asyncio.run(go())
    finally:
        server.stop()
        engine.dispose()


def test_a_chats_admins_are_read_on_its_first_update(wire: Wire) -> None:
    """getChatAdministrators on the first update from a group after a start: the policies'
    moderators are known at once, and it is not asked again at every message."""
    async def go() -> None:
        async with started(wire.new_bot(rate_limited=False)) as bot:
            assert bot.moderators("-1001002003") == frozenset()
            for name in ("Update-message", "Update-message-reply-forward"):
                update = Update.de_json(fixture(name), bot.bot)
                assert update is not None
                await bot.handle_update(update)
            assert bot.moderators("-1001002003") == {"30001"}  # the owner; not the bot
            assert wire.server.sent("getChatAdministrators") == [{"chat_id": -1001002003}]

    asyncio.run(go())


def test_about_thirty_messages_a_second_overall(wire: Wire) -> None:
    """Telegram's overall limit: 60 messages to 60 different chats (DMs, no group limit)
    take about a second: 30 at once, then about 30 a second."""
    import time

    async def go() -> None:
        async with started(wire.new_bot()) as bot:
            begun = time.monotonic()
            for i in range(60):  # one after another, as the outbox delivers them
                await bot.perform(Send(group=GroupRef("telegram", str(50000 + i), None,
                                                      "direct"), reason="r", text="你好"))
            assert time.monotonic() - begun >= 0.9
            assert len({p["chat_id"] for p in wire.server.sent("sendMessage")}) == 60

    asyncio.run(go())


def test_a_member_who_never_opened_the_bots_chat_is_asked_to_once(wire: Wire) -> None:
    """Telegram lets a bot write only to members who pressed Start: the first DM the bot
    cannot send comes with one word in the group and the link that opens its chat (the
    DM itself stays the operator's to-do); later ones, and a restart, do not repeat it."""
    async def go() -> None:
        async with started(wire.new_bot(rate_limited=False)) as bot:
            for text in ("新人问卷 1/3：…", "第二条私信"):
                with pytest.raises(NotOnPlatform):
                    await bot.perform(DirectMessage(group=GROUP, reason="r", member=ALICE,
                                                    text=text))
        async with started(wire.new_bot(rate_limited=False)) as again:
            with pytest.raises(NotOnPlatform):
                await again.perform(DirectMessage(group=GROUP, reason="r", member=ALICE,
                                                  text="重启后"))

    asyncio.run(go())
    asked = [p for p in wire.server.sent("sendMessage") if p.get("chat_id") == int(GROUP.group_id)]
    assert len(asked) == 1
    assert "https://t.me/qunyun_test_bot?start=hi" in asked[0]["text"]
    assert 'href="tg://user?id=20001"' in asked[0]["text"]  # a real mention
    assert not [p for p in wire.server.sent("sendMessage") if p.get("chat_id") == 20001]


def test_the_admins_chat_may_be_named_by_its_title(wire: Wire) -> None:
    """`bot.admin_room: 进阶营管理组` (a title, as on QQ and Matrix): alerts wait as to-dos
    saying what to do until a message from that chat gives its id; from then on (and after
    a restart) alerts go there, and the chat is never treated as a community group."""
    admins_chat = fixture("Update-message")
    admins_chat["message"]["chat"].update(id=-1009009009, title="进阶营管理组")

    async def go() -> None:
        async with started(wire.new_bot(rate_limited=False, admin_chat="进阶营管理组")) as bot:
            with pytest.raises(NotOnPlatform, match="还没找到管理群「进阶营管理组」"):
                await bot.perform(Alert(group=GROUP, reason="r", text="答不了"))
            update = Update.de_json(admins_chat, bot.bot)
            assert update is not None
            assert await bot.handle_update(update) == 0  # not a community group's message
            await bot.perform(Alert(group=GROUP, reason="r", text="答不了"))
        async with started(wire.new_bot(rate_limited=False, admin_chat="进阶营管理组")) as again:
            await again.perform(Alert(group=GROUP, reason="r", text="重启后也答不了"))

    asyncio.run(go())
    alerts = [p for p in wire.server.sent("sendMessage") if p.get("chat_id") == -1009009009]
    assert [a["text"].split("\n")[0] for a in alerts] == ["答不了", "重启后也答不了"]


def test_dms_that_waited_are_sent_when_the_member_presses_start(wire: Wire) -> None:
    """A DM refused because the member had not opened the bot's chat waits as the
    operator's 待发私信 to-do; when they press Start the bot sends it itself and closes
    the to-do (the questionnaire's to-do closes unsent: its question is asked again)."""
    from datetime import UTC, datetime

    from qunyun.services import direct
    from qunyun.services.ingest import EventRecorder
    from qunyun.storage.work import queues as queue_repo

    with wire.engine.begin() as conn:
        EventRecorder(community_id=wire.community_id).record_many(conn, [MessagePosted(
            source=SOURCE, source_event_id="-1001002003:1", group=GROUP,
            at=datetime.now(UTC), actor=ALICE, text="大家好")])
        for reason, text in (("O2 form", "新人问卷 1/3：你的 Python 基础？"),
                             ("T4 volunteer invite", "想请你做答疑志愿者，回复 !接受 或 !拒绝")):
            direct.undeliverable(conn, community_id=wire.community_id, why="没点开始",
                                 effect=DirectMessage(group=GROUP, reason=reason,
                                                      member=ALICE, text=text))

    async def go() -> None:
        async with started(wire.new_bot(rate_limited=False)) as bot:
            start = Update.de_json(fixture("Update-message-private-start"), bot.bot)
            assert start is not None
            await bot.handle_update(start)

    asyncio.run(go())
    to_alice = [p["text"] for p in wire.server.sent("sendMessage") if p.get("chat_id") == 20001]
    assert to_alice == ["想请你做答疑志愿者，回复 !接受 或 !拒绝"]
    with wire.engine.connect() as conn:
        assert not queue_repo.list_items(conn, community_id=wire.community_id,
                                         queue=direct.QUEUE)  # none open
        done = queue_repo.list_items(conn, community_id=wire.community_id,
                                     queue=direct.QUEUE, status="done")
    assert len(done) == 2 and {d["resolution"] for d in done} == {direct.SENT_LATER}

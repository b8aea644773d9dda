"""The bot's rooms (issue 11, items 2, 7, 8, 10), against the in-memory API: names read again
on start, DMs never groups (remembered across restarts), the admins' room created and the
only place alerts go, real mentions and replies in the content."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import Engine, text

from qunyun.adapters.matrix.formatting import message_content
from qunyun.adapters.matrix.runner import MatrixBot
from qunyun.effects import Alert, DirectMessage
from qunyun.events import GroupRef, MessagePosted, UserRef
from qunyun.pipeline.runner import Pipeline
from qunyun.storage.community import communities as community_repo
from tests.adapters.matrix.test_runner import ROOM, Counts, FakeApi, msg

BOT = "@bot:localhost"
LISI = "@lisi:localhost"


def state(name: str | None, members: dict[str, str], power: dict[str, int] | None = None
          ) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [
        {"type": "m.room.member", "state_key": uid, "sender": uid,
         "content": {"membership": "join", "displayname": dn}} for uid, dn in members.items()]
    if name:
        events.append({"type": "m.room.name", "state_key": "", "content": {"name": name}})
    if power:
        events.append({"type": "m.room.power_levels", "state_key": "",
                       "content": {"users": power}})
    return events


def make_bot(engine: Engine, api: FakeApi, **kw: Any) -> MatrixBot:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    pipe = Pipeline(engine, community_id=cid, policies=[Counts()])
    return MatrixBot(api, pipe, bot_user_id=BOT, homeserver="localhost", **kw)


def test_display_names_survive_a_restart(engine: Engine) -> None:
    api = FakeApi()
    api.state[ROOM] = state("进阶营", {BOT: "群运助手", LISI: "李四-北京-老师"})
    api.push([])
    api.push([msg(1, "大家好", sender=LISI)])
    bot = make_bot(engine, api)
    asyncio.run(bot.start())  # a restarted bot: no state in the next sync, only the timeline
    asyncio.run(bot.sync_once())
    asyncio.run(bot.sync_once())
    with engine.connect() as conn:
        assert conn.execute(text("SELECT display_name FROM members")).scalar_one() \
            == "李四-北京-老师"
        assert conn.execute(text("SELECT name FROM groups")).scalar_one() == "进阶营"
        nicknames = conn.execute(text("SELECT nickname FROM nicknames")).scalars().all()
    assert nicknames == ["李四-北京-老师"]  # never the localpart "lisi"


def test_an_unknown_name_is_not_replaced_by_the_localpart(engine: Engine) -> None:
    api = FakeApi()
    api.push([])
    api.push([msg(1, "你好", sender=LISI)])
    bot = make_bot(engine, api)
    asyncio.run(bot.sync_once())
    asyncio.run(bot.sync_once())
    with engine.connect() as conn:
        assert conn.execute(text("SELECT display_name FROM members")).scalar_one() is None


def test_a_dm_is_never_a_group_and_is_remembered(engine: Engine) -> None:
    api = FakeApi()
    api.state[ROOM] = state("进阶营", {BOT: "群运助手", LISI: "李四"})
    bot = make_bot(engine, api, admin_room="!admins:localhost")
    asyncio.run(bot.start())
    member = UserRef("matrix", LISI, "李四")
    asyncio.run(bot.perform(DirectMessage(group=GroupRef("matrix", ROOM), member=member,
                                             text="新人问卷 1/3", reason="O2 form")))
    dm = "!dm:localhost"
    restarted = make_bot(engine, api, admin_room="!admins:localhost")
    assert restarted.rooms.kind(dm) == "direct" and restarted.rooms.kind(ROOM) == "group"
    joined = {"type": "m.room.member", "state_key": LISI, "sender": LISI,
              "event_id": "$j", "origin_server_ts": 1_770_000_000_000,
              "content": {"membership": "join", "displayname": "李四"},
              "unsigned": {"prev_content": {"membership": "invite"}}}
    assert asyncio.run(restarted.to_event(dm, joined)) is None  # no welcome, no checklist
    answer = asyncio.run(restarted.to_event(dm, msg(5, "会一点", sender=LISI)))
    assert answer is not None and answer.group.kind == "direct"


def test_a_member_opened_dm_is_known_from_the_invite(engine: Engine) -> None:
    api = FakeApi()
    api.batches.append({"next_batch": "t1", "rooms": {"invite": {"!theirs:localhost": {
        "invite_state": {"events": [{"type": "m.room.member", "state_key": BOT,
                                     "sender": LISI, "content": {"membership": "invite",
                                                                 "is_direct": True}}]}}}}})
    bot = make_bot(engine, api)
    asyncio.run(bot.sync_once())
    assert bot.rooms.kind("!theirs:localhost") == "direct"


def test_the_admin_room_is_created_with_the_admins_and_alerts_go_only_there(
        engine: Engine) -> None:
    api = FakeApi()
    api.state[ROOM] = state("进阶营", {BOT: "群运助手", "@operator:localhost": "运营者"},
                            power={BOT: 100, "@operator:localhost": 100, LISI: 0})
    bot = make_bot(engine, api, admin_room="进阶营管理组", admin_invites=["@lin:localhost"])
    asyncio.run(bot.start())
    assert api.created == [("进阶营管理组", ["@lin:localhost", "@operator:localhost"])]
    alert = Alert(group=GroupRef("matrix", ROOM), text="【需要人工】…", suggested_reply="@李四 你好",
                  reason="R5 unanswered")
    asyncio.run(bot.perform(alert))
    assert [room for room, _ in api.sent] == ["!created1:localhost"]
    assert "建议回复：@李四 你好" in api.sent[0][1]
    again = make_bot(engine, api, admin_room="进阶营管理组")
    asyncio.run(again.start())
    assert len(api.created) == 1  # remembered, not created twice
    assert again.rooms.kind("!created1:localhost") == "admin"


def test_mentions_are_pills_and_replies_relate() -> None:
    content = message_content("@李四 打卡成功 <3", [LISI], {LISI: "李四"}, reply_to="$m1")
    assert content["m.mentions"] == {"user_ids": [LISI]}
    assert content["formatted_body"] == (
        f'<a href="https://matrix.to/#/{LISI}">李四</a> 打卡成功 &lt;3')
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": "$m1"}}
    plain = message_content("没有提到谁")
    assert "formatted_body" not in plain and "m.relates_to" not in plain


def test_a_dm_the_member_left_is_replaced_and_a_third_member_makes_a_group() -> None:
    from qunyun.adapters.matrix.rooms import RoomDirectory

    rooms = RoomDirectory(BOT)
    rooms.opened_dm("!dm1:localhost", LISI)
    assert rooms.dm_with(LISI) == "!dm1:localhost"
    rooms.learn("!dm1:localhost", [{"type": "m.room.member", "state_key": LISI,
                                    "sender": LISI, "content": {"membership": "leave"}}])
    assert rooms.dm_with(LISI) is None  # a message there would reach nobody
    rooms.learn("!nameless:localhost", state(None, {BOT: "群运助手", LISI: "李四"}))
    rooms.guess_direct("!nameless:localhost")
    assert rooms.kind("!nameless:localhost") == "direct"
    rooms.learn("!nameless:localhost", state(None, {"@wang:localhost": "王五"}))
    assert rooms.kind("!nameless:localhost") == "group"


def test_encoded_and_plain_pills_are_both_mentions() -> None:
    from qunyun.adapters.matrix.translate import translate

    raw = msg(7, "@运营者 请问") | {"content": {
        "msgtype": "m.text", "body": "运营者 请问",
        "formatted_body": '<a href="https://matrix.to/#/%40operator%3Alocalhost">运营者</a> '
                          f'<a href="https://matrix.to/#/{LISI}">李四</a> 请问'}}
    event = translate(raw, room=GroupRef("matrix", ROOM), source="matrix:localhost")
    assert event is not None and getattr(event, "mentions", ()) == ("@operator:localhost", LISI)


def test_a_dm_never_renames_a_member(engine: Engine) -> None:
    api = FakeApi()
    api.state[ROOM] = state("进阶营", {BOT: "群运助手", LISI: "李四-北京-老师"})
    api.state["!dm:localhost"] = state(None, {BOT: "群运助手", LISI: "Li"})  # the global name
    api.push([])
    api.push([msg(1, "大家好", sender=LISI)])
    bot = make_bot(engine, api)
    asyncio.run(bot.start())
    assert bot.rooms.kind("!dm:localhost") == "direct"
    asyncio.run(bot.sync_once())
    asyncio.run(bot.sync_once())
    with engine.connect() as conn:
        assert conn.execute(text("SELECT display_name FROM members")).scalar_one() \
            == "李四-北京-老师"


def _member(user: str, membership: str, sender: str | None = None,
            is_direct: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {"membership": membership}
    if is_direct:
        content["is_direct"] = True
    return {"type": "m.room.member", "state_key": user, "sender": sender or user,
            "content": content}


def test_a_dm_the_member_has_not_accepted_or_left_is_no_dm_to_send_in() -> None:
    """Where the member stands in the bot's DM (the Matrix runner holds DMs as to-dos
    unless it is "open"; `tests/e2e/test_dm_todos.py` on Synapse)."""
    from qunyun.adapters.matrix.rooms import RoomDirectory

    rooms = RoomDirectory(BOT)
    assert rooms.dm_state(LISI) == (None, None)
    rooms.opened_dm("!dm1:localhost", LISI)
    assert rooms.dm_state(LISI) == ("!dm1:localhost", "invited")
    assert rooms.open_dms() == {}
    rooms.learn("!dm1:localhost", [_member(LISI, "join")])
    assert rooms.dm_state(LISI) == ("!dm1:localhost", "open")
    assert rooms.open_dms() == {"!dm1:localhost": LISI}
    rooms.learn("!dm1:localhost", [_member(LISI, "leave")])
    assert rooms.dm_state(LISI) == ("!dm1:localhost", "left")
    assert rooms.dm_with(LISI) is None
    # She opens one herself: it wins over the one she left.
    rooms.learn("!dm2:localhost", [_member(LISI, "join"),
                                   _member(BOT, "invite", LISI, is_direct=True)])
    assert rooms.open_dms() == {}  # the bot is not in it yet (it joins a DM at once)
    rooms.learn("!dm2:localhost", [_member(BOT, "join")])
    assert rooms.dm_state(LISI) == ("!dm2:localhost", "open")
    assert rooms.open_dms() == {"!dm2:localhost": LISI}


@pytest.mark.parametrize("dm_first", [True, False])
def test_one_member_one_name_in_the_group_and_the_dm(engine: Engine, dm_first: bool) -> None:
    """Walk findings 52/62: after a restart 李四's name flipped between replies (「李四」 /
    「李四-上海-财务」) and the DM called her by another name than the group. Her group name
    is her name, whatever room the event is in and in whatever order the rooms' state was
    read on start; a DM message neither renames her nor adds to her nickname history."""
    api = FakeApi()
    dm_state = state(None, {BOT: "群运助手", LISI: "李四"})  # her global name
    group_state = state("进阶营", {BOT: "群运助手", LISI: "李四-上海-财务"})
    api.state = ({"!dm:localhost": dm_state, ROOM: group_state} if dm_first
                 else {ROOM: group_state, "!dm:localhost": dm_state})
    api.push([])
    api.push([msg(1, "大家好", sender=LISI)])
    bot = make_bot(engine, api)
    asyncio.run(bot.start())
    assert bot.rooms.kind("!dm:localhost") == "direct"
    for room in (ROOM, "!dm:localhost"):
        assert bot.rooms.names_in(room)[LISI] == "李四-上海-财务"
    asyncio.run(bot.sync_once())
    asyncio.run(bot.sync_once())
    dm_event = asyncio.run(bot.to_event("!dm:localhost", msg(2, "!排行 周", sender=LISI)))
    assert isinstance(dm_event, MessagePosted)
    assert dm_event.actor.display_name == "李四-上海-财务"
    # Even an event that shows the DM's own name (another adapter, an older bot) does not
    # rename her.
    dm_event.actor = UserRef("matrix", LISI, "李四")
    asyncio.run(bot.handle_many([dm_event]))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT display_name FROM members")).scalar_one() \
            == "李四-上海-财务"
        assert conn.execute(text("SELECT nickname FROM nicknames")).scalars().all() \
            == ["李四-上海-财务"]


def test_a_message_the_bot_deleted_is_logged_as_recalled_by_no_member(engine: Engine) -> None:
    """Issue 11 walk13 #54: the bot's deletion of an advert is in the event log (a recall
    with no actor), so the tiers do not count the advert as participation; the bot's other
    events stay out, and no member row is made for the bot."""
    from qunyun.events import MessageRecalled

    api = FakeApi()
    api.state[ROOM] = state("进阶营", {BOT: "群运助手", LISI: "李四"})
    bot = make_bot(engine, api, admin_room="!admins:localhost")
    asyncio.run(bot.start())
    redaction = {"type": "m.room.redaction", "sender": BOT, "event_id": "$del",
                 "redacts": "$advert", "origin_server_ts": 1_770_000_000_000, "content": {}}
    event = asyncio.run(bot.to_event(ROOM, redaction))
    assert isinstance(event, MessageRecalled)
    assert event.target_event_id == "$advert" and event.actor is None
    assert asyncio.run(bot.to_event(ROOM, msg(3, "机器人自己的话", sender=BOT))) is None
    assert asyncio.run(bot.to_event("!admins:localhost", redaction)) is None
    api.push([])  # the first sync only learns where the timeline ends
    api.push([msg(4, "加V领资料", sender=LISI), redaction])
    asyncio.run(bot.sync_once())
    asyncio.run(bot.sync_once())
    with engine.connect() as conn:
        kinds = conn.execute(text("SELECT kind, member_id, ref_id FROM events "
                                  "WHERE kind = 'recall'")).all()
        members = conn.execute(text("SELECT count(*) FROM identities "
                                    "WHERE external_id = :bot"), {"bot": BOT}).scalar_one()
    assert [(k, m, r) for k, m, r in kinds] == [("recall", None, "$advert")]
    assert members == 0

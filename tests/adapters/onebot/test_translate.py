"""OneBot 11 event payloads (fixture files after the standard's sections) → qunyun events
in QQ's own details (segments, sub_types, the implementations' extensions), and bot text →
message segments. What every adapter must give alike is the shared suite's:
tests/adapters/test_conformance.py."""

from __future__ import annotations

from qunyun.adapters.onebot.translate import (
    event_id,
    image_url,
    renamed,
    to_segments,
    translate,
)
from qunyun.events import (
    GroupMuted,
    JoinRequested,
    MemberJoined,
    MemberLeft,
    MemberMuted,
    MessagePosted,
    MessageRecalled,
    NicknameChanged,
    ReactionAdded,
)
from tests.adapters.onebot.server import fixture

SOURCE = "onebot:10001"


def tr(raw: dict[str, object], **kw: object) -> object:
    return translate(raw, source=SOURCE, group_names={"100200300": "进阶营"},
                     names={"30001": "班主任小林"}, **kw)  # type: ignore[arg-type]


def test_group_message_with_card_as_name() -> None:
    event = tr(fixture("event-message-group"))
    assert isinstance(event, MessagePosted)
    assert event.text == "大家好"
    assert event.actor.user_id == "20001" and event.actor.display_name == "小王-杭州-财务"
    assert event.group.group_id == "100200300" and event.group.name == "进阶营"
    assert event.source_event_id == "1"


def test_segments_text_at_reply_face_image() -> None:
    raw = fixture("event-message-group-segments")
    event = tr(raw)
    assert isinstance(event, MessagePosted)
    assert event.reply_to == "1"
    assert event.mentions == ("30001",)
    assert event.text == "@30001 看这个"
    assert event.media == "sticker"  # the first non-text segment
    assert image_url(raw) == "http://127.0.0.1:9/abc.png"


def test_private_message_is_a_direct_chat() -> None:
    event = tr(fixture("event-message-private"))
    assert isinstance(event, MessagePosted)
    assert event.group.kind == "direct" and event.group.group_id == "private:20001"


def test_group_increase_by_invite_names_the_inviter() -> None:
    event = tr(fixture("event-notice-group_increase"))
    assert isinstance(event, MemberJoined)
    assert event.member.user_id == "20001" and event.via == "invite"
    assert event.inviter is not None and event.inviter.user_id == "30001"
    approved = tr(fixture("event-notice-group_increase", sub_type="approve"))
    assert isinstance(approved, MemberJoined)
    assert approved.inviter is None and approved.via == "application"


def test_group_decrease_kick_leave_and_kick_me() -> None:
    kicked = tr(fixture("event-notice-group_decrease"))
    assert isinstance(kicked, MemberLeft)
    assert kicked.removed_by is not None and kicked.removed_by.user_id == "30001"
    left = tr(fixture("event-notice-group_decrease", sub_type="leave", operator_id=20001))
    assert isinstance(left, MemberLeft) and left.removed_by is None
    assert tr(fixture("event-notice-group_decrease", sub_type="kick_me", user_id=10001)) is None


def test_recall_names_the_message() -> None:
    event = tr(fixture("event-notice-group_recall"))
    assert isinstance(event, MessageRecalled)
    assert event.target_event_id == "1"


def test_invite_and_heartbeat_are_not_community_events() -> None:
    for name in ("event-request-group-invite", "event-meta-heartbeat"):
        assert tr(fixture(name)) is None


def test_an_admins_mute_and_its_lift_go_on_the_members_record() -> None:
    """群禁言 (event/notice.md): `ban` with its duration, `lift_ban` as 0 seconds; the
    whole group muted at once (user_id 0) is nobody's record (it is the group's)."""
    raw = fixture("event-notice-group_ban")
    muted = tr(raw)
    assert isinstance(muted, MemberMuted)
    assert muted.member.user_id == "20001" and muted.seconds == 600
    assert muted.by is not None and muted.by.display_name == "班主任小林"
    lifted = tr({**raw, "sub_type": "lift_ban", "duration": 0, "time": raw["time"] + 60})
    assert isinstance(lifted, MemberMuted) and lifted.seconds == 0
    assert lifted.source_event_id != muted.source_event_id
    assert not isinstance(tr({**raw, "user_id": 0}), MemberMuted)


def test_the_whole_group_muted_and_lifted_is_the_groups_record() -> None:
    """群禁言 with user_id 0 (全员禁言): a group event, who did it, on then off."""
    raw = fixture("event-notice-group_ban-whole")
    muted = tr(raw)
    assert isinstance(muted, GroupMuted) and muted.on
    assert muted.actor is not None and muted.actor.user_id == "30001"
    assert muted.group.group_id == "100200300"
    lifted = tr({**raw, "sub_type": "lift_ban", "duration": 0, "time": raw["time"] + 600})
    assert isinstance(lifted, GroupMuted) and not lifted.on
    assert lifted.source_event_id != muted.source_event_id


def test_group_add_request_is_a_join_request() -> None:
    event = tr(fixture("event-request-group"))
    assert isinstance(event, JoinRequested)
    assert event.member.user_id == "20002" and event.answer == "我是朋友介绍来的"
    assert event.handle == "req-20002" and event.source_event_id == "r:group:req-20002"
    assert event.group.group_id == "100200300"


def test_the_admin_group_and_the_bots_own_messages_are_left_out() -> None:
    assert tr(fixture("event-message-group", group_id=900900900), admin_group="900900900") is None
    assert tr(fixture("event-message-group", user_id=10001)) is None


def test_notice_ids_are_stable_for_a_redelivery() -> None:
    raw = fixture("event-notice-group_increase")
    assert event_id(raw) == event_id(dict(raw))
    assert event_id(raw) != event_id(fixture("event-notice-group_increase", time=1))


def test_segments_put_at_where_the_text_names_the_member() -> None:
    segs = to_segments("欢迎 @小王 加入！", [("20001", "小王")])
    assert segs == [{"type": "text", "data": {"text": "欢迎 "}},
                    {"type": "at", "data": {"qq": "20001"}},
                    {"type": "text", "data": {"text": " 加入！"}}]
    first = to_segments("请注意群规", [("20001", "小王")], reply_to="42")
    assert first[0] == {"type": "reply", "data": {"id": "42"}}
    assert first[1] == {"type": "at", "data": {"qq": "20001"}}
    longest = to_segments("@李四五 和 @李四", [("1", "李四"), ("2", "李四五")])
    assert [s["data"].get("qq") for s in longest if s["type"] == "at"] == ["2", "1"]


def test_a_card_change_is_a_nickname_change() -> None:
    """The `group_card` notice (NapCat, LLOneBot, Lagrange.OneBot), and, where none is sent,
    a message under another name than the one last seen in that group."""
    notice = tr(fixture("event-notice-group_card"))
    assert isinstance(notice, NicknameChanged)
    assert (notice.member.user_id, notice.old, notice.new) == ("20001", "小王", "小王-杭州-财务")
    assert tr(fixture("event-notice-group_card", card_new="")) is None  # back to the nickname
    raw = fixture("event-message-group")  # sent as 小王-杭州-财务
    by_message = renamed(raw, source=SOURCE, old="小王")
    assert by_message is not None and (by_message.old, by_message.new) == ("小王", "小王-杭州-财务")
    assert by_message.source_event_id == "1:nick"  # a re-delivered message: the same rename
    assert renamed(raw, source=SOURCE, old="小王-杭州-财务") is None
    assert renamed(raw, source=SOURCE, old=None) is None  # first seen: nothing to compare


def test_reactions_from_napcat_and_lagrange() -> None:
    napcat = tr(fixture("event-notice-group_msg_emoji_like"))
    assert isinstance(napcat, ReactionAdded)
    assert (napcat.actor.user_id, napcat.key, napcat.target_event_id) == ("30001", "76", "1")
    assert napcat.actor.display_name == "班主任小林"
    lagrange = tr(fixture("event-notice-reaction"))
    assert isinstance(lagrange, ReactionAdded)
    assert (lagrange.actor.user_id, lagrange.key, lagrange.target_event_id) == ("30001", "424",
                                                                               "1")
    assert lagrange.source_event_id != napcat.source_event_id
    assert tr(fixture("event-notice-reaction", sub_type="remove")) is None
    assert tr(fixture("event-notice-group_msg_emoji_like", is_add=False)) is None
    again = tr(fixture("event-notice-group_msg_emoji_like", time=1764633700))
    assert isinstance(again, ReactionAdded)
    assert again.source_event_id == napcat.source_event_id  # sent again: the same reaction

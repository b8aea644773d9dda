"""Matrix client-server events (fixture files after the spec's sections) → qunyun events,
in Matrix's own details (media, edits, the inviter, knocks, power levels). What every
adapter must give alike is the shared suite's: tests/adapters/test_conformance.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qunyun.adapters.matrix.translate import image_url, translate
from qunyun.events import (
    MUTED_UNTIL_LIFTED,
    GroupMuted,
    GroupRef,
    JoinRequested,
    MemberJoined,
    MemberLeft,
    MemberMuted,
    MessagePosted,
    MessageRecalled,
    NicknameChanged,
    ReactionAdded,
)

FIXTURES = Path(__file__).parent / "fixtures"
ROOM = GroupRef("matrix", "!room:localhost", "进阶营")
NAMES = {"@lin:localhost": "班主任小林"}


def tr(name: str) -> Any:
    raw = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))["payload"]
    return translate(raw, room=ROOM, source="matrix:localhost", names=NAMES)


def raw(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))["payload"]  # type: ignore[no-any-return]


def test_messages_with_replies_mentions_media_and_edits() -> None:
    reply = tr("m.room.message-m.text-reply-mentions")
    assert isinstance(reply, MessagePosted)
    assert reply.reply_to == "$m1" and reply.mentions == ("@lin:localhost",)
    assert reply.actor.user_id == "@alice:localhost" and reply.source_event_id == "$m2"
    image = tr("m.room.message-m.image")
    assert isinstance(image, MessagePosted) and image.media == "photo"
    assert image_url(raw("m.room.message-m.image")) == "mxc://localhost/abc"
    edit = tr("m.room.message-m.replace")
    assert isinstance(edit, MessagePosted) and edit.edited and edit.text == "大家好（改）"


def test_joins_removals_and_renames() -> None:
    joined = tr("m.room.member-invite-join")
    assert isinstance(joined, MemberJoined) and joined.via == "invite"
    assert joined.inviter is not None and joined.inviter.user_id == "@lin:localhost"
    assert joined.inviter.display_name == "班主任小林"
    kicked = tr("m.room.member-kick")
    assert isinstance(kicked, MemberLeft)
    assert kicked.removed_by is not None and kicked.removed_by.user_id == "@lin:localhost"
    renamed = tr("m.room.member-displayname")
    assert isinstance(renamed, NicknameChanged)
    assert (renamed.old, renamed.new) == ("小王", "小王-杭州-财务")


def test_reactions_recalls_and_knocks() -> None:
    reaction = tr("m.reaction")
    assert isinstance(reaction, ReactionAdded)
    assert (reaction.key, reaction.target_event_id) == ("👍", "$m2")
    recall = tr("m.room.redaction")
    assert isinstance(recall, MessageRecalled) and recall.target_event_id == "$m2"
    knock = tr("m.room.member-knock")
    assert isinstance(knock, JoinRequested)
    assert knock.member.user_id == "@bob:localhost" and knock.answer == "朋友介绍"


def test_the_room_muted_and_reopened_by_power_levels_is_the_groups_record() -> None:
    """m.room.power_levels: `events_default` raised above `users_default` is the whole
    room muted (QQ's 全员禁言), lowered back it is lifted; a change to one member's level,
    or the room's first levels, is neither."""
    muted = tr("m.room.power_levels-events_default")
    assert isinstance(muted, GroupMuted) and muted.on
    assert muted.actor is not None and muted.actor.display_name == "班主任小林"
    event = raw("m.room.power_levels-events_default")
    prev = event["unsigned"]["prev_content"]
    reopened = translate({**event, "event_id": "$pl2", "content": prev,
                          "unsigned": {"prev_content": event["content"]}},
                         room=ROOM, source="matrix:localhost", names=NAMES)
    assert isinstance(reopened, GroupMuted) and not reopened.on
    one_member = {**prev, "users": {**prev["users"], "@alice:localhost": 50}}
    assert translate({**event, "content": one_member}, room=ROOM, source="matrix:localhost",
                     names=NAMES) is None
    assert translate({**event, "unsigned": {}}, room=ROOM, source="matrix:localhost",
                     names=NAMES) is None


def test_a_member_muted_by_their_power_level_and_let_speak_again() -> None:
    """Element's mute: one member's level set below `events_default` is a mute with no
    end, set back a lift; a member raised to moderator is no mute at all."""
    muted = tr("m.room.power_levels-users-mute")
    assert isinstance(muted, MemberMuted) and muted.seconds == MUTED_UNTIL_LIFTED
    assert muted.member.user_id == "@alice:localhost"
    assert muted.by is not None and muted.by.user_id == "@lin:localhost"
    event = raw("m.room.power_levels-users-mute")
    event["content"], event["unsigned"]["prev_content"] = (event["unsigned"]["prev_content"],
                                                           event["content"])
    lifted = translate(event, room=ROOM, source="matrix:localhost", names=NAMES)
    assert isinstance(lifted, MemberMuted) and lifted.seconds == 0
    event = raw("m.room.power_levels-users-mute")
    event["content"]["users"]["@alice:localhost"] = 50
    assert translate(event, room=ROOM, source="matrix:localhost", names=NAMES) is None

"""Matrix → qunyun events: raw client-server JSON to normalized events.

Only this package knows Matrix's shapes. Membership changes are read from
`m.room.member` state events (content vs `unsigned.prev_content`); a display-name
change is a `join` → `join` transition with a new `displayname`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from qunyun.events import (
    MUTED_UNTIL_LIFTED,
    Event,
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
    UserRef,
    utc,
)

PLATFORM = "matrix"
# Some clients percent-encode the user id in a pill (%40alice%3Aserver): both are mentions.
_PILL = re.compile(r'href="https://matrix\.to/#/((?:@|%40)[^"?]+)"')
_MEDIA = {"m.image": "photo", "m.video": "video", "m.file": "file", "m.audio": "audio"}


def source_for(homeserver: str) -> str:
    """The event-log source for a homeserver: Matrix event ids are unique per server."""
    return f"matrix:{homeserver}"


def _user(user_id: str, name: str | None = None) -> UserRef:
    # An unknown name stays unknown (None): a localpart stand-in would be recorded as the
    # member's new display name and nickname (what happened after a restart).
    return UserRef(PLATFORM, user_id, name or None)


def _mentions(content: Mapping[str, Any]) -> tuple[str, ...]:
    explicit = content.get("m.mentions", {}).get("user_ids") or []
    pills = [unquote(p) for p in _PILL.findall(str(content.get("formatted_body", "")))]
    return tuple(dict.fromkeys([*explicit, *pills]))


def translate(
    raw: Mapping[str, Any],
    *,
    room: GroupRef,
    source: str,
    names: Mapping[str, str] | None = None,
) -> Event | None:
    """One timeline event → a qunyun event, or None for what qunyun does not track."""
    kind = raw.get("type")
    sender = str(raw.get("sender", ""))
    event_id = str(raw.get("event_id", ""))
    ts = raw.get("origin_server_ts")
    if not sender or not event_id or not isinstance(ts, int | float):
        return None
    at = utc(ts / 1000)
    content: Mapping[str, Any] = raw.get("content") or {}
    names = names or {}
    base: dict[str, Any] = {"source": source, "source_event_id": event_id, "group": room, "at": at}
    if kind == "m.room.message":
        if not content:  # a redacted message keeps its envelope only
            return None
        relates = content.get("m.relates_to") or {}
        if relates.get("rel_type") == "m.replace":
            new = content.get("m.new_content") or {}
            return MessagePosted(**base, actor=_user(sender, names.get(sender)),
                                 text=str(new.get("body", "")), edited=True,
                                 reply_to=relates.get("event_id"))
        reply = (relates.get("m.in_reply_to") or {}).get("event_id")
        msgtype = str(content.get("msgtype", "m.text"))
        return MessagePosted(
            **base, actor=_user(sender, names.get(sender)), text=str(content.get("body", "")),
            reply_to=reply, mentions=_mentions(content), media=_MEDIA.get(msgtype),
        )
    if kind == "m.room.member":
        member = str(raw.get("state_key", ""))
        now = str(content.get("membership", ""))
        prev_content = (raw.get("unsigned") or {}).get("prev_content") or {}
        before = str(prev_content.get("membership", "leave"))
        name = content.get("displayname") or prev_content.get("displayname")
        who = _user(member, name)
        if now == "join" and before != "join":
            inviter = None
            if before == "invite":
                prev_sender = (raw.get("unsigned") or {}).get("prev_sender")
                inviter = _user(prev_sender, names.get(prev_sender)) if prev_sender else None
            return MemberJoined(**base, member=who, inviter=inviter,
                                via="invite" if before == "invite" else "link")
        if now == "knock" and before != "knock":
            # G1: a knock (join rule `knock`) is an application; its reason is the answer.
            return JoinRequested(**base, member=who, answer=str(content.get("reason") or ""))
        if now == "join" and before == "join":
            old, new = prev_content.get("displayname"), content.get("displayname")
            if new and new != old:
                return NicknameChanged(**base, member=who, old=old, new=str(new))
            return None
        if now in ("leave", "ban") and before == "join":
            remover = _user(sender, names.get(sender)) if sender != member else None
            return MemberLeft(**base, member=who, removed_by=remover)
        return None
    if kind == "m.reaction":
        rel = content.get("m.relates_to") or {}
        if rel.get("rel_type") == "m.annotation" and rel.get("event_id"):
            return ReactionAdded(**base, actor=_user(sender, names.get(sender)),
                                 target_event_id=str(rel["event_id"]), key=str(rel.get("key", "")))
        return None
    if kind == "m.room.power_levels":
        # The whole room muted (like QQ's 全员禁言): `events_default` raised above what
        # members hold (`users_default`), or lowered back. The room's first levels (no
        # `prev_content`) are its creation, not an admin's act.
        prev = (raw.get("unsigned") or {}).get("prev_content")
        if not isinstance(prev, Mapping) or raw.get("state_key") != "":
            return None
        closed_before, closed_now = _closed(prev), _closed(content)
        if closed_before != closed_now:
            return GroupMuted(**base, actor=_user(sender, names.get(sender)), on=closed_now)
        # One member muted (Element's "mute": their level set below `events_default`) or
        # let speak again. Element changes one member per event; an event that changes
        # several at once is left to the room's state (the log keeps one member per event).
        changed = [str(u) for u in sorted(set(_users(prev)) | set(_users(content)))
                   if _silent(prev, u) != _silent(content, u)]
        if len(changed) != 1:
            return None
        silenced = changed[0]
        muted = _silent(content, silenced)
        return MemberMuted(**base, member=_user(silenced, names.get(silenced)),
                           by=_user(sender, names.get(sender)),
                           seconds=MUTED_UNTIL_LIFTED if muted else 0)
    if kind == "m.room.redaction":
        target = raw.get("redacts") or content.get("redacts")
        return MessageRecalled(**base, actor=_user(sender, names.get(sender)),
                               target_event_id=str(target) if target else None)
    return None


def _level(value: Any) -> int:
    return int(value) if isinstance(value, int | str) and str(value).lstrip("-").isdigit() \
        else 0


def _closed(levels: Mapping[str, Any]) -> bool:
    """Members cannot post: the level for sending events is above members' level."""
    return _level(levels.get("events_default", 0)) > _level(levels.get("users_default", 0))


def _users(levels: Mapping[str, Any]) -> Mapping[str, Any]:
    users = levels.get("users")
    return users if isinstance(users, Mapping) else {}


def _silent(levels: Mapping[str, Any], user_id: str) -> bool:
    """This member's level is below what sending a message needs."""
    own = _users(levels).get(user_id, levels.get("users_default", 0))
    return _level(own) < _level(levels.get("events_default", 0))


def image_url(raw: Mapping[str, Any]) -> str | None:
    """The mxc:// URL of an image message (the bot downloads it to look for QR codes)."""
    content = raw.get("content") or {}
    if raw.get("type") == "m.room.message" and content.get("msgtype") == "m.image":
        url = content.get("url")
        return str(url) if isinstance(url, str) and url.startswith("mxc://") else None
    return None

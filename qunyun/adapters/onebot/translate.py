"""OneBot 11 → qunyun events, and qunyun text → OneBot message segments.

Only this package knows OneBot's shapes (the "事件" and "消息段" sections of the OneBot 11
standard, github.com/botuniverse/onebot-11). QQ numbers are the user and group ids.
A message's id is its `message_id` (what `delete_msg` and a `reply` segment take); a
notice has no id of its own, so its event id is built from its fields (type, group, user,
time): re-delivered after a reconnect, it is the same event and reaches no policy twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from qunyun.events import (
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

PLATFORM = "qq"
# What a non-text segment is, as the event log names media.
_MEDIA = {"image": "photo", "record": "audio", "video": "video", "file": "file",
          "face": "sticker", "mface": "sticker"}


def source_for(self_id: str) -> str:
    """The event-log source: message ids are unique per bot account (per implementation)."""
    return f"onebot:{self_id}"


def user(user_id: Any, name: str | None = None) -> UserRef:
    return UserRef(PLATFORM, str(user_id), name or None)


def _segments(message: Any) -> list[Mapping[str, Any]]:
    # The array form is the standard's default; a CQ-code string (`message_format: string`)
    # carries no structure we can rely on, so it is read as plain text.
    if isinstance(message, str):
        return [{"type": "text", "data": {"text": message}}]
    return [s for s in message or [] if isinstance(s, Mapping)]


def _message(raw: Mapping[str, Any], base: dict[str, Any], self_id: str) -> MessagePosted:
    sender = raw.get("sender") or {}
    name = sender.get("card") or sender.get("nickname")
    text: list[str] = []
    mentions: list[str] = []
    reply_to: str | None = None
    media: str | None = None
    for seg in _segments(raw.get("message")):
        kind, data = str(seg.get("type")), seg.get("data") or {}
        if kind == "text":
            text.append(str(data.get("text", "")))
        elif kind == "at":
            qq = str(data.get("qq", ""))
            if qq == "all":
                text.append("@全体成员")
            elif qq:
                mentions.append(qq)
                text.append(f"@{data.get('name') or qq}")
        elif kind == "reply":
            reply_to = str(data.get("id")) if data.get("id") is not None else None
        elif kind in _MEDIA:
            media = media or _MEDIA[kind]
        elif kind == "forward":
            media = media or "forward"
    return MessagePosted(**base, actor=user(raw.get("user_id"), name), text="".join(text),
                         reply_to=reply_to, mentions=tuple(dict.fromkeys(mentions)),
                         media=media, forwarded=any(s.get("type") == "forward"
                                                    for s in _segments(raw.get("message"))))


def image_url(raw: Mapping[str, Any]) -> str | None:
    """The first image segment's `url` (the bot downloads it for the QR check)."""
    if raw.get("post_type") != "message":
        return None
    for seg in _segments(raw.get("message")):
        if seg.get("type") == "image":
            url = (seg.get("data") or {}).get("url")
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                return url
    return None


def event_id(raw: Mapping[str, Any]) -> str:
    if raw.get("post_type") == "message":
        return str(raw.get("message_id"))
    if raw.get("post_type") == "request" and raw.get("flag"):
        return f"r:{raw.get('request_type')}:{raw.get('flag')}"
    parts = [raw.get("notice_type") or raw.get("request_type"), raw.get("sub_type"),
             raw.get("group_id"), raw.get("user_id"), raw.get("message_id"), raw.get("time")]
    return "n:" + ":".join("" if p is None else str(p) for p in parts)


def translate(raw: Mapping[str, Any], *, source: str, group_names: Mapping[str, str],
              names: Mapping[str, str], admin_group: str | None = None) -> Event | None:
    """One OneBot event → a qunyun event, or None for what qunyun does not track (private
    chat outside the bot's DMs, heartbeats, the bot's own messages, other notices)."""
    post = raw.get("post_type")
    self_id = str(raw.get("self_id", ""))
    ts = raw.get("time")
    if not isinstance(ts, int | float):
        return None
    base: dict[str, Any] = {"source": source, "source_event_id": event_id(raw), "at": utc(ts)}
    if post == "message" and raw.get("message_type") == "private":
        uid = str(raw.get("user_id"))
        dm = GroupRef(PLATFORM, f"private:{uid}", None, "direct")
        return _message(raw, {**base, "group": dm}, self_id)
    group_id = raw.get("group_id")
    if group_id is None or str(group_id) == admin_group:
        return None  # the admins' group is not community activity
    group = GroupRef(PLATFORM, str(group_id), group_names.get(str(group_id)))
    base["group"] = group
    if post == "message" and raw.get("message_type") == "group":
        if str(raw.get("user_id")) == self_id:
            return None
        return _message(raw, base, self_id)
    if post == "request":
        # 加群请求: `add` is someone applying (G1); `invite` is the bot asked into a group.
        if raw.get("request_type") != "group" or raw.get("sub_type") != "add":
            return None
        uid = str(raw.get("user_id", ""))
        return JoinRequested(**base, member=user(uid, names.get(uid)),
                             answer=str(raw.get("comment") or ""), handle=str(raw.get("flag")))
    if post != "notice":
        return None
    notice = raw.get("notice_type")
    uid = str(raw.get("user_id", ""))
    operator = raw.get("operator_id")
    op = user(operator, names.get(str(operator))) if operator not in (None, 0, "0") else None
    if notice == "group_increase":
        if uid == self_id:
            return None
        invited = raw.get("sub_type") == "invite"
        return MemberJoined(**base, member=user(uid, names.get(uid)),
                            inviter=op if invited and op and op.user_id != uid else None,
                            via="invite" if invited else "application")
    if notice == "group_decrease":
        if raw.get("sub_type") == "kick_me":
            return None  # the bot itself was removed: not a member's leave
        removed_by = op if raw.get("sub_type") == "kick" and op and op.user_id != uid else None
        return MemberLeft(**base, member=user(uid, names.get(uid)), removed_by=removed_by)
    if notice == "group_recall":
        return MessageRecalled(**base, actor=op or user(uid),
                               target_event_id=str(raw.get("message_id")))
    if notice == "group_card" and raw.get("card_new"):
        # 群名片变更: not in the OneBot 11 standard, but NapCat, LLOneBot, Lagrange.OneBot
        # and go-cqhttp send it (go-cqhttp's "群成员名片更新" section). An emptied card
        # falls back to the QQ nickname, which the notice does not carry: left out.
        new = str(raw["card_new"])
        return NicknameChanged(**base, member=user(uid, new),
                               old=str(raw.get("card_old") or "") or None, new=new)
    if notice == "group_ban" and raw.get("sub_type") in ("ban", "lift_ban"):
        # 群禁言 (onebot-11 event/notice.md): an admin's mute; `user_id` 0 is the whole group
        # muted at once (全员禁言), the group's record rather than one member's.
        if uid in ("", "0"):
            return GroupMuted(**base, actor=op, on=raw.get("sub_type") == "ban")
        seconds = int(raw.get("duration") or 0) if raw.get("sub_type") == "ban" else 0
        return MemberMuted(**base, member=user(uid, names.get(uid)), by=op, seconds=seconds)
    if (reaction := _reaction(raw)) is not None:
        who, key = reaction
        return ReactionAdded(**{**base, "source_event_id":
                                f"re:{group_id}:{raw.get('message_id')}:{who}:{key}"},
                             actor=user(who, names.get(who)), key=key,
                             target_event_id=str(raw.get("message_id")))
    return None  # group_admin, poke…: recorded by the platform, not by qunyun


def _reaction(raw: Mapping[str, Any]) -> tuple[str, str] | None:
    """(who, emoji code) of a reaction added to a group message. Not in the OneBot 11
    standard: NapCat and LLOneBot send `group_msg_emoji_like` (`user_id`, `likes`
    [{emoji_id, count}], `is_add`), Lagrange.OneBot `reaction` (`sub_type` add/remove,
    `operator_id`, `code`). A removed reaction is left out (a reaction is counted once)."""
    notice = raw.get("notice_type")
    if notice == "group_msg_emoji_like" and raw.get("is_add", True) is not False:
        likes = [x for x in raw.get("likes") or [] if isinstance(x, Mapping)]
        who = raw.get("user_id")
        if likes and who not in (None, 0, "0") and likes[0].get("emoji_id") is not None:
            return str(who), str(likes[0]["emoji_id"])
    if notice == "reaction" and raw.get("sub_type") == "add" and raw.get("code") is not None:
        who = raw.get("operator_id")
        if who not in (None, 0, "0"):
            return str(who), str(raw["code"])
    return None


def sender_name(raw: Mapping[str, Any]) -> str | None:
    """The name a group message shows for its sender: the group card, else the nickname."""
    sender = raw.get("sender") or {}
    name = sender.get("card") or sender.get("nickname")
    return str(name) if name else None


def renamed(raw: Mapping[str, Any], *, source: str, old: str | None,
            group_name: str | None = None) -> NicknameChanged | None:
    """The standard has no rename notice: a group message whose sender's name differs from
    the one last seen in that group (the member list read on start, or an earlier message)
    says the member renamed themselves. Its id follows the message's, so a re-delivered
    message does not rename them twice."""
    new = sender_name(raw)
    ts = raw.get("time")
    if (raw.get("post_type") != "message" or raw.get("message_type") != "group" or not old
            or not new or new == old or not isinstance(ts, int | float)):
        return None
    uid = str(raw.get("user_id"))
    group = GroupRef(PLATFORM, str(raw.get("group_id")), group_name)
    return NicknameChanged(source=source, source_event_id=f"{raw.get('message_id')}:nick",
                           group=group, at=utc(ts), member=user(uid, new), old=old, new=new)


def listed_rename(*, source: str, group: GroupRef, user_id: str, old: str, new: str,
                  at_s: float) -> NicknameChanged:
    """A rename read from `get_group_member_list` on start (the card there is not the name
    the log holds). Its id is the group, the member and the time it was read: the
    same read handled twice is one rename."""
    return NicknameChanged(source=source, source_event_id=f"list:{group.group_id}:{user_id}:"
                                                          f"nick:{int(at_s)}",
                           group=group, at=utc(at_s), member=user(user_id, new), old=old,
                           new=new)


def to_segments(text: str, mentions: Sequence[tuple[str, str]] = (),
                reply_to: str | None = None) -> list[dict[str, Any]]:
    """A bot message as segments: each "@name" the text writes for a mentioned member
    becomes an `at` segment (QQ notifies them); a mention the text does not write is put
    first. `reply_to` makes it a reply to that message."""
    segs: list[dict[str, Any]] = []
    if reply_to:
        segs.append({"type": "reply", "data": {"id": reply_to}})
    pieces: list[str | tuple[str, str]] = [text]
    unplaced: list[str] = []
    # Longest names first, so "@李四五" is not split into "@李四" plus "五".
    for qq, name in sorted(dict.fromkeys(mentions), key=lambda m: -len(m[1])):
        placed = False
        out: list[str | tuple[str, str]] = []
        for piece in pieces:
            if isinstance(piece, tuple) or placed:
                out.append(piece)
                continue
            for label in (f"@{name}", f"@{qq}"):
                if label in piece:
                    before, _, after = piece.partition(label)
                    out.extend([before, ("at", qq), after])
                    placed = True
                    break
            else:
                out.append(piece)
        pieces = out
        if not placed:
            unplaced.append(qq)
    for qq in unplaced:
        segs.append({"type": "at", "data": {"qq": qq}})
        segs.append({"type": "text", "data": {"text": " "}})
    for piece in pieces:
        if isinstance(piece, tuple):
            segs.append({"type": "at", "data": {"qq": piece[1]}})
        elif piece:
            segs.append({"type": "text", "data": {"text": piece}})
    return segs

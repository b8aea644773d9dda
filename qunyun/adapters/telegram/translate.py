"""Telegram Bot API updates → qunyun events (python-telegram-bot's objects stay here).

- A message's id is `chat_id:message_id` (Telegram numbers messages per chat); `split_id`
  reads it back for deleteMessage and replies.
- Joins and leaves are read from `chat_member` updates (ChatMemberUpdated: old vs new
  status), not from the `new_chat_members` service message, which misses joins in large
  groups and carries no invite link. The link's `name` is how G2 attributes a join: the
  bot's per-member links are named `LINK_PREFIX + user id`.
- A member's restriction from sending (ChatMemberRestricted, `can_send_messages` false)
  set or lifted by an admin is a `MemberMuted`, with its `until_date` as the seconds.
- `chat_join_request` is a `JoinRequested` (G1): its handle is `user_chat_id` (the bot may
  write there for five minutes), its answer the applicant's bio, its inviter the link's.
"""

from __future__ import annotations

from typing import Any

from telegram import (
    ChatInviteLink,
    ChatMemberUpdated,
    Message,
    MessageReactionUpdated,
    ReactionTypeEmoji,
    Update,
)
from telegram import User as TgUser

from qunyun.events import (
    MUTED_UNTIL_LIFTED,
    Event,
    GroupRef,
    JoinRequested,
    MemberJoined,
    MemberLeft,
    MemberMuted,
    MessagePosted,
    ReactionAdded,
    UserRef,
)

PLATFORM = "telegram"
LINK_PREFIX = "qy-"
MEMBER_STATUSES = ("member", "administrator", "creator", "restricted")


def source_for(bot_id: int | str) -> str:
    return f"telegram:{bot_id}"


def message_id(chat_id: int, mid: int) -> str:
    return f"{chat_id}:{mid}"


def split_id(event_id: str) -> tuple[int, int]:
    chat, _, mid = event_id.rpartition(":")
    return int(chat), int(mid)


def user(u: TgUser | None) -> UserRef | None:
    if u is None:
        return None
    return UserRef(PLATFORM, str(u.id), u.full_name or u.username or None)


def _is_member(update: ChatMemberUpdated, which: str) -> bool:
    member = getattr(update, which)
    if member.status == "restricted":
        return bool(getattr(member, "is_member", True))
    return member.status in MEMBER_STATUSES


def _silenced(update: ChatMemberUpdated, which: str) -> bool:
    """Restricted from sending messages (restrictChatMember, the admins' 禁言)."""
    member = getattr(update, which)
    return member.status == "restricted" and not getattr(member, "can_send_messages", True)


def _mute_seconds(update: ChatMemberUpdated) -> int:
    """How long the restriction lasts. The Bot API: `until_date` 0, or more than 366 days
    or less than 30 seconds away, is for ever."""
    until = getattr(update.new_chat_member, "until_date", None)
    left = int(until.timestamp() - update.date.timestamp()) if until is not None else 0
    return left if 30 <= left <= MUTED_UNTIL_LIFTED else MUTED_UNTIL_LIFTED


def _group(chat: Any, admin_chat: str | None) -> GroupRef | None:
    if chat.type == "private":
        return GroupRef(PLATFORM, str(chat.id), None, "direct")
    if str(chat.id) == admin_chat:
        return None
    return GroupRef(PLATFORM, str(chat.id), chat.title)


def _message(m: Message, base: dict[str, Any], edited: bool) -> MessagePosted | None:
    actor = user(m.from_user)
    if actor is None:
        return None
    text = m.text or m.caption or ""
    mentions: list[str] = []
    for entity in (m.entities or m.caption_entities or ()):
        if entity.type == "text_mention" and entity.user is not None:
            mentions.append(str(entity.user.id))
    media = ("photo" if m.photo else "video" if m.video else "file" if m.document
             else "sticker" if m.sticker else "audio" if (m.voice or m.audio) else None)
    reply = (message_id(m.chat.id, m.reply_to_message.message_id)
             if m.reply_to_message is not None else None)
    return MessagePosted(**base, actor=actor, text=text, reply_to=reply,
                         mentions=tuple(dict.fromkeys(mentions)), media=media,
                         forwarded=m.forward_origin is not None, edited=edited)


def _link_inviter(link: ChatInviteLink | None, bot_id: int) -> UserRef | None:
    """G2: whose link it is — the member named in a bot-made link, or the admin who made it."""
    if link is None:
        return None
    if link.name and link.name.startswith(LINK_PREFIX):
        return UserRef(PLATFORM, link.name[len(LINK_PREFIX):])
    if link.creator is not None and link.creator.id != bot_id:
        return user(link.creator)
    return None


def translate(update: Update, *, source: str, bot_id: int,
              admin_chat: str | None = None) -> Event | None:
    """One update → a qunyun event, or None for what qunyun does not track."""
    if update.message or update.edited_message:
        m = update.message or update.edited_message
        assert m is not None
        group = _group(m.chat, admin_chat)
        if group is None or m.from_user is None or m.from_user.id == bot_id:
            return None
        if m.new_chat_members or m.left_chat_member:
            return None  # the chat_member update says it, with the link
        at = m.edit_date if update.edited_message and m.edit_date else m.date
        sid = message_id(m.chat.id, m.message_id)
        if update.edited_message:
            sid += f":e{int(at.timestamp())}"
        return _message(m, {"source": source, "source_event_id": sid, "group": group,
                            "at": at}, edited=update.edited_message is not None)
    if update.chat_member:
        cm = update.chat_member
        group = _group(cm.chat, admin_chat)
        if group is None or group.kind == "direct":
            return None
        member = user(cm.new_chat_member.user)
        assert member is not None
        base: dict[str, Any] = {"source": source, "group": group, "at": cm.date,
                "source_event_id": f"cm:{cm.chat.id}:{member.user_id}:{int(cm.date.timestamp())}"}
        was, now = _is_member(cm, "old_chat_member"), _is_member(cm, "new_chat_member")
        actor = user(cm.from_user)
        if now and not was:
            link = cm.invite_link
            if link is not None:
                return MemberJoined(**base, member=member, inviter=_link_inviter(link, bot_id),
                                    via="link")
            if actor is not None and actor.user_id != member.user_id:
                return MemberJoined(**base, member=member, inviter=actor, via="invite")
            via = "application" if cm.via_join_request else "link"
            return MemberJoined(**base, member=member, via=via)
        by = actor if actor is not None and actor.user_id != member.user_id else None
        if was and not now:
            return MemberLeft(**base, member=member, removed_by=by)
        if was and now and _silenced(cm, "new_chat_member") != _silenced(cm, "old_chat_member"):
            seconds = _mute_seconds(cm) if _silenced(cm, "new_chat_member") else 0
            return MemberMuted(**base, member=member, by=by, seconds=seconds)
        return None
    if update.chat_join_request:
        jr = update.chat_join_request
        group = _group(jr.chat, admin_chat)
        applicant = user(jr.from_user)
        if group is None or group.kind == "direct" or applicant is None:
            return None
        return JoinRequested(source=source, group=group, at=jr.date, member=applicant,
                             source_event_id=f"jr:{jr.chat.id}:{applicant.user_id}:"
                                             f"{int(jr.date.timestamp())}",
                             answer=jr.bio or "", handle=str(jr.user_chat_id),
                             inviter=_link_inviter(jr.invite_link, bot_id))
    if update.message_reaction:
        r: MessageReactionUpdated = update.message_reaction
        group = _group(r.chat, admin_chat)
        actor = user(r.user)
        emoji = [x.emoji for x in r.new_reaction if isinstance(x, ReactionTypeEmoji)]
        if group is None or actor is None or not emoji:
            return None
        return ReactionAdded(source=source, group=group, at=r.date, actor=actor,
                             source_event_id=f"re:{r.chat.id}:{r.message_id}:{actor.user_id}:"
                                             f"{emoji[0]}",
                             target_event_id=message_id(r.chat.id, r.message_id), key=emoji[0])
    return None


def largest_photo(update: Update) -> str | None:
    """The file id of a message's largest photo size (downloaded for the QR check)."""
    m = update.message
    if m is None or not m.photo:
        return None
    return max(m.photo, key=lambda p: p.width * p.height).file_id

"""Telegram Desktop JSON exports (I2): single-chat and full-account shapes.

The file is memory-mapped and its structure read once by msgspec (C): each message stays
an undecoded slice (`msgspec.Raw`) until its turn, and is then decoded into a struct of
only the fields qunyun reads, so a million-message export costs a few hundred MB and
about a second to read. A truncated or broken file is refused with the byte offset
before anything is written. Service messages name members by display name only; they
are kept aside and emitted at the end, when every author's name → id is known, so a
name that belongs to exactly one account resolves to it and an ambiguous one is recorded.
`date` is local time with no offset, so `date_unixtime` is used whenever present; older
Desktop exports have only `date`, read in --tz like the other formats without offsets.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from qunyun.domain.deleted_accounts import is_deleted_name
from qunyun.event_batch import (
    BATCH,
    NAME_LIMIT,
    EventBatch,
    Refs,
    message_payload,
    reaction_payload,
)
from qunyun.events import Event, GroupRef, MemberJoined, MemberLeft, UserRef
from qunyun.importers.base import (
    DEFAULT_TZ,
    EVENT_ID_LIMIT,
    FIRST_YEAR,
    ID_LIMIT,
    LAST_YEAR,
    MAX_MS,
    MIN_MS,
    ImportFormatError,
    ImportStats,
    ParsedExport,
    deleted_account,
    from_unix,
)

PLATFORM = "telegram"
FIRST_BATCH = 8_192


class _Message(msgspec.Struct, gc=False):
    """The fields of one exported message that qunyun reads (every other is skipped)."""

    id: Any = None
    type: Any = None
    date: Any = None
    date_unixtime: Any = None
    from_: Any = msgspec.field(default=None, name="from")
    from_id: Any = None
    text: Any = ""
    reply_to_message_id: Any = None
    media_type: Any = None
    photo: Any = None
    sticker_emoji: Any = None
    poll: Any = None
    file: Any = None
    forwarded_from: Any = None
    edited: Any = None
    edited_unixtime: Any = None
    reactions: Any = None
    actor: Any = None
    actor_id: Any = None
    action: Any = None
    members: Any = None
    inviter: Any = None


class _Chat(msgspec.Struct):
    id: Any = None
    name: Any = None
    type: Any = None
    messages: list[msgspec.Raw] | None = None


class _ChatHead(msgspec.Struct):
    id: Any = None
    name: Any = None
    type: Any = None


class _ChatList(msgspec.Struct):
    entries: list[msgspec.Raw] = msgspec.field(default_factory=list, name="list")


class _Export(msgspec.Struct):
    """Either shape: a single chat (`messages`) or a whole account (`chats`, `left_chats`)."""

    id: Any = None
    name: Any = None
    type: Any = None
    messages: list[msgspec.Raw] | None = None
    chats: _ChatList | None = None
    left_chats: _ChatList | None = None


_DECODE_MESSAGE = msgspec.json.Decoder(_Message).decode
_BYTE = re.compile(r"\(byte (\d+)\)")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(p if isinstance(p, str) else str(p.get("text", "")) for p in value
                       if isinstance(p, str | dict))
    return ""


def _parse_date(date: Any, tz: ZoneInfo) -> datetime | None:
    """`date` has no offset: the exporting computer's local time, read in `tz` (--tz)."""
    if isinstance(date, str):
        try:
            at = datetime.fromisoformat(date)
        except ValueError:
            return None
        if not FIRST_YEAR <= at.year <= LAST_YEAR:
            return None
        return (at.replace(tzinfo=tz) if at.tzinfo is None else at).astimezone(UTC)
    return None


def _ms(msg: _Message, tz: ZoneInfo) -> int | None:
    """The message's time in ms since the epoch, from `date_unixtime` when it is there
    (older Desktop exports have only `date`); None when missing, malformed or out of range."""
    unix = msg.date_unixtime
    if unix is not None:
        try:
            ms = int(unix) * 1000
        except (TypeError, ValueError, OverflowError):
            return None
        return ms if MIN_MS <= ms < MAX_MS else None
    at = _parse_date(msg.date, tz)
    return int(at.timestamp() * 1000) if at is not None else None


def _utc(ts_ms: int) -> datetime:
    return datetime.fromtimestamp(ts_ms / 1000, UTC)


def _when(recent: dict[str, Any], tz: ZoneInfo) -> datetime | None:
    unix = recent.get("date_unixtime")
    if unix is not None:
        try:
            return from_unix(int(unix))
        except (TypeError, ValueError, OverflowError):
            return None
    return _parse_date(recent.get("date"), tz)


def _media(msg: _Message) -> str | None:
    if msg.media_type:
        return str(msg.media_type)
    if msg.photo:
        return "photo"
    if msg.sticker_emoji:
        return "sticker"
    if msg.poll:
        return "poll"
    if msg.file:
        return "file"
    return None


def _payload(msg: _Message) -> str | None:
    """A message's payload as stored: its media, forwarded and edited, if any."""
    media = _media(msg)
    forwarded = bool(msg.forwarded_from)
    edited = bool(msg.edited or msg.edited_unixtime)
    return (message_payload(media=media, forwarded=forwarded, edited=edited)
            if media or forwarded or edited else None)


class _Reader:
    """State while reading one chat."""

    def __init__(self, chat_id: str, name: str | None, stats: ImportStats,
                 tz: ZoneInfo = DEFAULT_TZ) -> None:
        self.group = GroupRef(PLATFORM, chat_id, name)
        self.source = f"import:telegram:{chat_id}"
        self.stats = stats
        self.tz = tz
        self.refs = Refs()
        self.group_index = self.refs.group(self.group)
        self.ids_by_name: dict[str, set[str]] = {}
        self.service: list[tuple[int, _Message, datetime]] = []
        # One ref per (id, name) seen, and its `Refs` index with the name as stored: a few
        # thousand senders write most of a million messages.
        self._refs: dict[tuple[str, str | None], UserRef] = {}
        self._senders: dict[tuple[Any, Any], tuple[int, str | None]] = {}
        self._payloads: dict[str, str] = {}  # reaction key → its payload as stored

    def user(self, user_id: str, name: Any) -> UserRef:
        name = name if isinstance(name, str) else None
        ref = self._refs.get((user_id, name))
        if ref is None and is_deleted_name(name):  # keyed by its own id, never by the name
            assert name is not None
            ref = self._refs[(user_id, name)] = deleted_account(PLATFORM, user_id, name,
                                                                self.stats)
        if ref is None:
            if name:
                self.ids_by_name.setdefault(name, set()).add(user_id)
            self.stats.members.add(user_id)
            ref = self._refs[(user_id, name)] = UserRef(PLATFORM, user_id, name)
        return ref

    def sender(self, from_id: Any, name: Any) -> tuple[int, str | None]:
        """(`Refs` index, display name as stored) of a message's sender."""
        found = self._senders.get((from_id, name))
        if found is None:
            ref = self.user(str(from_id), name)
            shown = ref.display_name[:NAME_LIMIT] if ref.display_name else None
            found = self._senders[(from_id, name)] = (self.refs.user(ref), shown)
        return found

    def by_name(self, name: str, where: str) -> UserRef:
        """The account a service message names; a deleted account's placeholder is an
        unknown author of its own, keyed by `where` (the message and its place in it)."""
        if is_deleted_name(name):
            return deleted_account(PLATFORM, f"deleted:{where}", name, self.stats)
        ids = self.ids_by_name.get(name, set())
        if len(ids) == 1:
            return UserRef(PLATFORM, next(iter(ids)), name)
        if len(ids) > 1:
            self.stats.ambiguous_names[name] = sorted(ids)
        key = f"name:{name}"
        self.stats.members.add(key)
        return UserRef(PLATFORM, key, name)

    def message(self, batch: EventBatch, msg: _Message, index: int) -> None:
        """Add the message and its reactions to `batch`. Service messages wait for
        `service_events`; unusable ones are counted as skipped. The hot path of a
        million-message import: no event object is built for a message."""
        msg_id = msg.id
        if msg_id is None:  # numbered by its place in the chat, the same in a re-import
            msg_id = msg.id = f"pos:{index}"
        elif type(msg_id) is not int and (type(msg_id) is not str or len(msg_id) > ID_LIMIT):
            self.stats.skip(index, "消息 id 无效 / bad message id")
            return
        ts_ms = _ms(msg, self.tz)
        if ts_ms is None:
            self.stats.skip(index, "缺少时间、时间无效或超出范围 / no date, bad date or date "
                            "out of range")
            return
        if msg.type == "service":
            self.service.append((index, msg, _utc(ts_ms)))
            return
        from_id = msg.from_id
        if from_id is None or from_id == "":
            self.stats.skip(index, "没有发送者 / no sender")
            return
        if type(from_id) is int:  # older Desktop exports: a bare number for a user
            from_id = f"user{from_id}"
        elif type(from_id) is not str or len(from_id) > ID_LIMIT:
            self.stats.skip(index, "发送者 id 无效 / bad sender id")
            return
        shown_as = msg.from_
        actor, name = self.sender(from_id, shown_as if type(shown_as) is str else None)
        text = msg.text
        if type(text) is not str:
            text = _text(text)
        reply = msg.reply_to_message_id
        batch.add_message(
            self.source, str(msg_id), ts_ms, self.group_index, actor, name, text,
            str(reply) if type(reply) is int or (type(reply) is str and len(reply) <= ID_LIMIT)
            else None,
            _payload(msg))
        self.stats.messages += 1
        if msg.reactions is not None:
            self._reactions(batch, msg_id, msg.reactions, _utc(ts_ms), index)

    def _reactions(self, batch: EventBatch, msg_id: Any, reactions: Any, at: datetime,
                   index: int) -> None:
        for reaction in reactions if isinstance(reactions, list) else ():
            if not isinstance(reaction, dict):
                continue
            emoji, document = reaction.get("emoji"), reaction.get("document_id")
            key = str(emoji if emoji else document if document is not None else "?")
            recents = reaction.get("recent")
            for recent in recents if isinstance(recents, list) else ():
                who = recent.get("from_id") if isinstance(recent, dict) else None
                if who is None or who == "" or isinstance(who, dict | list):
                    continue
                if type(who) is int:
                    who = f"user{who}"
                elif len(str(who)) > ID_LIMIT:
                    continue
                event_id = f"{msg_id}:r:{who}:{key}"
                if len(event_id) > EVENT_ID_LIMIT:
                    self.stats.skip(index, "表情回应的 id 过长 / reaction id too long")
                    continue
                when = _when(recent, self.tz) or at
                self.stats.reactions += 1
                # As batch.add(ReactionAdded(…)) would add it, without the object.
                shown_as = recent.get("from")
                actor, name = self.sender(who, shown_as if type(shown_as) is str else None)
                payload = self._payloads.get(key)
                if payload is None:
                    payload = self._payloads[key] = reaction_payload(key)
                batch.add_reaction(self.source, event_id, int(when.timestamp() * 1000),
                                   self.group_index, actor, name, str(msg_id), payload)

    def service_events(self) -> Iterator[Event]:
        for index, msg, at in self.service:
            action = msg.action
            actor_id = msg.actor_id
            if type(actor_id) is int:
                actor_id = f"user{actor_id}"
            if actor_id is not None and (type(actor_id) is not str or len(actor_id) > ID_LIMIT):
                self.stats.skip(index, "发送者 id 无效 / bad sender id")
                continue
            actor = self.user(str(actor_id), msg.actor) if actor_id not in (None, "") else None
            base: dict[str, Any] = {"source": self.source, "group": self.group, "at": at}
            msg_id = str(msg.id)
            members = msg.members if isinstance(msg.members, list) else []
            if action == "create_group" and actor is not None:
                # The creator is a member too (without this, the group's owner — often its
                # most active member — has no membership and drops out of live tiers, T1).
                self.stats.joins += 1
                yield MemberJoined(**base, source_event_id=f"{msg_id}:creator", member=actor)
            if action in ("invite_members", "create_group"):
                for n, name in enumerate(members):
                    if not name:
                        self.stats.skip(index, "被邀请成员名为空 / invited member has no name")
                        continue
                    member = self.by_name(str(name), f"{msg_id}:{n}")
                    if actor and member.user_id == actor.user_id:
                        continue  # the creator listed among the members
                    self.stats.joins += 1
                    yield MemberJoined(**base, source_event_id=f"{msg_id}:{n}", member=member,
                                       inviter=actor, via="invite")
            elif action == "join_group_by_link":
                if actor is None:
                    self.stats.skip(index, "加入者未知 / joiner unknown")
                    continue
                inviter = (self.by_name(str(msg.inviter), f"{msg_id}:inviter")
                           if msg.inviter else None)
                self.stats.joins += 1
                yield MemberJoined(**base, source_event_id=msg_id, member=actor,
                                   inviter=inviter, via="link")
            elif action == "join_group_by_request":
                if actor is not None:
                    self.stats.joins += 1
                    yield MemberJoined(**base, source_event_id=msg_id, member=actor,
                                       via="application")
            elif action == "remove_members":
                for n, name in enumerate(members):
                    if not name:
                        self.stats.skip(index, "被移除成员名为空 / removed member has no name")
                        continue
                    # Someone who left by themselves is named as the actor: not looked up
                    # by name (a name others share would count a member of its own that
                    # no event holds; issue 12 walk16).
                    member = actor if actor is not None and name == msg.actor else \
                        self.by_name(str(name), f"{msg_id}:{n}")
                    by_themselves = actor is not None and member.user_id == actor.user_id
                    self.stats.leaves += 1
                    yield MemberLeft(**base, source_event_id=f"{msg_id}:{n}",
                                     member=actor if by_themselves and actor else member,
                                     removed_by=None if by_themselves else actor)
            else:
                self.stats.service += 1  # pin_message, migrate_*, edit_group_title …


def _chunk_ends(total: int) -> Iterator[int]:
    """Where each batch of the chat's messages ends: a small first one, so the database
    starts on it (members, then the merge) while the rest is read, and a small last one,
    so that little is left to merge once the reading is done (see `event_batch.prefetched`)."""
    end = min(FIRST_BATCH, total)
    yield end
    while end < total:
        left = total - end
        end += BATCH if left > BATCH + FIRST_BATCH else (
            left - FIRST_BATCH if left > 2 * FIRST_BATCH else left)
        yield end


def _batches(reader: _Reader, raws: Sequence[msgspec.Raw], position: list[int], size: int
             ) -> Iterator[EventBatch]:
    """The chat's events in batches; `position` advances through the file for progress.

    The hot loop of a big import (issue 12): a plain message — an int id, a
    `date_unixtime`, a sender's id — is added here, with what `_Reader.message` does for
    it spelled out inline (its calls and attribute look-ups were ~0.6 of the reading
    thread's ~1.1 CPU-seconds at 200k messages, holding the GIL the database thread
    needs); every other message (service, no date_unixtime, odd ids) goes through
    `_Reader.message` itself, at its place, so the batches are what it alone gives."""
    decode, message, stats = _DECODE_MESSAGE, reader.message, reader.stats
    senders, sender, reactions_of = reader._senders, reader.sender, reader._reactions
    source, group = reader.source, reader.group_index
    total, start = max(1, len(raws)), 0
    for end in _chunk_ends(len(raws)):
        batch = EventBatch(reader.refs)
        add_source, add_id, add_kind = (batch.source.append, batch.source_event_id.append,
                                        batch.kind.append)
        add_ts, add_group, add_actor = batch.ts_ms.append, batch.group.append, batch.actor.append
        add_name, add_related, add_text = (batch.name.append, batch.related.append,
                                           batch.text.append)
        add_ref, add_payload = batch.ref_id.append, batch.payload.append
        plain = 0
        for index in range(start + 1, end + 1):
            try:
                msg = decode(raws[index - 1])
            except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
                stats.skip(index, "不是消息对象 / not a message object")
                continue
            msg_id, unix, from_id = msg.id, msg.date_unixtime, msg.from_id
            if (type(msg_id) is int and type(unix) is str and type(from_id) is str and from_id
                    and len(from_id) <= ID_LIMIT and msg.type != "service"):
                try:
                    ts_ms = int(unix) * 1000
                except ValueError:
                    ts_ms = MAX_MS  # _Reader.message skips it, with the reason
                if MIN_MS <= ts_ms < MAX_MS:
                    shown_as = msg.from_
                    key = (from_id, shown_as if type(shown_as) is str else None)
                    found = senders.get(key)
                    if found is None:
                        found = sender(*key)
                    text = msg.text
                    if type(text) is not str:
                        text = _text(text)
                    reply = msg.reply_to_message_id
                    if (msg.media_type is None and msg.photo is None and msg.file is None
                            and msg.sticker_emoji is None and msg.poll is None
                            and msg.forwarded_from is None and msg.edited is None
                            and msg.edited_unixtime is None):
                        payload = None
                    else:
                        payload = _payload(msg)
                    add_source(source)
                    add_id(str(msg_id))
                    add_kind("message")
                    add_ts(ts_ms)
                    add_group(group)
                    add_actor(found[0])
                    add_name(found[1])
                    add_related(None)
                    add_text(text)
                    add_ref(str(reply) if type(reply) is int or (
                        type(reply) is str and len(reply) <= ID_LIMIT) else None)
                    add_payload(payload)
                    plain += 1
                    if msg.reactions is not None:
                        reactions_of(batch, msg_id, msg.reactions, _utc(ts_ms), index)
                    continue
            message(batch, msg, index)
        stats.messages += plain
        start = end
        position[0] = size * end // total
        if len(batch):
            yield batch
    batch = EventBatch(reader.refs)
    for event in reader.service_events():
        batch.add(event)
        if len(batch) >= BATCH:
            yield batch
            batch = EventBatch(reader.refs)
    position[0] = size
    if len(batch):
        yield batch


def _decode(path: Path, data: Any, kind: type[Any]) -> Any:
    try:
        return msgspec.json.decode(data, type=kind)
    except msgspec.DecodeError as exc:
        reason = str(exc)
        at = _BYTE.search(reason)
        raise ImportFormatError(
            str(path), f"JSON 不完整或损坏 / truncated or broken JSON: {reason}",
            offset=int(at[1]) if at else len(data)) from None
    except msgspec.ValidationError as exc:
        raise ImportFormatError(str(path), "JSON 不是 Telegram Desktop 导出 / JSON is not a "
                                f"Telegram Desktop export: {exc}", line=1) from None
    except RecursionError:
        raise ImportFormatError(str(path), "JSON 嵌套层数过多（不是聊天导出）/ JSON nested too "
                                "deeply (not a chat export)", offset=_too_deep(data)) from None


def _too_deep(data: Any, limit: int = 500) -> int:
    """Byte offset where the brackets first nest deeper than `limit` (strings skipped)."""
    depth, in_string, escaped_at = 0, False, -1
    for match in re.finditer(rb'[\[\]{}"\\]', data):
        char = match[0]
        if in_string:
            if match.start() == escaped_at:
                continue  # the character after a backslash
            if char == b"\\":
                escaped_at = match.end()
            elif char == b'"':
                in_string = False
            continue
        if char == b'"':
            in_string = True
        elif char in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return match.start()
        elif char in (b"]", b"}"):
            depth -= 1
    return 0


def _mapped(path: Path) -> mmap.mmap:
    try:
        with path.open("rb") as f:
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:
        raise ImportFormatError(str(path), f"无法读取 / cannot read: {exc}") from None


def open_telegram(path: Path, *, chat: str | None = None, tz: ZoneInfo = DEFAULT_TZ
                  ) -> ParsedExport:
    """A Telegram Desktop export of either shape; `chat` picks one from a full account."""
    data = _mapped(path)
    export: _Export = _decode(path, data, _Export)
    if export.messages is not None:
        chat_id, name, raws = str(export.id if export.id is not None else path.stem), \
            export.name, export.messages
    elif export.chats is not None or export.left_chats is not None:
        chat_id, name, raws = _pick_chat(path, export, chat)
    else:
        raise ImportFormatError(str(path), "JSON 不是 Telegram Desktop 导出（没有 messages 或 "
                                "chats）/ JSON is not a Telegram Desktop export", line=1)
    if len(chat_id) > ID_LIMIT:
        raise ImportFormatError(str(path), f"聊天 id 过长（超过 {ID_LIMIT} 个字符）/ chat id "
                                f"longer than {ID_LIMIT} characters", line=1)
    stats = ImportStats()
    reader = _Reader(chat_id, name[:NAME_LIMIT] if isinstance(name, str) else None, stats, tz)
    position = [0]
    size = path.stat().st_size
    return ParsedExport(str(path), "telegram", reader.group,
                        _batches(reader, raws, position, size), stats, size=size,
                        position=position, unit="message")


def _pick_chat(path: Path, export: _Export, chat: str | None
               ) -> tuple[str, Any, list[msgspec.Raw]]:
    entries = [raw for container in (export.chats, export.left_chats) if container is not None
               for raw in container.entries]
    heads = [_decode(path, raw, _ChatHead) for raw in entries]
    chats = [(raw, head) for raw, head in zip(entries, heads, strict=True)
             if head.type != "personal_chat" or chat]
    names = "; ".join(f"{head.id}={head.name}" for _, head in chats[:30])
    if chat is None:
        groups = [head for _, head in chats if "group" in str(head.type or "")]
        if len(groups) != 1:
            raise ImportFormatError(str(path), "完整账号导出包含多个聊天，请用 --chat 选择 / "
                                    f"full-account export: pick one with --chat ({names})")
        chat = str(groups[0].id)
    for raw, head in chats:
        if str(head.id) == chat or head.name == chat:
            picked: _Chat = _decode(path, raw, _Chat)
            return str(head.id), head.name, picked.messages or []
    raise ImportFormatError(str(path), f"没有找到聊天 {chat!r} / no chat {chat!r}；"
                            f"可选 choose from: {names}")

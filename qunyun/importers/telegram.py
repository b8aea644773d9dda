"""Telegram Desktop JSON exports (I2): single-chat and full-account shapes, streamed.

The file is streamed with ijson (C backend) so a million-message export is read in
bounded memory. Service messages name members by display name only; they are kept
aside and emitted at the end, when every author's name → id is known, so a name that
belongs to exactly one account resolves to it and an ambiguous one is recorded.
`date` is local time with no offset, so `date_unixtime` is used whenever present.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import ijson

from qunyun.events import (
    Event,
    GroupRef,
    MemberJoined,
    MemberLeft,
    MessagePosted,
    ReactionAdded,
    UserRef,
)
from qunyun.importers.base import ImportFormatError, ImportStats, ParsedExport

PLATFORM = "telegram"
_MEDIA_KEYS = (("photo", "photo"), ("sticker_emoji", "sticker"), ("poll", "poll"))

try:  # the C backend is ~10× faster; fall back to whatever ijson has
    _IJSON = ijson.get_backend("yajl2_c")
except Exception:  # pragma: no cover - depends on the wheel
    _IJSON = ijson


class _Counting:
    """File wrapper that remembers how many bytes were read (progress, error offsets)."""

    def __init__(self, raw: IO[bytes], position: list[int]) -> None:
        self.raw, self.position = raw, position

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.position[0] += len(data)
        return data


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(p if isinstance(p, str) else str(p.get("text", "")) for p in value
                       if isinstance(p, str | dict))
    return ""


def _when(msg: Mapping[str, Any]) -> datetime | None:
    unix = msg.get("date_unixtime")
    if unix is not None:
        try:
            return datetime.fromtimestamp(int(unix), UTC)
        except (TypeError, ValueError):
            return None
    date = msg.get("date")
    if isinstance(date, str):
        try:  # no offset in the file: the exporting computer's local time, taken as UTC
            return datetime.fromisoformat(date).replace(tzinfo=UTC)
        except ValueError:
            return None
    return None


def _media(msg: Mapping[str, Any]) -> str | None:
    if msg.get("media_type"):
        return str(msg["media_type"])
    for key, name in _MEDIA_KEYS:
        if msg.get(key):
            return name
    if msg.get("file"):
        return "file"
    return None


def top_level(path: Path) -> dict[str, Any]:
    """Scalar top-level keys and which containers exist, without reading the messages."""
    found: dict[str, Any] = {"_keys": []}
    with path.open("rb") as f:
        try:
            for prefix, event, value in _IJSON.parse(f):
                if prefix == "" and event == "map_key":
                    found["_keys"].append(value)
                elif "." not in prefix and prefix and event in ("string", "number", "boolean"):
                    found[prefix] = value
                elif prefix in ("messages", "chats") and event in ("start_array", "start_map"):
                    break
        except ijson.JSONError as exc:
            raise ImportFormatError(str(path), f"不是完整的 JSON / not valid JSON: {exc}",
                                    offset=f.tell()) from None
    return found


class _Chat:
    """State while reading one chat."""

    def __init__(self, path: str, chat_id: str, name: str | None, stats: ImportStats) -> None:
        self.path = path
        self.group = GroupRef(PLATFORM, chat_id, name)
        self.source = f"import:telegram:{chat_id}"
        self.stats = stats
        self.ids_by_name: dict[str, set[str]] = {}
        self.service: list[tuple[int, Mapping[str, Any], datetime]] = []
        # One ref per (id, name) seen: a few thousand senders write most of a million
        # messages, and building the ref and its bookkeeping once each is what that saves.
        self._refs: dict[tuple[str, str | None], UserRef] = {}

    def user(self, user_id: str, name: str | None) -> UserRef:
        ref = self._refs.get((user_id, name))
        if ref is None:
            if name:
                self.ids_by_name.setdefault(name, set()).add(user_id)
            self.stats.members.add(user_id)
            ref = self._refs[(user_id, name)] = UserRef(PLATFORM, user_id, name)
        return ref

    def by_name(self, name: str) -> UserRef:
        ids = self.ids_by_name.get(name, set())
        if len(ids) == 1:
            return UserRef(PLATFORM, next(iter(ids)), name)
        if len(ids) > 1:
            self.stats.ambiguous_names[name] = sorted(ids)
        key = f"name:{name}"
        self.stats.members.add(key)
        return UserRef(PLATFORM, key, name)

    def message(self, msg: Mapping[str, Any], index: int) -> Event | list[Event] | None:
        """The message's event, or it and its reactions' (a list), or None (service
        messages wait for `service_events`; unusable ones are counted as skipped).
        Not a generator: one per message of a million-message export costs too much."""
        msg_id = msg.get("id")
        at = _when(msg)
        if msg_id is None or at is None:
            self.stats.skip(index, "缺少 id 或时间 / no id or date")
            return None
        if msg.get("type") == "service":
            self.service.append((index, msg, at))
            return None
        from_id = msg.get("from_id")
        if not from_id:
            self.stats.skip(index, "没有发送者 / no sender")
            return None
        actor = self.user(str(from_id), msg.get("from"))
        reply = msg.get("reply_to_message_id")
        event = MessagePosted(
            source=self.source, source_event_id=str(msg_id), group=self.group, at=at,
            actor=actor, text=_text(msg.get("text")),
            reply_to=str(reply) if reply is not None else None, media=_media(msg),
            forwarded=bool(msg.get("forwarded_from")),
            edited=bool(msg.get("edited") or msg.get("edited_unixtime")),
        )
        self.stats.messages += 1
        reactions = msg.get("reactions")
        if not reactions:
            return event
        found: list[Event] = [event]
        for reaction in reactions:
            key = str(reaction.get("emoji") or reaction.get("document_id") or "?")
            for recent in reaction.get("recent") or ():
                who = recent.get("from_id")
                if not who:
                    continue
                when = _when(recent) or at
                self.stats.reactions += 1
                found.append(ReactionAdded(
                    source=self.source, source_event_id=f"{msg_id}:r:{who}:{key}",
                    group=self.group, at=when, actor=self.user(str(who), recent.get("from")),
                    target_event_id=str(msg_id), key=key,
                ))
        return found

    def service_events(self) -> Iterator[Event]:
        for index, msg, at in self.service:
            action = msg.get("action")
            actor_id = msg.get("actor_id")
            actor = self.user(str(actor_id), msg.get("actor")) if actor_id else None
            base: dict[str, Any] = {"source": self.source, "group": self.group, "at": at}
            msg_id = str(msg["id"])
            if action in ("invite_members", "create_group"):
                for n, name in enumerate(msg.get("members") or []):
                    if not name:
                        self.stats.skip(index, "被邀请成员名为空 / invited member has no name")
                        continue
                    member = self.by_name(str(name))
                    if actor and member.user_id == actor.user_id:
                        continue  # the creator listed among the members
                    self.stats.joins += 1
                    yield MemberJoined(**base, source_event_id=f"{msg_id}:{n}", member=member,
                                       inviter=actor, via="invite")
            elif action == "join_group_by_link":
                if actor is None:
                    self.stats.skip(index, "加入者未知 / joiner unknown")
                    continue
                inviter_name = msg.get("inviter")
                inviter = self.by_name(str(inviter_name)) if inviter_name else None
                self.stats.joins += 1
                yield MemberJoined(**base, source_event_id=msg_id, member=actor,
                                   inviter=inviter, via="link")
            elif action == "join_group_by_request":
                if actor is not None:
                    self.stats.joins += 1
                    yield MemberJoined(**base, source_event_id=msg_id, member=actor,
                                       via="application")
            elif action == "remove_members":
                for n, name in enumerate(msg.get("members") or []):
                    if not name:
                        self.stats.skip(index, "被移除成员名为空 / removed member has no name")
                        continue
                    member = self.by_name(str(name))
                    voluntary = actor is not None and (
                        member.user_id == actor.user_id or name == msg.get("actor"))
                    self.stats.leaves += 1
                    yield MemberLeft(**base, source_event_id=f"{msg_id}:{n}",
                                     member=actor if voluntary and actor else member,
                                     removed_by=None if voluntary else actor)
            else:
                self.stats.service += 1  # pin_message, migrate_*, edit_group_title …


def _messages(chat: _Chat, items: Iterator[Any]) -> Iterator[Event]:
    message = chat.message
    for index, msg in enumerate(items, start=1):
        if not isinstance(msg, dict):
            chat.stats.skip(index, "不是消息对象 / not a message object")
            continue
        found = message(msg, index)
        if found is None:
            continue
        if isinstance(found, list):
            yield from found
        else:
            yield found
    yield from chat.service_events()


def _guarded(path: str, position: list[int], events: Iterator[Event]) -> Iterator[Event]:
    try:
        yield from events
    except ijson.JSONError as exc:
        reason = (str(exc).strip().splitlines() or ["?"])[0]
        raise ImportFormatError(path, f"JSON 不完整或损坏 / truncated or broken JSON: {reason}",
                                offset=position[0]) from None


def open_single(path: Path, head: Mapping[str, Any]) -> ParsedExport:
    stats = ImportStats()
    chat = _Chat(str(path), str(head.get("id", path.stem)), head.get("name"), stats)
    position = [0]

    def events() -> Iterator[Event]:
        with path.open("rb") as f:
            items = _IJSON.items(_Counting(f, position), "messages.item", use_float=True)
            yield from _messages(chat, items)

    return ParsedExport(str(path), "telegram", chat.group, _guarded(str(path), position, events()),
                        stats, size=path.stat().st_size, position=position)


def list_chats(path: Path) -> list[dict[str, Any]]:
    """(id, name, type) of every chat in a full-account export, without their messages."""
    chats: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    with path.open("rb") as f:
        for prefix, event, value in _IJSON.parse(f):
            if prefix in ("chats.list.item", "left_chats.list.item") and event == "start_map":
                current = {}
            elif prefix.endswith(".list.item.id") or prefix.endswith(".list.item.name") or \
                    prefix.endswith(".list.item.type"):
                if prefix.count(".") == 3:
                    current[prefix.rsplit(".", 1)[1]] = value
            elif prefix in ("chats.list.item", "left_chats.list.item") and event == "end_map":
                chats.append(current)
    return chats


def open_account(path: Path, chat: str | None) -> ParsedExport:
    chats = [c for c in list_chats(path) if c.get("type") != "personal_chat" or chat]
    if chat is None:
        groups = [c for c in chats if "group" in str(c.get("type", ""))]
        if len(groups) != 1:
            names = "; ".join(f"{c.get('id')}={c.get('name')}" for c in chats[:30])
            raise ImportFormatError(str(path), "完整账号导出包含多个聊天，请用 --chat 选择 / "
                                    f"full-account export: pick one with --chat ({names})")
        chat = str(groups[0]["id"])
    wanted = [c for c in chats if str(c.get("id")) == chat or c.get("name") == chat]
    if not wanted:
        names = "; ".join(f"{c.get('id')}={c.get('name')}" for c in chats[:30])
        raise ImportFormatError(str(path), f"没有找到聊天 {chat!r} / no chat {chat!r}；"
                                f"可选 choose from: {names}")
    target = wanted[0]
    stats = ImportStats()
    state = _Chat(str(path), str(target["id"]), target.get("name"), stats)
    position = [0]

    def events() -> Iterator[Event]:
        for container in ("chats", "left_chats"):
            with path.open("rb") as f:
                for item in _IJSON.items(_Counting(f, position), f"{container}.list.item",
                                         use_float=True):
                    if str(item.get("id")) == str(target["id"]):
                        yield from _messages(state, iter(item.get("messages") or []))
                        return

    return ParsedExport(str(path), "telegram", state.group, _guarded(str(path), position, events()),
                        stats, size=path.stat().st_size, position=position)

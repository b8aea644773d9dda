"""Events as columns: how an import carries a million events to the event log.

An `EventBatch` holds the same facts as a run of `events.Event` objects, one list per
event-log column, with members and groups as indexes into a `Refs` table shared by every
batch of one export. Importers add events with `add` (any event, translated by the same
helpers as the live recorder's) or, on their hot path, with `add_message` (a plain
message, no objects built at all); the recorder turns a batch into one Arrow frame
(`frame`) that the storage layer bulk-loads. Building an object per message and a row
per object cost more than parsing and storing together at a million messages.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
import polars as pl

from qunyun.events import (
    BadgeAwarded,
    CommandIssued,
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
    RedPacketGrabbed,
    SaleRecorded,
    TierChanged,
    TimerFired,
    UserRef,
    actor_of,
)

BATCH = 50_000
NAME_LIMIT = 255  # members.display_name and nicknames.nickname are VARCHAR(255)


def to_ms(event: Event) -> int:
    return int(event.at.timestamp() * 1000)


def related_of(event: Event) -> UserRef | None:
    """The other account an event involves: inviter, remover, red-packet sender."""
    if isinstance(event, MemberJoined):
        return event.inviter
    if isinstance(event, MemberLeft):
        return event.removed_by
    if isinstance(event, RedPacketGrabbed):
        return event.sender
    if isinstance(event, JoinRequested):
        return event.inviter
    if isinstance(event, MemberMuted):
        return event.by
    return None


def ref_and_payload(event: Event) -> tuple[str | None, dict[str, Any] | None]:
    """The event-log `ref_id` (the event referred to) and the kind-specific payload."""
    if isinstance(event, MessagePosted):
        return event.reply_to, _message_fields(list(event.mentions), event.media,
                                               event.forwarded, event.edited) or None
    if isinstance(event, MemberJoined):
        inviter = event.inviter.display_name if event.inviter else None
        return None, {"via": event.via, **({"inviter_name": inviter} if inviter else {})}
    if isinstance(event, NicknameChanged):
        return None, {"old": event.old, "new": event.new}
    if isinstance(event, MemberMuted):
        return None, {"seconds": event.seconds}
    if isinstance(event, GroupMuted):
        return None, {"on": event.on}
    if isinstance(event, ReactionAdded):
        return event.target_event_id, {"key": event.key}
    if isinstance(event, MessageRecalled):
        return event.target_event_id, None
    if isinstance(event, RedPacketGrabbed):
        return event.packet_id, None
    if isinstance(event, CommandIssued):
        return None, {"name": event.name, "args": list(event.args)}
    if isinstance(event, TimerFired):
        return None, {"timer": event.timer, **dict(event.payload)}
    if isinstance(event, JoinRequested):
        return None, {"answer": event.answer[:500]} if event.answer else None
    if isinstance(event, TierChanged):
        return None, {"member_id": event.member_id, "before": event.before,
                      "after": event.after, "direction": event.direction,
                      "reason": event.reason, **dict(event.numbers)}
    if isinstance(event, BadgeAwarded):
        return None, {"member_id": event.member_id, "badge": event.badge, "name": event.name,
                      "rule": event.rule}
    if isinstance(event, SaleRecorded):
        return None, {"member_id": event.member_id, "amount_cents": event.amount_cents,
                      "currency": event.currency, "note": event.note,
                      "operator": event.operator}
    return None, None


def name_in(event: Event) -> str | None:
    """The display name an event shows for its member (the new one for a rename)."""
    if isinstance(event, NicknameChanged):
        name: str | None = event.new
    else:
        actor = actor_of(event)
        name = actor.display_name if actor else None
    return name[:NAME_LIMIT] if name else None


def _message_fields(mentions: list[str], media: str | None, forwarded: bool,
                    edited: bool) -> dict[str, Any]:
    """A message's payload: only what it has (mentions, media, forwarded, edited)."""
    return {k: v for k, v in (("mentions", mentions or None), ("media", media),
                              ("forwarded", forwarded or None), ("edited", edited or None))
            if v}


def message_payload(*, media: str | None = None, forwarded: bool = False,
                    edited: bool = False) -> str | None:
    """A message's payload as stored (JSON text), or None when it has nothing to say:
    what `ref_and_payload` gives a `MessagePosted` without mentions, for the hot path."""
    payload = _message_fields([], media, forwarded, edited)
    return orjson.dumps(payload).decode() if payload else None


def reaction_payload(key: str) -> str:
    """A reaction's payload as stored: what `ref_and_payload` gives a `ReactionAdded`."""
    return orjson.dumps({"key": key}).decode()


class Refs:
    """The members and groups one export names, each once, in first-seen order.

    Batches refer to them by index; the recorder resolves each index to a database id
    once, so a sender who wrote 10,000 messages is looked up once, not 10,000 times.
    The first display name an account is seen with names a member created for it.
    """

    def __init__(self) -> None:
        self.users: list[UserRef] = []
        self.groups: list[GroupRef] = []
        self._user_index: dict[tuple[str, str], int] = {}
        self._group_index: dict[tuple[str, str], int] = {}

    def user(self, ref: UserRef) -> int:
        return _first_seen(ref, self.users, self._user_index)

    def group(self, ref: GroupRef) -> int:
        return _first_seen(ref, self.groups, self._group_index)


_Ref = TypeVar("_Ref", UserRef, GroupRef)


def _first_seen(ref: _Ref, items: list[_Ref], index: dict[tuple[str, str], int]) -> int:
    found = index.get(ref.key)
    if found is None:
        found = index[ref.key] = len(items)
        items.append(ref)
    return found


@dataclass
class EventBatch:
    """Up to `BATCH` events as columns. `actor`/`related` are `Refs.users` indexes (None:
    nobody), `group` a `Refs.groups` index; `name` is the display name the event shows
    for its actor (derived state: names, nickname history), `payload` JSON text."""

    refs: Refs
    source: list[str] = field(default_factory=list)
    source_event_id: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    ts_ms: list[int] = field(default_factory=list)
    group: list[int] = field(default_factory=list)
    actor: list[int | None] = field(default_factory=list)
    name: list[str | None] = field(default_factory=list)
    related: list[int | None] = field(default_factory=list)
    text: list[str | None] = field(default_factory=list)
    ref_id: list[str | None] = field(default_factory=list)
    payload: list[str | None] = field(default_factory=list)
    # How many users and groups `refs` held when the batch was complete: `prefetched` notes
    # it, since the reader goes on adding refs for the next batch while this one is written.
    seen: tuple[int, int] | None = field(default=None, compare=False)
    _columns: pl.DataFrame | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.kind)

    def add(self, event: Event) -> None:
        """Any event, translated exactly as the live recorder translates it."""
        actor = actor_of(event)
        related = related_of(event)
        ref_id, payload = ref_and_payload(event)
        self.source.append(event.source)
        self.source_event_id.append(event.source_event_id)
        self.kind.append(event.kind)
        self.ts_ms.append(to_ms(event))
        self.group.append(self.refs.group(event.group))
        self.actor.append(self.refs.user(actor) if actor else None)
        self.name.append(name_in(event))
        self.related.append(self.refs.user(related) if related else None)
        self.text.append(event.text if isinstance(event, MessagePosted) else None)
        self.ref_id.append(ref_id)
        self.payload.append(orjson.dumps(payload).decode() if payload else None)

    def add_message(self, source: str, source_event_id: str, ts_ms: int, group: int,
                    actor: int, name: str | None, text: str, reply_to: str | None,
                    payload: str | None) -> None:
        """A `MessagePosted` without building one: the import hot path. `name` must already
        be cut to `NAME_LIMIT`; `payload` comes from `message_payload`."""
        self.source.append(source)
        self.source_event_id.append(source_event_id)
        self.kind.append("message")
        self.ts_ms.append(ts_ms)
        self.group.append(group)
        self.actor.append(actor)
        self.name.append(name)
        self.related.append(None)
        self.text.append(text)
        self.ref_id.append(reply_to)
        self.payload.append(payload)

    def add_reaction(self, source: str, source_event_id: str, ts_ms: int, group: int,
                     actor: int, name: str | None, target_event_id: str, payload: str) -> None:
        """A `ReactionAdded` without building one (a big export has one for every tenth
        message); `name` cut to `NAME_LIMIT`, `payload` from `reaction_payload`."""
        self.source.append(source)
        self.source_event_id.append(source_event_id)
        self.kind.append("reaction")
        self.ts_ms.append(ts_ms)
        self.group.append(group)
        self.actor.append(actor)
        self.name.append(name)
        self.related.append(None)
        self.text.append(None)
        self.ref_id.append(target_event_id)
        self.payload.append(payload)

    def count_kinds(self, into: dict[str, int]) -> None:
        for kind, n in self.columns()["kind"].value_counts().iter_rows():
            into[kind] = into.get(kind, 0) + n

    def columns(self) -> pl.DataFrame:
        """The batch as Arrow columns, members and groups still `Refs` indexes (`group`,
        `actor`, `related`): the conversion from Python objects, made once (by `prefetched`
        in the reading thread). NUL characters are dropped from texts: PostgreSQL cannot
        store them and no chat means anything by them."""
        if self._columns is None:
            self._columns = pl.DataFrame({
                "source": pl.Series(self.source, dtype=pl.String),
                "source_event_id": pl.Series(self.source_event_id, dtype=pl.String),
                "group": pl.Series(self.group, dtype=pl.Int32),
                "actor": pl.Series(self.actor, dtype=pl.Int32),
                "kind": pl.Series(self.kind, dtype=pl.String),
                "ts_ms": pl.Series(self.ts_ms, dtype=pl.Int64),
                "text": pl.Series(self.text, dtype=pl.String).str.replace_all(
                    "\x00", "", literal=True),
                "related": pl.Series(self.related, dtype=pl.Int32),
                "ref_id": pl.Series(self.ref_id, dtype=pl.String),
                "payload": pl.Series(self.payload, dtype=pl.String),
                "name": pl.Series(self.name, dtype=pl.String),
            })
        return self._columns

    def frame(self, *, community_id: int, member_ids: pl.Series, group_ids: pl.Series
              ) -> pl.DataFrame:
        """The batch as event-log rows (plus `name`), refs resolved through `member_ids` and
        `group_ids` (database ids indexed by `Refs` index)."""
        c = self.columns()
        return pl.DataFrame({
            "source": c["source"],
            "source_event_id": c["source_event_id"],
            "community_id": pl.repeat(community_id, len(self), dtype=pl.Int32, eager=True),
            "group_id": group_ids.gather(c["group"]),
            "member_id": member_ids.gather(c["actor"]),
            "kind": c["kind"],
            "ts_ms": c["ts_ms"],
            "text": c["text"],
            "related_member_id": member_ids.gather(c["related"]),
            "ref_id": c["ref_id"],
            "payload": c["payload"],
            "name": c["name"],
        })


def batched(events: Iterable[Event], refs: Refs | None = None, size: int = BATCH
            ) -> Iterator[EventBatch]:
    """Events in batches of `size` (for importers and callers that build event objects)."""
    refs = refs if refs is not None else Refs()
    batch = EventBatch(refs)
    for event in events:
        batch.add(event)
        if len(batch) >= size:
            yield batch
            batch = EventBatch(refs)
    if len(batch):
        yield batch


_END = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetched(batches: Iterable[EventBatch], *, ahead: int = 2) -> Iterator[EventBatch]:
    """`batches`, read in a thread of their own up to `ahead` batches before the caller asks
    (issue 12). An import's reading is Python (decoding the export, building columns, which
    holds the GIL) and its writing is mostly the database's own work (ADBC and SQLite
    release the GIL), so on two cores the merge of one batch overlaps the reading of the
    next. The caller gets exactly the batches, in order; whatever the reader raises is
    raised to the caller, at the batch where it happened; when the caller stops early (an
    error, Ctrl-C), the reader stops after its current batch. Nothing but the reader runs
    in the thread: every database write stays on the caller's connection and thread."""
    out: queue.Queue[object] = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        source = iter(batches)
        try:
            for batch in source:
                refs = batch.refs
                batch.seen = (len(refs.users), len(refs.groups))
                batch.columns()
                if not put(batch):
                    return
            put(_END)
        except BaseException as exc:  # handed to the caller, raised there
            put(_Failed(exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    # The GIL is handed between the two threads at each switch interval: the writer waits
    # for it after every call into the database, 5 ms by default, 1 ms here.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.001))
    reader = threading.Thread(target=read, name="qunyun-import-reader", daemon=True)
    reader.start()
    try:
        while True:
            item = out.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            assert isinstance(item, EventBatch)
            yield item
    finally:
        stop.set()
        reader.join()
        sys.setswitchinterval(interval)

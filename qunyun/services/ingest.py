"""Recording events: the one way an event enters the event log, live or imported.

`EventRecorder` resolves platform refs to community members and groups (cached),
appends the event idempotently, and keeps derived state in step: display names,
nickname history, first/last seen, group memberships. Every derived update is an
idempotent aggregate (min/max/insert-ignore), so re-recording changes nothing and
state can be rebuilt from the log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import orjson
from sqlalchemy import Connection

from qunyun.events import (
    CommandIssued,
    Event,
    GroupRef,
    MemberJoined,
    MemberLeft,
    MessagePosted,
    MessageRecalled,
    NicknameChanged,
    ReactionAdded,
    RedPacketGrabbed,
    TimerFired,
    UserRef,
    actor_of,
)
from qunyun.storage import communities as community_repo
from qunyun.storage import eventlog
from qunyun.storage import members as member_repo


def to_ms(event: Event) -> int:
    return int(event.at.timestamp() * 1000)


@dataclass
class RecordCounts:
    """What a recording run did. `duplicates` were already in the log (idempotency)."""

    seen: int = 0
    inserted: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def duplicates(self) -> int:
        return self.seen - self.inserted


def _related(event: Event) -> UserRef | None:
    if isinstance(event, MemberJoined):
        return event.inviter
    if isinstance(event, MemberLeft):
        return event.removed_by
    if isinstance(event, RedPacketGrabbed):
        return event.sender
    return None


def _ref_and_payload(event: Event) -> tuple[str | None, dict[str, Any] | None]:
    if isinstance(event, MessagePosted):
        payload = {
            k: v
            for k, v in (
                ("mentions", list(event.mentions) or None),
                ("media", event.media),
                ("forwarded", event.forwarded or None),
                ("edited", event.edited or None),
            )
            if v
        }
        return event.reply_to, payload or None
    if isinstance(event, MemberJoined):
        inviter = event.inviter.display_name if event.inviter else None
        return None, {"via": event.via, **({"inviter_name": inviter} if inviter else {})}
    if isinstance(event, NicknameChanged):
        return None, {"old": event.old, "new": event.new}
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
    return None, None


def _name_in(event: Event) -> str | None:
    """The display name an event shows for its member (the new one for a rename)."""
    if isinstance(event, NicknameChanged):
        name: str | None = event.new
    else:
        actor = actor_of(event)
        name = actor.display_name if actor else None
    return name[:255] if name else None


@dataclass
class _Derived:
    """Derived-state updates gathered over many events and written once.

    Per member: first/last seen and the latest display name; per (member, group):
    nicknames first seen; per (group, member): latest join and leave. All idempotent.
    """

    spans: dict[int, tuple[int, int]] = field(default_factory=dict)
    latest_name: dict[int, tuple[int, str]] = field(default_factory=dict)
    nicknames: dict[tuple[int, int, str], int] = field(default_factory=dict)
    joins: dict[tuple[int, int], int] = field(default_factory=dict)
    leaves: dict[tuple[int, int], int] = field(default_factory=dict)

    def add_message(self, member_id: int, group_id: int, ts: int, name: str | None) -> None:
        """`add` for a MessagePosted, without the type dispatch (the import hot path)."""
        span = self.spans.get(member_id)
        if span is None:
            self.spans[member_id] = (ts, ts)
        elif ts > span[1]:
            self.spans[member_id] = (span[0], ts)
        elif ts < span[0]:
            self.spans[member_id] = (ts, span[1])
        if name:
            name = name[:255]
            latest = self.latest_name.get(member_id)
            if latest is None or ts >= latest[0]:
                self.latest_name[member_id] = (ts, name)
            key = (member_id, group_id, name)
            if ts < self.nicknames.get(key, ts + 1):
                self.nicknames[key] = ts

    def add(self, event: Event, member_id: int | None, group_id: int, ts: int) -> None:
        if member_id is None:
            return
        span = self.spans.get(member_id)
        self.spans[member_id] = (ts, ts) if span is None else (min(span[0], ts), max(span[1], ts))
        name = _name_in(event)
        if name:
            if ts >= self.latest_name.get(member_id, (-1, ""))[0]:
                self.latest_name[member_id] = (ts, name)
            key = (member_id, group_id, name)
            if ts < self.nicknames.get(key, ts + 1):
                self.nicknames[key] = ts
        if isinstance(event, MemberJoined):
            pair = (group_id, member_id)
            self.joins[pair] = max(ts, self.joins.get(pair, ts))
        elif isinstance(event, MemberLeft):
            pair = (group_id, member_id)
            self.leaves[pair] = max(ts, self.leaves.get(pair, ts))

    def flush(self, conn: Connection) -> None:
        member_repo.widen_seen_each(conn, spans={
            m: (lo, hi, self.latest_name[m][1] if m in self.latest_name else None)
            for m, (lo, hi) in self.spans.items()})
        known = member_repo.known_nicknames(conn, pairs={(m, g) for m, g, _ in self.nicknames})
        member_repo.add_nicknames(conn, entries=[
            {"member_id": m, "group_id": g, "nickname": n, "at_ms": ts}
            for (m, g, n), ts in self.nicknames.items() if (m, g, n) not in known
        ])
        member_repo.apply_memberships(conn, changes={
            pair: (self.joins.get(pair), self.leaves.get(pair))
            for pair in self.joins.keys() | self.leaves.keys()
        })
        self.__init__()  # type: ignore[misc]  # reuse: start empty


class EventRecorder:
    """Records events for one community. Not thread-safe; one per worker."""

    def __init__(self, *, community_id: int) -> None:
        self.community_id = community_id
        self._groups: dict[tuple[str, str], int] = {}
        self._members: dict[tuple[str, str], int] = {}
        # Live path: what the database holds for members seen in this process, so an event
        # inside a member's known span, under a known name, writes nothing extra.
        self._profiles: dict[int, list[Any]] = {}  # member -> [first seen, last seen, name]
        self._nicknames: dict[int, set[tuple[int | None, str]]] = {}
        # First/last seen and names to write at the end of the transaction (`flush`): a
        # sync batch touches each active member once instead of once per message.
        self._unwritten: dict[int, tuple[int, int, str | None]] = {}

    # -- resolution -------------------------------------------------------------------------
    def group_id(self, conn: Connection, group: GroupRef, at_ms: int) -> int:
        cached = self._groups.get(group.key)
        if cached is None:
            cached = community_repo.get_or_create_group(
                conn, community_id=self.community_id, platform=group.platform,
                external_id=group.group_id, name=group.name, now_ms=at_ms,
            )
            self._groups[group.key] = cached
        return cached

    def member_ids(self, conn: Connection, refs: Iterable[UserRef]) -> dict[tuple[str, str], int]:
        """Member id for each ref, creating members for identities seen for the first time."""
        refs = list(refs)
        missing = list(dict.fromkeys(r.key for r in refs if r.key not in self._members))
        if missing:
            self._members.update(
                member_repo.find_member_ids(conn, community_id=self.community_id, keys=missing)
            )
            names = {r.key: r.display_name for r in refs}
            new = [(key, names.get(key)) for key in missing if key not in self._members]
            created = member_repo.create_members(conn, community_id=self.community_id, new=new)
            self._members.update(created)
            for key, name in new:  # what the database now holds for them: nothing to read
                self._profiles[created[key]] = [None, None, (name or None) and name[:255]]
                self._nicknames[created[key]] = set()
        return {r.key: self._members[r.key] for r in refs}

    def member_id(self, conn: Connection, ref: UserRef) -> int:
        cached = self._members.get(ref.key)
        return cached if cached is not None else self.member_ids(conn, [ref])[ref.key]

    # -- recording --------------------------------------------------------------------------
    def _row(self, conn: Connection, event: Event) -> dict[str, Any]:
        at_ms = to_ms(event)
        actor = actor_of(event)
        related = _related(event)
        ref_id, payload = _ref_and_payload(event)
        return {
            "source": event.source,
            "source_event_id": event.source_event_id,
            "community_id": self.community_id,
            "group_id": self.group_id(conn, event.group, at_ms),
            "member_id": self.member_id(conn, actor) if actor else None,
            "kind": event.kind,
            "ts_ms": at_ms,
            "text": event.text if isinstance(event, MessagePosted) else None,
            "related_member_id": self.member_id(conn, related) if related else None,
            "ref_id": ref_id,
            "payload": payload,
        }

    def record(self, conn: Connection, event: Event, *, defer: bool = False) -> int | None:
        """Append one event (live path). Returns its log id, or None if it was a duplicate.
        With `defer`, first/last seen and display names wait for `flush` (same transaction)."""
        row = self._row(conn, event)
        new_id = eventlog.append_one(conn, row=row)
        if new_id is not None:
            self._keep_derived(conn, event, row["member_id"], row["group_id"], row["ts_ms"])
            if not defer:
                self.flush(conn)
        return new_id

    def flush(self, conn: Connection) -> None:
        """Write what `record(defer=True)` left for the end of the transaction."""
        if self._unwritten:
            member_repo.widen_seen_each(conn, spans=self._unwritten)
            self._unwritten = {}

    def _keep_derived(self, conn: Connection, event: Event, member_id: int | None,
                      group_id: int, ts: int) -> None:
        """`_Derived` for one event, skipping writes the cached profile shows are no-ops."""
        if member_id is None:
            return
        name = _name_in(event)
        known = self._profiles.get(member_id)
        if known is None:
            known = self._profiles[member_id] = list(member_repo.profile(conn, member_id=member_id))
        first, last, stored_name = known
        newest = last is None or ts >= last
        rename = name if name and name != stored_name and newest else None
        if rename is not None or first is None or ts < first or (newest and ts != last):
            known[0] = ts if first is None else min(first, ts)
            known[1] = ts if last is None else max(last, ts)
            if rename is not None:
                known[2] = rename
            earlier = self._unwritten.get(member_id)
            self._unwritten[member_id] = (
                (ts, ts, rename) if earlier is None
                else (min(earlier[0], ts), max(earlier[1], ts), rename or earlier[2]))
        if name:
            seen = self._nicknames.get(member_id)
            if seen is None:
                seen = self._nicknames[member_id] = member_repo.nicknames_of(conn,
                                                                             member_id=member_id)
            if (group_id, name) not in seen:
                member_repo.add_nicknames(conn, entries=[
                    {"member_id": member_id, "group_id": group_id, "nickname": name, "at_ms": ts}])
                seen.add((group_id, name))
        if isinstance(event, MemberJoined | MemberLeft):
            joined = ts if isinstance(event, MemberJoined) else None
            member_repo.apply_memberships(conn, changes={
                (group_id, member_id): (joined, None if joined is not None else ts)})

    def record_many(
        self, conn: Connection, events: Iterable[Event], *, batch_size: int = 20_000,
        on_batch: Callable[[int], None] | None = None,
    ) -> RecordCounts:
        """Append many events (import path). The caller owns the transaction, so a file is
        recorded whole or not at all; derived state is written once, at the end."""
        counts = RecordCounts()
        sources: set[str] = set()
        derived = _Derived()
        for batch in _batches(events, batch_size):
            new_sources = {e.source for e in batch} - sources
            if new_sources:
                # What was there before this run, per source, so `inserted` is the true count.
                counts.inserted -= eventlog.count_by_source(conn, sources=sorted(new_sources))
                sources |= new_sources
            self._prefetch_members(conn, batch)
            rows = [self._bulk_row(conn, e, derived) for e in batch]
            eventlog.append_many(conn, rows=rows)
            counts.seen += len(batch)
            for e in batch:
                counts.by_kind[e.kind] = counts.by_kind.get(e.kind, 0) + 1
            if on_batch is not None:
                on_batch(len(batch))
        derived.flush(conn)
        counts.inserted += eventlog.count_by_source(conn, sources=sorted(sources))
        return counts

    def _bulk_row(self, conn: Connection, event: Event, derived: _Derived) -> tuple[Any, ...]:
        at_ms = to_ms(event)
        if type(event) is MessagePosted and not (event.mentions or event.media or event.reply_to
                                                 or event.forwarded or event.edited):
            # Fast path: a plain message is most of any export.
            group_id = self._groups.get(event.group.key) or self.group_id(
                conn, event.group, at_ms)
            author_id = self._members[event.actor.key]
            derived.add_message(author_id, group_id, at_ms, event.actor.display_name)
            return (event.source, event.source_event_id, self.community_id, group_id, author_id,
                    "message", at_ms, event.text, None, None, None)
        group_id = self._groups.get(event.group.key) or self.group_id(conn, event.group, at_ms)
        actor = actor_of(event)
        member_id = self._members[actor.key] if actor else None
        related = _related(event)
        ref_id, payload = _ref_and_payload(event)
        derived.add(event, member_id, group_id, at_ms)
        return (
            event.source, event.source_event_id, self.community_id, group_id, member_id,
            event.kind, at_ms, event.text if isinstance(event, MessagePosted) else None,
            self._members[related.key] if related else None, ref_id,
            orjson.dumps(payload).decode() if payload else None,
        )

    def _prefetch_members(self, conn: Connection, batch: list[Event]) -> None:
        refs: dict[tuple[str, str], UserRef] = {}
        for e in batch:
            for ref in (actor_of(e), _related(e)):
                if ref is not None and ref.key not in self._members:
                    refs.setdefault(ref.key, ref)
        if refs:
            self.member_ids(conn, refs.values())


def _batches(events: Iterable[Event], size: int) -> Iterator[list[Event]]:
    it = iter(events)
    while batch := list(islice(it, size)):
        yield batch

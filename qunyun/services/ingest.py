"""Recording events: the one way an event enters the event log, live or imported.

`EventRecorder` resolves platform refs to community members and groups (cached),
appends the event idempotently, and keeps derived state in step: display names,
nickname history, first/last seen, group memberships. Every derived update is an
idempotent aggregate (min/max/insert-ignore), so re-recording changes nothing and
state can be rebuilt from the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

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


class EventRecorder:
    """Records events for one community. Not thread-safe; one per worker."""

    def __init__(self, *, community_id: int) -> None:
        self.community_id = community_id
        self._groups: dict[tuple[str, str], int] = {}
        self._members: dict[tuple[str, str], int] = {}

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
        missing = [r.key for r in refs if r.key not in self._members]
        if missing:
            self._members.update(
                member_repo.find_member_ids(conn, community_id=self.community_id, keys=missing)
            )
            names = {r.key: r.display_name for r in refs}
            for key in dict.fromkeys(missing):
                if key not in self._members:
                    self._members[key] = member_repo.create_member(
                        conn, community_id=self.community_id, key=key, display_name=names.get(key)
                    )
        return {r.key: self._members[r.key] for r in refs}

    def member_id(self, conn: Connection, ref: UserRef) -> int:
        return self.member_ids(conn, [ref])[ref.key]

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

    def record(self, conn: Connection, event: Event) -> int | None:
        """Append one event (live path). Returns its log id, or None if it was a duplicate."""
        row = self._row(conn, event)
        new_id = eventlog.append_one(conn, row=row)
        if new_id is not None:
            self._update_derived(conn, [event], [row])
        return new_id

    def record_many(
        self, conn: Connection, events: Iterable[Event], *, batch_size: int = 5000,
        on_batch: Any = None,
    ) -> RecordCounts:
        """Append many events in batches (import path). Caller owns the transaction."""
        counts = RecordCounts()
        sources: set[str] = set()
        for batch in _batches(events, batch_size):
            new_sources = {e.source for e in batch} - sources
            if new_sources:
                # Count what was there before this run, per source, to report true inserts.
                counts.inserted -= eventlog.count_by_source(conn, sources=sorted(new_sources))
                sources |= new_sources
            self._prefetch_members(conn, batch)
            rows = [self._row(conn, e) for e in batch]
            eventlog.append_many(conn, rows=rows)
            self._update_derived(conn, batch, rows)
            counts.seen += len(batch)
            for e in batch:
                counts.by_kind[e.kind] = counts.by_kind.get(e.kind, 0) + 1
            if on_batch is not None:
                on_batch(len(batch))
        counts.inserted += eventlog.count_by_source(conn, sources=sorted(sources))
        return counts

    def _prefetch_members(self, conn: Connection, batch: list[Event]) -> None:
        refs: dict[tuple[str, str], UserRef] = {}
        for e in batch:
            for ref in (actor_of(e), _related(e)):
                if ref is not None and ref.key not in self._members:
                    refs.setdefault(ref.key, ref)
        if refs:
            self.member_ids(conn, refs.values())

    def _update_derived(
        self, conn: Connection, batch: list[Event], rows: list[dict[str, Any]]
    ) -> None:
        spans: dict[int, tuple[int, int]] = {}
        latest_name: dict[int, tuple[int, str]] = {}
        nick_rows: list[dict[str, Any]] = []
        seen_nick: set[tuple[int, int, str]] = set()
        for event, row in zip(batch, rows, strict=True):
            mid = row["member_id"]
            if mid is None:
                continue
            ts = row["ts_ms"]
            lo, hi = spans.get(mid, (ts, ts))
            spans[mid] = (min(lo, ts), max(hi, ts))
            actor = actor_of(event)
            name = event.new if isinstance(event, NicknameChanged) else (
                actor.display_name if actor else None
            )
            if name:
                if ts >= latest_name.get(mid, (-1, ""))[0]:
                    latest_name[mid] = (ts, name)
                key = (mid, row["group_id"], name)
                if key not in seen_nick:
                    seen_nick.add(key)
                    nick_rows.append({"member_id": mid, "group_id": row["group_id"],
                                      "nickname": name[:255], "at_ms": ts})
            if isinstance(event, MemberJoined | MemberLeft):
                member_repo.apply_membership(
                    conn, group_id=row["group_id"], member_id=mid,
                    joined_ms=ts if isinstance(event, MemberJoined) else None,
                    left_ms=ts if isinstance(event, MemberLeft) else None,
                )
        member_repo.widen_seen(conn, spans=spans)
        member_repo.set_display_names(conn, names={m: n[:255] for m, (_, n) in latest_name.items()})
        # Only first sightings of a (member, group, name) go into history, not every message.
        member_repo.add_nicknames(conn, entries=_first_sightings(conn, nick_rows))


def _first_sightings(conn: Connection, rows: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    known = member_repo.known_nicknames(
        conn, pairs={(r["member_id"], r["group_id"]) for r in rows}
    )
    for r in rows:
        if (r["member_id"], r["group_id"], r["nickname"]) not in known:
            yield r


def _batches(events: Iterable[Event], size: int) -> Iterator[list[Event]]:
    it = iter(events)
    while batch := list(islice(it, size)):
        yield batch

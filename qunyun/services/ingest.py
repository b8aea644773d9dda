"""Recording events: the one way an event enters the event log, live or imported.

`EventRecorder` resolves platform refs to community members and groups (cached),
appends events idempotently, and keeps derived state in step: display names, nickname
history, first/last seen, group memberships. Every derived update is an idempotent
aggregate (min/max/insert-ignore), so re-recording changes nothing and state can be
rebuilt from the log.

Live events come one at a time (`record`); imports come as column batches
(`record_batches`, see `qunyun.event_batch`): each batch's refs are resolved once, its
rows go to `storage.staging` and reach the log in one merge, and its derived state is
aggregated column-wise, then written once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from sqlalchemy import Connection

from qunyun.event_batch import (
    BATCH,
    EventBatch,
    Refs,
    batched,
    name_in,
    ref_and_payload,
    related_of,
    to_ms,
)
from qunyun.events import (
    Event,
    GroupRef,
    MemberJoined,
    MemberLeft,
    MessagePosted,
    UserRef,
    actor_of,
    utc,
)
from qunyun.storage.community import communities as community_repo
from qunyun.storage.community import members as member_repo
from qunyun.storage.events import log as eventlog
from qunyun.storage.events.frames import HeldLog
from qunyun.storage.events.staging import Staging, open_staging


@dataclass
class RecordCounts:
    """What a recording run did. `duplicates` were already in the log (idempotency)."""

    seen: int = 0
    inserted: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def duplicates(self) -> int:
        return self.seen - self.inserted


class EventRecorder:
    """Records events for one community. Not thread-safe; one per worker."""

    def __init__(self, *, community_id: int) -> None:
        self.community_id = community_id
        self._groups: dict[tuple[str, str], int] = {}
        self._members: dict[tuple[str, str], int] = {}
        # Live path: what the database holds for members seen in this process, so an event
        # inside a member's known span, under a known name, writes nothing extra.
        self._profiles: dict[int, list[Any]] = {}  # member -> [first seen, last seen, name]
        self._in_group: set[tuple[int, int]] = set()  # (group, member) with a membership
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
                external_id=group.group_id, name=group.name, now_ms=at_ms, kind=group.kind,
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

    def members_present(self, conn: Connection, *, group: GroupRef, people: Iterable[UserRef],
                        at_ms: int) -> None:
        """The people an adapter reads as in a group (a Matrix room's member state on
        start): in the group's memberships, though no join of theirs was seen (they were
        there before the bot). A membership on record, open or left, is left as it is."""
        group_id = self.group_id(conn, group, at_ms)
        ids = self.member_ids(conn, list(people))
        pairs = [(group_id, m) for m in ids.values() if (group_id, m) not in self._in_group]
        member_repo.add_memberships_seen(conn, pairs=pairs)
        self._in_group.update(pairs)

    def names_listed(self, conn: Connection, *, group: GroupRef, people: Iterable[UserRef],
                     at_ms: int) -> int:
        """The names a platform's member list shows (a QQ group card) for people the group's
        nickname history names not at all yet: their first name there, so a later read
        compares with what this group showed, never with a name from another group (a
        member is 「小林」 in one group and 「班主任小林」 in the next). Returns how many."""
        group_id = self.group_id(conn, group, at_ms)
        named = [p for p in people if p.display_name]
        ids = self.member_ids(conn, named)
        known = member_repo.known_nicknames(conn, pairs={(ids[p.key], group_id) for p in named})
        in_group = {m for m, g, _ in known if g == group_id}
        first_names = {ids[p.key]: str(p.display_name)[:255] for p in named
                       if ids[p.key] not in in_group}
        member_repo.add_nicknames(conn, entries=[
            {"member_id": member_id, "group_id": group_id, "nickname": name, "at_ms": at_ms}
            for member_id, name in first_names.items()])
        for member_id, name in first_names.items():  # a loaded cached history stays whole
            cached = self._nicknames.get(member_id)
            if cached is not None:
                cached.add((group_id, name))
        return len(first_names)

    def joins_listed(self, conn: Connection, *, group: GroupRef, source: str,
                     joins: Iterable[tuple[UserRef, int]]) -> int:
        """Join times a platform's member list gives (QQ `get_group_member_list`'s
        `join_time`, ms here) for people whose present stay has no join on record: each
        becomes a join in the log, so their join date, the report's joins and elimination's
        "silent since" are right though they joined before the bot (or while it was down).
        Its id is the group, member and time: read again after a restart, it is the same
        join. A stay that already begins with a recorded join (a notice the bot saw, an
        import) is left as it is, and so is a join time not after the last recorded leave:
        the list never invents a second join. Returns how many joins it recorded."""
        listed = [(ref, at_ms) for ref, at_ms in joins if at_ms > 0]
        if not listed:
            return 0
        group_id = self.group_id(conn, group, listed[0][1])
        ids = self.member_ids(conn, [ref for ref, _ in listed])
        stays = member_repo.stays_in_group(conn, group_id=group_id, member_ids=list(ids.values()))
        recorded = 0
        for ref, at_ms in listed:
            joined_ms, left_ms = stays.get(ids[ref.key], (None, None))
            if joined_ms is not None and (left_ms is None or joined_ms > left_ms):
                continue  # this stay's join is on record
            if left_ms is not None and at_ms <= left_ms:
                continue  # the list's join is the one before a recorded leave
            event = MemberJoined(source=source, group=group, at=utc(at_ms / 1000),
                                 source_event_id=f"list:{group.group_id}:{ref.user_id}:{at_ms}",
                                 member=ref)
            if self.record(conn, event, defer=True) is not None:
                recorded += 1
        self.flush(conn)
        return recorded

    # -- recording --------------------------------------------------------------------------
    def _row(self, conn: Connection, event: Event) -> dict[str, Any]:
        at_ms = to_ms(event)
        actor = actor_of(event)
        related = related_of(event)
        ref_id, payload = ref_and_payload(event)
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
        # A member's name is the community's groups' (a DM or the admins' room shows a
        # per-room or global name): an event elsewhere neither renames them nor adds to
        # their nickname history (issue 11 walk findings 45/62).
        name = name_in(event) if event.group.kind == "group" else None
        known = self._profiles.get(member_id)
        if known is None:
            known = self._profiles[member_id] = list(member_repo.profile(conn, member_id=member_id))
        first, last, stored_name = known
        newest = last is None or ts >= last
        # One display name (issue 11 walk 28, 52): a Matrix name is per room, and the one
        # the member's DM with the bot (or the admins' room) shows is not their name in the
        # community — 李四 in the DM, 李四-上海-财务 in the group. Only a group renames a
        # member who has a name; a DM names only someone with none yet.
        in_group = event.group.kind == "group"
        rename = name if name and name != stored_name and newest and (
            in_group or not stored_name) else None
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
            self._in_group.add((group_id, member_id))
        elif (group_id, member_id) not in self._in_group and event.group.kind == "group":
            # Someone acting in a group is in it, join on record or not (issue 11); a DM or
            # the admins' room has no members.
            member_repo.add_memberships_seen(conn, pairs=[(group_id, member_id)])
            self._in_group.add((group_id, member_id))


    def record_batches(
        self, conn: Connection, batches: Iterable[EventBatch], *, staging: Staging,
        on_batch: Callable[[int], None] | None = None, hold: HeldLog | None = None,
    ) -> RecordCounts:
        """Append column batches (import path) through `staging`. The caller owns the
        transaction, so a file is recorded whole or not at all; derived state is written
        once, at the end."""
        counts = RecordCounts()
        member_ids: list[int] = []  # database id by `Refs.users` index
        group_ids: list[int] = []  # by `Refs.groups` index
        derived = _Derived()
        for batch in batches:
            self._resolve(conn, batch, member_ids, group_ids)
            frame = batch.frame(community_id=self.community_id,
                                member_ids=pl.Series(member_ids, dtype=pl.Int32),
                                group_ids=pl.Series(group_ids, dtype=pl.Int32))
            staging.append(frame)
            derived.add(frame)
            if hold is not None:
                hold.add(frame)
            counts.seen += len(batch)
            batch.count_kinds(counts.by_kind)
            if on_batch is not None:
                on_batch(len(batch))
        counts.inserted = staging.merge()
        derived.flush(conn)
        return counts

    def record_many(
        self, conn: Connection, events: Iterable[Event], *, batch_size: int = BATCH,
        on_batch: Callable[[int], None] | None = None,
    ) -> RecordCounts:
        """Append event objects in bulk, inside the caller's transaction."""
        return self.record_batches(conn, batched(events, size=batch_size),
                                   staging=open_staging(conn, owns_transaction=False),
                                   on_batch=on_batch)

    def _resolve(self, conn: Connection, batch: EventBatch, member_ids: list[int],
                 group_ids: list[int]) -> None:
        """Database ids for the refs this batch is the first to name."""
        refs: Refs = batch.refs
        # What the batch can name: a reader ahead in its own thread adds the next batch's.
        n_users, n_groups = batch.seen or (len(refs.users), len(refs.groups))
        for index in range(len(group_ids), n_groups):
            # A new group is dated by its first event (or the batch's, if it has none here).
            first = next((ts for g, ts in zip(batch.group, batch.ts_ms, strict=True)
                          if g == index), min(batch.ts_ms, default=0))
            group_ids.append(self.group_id(conn, refs.groups[index], first))
        new = refs.users[len(member_ids):n_users]
        if new:
            found = self.member_ids(conn, new)
            member_ids.extend(found[ref.key] for ref in new)


class _Derived:
    """Derived state of an import, aggregated batch by batch (so memory stays bounded) and
    written once: per member first/last seen and the latest display name, per (member,
    group, nickname) when it was first seen, per (group, member) the latest join and leave.
    Ties in time go to the later event, as on the live path."""

    def __init__(self) -> None:
        self.parts: list[dict[str, pl.DataFrame]] = []

    def add(self, frame: pl.DataFrame) -> None:
        acted = frame.filter(pl.col("member_id").is_not_null()).with_row_index("order")
        named = acted.filter(pl.col("name").is_not_null())
        self.parts.append({
            "spans": acted.group_by("member_id").agg(
                first=pl.col("ts_ms").min(), last=pl.col("ts_ms").max()),
            "names": named.group_by("member_id").agg(
                pl.col("name", "ts_ms").sort_by("ts_ms", "order").last()),
            "nicknames": named.group_by("member_id", "group_id", "name").agg(
                pl.col("ts_ms").min()),
            "joins": acted.filter(pl.col("kind") == "join").group_by(
                "group_id", "member_id").agg(pl.col("ts_ms").max()),
            "leaves": acted.filter(pl.col("kind") == "leave").group_by(
                "group_id", "member_id").agg(pl.col("ts_ms").max()),
            "present": acted.select("group_id", "member_id").unique(),
        })

    def _all(self, part: str) -> pl.DataFrame:
        return pl.concat([p[part].with_columns(batch=pl.lit(n)) for n, p in
                          enumerate(self.parts)])

    def flush(self, conn: Connection) -> None:
        if not self.parts:
            return
        spans = self._all("spans").group_by("member_id").agg(
            pl.col("first").min(), pl.col("last").max())
        names = dict(self._all("names").group_by("member_id").agg(
            pl.col("name").sort_by("ts_ms", "batch").last()).iter_rows())
        member_repo.widen_seen_each(conn, spans={
            m: (lo, hi, names.get(m)) for m, lo, hi in spans.iter_rows()})
        nicknames = self._all("nicknames").group_by("member_id", "group_id", "name").agg(
            pl.col("ts_ms").min())
        known = member_repo.known_nicknames(conn, pairs=set(
            nicknames.select("member_id", "group_id").iter_rows()))
        member_repo.add_nicknames(conn, entries=[
            {"member_id": m, "group_id": g, "nickname": n, "at_ms": ts}
            for m, g, n, ts in nicknames.iter_rows() if (m, g, n) not in known])
        joins = {(g, m): ts for g, m, ts in self._all("joins").group_by(
            "group_id", "member_id").agg(pl.col("ts_ms").max()).iter_rows()}
        leaves = {(g, m): ts for g, m, ts in self._all("leaves").group_by(
            "group_id", "member_id").agg(pl.col("ts_ms").max()).iter_rows()}
        member_repo.apply_memberships(conn, changes={
            pair: (joins.get(pair), leaves.get(pair)) for pair in joins.keys() | leaves.keys()})
        moved = joins.keys() | leaves.keys()
        member_repo.add_memberships_seen(conn, pairs=[
            (g, m) for g, m in self._all("present").select("group_id", "member_id").unique()
            .iter_rows() if (g, m) not in moved])
        self.parts = []


def ensure_group(conn: Connection, *, community_id: int, group: GroupRef, at_ms: int) -> int:
    """A group the adapter is in before any event was seen there: the schedule posts into
    the community's groups, so a fresh bot's rooms must be known before anyone speaks."""
    return community_repo.get_or_create_group(
        conn, community_id=community_id, platform=group.platform,
        external_id=group.group_id, name=group.name, now_ms=at_ms)


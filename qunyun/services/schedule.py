"""The durable schedule (issue 14): every timed thing is a row, and fires as a logged event.

How a feature adds a timed job
------------------------------
1. Name a job kind and say which entries the plan implies, in `qunyun/bot/wiring.py`::

       JobKind("sweep", from_plan=lambda plan: [EntrySpec(
           kind="sweep", key="weekly", title="淘汰检查",
           rule=recurrence.rule_text(at="09:00", every="week", on=["mon"],
                                     start=date(2026, 1, 5)))])

   (entries can also be added at run time — one per member for a join-relative campaign,
   one per event for its reminders — with `upsert(conn, …, origin="system")`).
2. Handle the tick in a policy: the schedule emits `TimerFired(timer=<kind>)` whose
   `source_event_id` is `"<kind>:<entry id>:<slot ms>"`; `tick_of(event)` reads it back
   (`entry_id`, `slot_ms`, `late`, the entry's `payload`). The `ScheduleLedger` policy
   (wired first) has already recorded the slot in the same transaction, so a handler that
   sees the tick is the one and only run for that slot.

What makes a slot fire exactly once: the tick is an ordinary event, and the event log is
idempotent on its key, so a restarted bot or a second bot process on the same PostgreSQL
database that computes the same tick finds it already recorded (the second insert waits
for the first transaction, then does nothing) and no policy sees it twice. The slot row
and the cursor are written in that same transaction.

Catch-up after downtime: of the slots an entry passed while the bot was down, only the
newest one within the entry's `catch_up_minutes` fires (marked `late` when more than
`LATE_AFTER_MS` behind); every older one is recorded `missed` and audited, so a week of
downtime never turns into a burst of a week's posts. A slot an operator skipped ahead of
time has a `skipped` row and is passed over.

Kinds whose time already lives on their own rows (onboarding's `next_due_ms`, warnings'
`expires_ms`, batched welcomes) are `Probe`s: the schedule asks them each round and emits
the per-minute `TimerFired` they have always had; their own rows make them idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine

from qunyun.domain import recurrence
from qunyun.events import GroupRef, TimerFired
from qunyun.services import audit, lookup
from qunyun.storage.schedule import entries as repo

if TYPE_CHECKING:
    from qunyun.plan.model import Plan

log = logging.getLogger("qunyun.schedule")

SOURCE = "qunyun:schedule"
PROBE_SOURCE = "qunyun:timer"  # the probes' ticks keep the key they always had
ADVANCE = "schedule.advance"  # a tick that only moves the cursor past missed/skipped slots
LATE_AFTER_MS = 2 * 60_000  # a slot fired this long after its time is marked late
MISSED_ROWS = 200  # at most this many missed slots get a row per advance (the rest: a count)
DEFAULT_CATCH_UP_MINUTES = 60

STATUS_SENT, STATUS_LATE, STATUS_MISSED = "sent", "late", "missed"
STATUS_SKIPPED, STATUS_FAILED = "skipped", "failed"


@dataclass(frozen=True)
class EntrySpec:
    """One timed thing as a feature declares it; `upsert` stores it."""

    kind: str
    key: str
    rule: str  # `recurrence.rule_text(...)` or RFC 5545 text with a local DTSTART
    title: str = ""
    tz: str | None = None  # None: the plan's `bot.timezone`
    catch_up_minutes: int | None = None  # None: the plan's calendar default (60)
    group_id: int | None = None  # None: the community's first group carries the tick
    payload: Mapping[str, Any] = field(default_factory=dict)
    paused: bool = False


@dataclass(frozen=True)
class JobKind:
    """A kind of timed job; `from_plan` lists the entries the plan implies (or None)."""

    name: str
    from_plan: Callable[[Plan], Sequence[EntrySpec]] | None = None


# A probe: (connection, community id, now ms) → ids of the groups a tick is due for
# (None: any group of the community). Used by kinds whose times live on their own rows.
ProbeFn = Callable[[Connection, int, int], Sequence[int | None]]


# A keyed probe names each tick itself: (group id or None, key), for work items with an
# identity of their own (a welcome batch is keyed by its first join, so two batches closing
# in the same minute are two ticks).
KeyedProbeFn = Callable[[Connection, int, int], Sequence[tuple[int | None, str]]]


@dataclass(frozen=True)
class Probe:
    timer: str
    due: ProbeFn | None = None  # ticks keyed by the minute slot
    keyed: KeyedProbeFn | None = None


@dataclass(frozen=True)
class Tick:
    """What a handler reads from a schedule tick (`tick_of`)."""

    kind: str
    entry_id: int
    slot_ms: int
    late: bool
    payload: Mapping[str, Any]

    @property
    def slot_at(self) -> datetime:
        return datetime.fromtimestamp(self.slot_ms / 1000, tz=UTC)

    @property
    def key(self) -> str:
        """Names the occurrence (timeline and audit): entry and slot."""
        return f"{self.kind}:{self.entry_id}:{self.slot_ms}"


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


# -- entries --------------------------------------------------------------------------------
def upsert(conn: Connection, *, community_id: int, spec: EntrySpec, now_ms: int,
           default_tz: str, default_catch_up: int = DEFAULT_CATCH_UP_MINUTES,
           origin: str = "plan") -> int:
    """Store an entry (new, or changed in place by its key); returns its id.

    A new entry starts at its first slot from now on: adding a daily post at 10:00 does
    not post the past. A changed rule restarts the cursor from now; a paused or retired
    entry that comes back is resumed from now too (its gap is not "missed").
    """
    problem = recurrence.check_rule(spec.rule)
    if problem:
        raise problem
    tz = spec.tz or default_tz
    nxt = recurrence.next_after(spec.rule, tz, _at(now_ms - 1))
    values: dict[str, Any] = {
        "title": spec.title or spec.key, "origin": origin, "rule": spec.rule, "tz": tz,
        "catch_up_minutes": (spec.catch_up_minutes if spec.catch_up_minutes is not None
                             else default_catch_up),
        "group_id": spec.group_id, "payload": dict(spec.payload), "updated_ms": now_ms,
    }
    stored = repo.by_key(conn, community_id=community_id, kind=spec.kind, key=spec.key)
    if stored is None:
        stored = repo.insert_if_absent(conn, row={
            **values, "community_id": community_id, "kind": spec.kind, "key": spec.key,
            "paused": spec.paused, "retired": False, "created_ms": now_ms,
            "next_ms": _ms(nxt) if nxt else None})
        return int(stored["id"])
    if stored["rule"] != spec.rule or stored["tz"] != tz or stored["retired"]:
        values["next_ms"] = _ms(nxt) if nxt else None
    values["retired"] = False
    if spec.paused:
        values["paused"] = True  # the plan pauses it; a console pause is not undone by a sync
    repo.update(conn, entry_id=int(stored["id"]), values=values)
    return int(stored["id"])


def sync_plan(conn: Connection, *, community_id: int, plan: Plan, kinds: Sequence[JobKind],
              now_ms: int) -> list[int]:
    """Make the stored plan entries match the plan: upsert what it lists, retire the rest
    (kept with their history, never fired). Console and system entries are left alone."""
    default_tz = plan.bot.timezone
    catch_up = plan.calendar.catch_up_minutes
    ids: list[int] = []
    for kind in kinds:
        if kind.from_plan is None:
            continue
        wanted = list(kind.from_plan(plan))
        keys = {s.key for s in wanted}
        for spec in wanted:
            ids.append(upsert(conn, community_id=community_id, spec=spec, now_ms=now_ms,
                              default_tz=default_tz, default_catch_up=catch_up))
        for row in repo.of_community(conn, community_id=community_id, kinds=[kind.name]):
            if row["origin"] == "plan" and row["key"] not in keys and not row["retired"]:
                repo.update(conn, entry_id=int(row["id"]),
                            values={"retired": True, "updated_ms": now_ms})
    return ids


def set_paused(conn: Connection, *, community_id: int, entry_id: int, paused: bool,
               operator: str, now_ms: int) -> dict[str, Any]:
    """Pause or resume an entry (console); a resumed entry continues from now, audited."""
    entry = _entry_of(conn, community_id, entry_id)
    values: dict[str, Any] = {"paused": paused, "updated_ms": now_ms}
    if not paused:
        nxt = recurrence.next_after(entry["rule"], entry["tz"], _at(now_ms - 1))
        values["next_ms"] = _ms(nxt) if nxt else None
    repo.update(conn, entry_id=entry_id, values=values)
    audit.record_operator_action(
        conn, community_id=community_id, operator=operator,
        action="schedule:pause" if paused else "schedule:resume",
        reason=f"{'暂停' if paused else '恢复'}「{entry['title']}」",
        evidence={"entry": entry_id, "kind": entry["kind"], "key": entry["key"]})
    return {**entry, **values}


def skip_slot(conn: Connection, *, community_id: int, entry_id: int, slot_ms: int,
              operator: str, now_ms: int, undo: bool = False) -> bool:
    """Skip one future occurrence (or take the skip back); audited. False if not possible:
    the slot is not one of the rule's, or it already fired."""
    entry = _entry_of(conn, community_id, entry_id)
    at = _at(slot_ms)
    if recurrence.between(entry["rule"], entry["tz"], at, at, limit=1) != [at]:
        return False
    if undo:
        changed = repo.delete_slot(conn, entry_id=entry_id, slot_ms=slot_ms,
                                   status=STATUS_SKIPPED)
    else:
        changed = repo.add_slot(conn, entry_id=entry_id, community_id=community_id,
                                slot_ms=slot_ms, status=STATUS_SKIPPED, at_ms=now_ms,
                                detail=f"operator:{operator}")
    if changed:
        audit.record_operator_action(
            conn, community_id=community_id, operator=operator,
            action="schedule:unskip" if undo else "schedule:skip",
            reason=(f"{'恢复' if undo else '跳过'}「{entry['title']}」的一次："
                    f"{_local(entry, slot_ms)}"),
            evidence={"entry": entry_id, "slot_ms": slot_ms})
    return changed


def _entry_of(conn: Connection, community_id: int, entry_id: int) -> dict[str, Any]:
    entry = repo.get(conn, entry_id=entry_id)
    if entry is None or entry["community_id"] != community_id:
        raise LookupError(f"no schedule entry {entry_id} in community {community_id}")
    return entry


def _local(entry: Mapping[str, Any], slot_ms: int) -> str:
    from zoneinfo import ZoneInfo

    return _at(slot_ms).astimezone(ZoneInfo(entry["tz"])).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class Occurrence:
    """A slot of an entry in a window, with what happened (None: still to come)."""

    entry: Mapping[str, Any]
    slot_ms: int
    status: str | None


def occurrences(conn: Connection, *, community_id: int, start: datetime, end: datetime,
                kinds: Sequence[str] | None = None) -> list[Occurrence]:
    """Every slot of every entry in [start, end] — past ones with their status, future
    ones as planned (status None; a paused entry's too, which its `paused` flag tells
    apart: the calendar shows them 已暂停). For the console's calendar."""
    rows = repo.of_community(conn, community_id=community_id, kinds=kinds)
    recorded = {(s["entry_id"], s["slot_ms"]): s for s in repo.slots_between(
        conn, community_id=community_id, start_ms=_ms(start), end_ms=_ms(end))}
    failed = repo.failed_ticks(conn, community_id=community_id, event_ids=[
        str(s["detail"]) for s in recorded.values()
        if s["status"] in (STATUS_SENT, STATUS_LATE) and s["detail"]])
    for s in recorded.values():
        if s["detail"] in failed and s["status"] in (STATUS_SENT, STATUS_LATE):
            s["status"] = STATUS_FAILED  # recorded as fired, but the platform refused it
    out: list[Occurrence] = []
    for entry in rows:
        seen: set[int] = set()
        if not entry["retired"]:
            for at in recurrence.between(entry["rule"], entry["tz"], start, end, limit=500):
                slot_ms = _ms(at)
                seen.add(slot_ms)
                done = recorded.get((entry["id"], slot_ms))
                if done is None and (entry["next_ms"] is None or slot_ms < entry["next_ms"]):
                    continue  # passed before the entry existed, or the entry has ended
                out.append(Occurrence(entry, slot_ms, done["status"] if done else None))
        for (entry_id, slot_ms), done in recorded.items():
            if entry_id == entry["id"] and slot_ms not in seen:
                out.append(Occurrence(entry, slot_ms, str(done["status"])))
    out.sort(key=lambda o: (o.slot_ms, o.entry["id"]))
    return out


# -- ticks ----------------------------------------------------------------------------------
def tick_of(event: TimerFired) -> Tick | None:
    """The schedule tick an event is, or None (a probe tick, another source)."""
    if event.source != SOURCE or event.timer == ADVANCE:
        return None
    data = dict(event.payload)
    try:
        entry_id, slot_ms = int(data["entry"]), int(data["slot"])
    except (KeyError, ValueError):
        return None
    payload = {k[2:]: v for k, v in data.items() if k.startswith("p.")}
    return Tick(kind=event.timer, entry_id=entry_id, slot_ms=slot_ms,
                late=data.get("late") == "1", payload=payload)


def _passed(entry: Mapping[str, Any], cursor_ms: int, until_ms: int) -> list[int]:
    return [_ms(t) for t in recurrence.between(entry["rule"], entry["tz"], _at(cursor_ms),
                                               _at(until_ms), limit=100_000)]


def record_tick(conn: Connection, *, community_id: int, event: TimerFired, now_ms: int
                ) -> Tick | None:
    """The ledger: record a schedule tick's slot, the slots it passed over (missed, with
    an audit entry), and move the cursor; in the tick's own transaction.

    Returns the tick when its handlers should run; None for an advance tick or a tick
    that is stale (its slot was skipped or the cursor moved since it was computed)."""
    if event.source != SOURCE:
        return None
    data = dict(event.payload)
    entry = repo.get(conn, entry_id=int(data["entry"]))
    if entry is None or entry["community_id"] != community_id:
        return None
    cursor = int(data["cursor"])
    last = int(data["slot"])
    slots = _passed(entry, cursor, last)
    fire = event.timer != ADVANCE
    nxt = recurrence.next_after(entry["rule"], entry["tz"], _at(last))
    if not repo.advance(conn, entry_id=int(entry["id"]), from_ms=cursor,
                        to_ms=_ms(nxt) if nxt else None):
        return None  # another tick already moved it (e.g. a plan change in between)
    missed = [s for s in slots if s != last or not fire]
    recorded_missed = 0
    for slot_ms in missed[-MISSED_ROWS:]:
        if repo.add_slot(conn, entry_id=int(entry["id"]), community_id=community_id,
                         slot_ms=slot_ms, status=STATUS_MISSED, at_ms=now_ms,
                         detail=event.source_event_id):
            recorded_missed += 1
    if recorded_missed or len(missed) > MISSED_ROWS:
        audit.record_operator_action(
            conn, community_id=community_id, operator="schedule", action="schedule:missed",
            reason=(f"「{entry['title']}」停机期间错过 "
                    f"{recorded_missed + max(0, len(missed) - MISSED_ROWS)} 次"
                    f"（超过补发时限 {entry['catch_up_minutes']} 分钟），已跳过"),
            evidence={"entry": entry["id"], "kind": entry["kind"], "slots": missed[-20:],
                      "count": len(missed)},
            group_id=entry["group_id"])
    if not fire:
        return None
    late = data.get("late") == "1"
    if not repo.add_slot(conn, entry_id=int(entry["id"]), community_id=community_id,
                         slot_ms=last, status=STATUS_LATE if late else STATUS_SENT,
                         at_ms=now_ms, detail=event.source_event_id):
        return None  # skipped by an operator after the tick was computed
    return tick_of(event)


def mark_slot(conn: Connection, *, tick: Tick, status: str, detail: str) -> None:
    """A handler says what became of the slot: `failed` (no target group, the post is
    gone from the plan) or `skipped` (the plan skips that date)."""
    repo.set_slot_status(conn, entry_id=tick.entry_id, slot_ms=tick.slot_ms,
                         status=status, detail=detail[:500])


def _every_group(_group: GroupRef) -> bool:
    return True


class Schedule:
    """Which ticks are due now, for one community: the bot loop calls it every round.

    Read-only: it computes ticks; the ledger (in the pipeline transaction) writes. So two
    processes computing the same tick is harmless — the event log keeps one.

    `serves` names the groups of the adapter that asks (issue 16: one process may run a
    Matrix, a Telegram and a QQ adapter for one community): a tick for another
    platform's group (its welcome batch, an entry tied to it) is left to that platform's
    adapter, and a community-wide tick is carried by one of the asker's own groups.
    """

    def __init__(self, engine: Engine, *, community_id: int, plan: Plan,
                 kinds: Sequence[JobKind] = (), probes: Sequence[Probe] = (),
                 resolution_s: int = 60,
                 serves: Callable[[GroupRef], bool] = _every_group) -> None:
        self.engine = engine
        self.community_id = community_id
        self.plan = plan
        self.kinds = tuple(kinds)
        self.probes = tuple(probes)
        self.resolution_s = resolution_s
        self.serves = serves

    def sync(self, now: datetime) -> None:
        """Store the plan's entries (at start, and when the plan changes)."""
        with self.engine.begin() as conn:
            sync_plan(conn, community_id=self.community_id, plan=self.plan, kinds=self.kinds,
                      now_ms=_ms(now))

    def __call__(self, now: datetime) -> Sequence[TimerFired]:
        return self.due(now)

    def due(self, now: datetime, *, probes: bool = True) -> list[TimerFired]:
        """The ticks due at `now`; `probes=False` asks only the entries (a simulated clock
        that knows when the probes' rows fall due asks them only then)."""
        now_ms = _ms(now)
        with self.engine.connect() as conn:
            every = dict(lookup.community_groups(conn, community_id=self.community_id))
            groups = {gid: ref for gid, ref in every.items() if self.serves(ref)}
            if not groups:
                return []  # none of the community's groups is this adapter's
            ticks = self._probe_ticks(conn, groups, now, now_ms) if probes else []
            for entry in repo.due(conn, community_id=self.community_id, now_ms=now_ms):
                if entry["group_id"] in every and entry["group_id"] not in groups:
                    continue  # tied to another platform's group: its adapter fires it
                tick = self._entry_tick(conn, entry, groups, now, now_ms)
                if tick is not None:
                    ticks.append(tick)
        return ticks

    def next_at(self) -> datetime | None:
        """When the next entry slot is due (probes aside): a simulated clock jumps there."""
        with self.engine.connect() as conn:
            found = repo.next_due_ms(conn, community_id=self.community_id)
        return _at(found) if found is not None else None

    def _probe_ticks(self, conn: Connection, groups: Mapping[int, GroupRef], now: datetime,
                     now_ms: int) -> list[TimerFired]:
        slot = now_ms // (self.resolution_s * 1000)
        ticks: list[TimerFired] = []
        for probe in self.probes:
            if probe.keyed is not None:
                found = probe.keyed(conn, self.community_id, now_ms)
            else:
                assert probe.due is not None
                found = [(g, str(slot)) for g in probe.due(conn, self.community_id, now_ms)]
            for wanted, key in found:
                if wanted is not None and wanted not in groups:
                    continue  # not a community group (a DM, the admins' room), or not ours
                gid = wanted if wanted is not None else next(iter(groups))
                ticks.append(TimerFired(source=PROBE_SOURCE,
                                        source_event_id=f"{probe.timer}:{gid}:{key}",
                                        group=groups[gid], at=now, timer=probe.timer))
        return ticks

    def _entry_tick(self, conn: Connection, entry: Mapping[str, Any],
                    groups: Mapping[int, GroupRef], now: datetime, now_ms: int
                    ) -> TimerFired | None:
        cursor = int(entry["next_ms"])
        passed = _passed(entry, cursor, now_ms)
        if not passed:
            return None
        window_ms = int(entry["catch_up_minutes"]) * 60_000
        fire: int | None = None
        for slot_ms in reversed(passed):
            if now_ms - slot_ms > max(window_ms, LATE_AFTER_MS):
                break
            done = repo.slot(conn, entry_id=int(entry["id"]), slot_ms=slot_ms)
            if done is None:
                fire = slot_ms
                break
        group = groups.get(entry["group_id"]) or next(iter(groups.values()))
        data: dict[str, str] = {"entry": str(entry["id"]), "cursor": str(cursor)}
        if fire is None:
            data["slot"] = str(passed[-1])
            return TimerFired(source=SOURCE, group=group, at=now, timer=ADVANCE,
                              source_event_id=f"{ADVANCE}:{entry['id']}:{passed[-1]}",
                              payload=tuple(data.items()))
        data.update(slot=str(fire), late="1" if now_ms - fire > LATE_AFTER_MS else "0")
        data.update({f"p.{k}": str(v) for k, v in (entry["payload"] or {}).items()})
        return TimerFired(source=SOURCE, group=group, at=now, timer=str(entry["kind"]),
                          source_event_id=f"{entry['kind']}:{entry['id']}:{fire}",
                          payload=tuple(data.items()))

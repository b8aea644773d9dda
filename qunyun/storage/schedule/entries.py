"""Repository: schedule entries (their rules, pause flags, cursors) and their slots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from qunyun.storage.schedule.tables import schedule_entries, schedule_slots
from qunyun.storage.sql import insert_ignore

_ENTRY = ("community_id", "kind", "key", "title", "origin", "rule", "tz", "catch_up_minutes",
          "paused", "retired", "group_id", "payload", "next_ms", "created_ms", "updated_ms")


def get(conn: Connection, *, entry_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(schedule_entries)
                       .where(schedule_entries.c.id == entry_id)).mappings().first()
    return dict(row) if row else None


def by_key(conn: Connection, *, community_id: int, kind: str, key: str) -> dict[str, Any] | None:
    row = conn.execute(select(schedule_entries).where(
        (schedule_entries.c.community_id == community_id) & (schedule_entries.c.kind == kind)
        & (schedule_entries.c.key == key))).mappings().first()
    return dict(row) if row else None


def insert_if_absent(conn: Connection, *, row: Mapping[str, Any]) -> dict[str, Any]:
    """Insert the entry unless (community, kind, key) exists; the stored row either way.

    Two bot processes starting on one database both sync the plan: the unique key makes
    the second insert a no-op instead of a duplicate entry."""
    unknown = set(row) - set(_ENTRY)
    if unknown:
        raise ValueError(f"unknown schedule entry columns {sorted(unknown)}")
    conn.execute(insert_ignore(conn, schedule_entries, "community_id", "kind", "key")
                 .values(**{k: row[k] for k in _ENTRY if k in row}))
    stored = by_key(conn, community_id=row["community_id"], kind=row["kind"], key=row["key"])
    assert stored is not None
    return stored


def update(conn: Connection, *, entry_id: int, values: Mapping[str, Any]) -> None:
    unknown = set(values) - set(_ENTRY)
    if unknown:
        raise ValueError(f"unknown schedule entry columns {sorted(unknown)}")
    conn.execute(schedule_entries.update().where(schedule_entries.c.id == entry_id)
                 .values(**values))


def advance(conn: Connection, *, entry_id: int, from_ms: int, to_ms: int | None) -> bool:
    """Move the cursor only if it still points where the caller saw it (compare-and-set)."""
    result = conn.execute(schedule_entries.update().where(
        (schedule_entries.c.id == entry_id) & (schedule_entries.c.next_ms == from_ms))
        .values(next_ms=to_ms))
    return bool(result.rowcount)


def due(conn: Connection, *, community_id: int, now_ms: int) -> list[dict[str, Any]]:
    """Entries whose next slot is at or before now (paused and retired ones excluded)."""
    rows = conn.execute(select(schedule_entries).where(
        (schedule_entries.c.community_id == community_id)
        & (schedule_entries.c.next_ms <= now_ms)
        & schedule_entries.c.paused.is_(False) & schedule_entries.c.retired.is_(False))
        .order_by(schedule_entries.c.next_ms, schedule_entries.c.id)).mappings()
    return [dict(r) for r in rows]


def of_community(conn: Connection, *, community_id: int, kinds: Sequence[str] | None = None
                 ) -> list[dict[str, Any]]:
    query = select(schedule_entries).where(schedule_entries.c.community_id == community_id)
    if kinds is not None:
        query = query.where(schedule_entries.c.kind.in_(list(kinds)))
    return [dict(r) for r in conn.execute(query.order_by(schedule_entries.c.id)).mappings()]


def add_slot(conn: Connection, *, entry_id: int, community_id: int, slot_ms: int, status: str,
             at_ms: int, detail: str | None = None) -> bool:
    """Record what a slot did; False when the slot already has a row (fired or skipped)."""
    inserted = conn.execute(insert_ignore(conn, schedule_slots, "entry_id", "slot_ms").values(
        entry_id=entry_id, community_id=community_id, slot_ms=slot_ms, status=status,
        at_ms=at_ms, detail=detail).returning(schedule_slots.c.id)).first()
    return inserted is not None  # RETURNING: PostgreSQL reports no rowcount here


def slot(conn: Connection, *, entry_id: int, slot_ms: int) -> dict[str, Any] | None:
    row = conn.execute(select(schedule_slots).where(
        (schedule_slots.c.entry_id == entry_id) & (schedule_slots.c.slot_ms == slot_ms))
    ).mappings().first()
    return dict(row) if row else None


def set_slot_status(conn: Connection, *, entry_id: int, slot_ms: int, status: str,
                    detail: str | None = None) -> None:
    values: dict[str, Any] = {"status": status}
    if detail is not None:
        values["detail"] = detail
    conn.execute(schedule_slots.update().where(
        (schedule_slots.c.entry_id == entry_id) & (schedule_slots.c.slot_ms == slot_ms))
        .values(**values))


def delete_slot(conn: Connection, *, entry_id: int, slot_ms: int, status: str) -> bool:
    result = conn.execute(schedule_slots.delete().where(
        (schedule_slots.c.entry_id == entry_id) & (schedule_slots.c.slot_ms == slot_ms)
        & (schedule_slots.c.status == status)))
    return bool(result.rowcount)


def slots_between(conn: Connection, *, community_id: int, start_ms: int, end_ms: int
                  ) -> list[dict[str, Any]]:
    rows = conn.execute(select(schedule_slots).where(
        (schedule_slots.c.community_id == community_id)
        & (schedule_slots.c.slot_ms >= start_ms) & (schedule_slots.c.slot_ms <= end_ms))
        .order_by(schedule_slots.c.slot_ms, schedule_slots.c.id)).mappings()
    return [dict(r) for r in rows]


def last_fired(conn: Connection, *, entry_id: int) -> int | None:
    """The latest slot of the entry that was sent (on time or late), or None."""
    from sqlalchemy import func

    value = conn.execute(select(func.max(schedule_slots.c.slot_ms)).where(
        (schedule_slots.c.entry_id == entry_id)
        & schedule_slots.c.status.in_(["sent", "late"]))).scalar()
    return int(value) if value is not None else None


def failed_ticks(conn: Connection, *, community_id: int, event_ids: Sequence[str]) -> set[str]:
    """Which of these ticks had an effect the platform refused (the audit log's outbox), or
    a handler that failed on them (its error is audited)."""
    from qunyun.storage.tables import audit_log

    if not event_ids:
        return set()
    rows = conn.execute(select(audit_log.c.event_source_id).where(
        (audit_log.c.community_id == community_id)
        & audit_log.c.event_source_id.in_(list(event_ids))
        & audit_log.c.status.in_(["failed", "policy_error"])))
    return {str(r[0]) for r in rows}


def next_due_ms(conn: Connection, *, community_id: int) -> int | None:
    """The earliest cursor of the community's active entries (a simulated clock jumps there)."""
    from sqlalchemy import func

    value = conn.execute(select(func.min(schedule_entries.c.next_ms)).where(
        (schedule_entries.c.community_id == community_id)
        & schedule_entries.c.paused.is_(False) & schedule_entries.c.retired.is_(False))
    ).scalar()
    return int(value) if value is not None else None


def posted_texts(conn: Connection, *, community_id: int, tick_key: str
                 ) -> list[dict[str, Any]]:
    """What a tick posted (the audit log's outbox rows of its event, in order): the text,
    the group and the delivery status — the calendar's preview of a slot that already
    went out shows these, not a new rendering."""
    from qunyun.storage.tables import audit_log

    rows = conn.execute(select(audit_log.c.effect, audit_log.c.status, audit_log.c.group_id)
                        .where((audit_log.c.community_id == community_id)
                               & (audit_log.c.event_source_id == tick_key)
                               & (audit_log.c.action == "send"))
                        .order_by(audit_log.c.id)).mappings()
    return [{"text": str((row["effect"] or {}).get("text") or ""), "status": str(row["status"]),
             "group_id": row["group_id"]} for row in rows]


def last_slots(conn: Connection, *, entry_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Each entry's latest recorded slot (slot time and status), for "last ran"."""
    if not entry_ids:
        return {}
    from sqlalchemy import func

    latest = select(schedule_slots.c.entry_id, func.max(schedule_slots.c.slot_ms).label("m")) \
        .where(schedule_slots.c.entry_id.in_(list(entry_ids))) \
        .group_by(schedule_slots.c.entry_id).subquery()
    rows = conn.execute(select(schedule_slots.c.entry_id, schedule_slots.c.slot_ms,
                               schedule_slots.c.status).join(
        latest, (latest.c.entry_id == schedule_slots.c.entry_id)
        & (latest.c.m == schedule_slots.c.slot_ms))).mappings()
    return {int(r["entry_id"]): dict(r) for r in rows}

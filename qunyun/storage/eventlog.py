"""Repository: the append-only event log, idempotent on (source, source_event_id)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from qunyun.storage.sql import insert_ignore
from qunyun.storage.tables import events


def append_one(conn: Connection, *, row: Mapping[str, Any]) -> int | None:
    """Insert one event; the new row id, or None when it was already in the log."""
    result = conn.execute(
        insert_ignore(conn, events, "source", "source_event_id").returning(events.c.id), row
    )
    new_id = result.scalar()
    return int(new_id) if new_id is not None else None


def append_many(conn: Connection, *, rows: Sequence[Mapping[str, Any]]) -> None:
    """Bulk insert; rows already in the log are skipped silently (count with `count_by_source`)."""
    if rows:
        conn.execute(insert_ignore(conn, events, "source", "source_event_id"), list(rows))


def count_by_source(conn: Connection, *, sources: Sequence[str]) -> int:
    if not sources:
        return 0
    return int(
        conn.execute(
            select(func.count()).select_from(events).where(events.c.source.in_(list(sources)))
        ).scalar_one()
    )


def count_events(conn: Connection, *, community_id: int | None = None) -> int:
    query = select(func.count()).select_from(events)
    if community_id is not None:
        query = query.where(events.c.community_id == community_id)
    return int(conn.execute(query).scalar_one())


def exists(conn: Connection, *, source: str, source_event_id: str) -> bool:
    return (
        conn.execute(
            select(events.c.id).where(
                events.c.source == source, events.c.source_event_id == source_event_id
            )
        ).first()
        is not None
    )


def events_of_member(conn: Connection, *, member_id: int, limit: int = 200) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(events).where(events.c.member_id == member_id).order_by(events.c.ts_ms.desc())
        .limit(limit)
    ).mappings()
    return [dict(r) for r in rows]

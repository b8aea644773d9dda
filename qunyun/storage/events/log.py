"""Repository: the append-only event log, idempotent on (source, source_event_id,
community_id): the same platform message in two communities is two events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Select, func, select, text

from qunyun.storage.prepared import Prepared
from qunyun.storage.sql import upsert_for
from qunyun.storage.tables import IMPORTED_MESSAGE, events, groups

DEDUPE_KEY = ("source", "source_event_id", "community_id")  # uq_events_community_source_key


def _append_one(dialect: str) -> Any:
    return (upsert_for(dialect)(events)
            .on_conflict_do_nothing(index_elements=list(DEDUPE_KEY))
            .returning(events.c.id))


BULK_COLUMNS = (
    "source", "source_event_id", "community_id", "group_id", "member_id", "kind", "ts_ms", "text",
    "related_member_id", "ref_id", "payload",
)
_APPEND_ONE = Prepared(_append_one, keys=BULK_COLUMNS)  # once per live event


def append_one(conn: Connection, *, row: Mapping[str, Any]) -> int | None:
    """Insert one event (`row` has every `BULK_COLUMNS` key; `payload` a dict or None);
    the new row id, or None when it was already in the log."""
    new_id = _APPEND_ONE.scalar(conn, row)
    return int(new_id) if new_id is not None else None


def append_many(conn: Connection, *, rows: Sequence[Sequence[Any]]) -> None:
    """Bulk insert of tuples in `BULK_COLUMNS` order, `payload` already JSON text (or None).

    Rows already in the log are skipped (count with `count_by_source`). This goes straight
    to the driver's executemany: SQLAlchemy's per-row parameter processing costs more than
    the insert itself at a million rows.
    """
    if not rows:
        return
    cols = ", ".join(BULK_COLUMNS)
    if conn.dialect.name == "postgresql":
        marks = ", ".join(["%s"] * (len(BULK_COLUMNS) - 1) + ["%s::json"])
        sql = (f"INSERT INTO events ({cols}) VALUES ({marks}) "
               f"ON CONFLICT ({', '.join(DEDUPE_KEY)}) DO NOTHING")
    else:
        marks = ", ".join(["?"] * len(BULK_COLUMNS))
        sql = f"INSERT OR IGNORE INTO events ({cols}) VALUES ({marks})"
    conn.exec_driver_sql(sql, list(rows))


def count_by_source(conn: Connection, *, sources: Sequence[str]) -> int:
    if not sources:
        return 0
    return int(
        conn.execute(
            select(func.count()).select_from(events).where(events.c.source.in_(list(sources)))
        ).scalar_one()
    )


def first_event_ms(conn: Connection, *, community_id: int) -> int | None:
    """When the community's history begins: its earliest event in any group. One
    index lookup per group (`ix_events_group_ts`), never a scan of the log."""
    per_group = (select(func.min(events.c.ts_ms)).where(events.c.group_id == groups.c.id)
                 .scalar_subquery())
    firsts = conn.execute(select(per_group).where(groups.c.community_id == community_id)
                          ).scalars().all()
    known = [int(v) for v in firsts if v is not None]
    return min(known) if known else None


def count_events(conn: Connection, *, community_id: int | None = None) -> int:
    query = select(func.count()).select_from(events)
    if community_id is not None:
        query = query.where(events.c.community_id == community_id)
    return int(conn.execute(query).scalar_one())


def exists(conn: Connection, *, source: str, source_event_id: str,
           community_id: int | None = None) -> bool:
    """Is the event in the log (with `community_id`: in that community's log)?"""
    query = select(events.c.id).where(events.c.source == source,
                                      events.c.source_event_id == source_event_id)
    if community_id is not None:
        query = query.where(events.c.community_id == community_id)
    return conn.execute(query).first() is not None


def events_of_member(conn: Connection, *, member_id: int, limit: int = 200) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(events).where(events.c.member_id == member_id).order_by(events.c.ts_ms.desc())
        .limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


IMPORT_PREFIX = "import:"  # every imported event's source (`import:telegram:…`; IMPORTED_MESSAGE)


def imported_messages_query(member_id: int) -> Select[Any]:
    """The count behind `imported_messages`: the partial index's predicate as a literal
    (a bound 'message' or LIKE pattern would not match it), so it reads only that index."""
    return select(func.count()).select_from(events).where(
        events.c.member_id == member_id, text(IMPORTED_MESSAGE))


def imported_messages(conn: Connection, *, member_id: int) -> int:
    """How many of the member's messages came from an imported history (T3: those earned
    no points, which only the live bot awards)."""
    return int(conn.execute(imported_messages_query(member_id)).scalar_one())

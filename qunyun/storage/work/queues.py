"""Repository: work queue items.

Queues: T2 to-dos, R4 suspects, E1 candidates, R3 appeals, R5 escalations, E2 revivals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from qunyun.storage.prepared import Prepared
from qunyun.storage.sql import insert_ignore_for
from qunyun.storage.tables import work_items

QUEUES = ("todo", "suspect", "elimination", "appeal", "escalation", "revival",
          "post_todo",  # A1: a post the platform cannot make, for the group owner
          "join_request",  # G1: an application the plan cannot decide
          "group_todo",  # G4: a full group's next group, to open by hand
          "dm_todo",  # R2/R3/O2: a DM the platform would not deliver, to send by hand
          "removal_todo",  # E3 approved for a member no bot can remove: remove by hand
          "group_invite")  # a room the bot was invited to by a non-admin, to confirm


_ITEM_COLUMNS = ("community_id", "queue", "item_key", "member_id", "group_id", "title",
                 "detail", "status", "created_ms", "updated_ms")
# The bot opens items as it goes (suspects, escalations): compiled once, run on the driver.
_OPEN = Prepared(lambda dialect: insert_ignore_for(dialect, work_items, "community_id", "queue",
                                                  "item_key").returning(work_items.c.id),
                 keys=_ITEM_COLUMNS)
_FIND = Prepared(select(work_items.c.id).where(
    work_items.c.community_id == bindparam("community_id"),
    work_items.c.queue == bindparam("queue"), work_items.c.item_key == bindparam("item_key")))


def open_item(
    conn: Connection, *, community_id: int, queue: str, item_key: str, title: str,
    detail: Mapping[str, Any], now_ms: int, member_id: int | None = None,
    group_id: int | None = None,
) -> tuple[int, bool]:
    """Open an item unless one with the same key exists. Returns (id, created)."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    inserted = _OPEN.scalar(conn, {
        "community_id": community_id, "queue": queue, "item_key": item_key,
        "member_id": member_id, "group_id": group_id, "title": title[:500],
        "detail": dict(detail), "status": "open", "created_ms": now_ms, "updated_ms": now_ms})
    if inserted is not None:
        return int(inserted), True
    item_id = _FIND.scalar(conn, {"community_id": community_id, "queue": queue,
                                  "item_key": item_key})
    return int(item_id), False


def refresh_detail(
    conn: Connection, *, item_id: int, title: str, detail: Mapping[str, Any], now_ms: int
) -> None:
    """New evidence for an open item, with the title that describes it (a T2 to-do's
    "活跃者（12）" counts the members its evidence lists)."""
    conn.execute(work_items.update().where(work_items.c.id == item_id)
                 .values(title=title[:500], detail=dict(detail), updated_ms=now_ms))


def set_status(
    conn: Connection, *, item_id: int, status: str, resolved_by: str | None,
    resolution: str | None, now_ms: int,
) -> None:
    conn.execute(
        work_items.update().where(work_items.c.id == item_id).values(
            status=status, resolved_by=resolved_by, resolution=resolution, updated_ms=now_ms
        )
    )


def get_item(conn: Connection, *, item_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(work_items).where(work_items.c.id == item_id)).mappings().first()
    return dict(row) if row else None


def list_items(
    conn: Connection, *, community_id: int, queue: str | None = None,
    status: str | None = "open", member_id: int | None = None, limit: int = 500,
) -> list[dict[str, Any]]:
    query = select(work_items).where(work_items.c.community_id == community_id)
    if queue:
        query = query.where(work_items.c.queue == queue)
    if status:
        query = query.where(work_items.c.status == status)
    if member_id is not None:
        query = query.where(work_items.c.member_id == member_id)
    query = query.order_by(work_items.c.id.desc()).limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()]


def count_open(conn: Connection, *, community_id: int) -> dict[str, int]:
    rows = conn.execute(
        select(work_items.c.queue, func.count()).where(
            work_items.c.community_id == community_id, work_items.c.status == "open"
        ).group_by(work_items.c.queue)
    ).all()
    return {q: int(n) for q, n in rows}


def exempted_members(conn: Connection, *, community_id: int, queue: str) -> set[int]:
    """Members the operator exempted in `queue` (E3: exempt before the sweep runs)."""
    rows = conn.execute(
        select(work_items.c.member_id).where(
            work_items.c.community_id == community_id, work_items.c.queue == queue,
            work_items.c.status == "exempted",
        )
    )
    return {int(r[0]) for r in rows if r[0] is not None}


def by_key(conn: Connection, *, community_id: int, queue: str, item_key: str
           ) -> dict[str, Any] | None:
    found = _FIND.scalar(conn, {"community_id": community_id, "queue": queue,
                                "item_key": item_key})
    return get_item(conn, item_id=int(found)) if found is not None else None

"""Repository: campaign and calendar tasks done (T3), and the membership a campaign day
needs (is the member still in the group?)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from qunyun.storage.schedule.tables import schedule_tasks_done
from qunyun.storage.sql import insert_ignore
from qunyun.storage.tables import memberships


def mark_done(conn: Connection, *, community_id: int, member_id: int, task: str, source: str,
              points: int, at_ms: int) -> bool:
    """False when the member had done this task already."""
    result = conn.execute(insert_ignore(conn, schedule_tasks_done, "community_id", "member_id",
                                        "task").values(
        community_id=community_id, member_id=member_id, task=task[:40], source=source[:120],
        points=points, at_ms=at_ms))
    return bool(result.rowcount)


def done_of(conn: Connection, *, member_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(select(schedule_tasks_done).where(
        schedule_tasks_done.c.member_id == member_id).order_by(schedule_tasks_done.c.at_ms))
    return [dict(r) for r in rows.mappings()]


def in_group(conn: Connection, *, member_id: int, group_id: int) -> bool:
    row = conn.execute(select(memberships.c.active).where(
        (memberships.c.member_id == member_id) & (memberships.c.group_id == group_id))).first()
    return bool(row and row[0])

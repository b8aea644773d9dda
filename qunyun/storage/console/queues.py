"""Read-only queries for the console's queue page: one page of items and the total."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from qunyun.storage.tables import work_items


def page(
    conn: Connection, *, community_id: int, queue: str | None, status: str | None,
    offset: int = 0, limit: int = 100,
) -> tuple[list[dict[str, Any]], int]:
    """Newest first; `ix_work_items_queue` covers the filter."""
    where = [work_items.c.community_id == community_id]
    if queue:
        where.append(work_items.c.queue == queue)
    if status:
        where.append(work_items.c.status == status)
    total = int(conn.execute(select(func.count()).select_from(work_items).where(*where))
                .scalar_one())
    rows = conn.execute(select(work_items).where(*where).order_by(work_items.c.id.desc())
                        .offset(offset).limit(limit)).mappings()
    return [dict(r) for r in rows], total

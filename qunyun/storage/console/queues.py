"""Read-only queries for the console's queue page: one page of items and the total."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from qunyun.storage.bot.tables import bot_warnings
from qunyun.storage.lifecycle.tables import lifecycle_cases as cases
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


def latest_removals(conn: Connection, *, community_id: int, member_ids: list[int]
                    ) -> dict[int, dict[str, Any]]:
    """Per member, their latest removal case (removed, or revived after one): status,
    reason, closed_ms, revived_ms, revived_how."""
    if not member_ids:
        return {}
    rows = conn.execute(
        select(cases.c.member_id, cases.c.status, cases.c.reason, cases.c.closed_ms,
               cases.c.revived_ms, cases.c.revived_how)
        .where(cases.c.community_id == community_id,
               cases.c.member_id.in_(sorted(set(member_ids))),
               cases.c.status.in_(("removed", "revived")))
        .order_by(cases.c.closed_ms, cases.c.id)).mappings()
    return {int(r["member_id"]): dict(r) for r in rows}  # the last one per member wins


def withdrawn_warnings(conn: Connection, *, community_id: int, member_ids: list[int]
                       ) -> dict[int, int]:
    """Per member, how many of their warnings were withdrawn (an upheld appeal)."""
    if not member_ids:
        return {}
    rows = conn.execute(
        select(bot_warnings.c.member_id, func.count())
        .where(bot_warnings.c.community_id == community_id,
               bot_warnings.c.member_id.in_(sorted(set(member_ids))),
               bot_warnings.c.revoked_ms.is_not(None))
        .group_by(bot_warnings.c.member_id)).all()
    return {int(m): int(n) for m, n in rows}

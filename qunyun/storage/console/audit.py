"""Read-only queries for the console's audit page: filtered, newest first, paged by id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from qunyun.storage.tables import audit_log


def like_escaped(text: str) -> str:
    """`text` as a literal inside a LIKE pattern (ESCAPE '\\')."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def entries(
    conn: Connection, *, community_id: int, action: str = "", actor: str = "",
    status: str = "", member_id: int | None = None, before_id: int | None = None,
    limit: int = 100, member_ids: list[int] | None = None,
) -> list[dict[str, Any]]:
    """`action` and `actor` match as prefixes ("suspect:" finds every suspect decision);
    `member_ids`: entries about any of these members (a name search's matches)."""
    query = select(audit_log).where(audit_log.c.community_id == community_id)
    if action:
        query = query.where(audit_log.c.action.like(like_escaped(action) + "%", escape="\\"))
    if actor:
        query = query.where(audit_log.c.actor.like(like_escaped(actor) + "%", escape="\\"))
    if status:
        query = query.where(audit_log.c.status == status)
    if member_id is not None:
        query = query.where(audit_log.c.member_id == member_id)
    if member_ids is not None:
        query = query.where(audit_log.c.member_id.in_(member_ids))
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    query = query.order_by(audit_log.c.id.desc()).limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()]


def actions(conn: Connection, *, community_id: int) -> list[str]:
    """Distinct action names of the community (the filter's choices)."""
    rows = conn.execute(select(audit_log.c.action).distinct()
                        .where(audit_log.c.community_id == community_id).limit(200))
    return sorted(str(r[0]) for r in rows)

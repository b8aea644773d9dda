"""Repository: a community's stored plan and its versions (where each text came from)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from qunyun.storage.community.tables import plan_versions
from qunyun.storage.tables import communities


def add_version(conn: Connection, *, community_id: int, text: str, sha256: str, source: str,
                origin: str, now_ms: int) -> int:
    """Store `text` as the community's plan and remember where it came from."""
    conn.execute(communities.update().where(communities.c.id == community_id)
                 .values(plan_yaml=text))
    result = conn.execute(plan_versions.insert().values(
        community_id=community_id, sha256=sha256, source=source, origin=origin[:500],
        plan_yaml=text, saved_ms=now_ms))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def latest(conn: Connection, *, community_id: int, source: str | None = None,
           origin: str | None = None) -> dict[str, Any] | None:
    """The newest version (of that source and origin, when given), without its text."""
    query = select(plan_versions.c.id, plan_versions.c.sha256, plan_versions.c.source,
                   plan_versions.c.origin, plan_versions.c.saved_ms) \
        .where(plan_versions.c.community_id == community_id)
    if source is not None:
        query = query.where(plan_versions.c.source == source)
    if origin is not None:
        query = query.where(plan_versions.c.origin == origin)
    row = conn.execute(query.order_by(plan_versions.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def current_text(conn: Connection, *, community_id: int) -> str | None:
    row = conn.execute(select(communities.c.plan_yaml)
                       .where(communities.c.id == community_id)).first()
    return row[0] if row and isinstance(row[0], str) else None

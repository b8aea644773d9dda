"""Repository: held tiers and tier history (T1)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from qunyun.storage.growth.tables import growth_tier_changes as changes
from qunyun.storage.growth.tables import growth_tiers as held


def held_of(conn: Connection, *, community_id: int) -> dict[int, dict[str, Any]]:
    rows = conn.execute(select(held).where(held.c.community_id == community_id)).mappings()
    return {int(r["member_id"]): dict(r) for r in rows}


def held_one(conn: Connection, *, community_id: int, member_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(held).where(held.c.community_id == community_id,
                                          held.c.member_id == member_id)).mappings().first()
    return dict(row) if row else None


def put(conn: Connection, *, community_id: int, member_id: int, tier: str, since_ms: int,
        promoted_at_ms: int | None, locked: bool, locked_by: str | None) -> None:
    values = {"tier": tier, "since_ms": since_ms, "promoted_at_ms": promoted_at_ms,
              "locked": locked, "locked_by": locked_by}
    done = conn.execute(held.update().where(held.c.community_id == community_id,
                                            held.c.member_id == member_id).values(**values))
    if not done.rowcount:
        conn.execute(held.insert().values(community_id=community_id, member_id=member_id,
                                          **values))


def drop(conn: Connection, *, community_id: int, member_id: int) -> None:
    conn.execute(held.delete().where(held.c.community_id == community_id,
                                     held.c.member_id == member_id))


def add_change(conn: Connection, *, community_id: int, member_id: int, before: str | None,
               after: str, direction: str, at_ms: int, reason: str,
               by: str | None = None) -> None:
    conn.execute(changes.insert().values(
        community_id=community_id, member_id=member_id, before=before, after=after,
        direction=direction, at_ms=at_ms, reason=reason, by=by))


def history(conn: Connection, *, member_id: int, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(select(changes).where(changes.c.member_id == member_id)
                        .order_by(changes.c.at_ms.desc(), changes.c.id.desc())
                        .limit(limit)).mappings()
    return [dict(r) for r in rows]


def changes_after(conn: Connection, *, community_id: int,
                  after_id: int = 0) -> list[dict[str, Any]]:
    """The community's tier moves with an id above `after_id`, oldest first (what a
    rehearsal reads after each tick)."""
    rows = conn.execute(select(changes).where(changes.c.community_id == community_id,
                                              changes.c.id > after_id)
                        .order_by(changes.c.id)).mappings()
    return [dict(r) for r in rows]

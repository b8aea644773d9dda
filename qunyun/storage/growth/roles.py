"""Repository: the role or title the bot gave each member for their tier (T2)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from qunyun.storage.growth.tables import growth_roles as roles


def given(conn: Connection, *, community_id: int, member_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(roles).where(roles.c.community_id == community_id,
                                           roles.c.member_id == member_id)).mappings().first()
    return dict(row) if row else None


def given_of(conn: Connection, *, community_id: int) -> dict[int, dict[str, Any]]:
    """Every role the bot gave in the community, by member (the daily backfill)."""
    rows = conn.execute(select(roles).where(roles.c.community_id == community_id)).mappings()
    return {int(r["member_id"]): dict(r) for r in rows}


def put(conn: Connection, *, community_id: int, member_id: int, tier: str, role: str,
        level: int, at_ms: int, by_operator: bool) -> None:
    values = {"tier": tier, "role": role, "level": level, "given_ms": at_ms,
              "by_operator": by_operator}
    done = conn.execute(roles.update().where(roles.c.community_id == community_id,
                                             roles.c.member_id == member_id).values(**values))
    if not done.rowcount:
        conn.execute(roles.insert().values(community_id=community_id, member_id=member_id,
                                           **values))


def drop(conn: Connection, *, community_id: int, member_id: int) -> None:
    conn.execute(roles.delete().where(roles.c.community_id == community_id,
                                      roles.c.member_id == member_id))

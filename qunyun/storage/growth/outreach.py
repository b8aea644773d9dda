"""Repository and tables: the bot's own DMs to members (T2/T4 rate limit) and buddies (T2).

`growth_bot_dms` has one row per DM the bot started (an invitation, a tier nudge, a buddy
introduction, a thank-you): the shared weekly limit counts these. `growth_buddies` pairs
each new onlooker with the member introduced to them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    func,
    select,
)

from qunyun.storage.growth.tables import growth_tier_changes
from qunyun.storage.tables import memberships, metadata

bot_dms = Table(
    "growth_bot_dms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, nullable=False),
    # volunteer_invite | ambassador_invite | tier_dm | buddy | thanks
    Column("kind", String(40), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Index("ix_growth_bot_dms_member", "community_id", "member_id", "at_ms"),
)

buddies = Table(
    "growth_buddies",
    metadata,
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", Integer, primary_key=True),  # the newcomer
    Column("buddy_member_id", Integer, nullable=False),
    Column("at_ms", BigInteger, nullable=False),
)


def dms_since(conn: Connection, *, community_id: int, member_id: int, since_ms: int) -> int:
    return int(conn.execute(select(func.count()).where(
        bot_dms.c.community_id == community_id, bot_dms.c.member_id == member_id,
        bot_dms.c.at_ms > since_ms)).scalar_one())


def note_dm(conn: Connection, *, community_id: int, member_id: int, kind: str,
            at_ms: int) -> None:
    conn.execute(bot_dms.insert().values(community_id=community_id, member_id=member_id,
                                         kind=kind, at_ms=at_ms))


def buddy_of(conn: Connection, *, community_id: int, member_id: int) -> int | None:
    found = conn.execute(select(buddies.c.buddy_member_id).where(
        buddies.c.community_id == community_id, buddies.c.member_id == member_id)).scalar()
    return int(found) if found is not None else None


def buddy_loads(conn: Connection, *, community_id: int) -> dict[int, int]:
    """How many newcomers each buddy was introduced to (spread the introductions)."""
    rows = conn.execute(select(buddies.c.buddy_member_id, func.count())
                        .where(buddies.c.community_id == community_id)
                        .group_by(buddies.c.buddy_member_id))
    return {int(b): int(n) for b, n in rows}


def add_buddy(conn: Connection, *, community_id: int, member_id: int, buddy_member_id: int,
              at_ms: int) -> None:
    conn.execute(buddies.insert().values(community_id=community_id, member_id=member_id,
                                         buddy_member_id=buddy_member_id, at_ms=at_ms))


def tier_changes_at(conn: Connection, *, community_id: int, at_ms: int) -> list[dict[str, Any]]:
    """The tier moves a daily pass made at `at_ms` (the T2 actions follow them)."""
    rows = conn.execute(select(growth_tier_changes).where(
        growth_tier_changes.c.community_id == community_id,
        growth_tier_changes.c.at_ms == at_ms,
        growth_tier_changes.c.direction.in_(("first", "promotion", "demotion")))
        .order_by(growth_tier_changes.c.id)).mappings()
    return [dict(r) for r in rows]


def first_joined(conn: Connection, *, member_ids: list[int]) -> dict[int, int]:
    """When each member first joined a group of theirs (ms)."""
    if not member_ids:
        return {}
    rows = conn.execute(select(memberships.c.member_id, func.min(memberships.c.joined_ms))
                        .where(memberships.c.member_id.in_(member_ids))
                        .group_by(memberships.c.member_id))
    return {int(m): int(t) for m, t in rows if t is not None}

"""Repository and tables: the ambassador programme (推广大使, T2) and the members it brought.

`growth_ambassadors` is one row per member ever invited: the state (invited → accepted or
declined), the timestamps of each step, why they were invited, and an accepted
ambassador's own code (unique in the community; on Telegram their invite link is named
after them too). `growth_ambassador_referrals` is one row per member an ambassador brought
(a join naming the ambassador as inviter, or the newcomer's `!邀请码`): a member is
credited to one ambassador once, which is what keeps the points from being paid twice.
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
    Text,
    UniqueConstraint,
    func,
    select,
)

from qunyun.storage.tables import metadata

ambassadors = Table(
    "growth_ambassadors",
    metadata,
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", Integer, primary_key=True),
    Column("state", String(20), nullable=False),  # invited | accepted | declined
    Column("invited_ms", BigInteger, nullable=False),
    Column("invited_by", String(120), nullable=False),  # "bot" or the operator
    Column("answered_ms", BigInteger, nullable=True),
    Column("code", String(16), nullable=True),  # given on acceptance
    Column("why", Text, nullable=False),
    UniqueConstraint("community_id", "code", name="uq_growth_ambassadors_code"),
)

referrals = Table(
    "growth_ambassador_referrals",
    metadata,
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", Integer, primary_key=True),  # the member brought
    Column("ambassador_member_id", Integer, nullable=False),
    Column("via", String(20), nullable=False),  # link | invite | code
    Column("at_ms", BigInteger, nullable=False),
    Index("ix_growth_ambassador_referrals_by", "community_id", "ambassador_member_id", "at_ms"),
)


def all_of(conn: Connection, *, community_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(select(ambassadors).where(ambassadors.c.community_id == community_id)
                        .order_by(ambassadors.c.invited_ms, ambassadors.c.member_id)).mappings()
    return [dict(r) for r in rows]


def one(conn: Connection, *, community_id: int, member_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(ambassadors).where(
        ambassadors.c.community_id == community_id,
        ambassadors.c.member_id == member_id)).mappings().first()
    return dict(row) if row else None


def by_code(conn: Connection, *, community_id: int, code: str) -> dict[str, Any] | None:
    row = conn.execute(select(ambassadors).where(
        ambassadors.c.community_id == community_id, ambassadors.c.code == code,
        ambassadors.c.state == "accepted")).mappings().first()
    return dict(row) if row else None


def invite(conn: Connection, *, community_id: int, member_id: int, at_ms: int, by: str,
           why: str) -> None:
    """A new invitation; a member invited again (by an operator) starts over."""
    values = {"state": "invited", "invited_ms": at_ms, "invited_by": by, "answered_ms": None,
              "why": why}
    done = conn.execute(ambassadors.update().where(
        ambassadors.c.community_id == community_id,
        ambassadors.c.member_id == member_id).values(**values))
    if not done.rowcount:
        conn.execute(ambassadors.insert().values(community_id=community_id,
                                                 member_id=member_id, **values))


def answer(conn: Connection, *, community_id: int, member_id: int, state: str, at_ms: int,
           code: str | None = None) -> None:
    values: dict[str, Any] = {"state": state, "answered_ms": at_ms}
    if code is not None:
        values["code"] = code
    conn.execute(ambassadors.update().where(
        ambassadors.c.community_id == community_id,
        ambassadors.c.member_id == member_id).values(**values))


def code_taken(conn: Connection, *, community_id: int, code: str) -> bool:
    return conn.execute(select(func.count()).where(
        ambassadors.c.community_id == community_id,
        ambassadors.c.code == code)).scalar_one() > 0


def referrer_of(conn: Connection, *, community_id: int, member_id: int) -> int | None:
    found = conn.execute(select(referrals.c.ambassador_member_id).where(
        referrals.c.community_id == community_id,
        referrals.c.member_id == member_id)).scalar()
    return int(found) if found is not None else None


def add_referral(conn: Connection, *, community_id: int, member_id: int,
                 ambassador_member_id: int, via: str, at_ms: int) -> None:
    conn.execute(referrals.insert().values(
        community_id=community_id, member_id=member_id,
        ambassador_member_id=ambassador_member_id, via=via, at_ms=at_ms))


def brought(conn: Connection, *, community_id: int,
            since_ms: int | None = None) -> dict[int, int]:
    """Members brought per ambassador (since `since_ms`, when given)."""
    query = select(referrals.c.ambassador_member_id, func.count()).where(
        referrals.c.community_id == community_id)
    if since_ms is not None:
        query = query.where(referrals.c.at_ms >= since_ms)
    rows = conn.execute(query.group_by(referrals.c.ambassador_member_id))
    return {int(m): int(n) for m, n in rows}

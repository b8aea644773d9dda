"""Repository: sales attributed to members (T5)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from qunyun.storage.growth.tables import growth_sales as sales


def add(conn: Connection, *, community_id: int, member_id: int, amount_cents: int,
        currency: str, note: str, operator: str, at_ms: int) -> int:
    key = conn.execute(sales.insert().values(
        community_id=community_id, member_id=member_id, amount_cents=amount_cents,
        currency=currency, note=note, operator=operator, at_ms=at_ms)).inserted_primary_key
    assert key is not None
    return int(key[0])


def totals(conn: Connection, *, community_id: int) -> dict[int, tuple[int, int]]:
    """Per member: (cents, number of sales)."""
    rows = conn.execute(select(sales.c.member_id, func.sum(sales.c.amount_cents), func.count())
                        .where(sales.c.community_id == community_id)
                        .group_by(sales.c.member_id))
    return {int(m): (int(c), int(n)) for m, c, n in rows}


def of_member(conn: Connection, *, community_id: int, member_id: int,
              limit: int = 20) -> list[dict[str, Any]]:
    rows = conn.execute(select(sales).where(sales.c.community_id == community_id,
                                            sales.c.member_id == member_id)
                        .order_by(sales.c.at_ms.desc(), sales.c.id.desc()).limit(limit))
    return [dict(r) for r in rows.mappings()]

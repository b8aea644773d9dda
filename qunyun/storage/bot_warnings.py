"""Repository: warnings (R2) — add, count the live ones, settle, revoke, expiry notices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, func, select

from qunyun.storage.bot_tables import bot_warnings


def _live(member_id: int, now_ms: int) -> Any:
    return (
        (bot_warnings.c.member_id == member_id)
        & (bot_warnings.c.expires_ms > now_ms)
        & bot_warnings.c.settled_ms.is_(None)
        & bot_warnings.c.revoked_ms.is_(None)
    )


def add(conn: Connection, *, row: Mapping[str, Any]) -> int:
    return int(conn.execute(
        bot_warnings.insert().values(**row).returning(bot_warnings.c.id)).scalar_one())


def count_live(conn: Connection, *, member_id: int, now_ms: int) -> int:
    return int(conn.execute(
        select(func.count()).select_from(bot_warnings).where(_live(member_id, now_ms))
    ).scalar_one())


def live(conn: Connection, *, member_id: int, now_ms: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(bot_warnings).where(_live(member_id, now_ms)).order_by(bot_warnings.c.id)
    ).mappings()
    return [dict(r) for r in rows]


def history(conn: Connection, *, member_id: int, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(bot_warnings).where(bot_warnings.c.member_id == member_id)
        .order_by(bot_warnings.c.id.desc()).limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


def get(conn: Connection, *, warning_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(bot_warnings).where(bot_warnings.c.id == warning_id)).mappings()
    first = row.first()
    return dict(first) if first else None


def settle_live(conn: Connection, *, member_id: int, now_ms: int) -> int:
    result = conn.execute(
        bot_warnings.update().where(_live(member_id, now_ms)).values(settled_ms=now_ms)
    )
    return int(result.rowcount or 0)


def revoke(conn: Connection, *, warning_id: int, by: str, now_ms: int) -> bool:
    result = conn.execute(
        bot_warnings.update()
        .where(bot_warnings.c.id == warning_id, bot_warnings.c.revoked_ms.is_(None))
        .values(revoked_ms=now_ms, revoked_by=by[:120])
    )
    return bool(result.rowcount)


def expired_unnoticed(
    conn: Connection, *, community_id: int, now_ms: int, limit: int = 500
) -> list[dict[str, Any]]:
    """Warnings that ran out on their own (not settled, not revoked) and were not announced."""
    rows = conn.execute(
        select(bot_warnings.c.id, bot_warnings.c.member_id, bot_warnings.c.group_id,
               bot_warnings.c.expires_ms)
        .where(
            bot_warnings.c.community_id == community_id,
            bot_warnings.c.expiry_noticed_ms.is_(None),
            bot_warnings.c.expires_ms <= now_ms,
            bot_warnings.c.settled_ms.is_(None),
            bot_warnings.c.revoked_ms.is_(None),
        )
        .order_by(bot_warnings.c.expires_ms).limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


def mark_noticed(conn: Connection, *, warning_id: int, now_ms: int) -> bool:
    result = conn.execute(
        bot_warnings.update()
        .where(bot_warnings.c.id == warning_id, bot_warnings.c.expiry_noticed_ms.is_(None))
        .values(expiry_noticed_ms=now_ms)
    )
    return bool(result.rowcount)

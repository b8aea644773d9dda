"""Repository: warnings (R2) — add, count the live ones, settle, revoke, expiry notices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import BigInteger, Connection, bindparam, func, select

from qunyun.storage.bot.tables import bot_warnings
from qunyun.storage.prepared import Prepared


def _live(member_id: Any, now_ms: Any) -> Any:  # values or bind parameters
    return (
        (bot_warnings.c.member_id == member_id)
        & (bot_warnings.c.expires_ms > now_ms)
        & bot_warnings.c.settled_ms.is_(None)
        & bot_warnings.c.revoked_ms.is_(None)
    )


_ROW = ("community_id", "member_id", "group_id", "rule", "reason", "evidence", "event_source_id",
        "created_ms", "expires_ms")
# A warning (R2) adds a row, counts the live ones and may settle them: prepared once.
_ADD = Prepared(bot_warnings.insert().returning(bot_warnings.c.id), keys=_ROW)
_LIVE_NOW = _live(bindparam("mid"), bindparam("now", type_=BigInteger))
_COUNT_LIVE = Prepared(select(func.count()).select_from(bot_warnings).where(_LIVE_NOW))
_SETTLE_LIVE = Prepared(bot_warnings.update().where(_LIVE_NOW)
                        .values(settled_ms=bindparam("settled", type_=BigInteger)))


def add(conn: Connection, *, row: Mapping[str, Any]) -> int:
    unknown = set(row) - set(_ROW)
    if unknown:
        raise ValueError(f"unknown warning columns {sorted(unknown)}")
    return int(_ADD.scalar(conn, {key: row.get(key) for key in _ROW}))


def count_live(conn: Connection, *, member_id: int, now_ms: int) -> int:
    return int(_COUNT_LIVE.scalar(conn, {"mid": member_id, "now": now_ms}))


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
    result = _SETTLE_LIVE.execute(conn, {"mid": member_id, "now": now_ms, "settled": now_ms})
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


def last_settled(conn: Connection, *, member_id: int) -> list[dict[str, Any]]:
    """The warnings settled by the member's latest removal (not revoked since)."""
    latest = conn.execute(select(func.max(bot_warnings.c.settled_ms)).where(
        bot_warnings.c.member_id == member_id)).scalar()
    if latest is None:
        return []
    rows = conn.execute(
        select(bot_warnings).where(bot_warnings.c.member_id == member_id,
                                   bot_warnings.c.settled_ms == latest,
                                   bot_warnings.c.revoked_ms.is_(None))
        .order_by(bot_warnings.c.id)).mappings()
    return [dict(r) for r in rows]


def last_of_rule(conn: Connection, *, member_id: int, rule: str) -> int | None:
    """When the member was last warned under `rule` (ms), withdrawn warnings aside: the
    cooldown that makes one burst one warning (R2)."""
    found = conn.execute(select(func.max(bot_warnings.c.created_ms)).where(
        bot_warnings.c.member_id == member_id, bot_warnings.c.rule == rule,
        bot_warnings.c.revoked_ms.is_(None))).scalar()
    return int(found) if found is not None else None


def removals_since(conn: Connection, *, community_id: int, since_ms: int) -> int:
    """Members removed for reaching the warning limit since a time (weekly report): one
    removal settles all of the member's live warnings at the same moment."""
    removals = select(bot_warnings.c.member_id, bot_warnings.c.settled_ms).where(
        bot_warnings.c.community_id == community_id,
        bot_warnings.c.settled_ms >= since_ms).distinct().subquery()
    return int(conn.execute(select(func.count()).select_from(removals)).scalar_one())

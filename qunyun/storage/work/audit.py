"""Repository: the audit log — every effect and operator action, with reason and evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Connection, or_, select, update

from qunyun.storage.prepared import Prepared
from qunyun.storage.tables import audit_log

_COLUMNS = ("at_ms", "community_id", "group_id", "member_id", "actor", "action", "reason",
            "evidence", "status", "detail", "event_source", "event_source_id", "effect")
# On the bot's hot path (every effect it plans): compiled once, run on the driver.
_RECORD = Prepared(audit_log.insert().returning(audit_log.c.id), keys=_COLUMNS)


def record(conn: Connection, *, entry: Mapping[str, Any]) -> int:
    """One audit entry (columns not given are NULL; `evidence` defaults to {})."""
    row = {key: entry.get(key) for key in _COLUMNS}
    if row["evidence"] is None:
        row["evidence"] = {}
    unknown = set(entry) - set(_COLUMNS)
    if unknown:
        raise ValueError(f"unknown audit columns {sorted(unknown)}")
    return int(_RECORD.scalar(conn, row))


def entries(
    conn: Connection,
    *,
    community_id: int | None = None,
    action: str | None = None,
    actor_prefix: str | None = None,
    member_id: int | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if community_id is not None:
        query = query.where(audit_log.c.community_id == community_id)
    if action:
        query = query.where(audit_log.c.action == action)
    if actor_prefix:
        query = query.where(audit_log.c.actor.startswith(actor_prefix, autoescape=True))
    if member_id is not None:
        query = query.where(audit_log.c.member_id == member_id)
    return [dict(r) for r in conn.execute(query).mappings()]


def pending(conn: Connection, *, community_id: int,
            free_at_ms: int | None = None) -> list[tuple[int, dict[str, Any]]]:
    """Undelivered effects, oldest first; with `free_at_ms`, only those no process holds a
    lease on at that time (never claimed, or the claim has run out)."""
    query = (
        select(audit_log.c.id, audit_log.c.effect)
        .where(audit_log.c.community_id == community_id, audit_log.c.status == "pending",
               audit_log.c.effect.is_not(None))
        .order_by(audit_log.c.id)
    )
    if free_at_ms is not None:
        query = query.where(_free(free_at_ms))
    rows = conn.execute(query)
    return [(int(r.id), dict(r.effect)) for r in rows]


def _free(now_ms: int) -> ColumnElement[bool]:
    return or_(audit_log.c.claimed_until_ms.is_(None), audit_log.c.claimed_until_ms < now_ms)


def claim(conn: Connection, *, audit_id: int, owner: str, now_ms: int, lease_ms: int) -> bool:
    """Take the lease on pending effect `audit_id` for `owner`; True if this call won it.

    One conditional UPDATE: on PostgreSQL a second process's UPDATE of the same row waits
    for the first to commit and then re-checks the WHERE on the new row (no longer free);
    on SQLite writers are serialised by the database lock. Either way one process wins."""
    result = conn.execute(
        update(audit_log)
        .where(audit_log.c.id == audit_id, audit_log.c.status == "pending", _free(now_ms))
        .values(claimed_by=owner, claimed_until_ms=now_ms + lease_ms)
    )
    return result.rowcount == 1


def release(conn: Connection, *, audit_id: int, owner: str) -> None:
    """Give a claimed effect back to the outbox undelivered (the platform said wait)."""
    conn.execute(
        update(audit_log)
        .where(audit_log.c.id == audit_id, audit_log.c.status == "pending",
               audit_log.c.claimed_by == owner)
        .values(claimed_until_ms=None)
    )


def delivered_reason(conn: Connection, *, community_id: int, detail: str) -> str | None:
    """The reason of the effect delivered as platform message `detail` (an event id), if the
    bot sent it: lets a member's reply be read as an answer to that message."""
    row = conn.execute(
        select(audit_log.c.reason)
        .where(audit_log.c.community_id == community_id, audit_log.c.detail == detail,
               audit_log.c.status == "done")
        .limit(1)
    ).first()
    return str(row[0]) if row else None


def get(conn: Connection, *, audit_id: int) -> dict[str, Any] | None:
    """One audit entry by id (its member, group, reason), None if there is none."""
    row = conn.execute(select(audit_log).where(audit_log.c.id == audit_id)).mappings().first()
    return dict(row) if row is not None else None


def invited_since(conn: Connection, *, member_id: int, group_id: int, since_ms: int) -> bool:
    """Was the member invited (back) into the group at or after `since_ms` — an upheld
    appeal's or an approved revival's `invite`, by the bot or an operator's decision,
    delivered or left to the operator (a platform that cannot invite)?"""
    row = conn.execute(
        select(audit_log.c.id)
        .where(audit_log.c.member_id == member_id, audit_log.c.group_id == group_id,
               audit_log.c.action == "invite", audit_log.c.at_ms >= since_ms)
        .limit(1)
    ).first()
    return row is not None

"""Repository: the audit log — every effect and operator action, with reason and evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

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
            actor_prefix: str | None = None) -> list[tuple[int, dict[str, Any]]]:
    query = (
        select(audit_log.c.id, audit_log.c.effect)
        .where(audit_log.c.community_id == community_id, audit_log.c.status == "pending",
               audit_log.c.effect.is_not(None))
        .order_by(audit_log.c.id)
    )
    if actor_prefix is not None:
        query = query.where(audit_log.c.actor.startswith(actor_prefix, autoescape=True))
    rows = conn.execute(query)
    return [(int(r.id), dict(r.effect)) for r in rows]


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

"""Repository: the audit log — every effect and operator action, with reason and evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from qunyun.storage.tables import audit_log

_RECORD = audit_log.insert().returning(audit_log.c.id)  # built once: on the bot's hot path


def record(conn: Connection, *, entry: Mapping[str, Any]) -> int:
    return int(conn.execute(_RECORD, dict(entry)).scalar_one())


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


def pending(conn: Connection, *, community_id: int) -> list[tuple[int, dict[str, Any]]]:
    rows = conn.execute(
        select(audit_log.c.id, audit_log.c.effect)
        .where(audit_log.c.community_id == community_id, audit_log.c.status == "pending",
               audit_log.c.effect.is_not(None))
        .order_by(audit_log.c.id)
    )
    return [(int(r.id), dict(r.effect)) for r in rows]

"""Repository: activity inside a time window (H3: what a post, poll or event drove), and
the content items a community put out in a period (polls, the bot's calendar posts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from qunyun.storage.bot.tables import bot_polls
from qunyun.storage.tables import audit_log, events


def activity(conn: Connection, *, community_id: int, group_id: int | None, start_ms: int,
             end_ms: int) -> tuple[int, int, int]:
    """(messages, reactions, distinct members who wrote) in [start, end) — one group, or
    the whole community when `group_id` is None."""
    where = [events.c.community_id == community_id, events.c.ts_ms >= start_ms,
             events.c.ts_ms < end_ms, events.c.kind.in_(("message", "reaction"))]
    if group_id is not None:
        where.append(events.c.group_id == group_id)
    row = conn.execute(select(
        func.count().filter(events.c.kind == "message"),
        func.count().filter(events.c.kind == "reaction"),
        func.count(func.distinct(events.c.member_id)).filter(events.c.kind == "message"),
    ).where(*where)).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


def polls(conn: Connection, *, community_id: int, since_ms: int,
          until_ms: int) -> list[dict[str, Any]]:
    rows = conn.execute(select(bot_polls.c.id, bot_polls.c.group_id, bot_polls.c.question,
                               bot_polls.c.created_ms).where(
        bot_polls.c.community_id == community_id, bot_polls.c.created_ms >= since_ms,
        bot_polls.c.created_ms < until_ms).order_by(bot_polls.c.created_ms))
    return [dict(r) for r in rows.mappings()]


def bot_posts(conn: Connection, *, community_id: int, actor: str, since_ms: int,
              until_ms: int) -> list[dict[str, Any]]:
    """Posts the bot made for one policy (e.g. `policy:calendar`), from the audit log."""
    rows = conn.execute(select(audit_log.c.id, audit_log.c.group_id, audit_log.c.reason,
                               audit_log.c.at_ms).where(
        audit_log.c.community_id == community_id, audit_log.c.action == "send",
        audit_log.c.actor == actor, audit_log.c.at_ms >= since_ms,
        audit_log.c.at_ms < until_ms).order_by(audit_log.c.at_ms).limit(500))
    return [dict(r) for r in rows.mappings()]

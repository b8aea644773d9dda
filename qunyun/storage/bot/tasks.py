"""Repository: task submissions (T3) — what members hand in with `!作业`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from qunyun.storage.bot.tables import bot_task_submissions


def add(conn: Connection, *, community_id: int, member_id: int, group_id: int | None,
        link: str | None, text: str, event_source_id: str | None, at_ms: int) -> int:
    return int(conn.execute(
        bot_task_submissions.insert().values(
            community_id=community_id, member_id=member_id, group_id=group_id, link=link,
            text=text, event_source_id=event_source_id, at_ms=at_ms)
        .returning(bot_task_submissions.c.id)).scalar_one())


def count_of(conn: Connection, *, member_id: int) -> int:
    return int(conn.execute(select(func.count()).select_from(bot_task_submissions)
                            .where(bot_task_submissions.c.member_id == member_id)).scalar_one())


def of_member(conn: Connection, *, member_id: int, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(bot_task_submissions).where(bot_task_submissions.c.member_id == member_id)
        .order_by(bot_task_submissions.c.id.desc()).limit(limit)).mappings()
    return [dict(r) for r in rows]

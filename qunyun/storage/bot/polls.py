"""Repository: polls (A4) and their votes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from qunyun.storage.bot.tables import bot_poll_votes, bot_polls
from qunyun.storage.sql import insert_ignore


def create(
    conn: Connection,
    *,
    community_id: int,
    group_id: int,
    question: str,
    options: Sequence[str],
    created_by: int | None,
    now_ms: int,
) -> int:
    return int(
        conn.execute(
            bot_polls.insert()
            .values(
                community_id=community_id,
                group_id=group_id,
                question=question,
                options=list(options),
                created_by=created_by,
                created_ms=now_ms,
            )
            .returning(bot_polls.c.id)
        ).scalar_one()
    )


def open_poll(conn: Connection, *, group_id: int) -> dict[str, Any] | None:
    row = (
        conn.execute(
            select(bot_polls)
            .where(bot_polls.c.group_id == group_id, bot_polls.c.closed_ms.is_(None))
            .order_by(bot_polls.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def get(conn: Connection, *, poll_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(bot_polls).where(bot_polls.c.id == poll_id)).mappings().first()
    return dict(row) if row else None


def close(conn: Connection, *, poll_id: int, now_ms: int) -> None:
    conn.execute(
        bot_polls.update()
        .where(bot_polls.c.id == poll_id, bot_polls.c.closed_ms.is_(None))
        .values(closed_ms=now_ms)
    )


def vote(conn: Connection, *, poll_id: int, member_id: int, option: int, now_ms: int) -> bool:
    """Record or change a vote. True if it was the member's first vote on this poll.
    The change is an UPDATE that says whether a row was there: the INSERT's rowcount is no
    answer on PostgreSQL (a conflict ignored there still counted as an insert, so a changed
    vote was reported new and not stored)."""
    changed = conn.execute(
        bot_poll_votes.update()
        .where(bot_poll_votes.c.poll_id == poll_id, bot_poll_votes.c.member_id == member_id)
        .values(option=option, at_ms=now_ms)
    ).rowcount
    if changed:
        return False
    conn.execute(
        insert_ignore(conn, bot_poll_votes, "poll_id", "member_id"),
        {"poll_id": poll_id, "member_id": member_id, "option": option, "at_ms": now_ms},
    )
    return True


def tally(conn: Connection, *, poll_id: int) -> dict[int, int]:
    rows = conn.execute(
        select(bot_poll_votes.c.option, func.count())
        .where(bot_poll_votes.c.poll_id == poll_id)
        .group_by(bot_poll_votes.c.option)
    ).all()
    return {int(o): int(n) for o, n in rows}

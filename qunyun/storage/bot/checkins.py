"""Repository: daily check-ins (A3) and their streaks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from qunyun.storage.bot.tables import bot_checkins
from qunyun.storage.prepared import Prepared
from qunyun.storage.sql import insert_ignore_for
from qunyun.storage.tables import members

# A check-in (A3) reads the streak, adds a row and counts: compiled once, run on the driver.
_LATEST = Prepared(select(bot_checkins.c.day, bot_checkins.c.streak).where(
    bot_checkins.c.member_id == bindparam("mid"), bot_checkins.c.campaign == bindparam("campaign")
).order_by(bot_checkins.c.day.desc()).limit(1))
_ROW = ("community_id", "member_id", "group_id", "campaign", "day", "streak", "at_ms")
_ADD = Prepared(lambda dialect: insert_ignore_for(dialect, bot_checkins, "member_id", "campaign",
                                                  "day"), keys=_ROW)
_COUNT = Prepared(select(func.count()).select_from(bot_checkins).where(
    bot_checkins.c.member_id == bindparam("mid"), bot_checkins.c.campaign == bindparam("campaign")))


def latest(conn: Connection, *, member_id: int, campaign: str) -> dict[str, Any] | None:
    return _LATEST.first(conn, {"mid": member_id, "campaign": campaign})


def add(conn: Connection, *, row: Mapping[str, Any]) -> bool:
    """False when the member already checked in that day (the unique key holds)."""
    return bool(_ADD.execute(conn, {key: row.get(key) for key in _ROW}).rowcount)


def of_day(conn: Connection, *, community_id: int, campaign: str, day: str,
           group_id: int | None = None) -> list[dict[str, Any]]:
    query = (
        select(bot_checkins.c.member_id, bot_checkins.c.streak, bot_checkins.c.group_id,
               members.c.display_name)
        .join(members, members.c.id == bot_checkins.c.member_id)
        .where(bot_checkins.c.community_id == community_id, bot_checkins.c.campaign == campaign,
               bot_checkins.c.day == day)
        .order_by(bot_checkins.c.streak.desc(), bot_checkins.c.at_ms)
    )
    if group_id is not None:
        query = query.where(bot_checkins.c.group_id == group_id)
    return [dict(r) for r in conn.execute(query).mappings()]


def groups_of_day(conn: Connection, *, community_id: int, day: str) -> list[int]:
    rows = conn.execute(
        select(bot_checkins.c.group_id).where(
            bot_checkins.c.community_id == community_id, bot_checkins.c.day == day,
            bot_checkins.c.group_id.is_not(None),
        ).group_by(bot_checkins.c.group_id)
    )
    return [int(r[0]) for r in rows]


def count_of(conn: Connection, *, member_id: int, campaign: str) -> int:
    return int(_COUNT.scalar(conn, {"mid": member_id, "campaign": campaign}))

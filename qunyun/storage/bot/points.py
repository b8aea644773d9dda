"""Repository: the points ledger (T3), running totals, daily sums for caps, leaderboards,
and the level each member was last congratulated on."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from qunyun.storage.bot.tables import bot_level_marks, bot_point_totals, bot_points
from qunyun.storage.prepared import Prepared
from qunyun.storage.sql import upsert_for
from qunyun.storage.tables import members

LEDGERS = ("participation", "contribution")


_DAY_SUM = Prepared(select(func.coalesce(func.sum(bot_points.c.points), 0)).where(
    bot_points.c.member_id == bindparam("mid"), bot_points.c.action == bindparam("action"),
    bot_points.c.day == bindparam("day")))


def day_sum(conn: Connection, *, member_id: int, action: str, day: str) -> int:
    return int(_DAY_SUM.scalar(conn, {"mid": member_id, "action": action, "day": day}))


def _add_to_totals(ledger: str) -> Prepared:
    def build(dialect: str) -> Any:
        upsert = upsert_for(dialect)
        column = bot_point_totals.c[ledger]
        return (
            upsert(bot_point_totals)
            .on_conflict_do_update(index_elements=["member_id"],
                                   set_={ledger: column + bindparam("points")})
            .returning(bot_point_totals.c.participation, bot_point_totals.c.contribution)
        )
    return Prepared(build, keys=("member_id", "community_id", "participation", "contribution"))


_LEDGER_COLUMNS = ("community_id", "member_id", "group_id", "ledger", "action", "points", "day",
                   "at_ms", "ref", "note")
# Both run for every point the bot grants: compiled once, run on the driver.
_INSERT = Prepared(bot_points.insert(), keys=_LEDGER_COLUMNS)
_ADD_TO_TOTALS = {ledger: _add_to_totals(ledger) for ledger in LEDGERS}


def add(conn: Connection, *, row: Mapping[str, Any]) -> tuple[int, int]:
    """One ledger row, and the member's running total for that ledger, in two statements
    (an upsert that returns the new totals). Returns (participation, contribution) after."""
    ledger = row["ledger"]
    if ledger not in LEDGERS:
        raise ValueError(f"unknown ledger {ledger!r}")
    _INSERT.execute(conn, {key: row.get(key) for key in _LEDGER_COLUMNS})
    points = int(row["points"])
    first = {"member_id": row["member_id"], "community_id": row["community_id"],
             "participation": 0, "contribution": 0, ledger: points, "points": points}
    after = _ADD_TO_TOTALS[ledger].execute(conn, first).fetchone()
    return int(after[0]), int(after[1])


def totals(conn: Connection, *, member_id: int) -> tuple[int, int]:
    row = conn.execute(
        select(bot_point_totals.c.participation, bot_point_totals.c.contribution)
        .where(bot_point_totals.c.member_id == member_id)
    ).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def leaderboard(
    conn: Connection, *, community_id: int, group_id: int | None, limit: int,
    exclude: Collection[int] = (),
) -> list[dict[str, Any]]:
    """Members by total points: from the totals (community) or the ledger (one group);
    `exclude` (admins, T3) are left off."""
    if group_id is None:
        total = bot_point_totals.c.participation + bot_point_totals.c.contribution
        query = (
            select(bot_point_totals.c.member_id, members.c.display_name,
                   bot_point_totals.c.participation, bot_point_totals.c.contribution)
            .join(members, members.c.id == bot_point_totals.c.member_id)
            .where(bot_point_totals.c.community_id == community_id,
                   bot_point_totals.c.member_id.not_in(list(exclude)))
            .order_by(total.desc(), bot_point_totals.c.member_id).limit(limit)
        )
        return [dict(r) for r in conn.execute(query).mappings()]
    part = func.coalesce(func.sum(bot_points.c.points).filter(
        bot_points.c.ledger == "participation"), 0)
    contrib = func.coalesce(func.sum(bot_points.c.points).filter(
        bot_points.c.ledger == "contribution"), 0)
    query = (
        select(bot_points.c.member_id, members.c.display_name,
               part.label("participation"), contrib.label("contribution"))
        .join(members, members.c.id == bot_points.c.member_id)
        .where(bot_points.c.community_id == community_id, bot_points.c.group_id == group_id,
               bot_points.c.member_id.not_in(list(exclude)))
        .group_by(bot_points.c.member_id, members.c.display_name)
        .order_by((part + contrib).desc(), bot_points.c.member_id).limit(limit)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def ledger_of(conn: Connection, *, member_id: int, limit: int = 100) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(bot_points).where(bot_points.c.member_id == member_id)
        .order_by(bot_points.c.id.desc()).limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


def earned_since(conn: Connection, *, member_id: int, group_id: int | None, action: str,
                 since_ms: int) -> int:
    """Points `action` earned the member in one group since `since_ms` (a flood's burst)."""
    return int(conn.execute(select(func.coalesce(func.sum(bot_points.c.points), 0)).where(
        bot_points.c.member_id == member_id, bot_points.c.group_id == group_id,
        bot_points.c.action == action, bot_points.c.at_ms >= since_ms)).scalar_one())


def by_action(conn: Connection, *, member_id: int) -> list[tuple[str, int]]:
    """The member's points summed per action, largest first (what `!积分` breaks down)."""
    total = func.sum(bot_points.c.points)
    rows = conn.execute(
        select(bot_points.c.action, total).where(bot_points.c.member_id == member_id)
        .group_by(bot_points.c.action).order_by(total.desc(), bot_points.c.action))
    return [(str(a), int(n or 0)) for a, n in rows]


def raise_level_mark(conn: Connection, *, community_id: int, member_id: int, min_points: int,
                     level: str, at_ms: int) -> bool:
    """Record that the member was congratulated on the level starting at `min_points`,
    unless a level as high was recorded before. True when the mark rose: one statement, so
    two processes crediting the same member cannot both announce it."""
    dialect = conn.dialect.name
    upsert = upsert_for(dialect)
    query = upsert(bot_level_marks).values(
        member_id=member_id, community_id=community_id, min_points=min_points,
        level=level[:100], at_ms=at_ms)
    raised = query.on_conflict_do_update(
        index_elements=["member_id"],
        set_={"min_points": query.excluded.min_points, "level": query.excluded.level,
              "at_ms": query.excluded.at_ms},
        where=bot_level_marks.c.min_points < query.excluded.min_points,
    ).returning(bot_level_marks.c.member_id)
    return conn.execute(raised).first() is not None

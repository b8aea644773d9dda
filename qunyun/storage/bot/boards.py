"""Repository: period sums of the points ledger (T3 boards), decay's inputs, season closings.

A period board sums the ledger rows between two instants, per member and ledger; the
all-time community board reads the running totals (what `!积分` shows). Members with
nothing (or less) in the period are not on it.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, func, or_, select

from qunyun.storage.bot.tables import bot_point_totals, bot_points
from qunyun.storage.growth.tables import growth_season_closings
from qunyun.storage.tables import identities, members


def sums(conn: Connection, *, community_id: int, group_id: int | None, since_ms: int | None,
         until_ms: int | None, exclude: Collection[int] = (),
         skip_actions: Collection[str] = ()) -> list[dict[str, Any]]:
    """Per member: participation and contribution points earned in [since, until), in one
    group (with the rows of no group: console grants, decay) or the whole community;
    `exclude` members and `skip_actions` left out."""
    if group_id is None and since_ms is None and until_ms is None and not skip_actions:
        query = (
            select(bot_point_totals.c.member_id, members.c.display_name,
                   bot_point_totals.c.participation, bot_point_totals.c.contribution)
            .join(members, members.c.id == bot_point_totals.c.member_id)
            .where(bot_point_totals.c.community_id == community_id,
                   bot_point_totals.c.member_id.not_in(list(exclude)))
        )
        return [dict(r) for r in conn.execute(query).mappings()]
    part = func.coalesce(func.sum(bot_points.c.points).filter(
        bot_points.c.ledger == "participation"), 0)
    contrib = func.coalesce(func.sum(bot_points.c.points).filter(
        bot_points.c.ledger == "contribution"), 0)
    where = [bot_points.c.community_id == community_id,
             bot_points.c.member_id.not_in(list(exclude))]
    if group_id is not None:
        # Rows of no group (console grants, decay) are the member's wherever they rank.
        where.append(or_(bot_points.c.group_id == group_id, bot_points.c.group_id.is_(None)))
    if since_ms is not None:
        where.append(bot_points.c.at_ms >= since_ms)
    if until_ms is not None:
        where.append(bot_points.c.at_ms < until_ms)
    if skip_actions:
        where.append(bot_points.c.action.not_in(list(skip_actions)))
    query = (
        select(bot_points.c.member_id, members.c.display_name,
               part.label("participation"), contrib.label("contribution"))
        .join(members, members.c.id == bot_points.c.member_id)
        .where(*where)
        .group_by(bot_points.c.member_id, members.c.display_name)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def totals_of(conn: Connection, *, community_id: int) -> dict[int, tuple[int, int]]:
    """Every member's running (participation, contribution)."""
    rows = conn.execute(select(bot_point_totals.c.member_id, bot_point_totals.c.participation,
                               bot_point_totals.c.contribution)
                        .where(bot_point_totals.c.community_id == community_id))
    return {int(m): (int(p), int(c)) for m, p, c in rows}


def last_at(conn: Connection, *, community_id: int, actions: Collection[str],
            among: bool) -> dict[int, int]:
    """Per member, the newest ledger row's time among `actions` (`among`) or outside them."""
    cond = (bot_points.c.action.in_(list(actions)) if among
            else bot_points.c.action.not_in(list(actions)))
    rows = conn.execute(select(bot_points.c.member_id, func.max(bot_points.c.at_ms))
                        .where(bot_points.c.community_id == community_id, cond)
                        .group_by(bot_points.c.member_id))
    return {int(m): int(at) for m, at in rows}


def latest_of(conn: Connection, *, member_id: int, action: str) -> dict[str, Any] | None:
    row = conn.execute(select(bot_points).where(bot_points.c.member_id == member_id,
                                                bot_points.c.action == action)
                       .order_by(bot_points.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def season_closed(conn: Connection, *, community_id: int, season_n: int) -> bool:
    return conn.execute(select(growth_season_closings.c.closed_ms).where(
        growth_season_closings.c.community_id == community_id,
        growth_season_closings.c.season_n == season_n)).first() is not None


def close_season(conn: Connection, *, community_id: int, season_n: int, name: str,
                 closed_ms: int) -> None:
    conn.execute(growth_season_closings.insert().values(
        community_id=community_id, season_n=season_n, name=name[:60], closed_ms=closed_ms))


def members_named(conn: Connection, *, community_id: int, name: str) -> list[int]:
    """Members whose display name is exactly `name` (a plain "@name" in a command)."""
    rows = conn.execute(select(members.c.id).where(members.c.community_id == community_id,
                                                   members.c.display_name == name).limit(5))
    return [int(r[0]) for r in rows]


def members_with_ids(conn: Connection, *, community_id: int,
                     external_ids: Collection[str]) -> set[int]:
    """Members behind platform ids on any platform (the plan's `bot.admins` for the
    console, which has no room to ask)."""
    if not external_ids:
        return set()
    rows = conn.execute(select(identities.c.member_id).where(
        identities.c.community_id == community_id,
        identities.c.external_id.in_(list(external_ids))))
    return {int(r[0]) for r in rows}

"""T3 badges: count a member's measures in SQL and award the plan's badges they meet.

The rules are parsed by `domain.badges` (pure); this module answers each (measure, window)
a rule names with one SQL count over the event log and the bot's own tables, and stores
what was awarded in `growth_badges` (a badge is awarded once and never taken back). The
policy (`policies/badges.py`) calls `evaluate` for the member an event is about, and for
every member in the daily growth pass, so a badge added to the plan later is backfilled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, distinct, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from qunyun.domain import questions
from qunyun.domain.badges import Measures, Rule, RuleError, parse_rule
from qunyun.plan.model import Badge, Plan
from qunyun.storage.activities.tables import activity_signups
from qunyun.storage.bot.tables import bot_checkins, bot_point_totals
from qunyun.storage.growth.tables import growth_badges
from qunyun.storage.tables import events, members

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class Awarded:
    member_id: int
    badge: Badge


def rules(plan: Plan) -> list[tuple[Badge, Rule]]:
    """The plan's badges whose rules parse (`plan check` reports the others)."""
    out = []
    for badge in plan.badges:
        try:
            out.append((badge, parse_rule(badge.rule)))
        except RuleError:
            continue
    return out


def measures(conn: Connection, *, community_id: int, member_id: int, now_ms: int) -> Measures:
    """A `Measures` callable for one member, counting up to `now_ms` (cached per need)."""
    cache: dict[tuple[str, int | None], int] = {}
    e = events

    def since(days: int | None, col: Any) -> ColumnElement[bool]:
        cond: ColumnElement[bool] = col <= now_ms
        return and_(cond, col > now_ms - days * DAY_MS) if days else cond

    def own_messages(days: int | None) -> Any:
        return select(e.c.source_event_id).where(
            e.c.community_id == community_id, e.c.member_id == member_id,
            e.c.kind == "message", since(days, e.c.ts_ms))

    def count(name: str, days: int | None) -> int:
        key = (name, days)
        if key in cache:
            return cache[key]
        q: Any
        if name in ("messages", "first_message"):
            q = select(func.count()).select_from(own_messages(days).subquery())
        elif name == "active_days":
            q = select(func.count(distinct(e.c.ts_ms / DAY_MS))).where(
                e.c.community_id == community_id, e.c.member_id == member_id,
                e.c.kind == "message", since(days, e.c.ts_ms))
        elif name == "checkins":
            q = select(func.count()).where(bot_checkins.c.community_id == community_id,
                                           bot_checkins.c.member_id == member_id,
                                           since(days, bot_checkins.c.at_ms))
        elif name == "checkin_streak":
            q = (select(bot_checkins.c.streak)
                 .where(bot_checkins.c.community_id == community_id,
                        bot_checkins.c.member_id == member_id, bot_checkins.c.at_ms <= now_ms,
                        bot_checkins.c.at_ms > now_ms - 2 * DAY_MS)  # yesterday or today
                 .order_by(bot_checkins.c.at_ms.desc()).limit(1))
        elif name == "invited":
            q = select(func.count()).where(e.c.community_id == community_id,
                                           e.c.related_member_id == member_id,
                                           e.c.kind == "join", since(days, e.c.ts_ms))
        elif name == "events_attended":
            q = select(func.count()).where(activity_signups.c.member_id == member_id,
                                           activity_signups.c.checked_in_ms.is_not(None),
                                           since(days, activity_signups.c.checked_in_ms))
        elif name in ("replies_received", "reactions_received"):
            kind = "message" if name == "replies_received" else "reaction"
            mine = own_messages(None)
            q = select(func.count()).where(e.c.community_id == community_id, e.c.kind == kind,
                                           e.c.ref_id.in_(mine), since(days, e.c.ts_ms))
        elif name == "answered_questions":
            # My replies to someone else's question (`domain.questions`: a mark or a
            # question word) that someone else reacted to: a thank-you for an answer,
            # not a reaction to my own reply or to a reply to small talk.
            asked = events.alias("asked")
            reacted = select(e.c.ref_id).where(e.c.community_id == community_id,
                                               e.c.kind == "reaction",
                                               e.c.member_id != member_id)
            q = select(func.count()).select_from(e.join(asked, and_(
                asked.c.community_id == e.c.community_id,
                asked.c.source_event_id == e.c.ref_id))).where(
                e.c.community_id == community_id, e.c.member_id == member_id,
                e.c.kind == "message", asked.c.kind == "message",
                asked.c.member_id != member_id,
                func.length(asked.c.text) >= questions.MIN_LENGTH,
                or_(*[asked.c.text.contains(mark, autoescape=True)
                      for mark in questions.QUESTION_MARKS]),
                e.c.source_event_id.in_(reacted), since(days, e.c.ts_ms))
        elif name in ("points", "contribution_points"):
            t = bot_point_totals
            col = t.c.contribution if name == "contribution_points" else (
                t.c.participation + t.c.contribution)
            q = select(col).where(t.c.member_id == member_id)
        else:  # the parser admits only MEASURES
            raise KeyError(name)
        value = int(conn.execute(q).scalar() or 0)
        cache[key] = value
        return value

    return count


def held(conn: Connection, *, community_id: int, member_id: int) -> list[dict[str, Any]]:
    """The member's badges, oldest first."""
    rows = conn.execute(select(growth_badges).where(
        growth_badges.c.community_id == community_id, growth_badges.c.member_id == member_id)
        .order_by(growth_badges.c.awarded_ms, growth_badges.c.badge)).mappings()
    return [dict(r) for r in rows]


def evaluate(conn: Connection, *, community_id: int, plan: Plan, member_ids: list[int],
             now_ms: int) -> list[Awarded]:
    """Award each member the plan's badges they now meet and do not hold yet."""
    parsed = rules(plan)
    if not parsed:
        return []
    have: set[tuple[int, str]] = {
        (int(r.member_id), str(r.badge)) for r in conn.execute(
            select(growth_badges.c.member_id, growth_badges.c.badge)
            .where(growth_badges.c.community_id == community_id))}
    out = []
    for member_id in member_ids:
        wanted = [(b, r) for b, r in parsed if (member_id, b.key) not in have]
        if not wanted:
            continue
        m = measures(conn, community_id=community_id, member_id=member_id, now_ms=now_ms)
        for badge, rule in wanted:
            if rule.met(m):
                conn.execute(growth_badges.insert().values(
                    community_id=community_id, member_id=member_id, badge=badge.key,
                    name=badge.name, rule=badge.rule, awarded_ms=now_ms))
                out.append(Awarded(member_id, badge))
    return out


def all_members(conn: Connection, *, community_id: int) -> list[int]:
    return [int(r) for r in conn.execute(
        select(members.c.id).where(members.c.community_id == community_id)
        .order_by(members.c.id)).scalars()]

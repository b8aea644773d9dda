"""Points (T3): award per action from `points.actions` with daily caps; totals, levels, ranks.

Participation and contribution are separate ledgers (T5: the members who bring value
must stay visible, not drown in chat volume). A daily cap counts the local day of the
community (`bot.timezone`). The ledger row keeps the event that earned it (`ref`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection

from qunyun.domain.levels import standing
from qunyun.domain.streaks import local_day
from qunyun.plan.model import Level, Points
from qunyun.storage.bot import points as repo
from qunyun.storage.events import log as event_log


class TodaysPoints(Protocol):
    """What a cache of today's points per member and action offers (the live pipeline's
    `Memory` is one). Declared here so services never import the pipeline."""

    def used_today(self, conn: Connection, *, member_id: int, action: str, day: str) -> int: ...

    def granted(self, *, member_id: int, action: str, day: str, points: int) -> None: ...


@dataclass(frozen=True, slots=True)
class Award:
    action: str
    ledger: str
    points: int  # actually granted (after the daily cap)
    capped: bool
    total_before: int  # participation + contribution, before and after
    total_after: int


def award(
    conn: Connection, *, community_id: int, member_id: int, group_id: int | None, action: str,
    rules: Points, at: datetime, tz: str, ref: str | None = None, points: int | None = None,
    ledger: str | None = None, memory: TodaysPoints | None = None,
) -> Award | None:
    """Grant the points `action` is worth (or `points`, for plan-defined rewards such as
    check-in streaks). None when the action earns nothing or today's cap is used up.
    `memory` (the live pipeline's) remembers today's sums so a cap costs no query."""
    rule = rules.actions.get(action)
    amount = points if points is not None else (rule.points if rule else 0)
    book = ledger or (rule.ledger if rule else "participation")
    if amount <= 0:
        return None
    day = local_day(at, tz)
    capped = False
    if rule is not None and rule.daily_cap is not None and points is None:
        used = (memory.used_today(conn, member_id=member_id, action=action, day=day)
                if memory is not None else used_today(conn, member_id=member_id,
                                                       action=action, day=day))
        if used + amount > rule.daily_cap:
            amount, capped = rule.daily_cap - used, True
            if amount <= 0:
                return None
    after = sum(repo.add(conn, row={
        "community_id": community_id, "member_id": member_id, "group_id": group_id,
        "ledger": book, "action": action[:40], "points": amount, "day": day,
        "at_ms": int(at.timestamp() * 1000), "ref": ref[:255] if ref else None,
    }))
    if memory is not None:
        memory.granted(member_id=member_id, action=action, day=day, points=amount)
    return Award(action=action, ledger=book, points=amount, capped=capped,
                 total_before=after - amount, total_after=after)


def take_back(conn: Connection, *, community_id: int, member_id: int, group_id: int | None,
              action: str, since_ms: int, at: datetime, tz: str, reason: str,
              ref: str | None = None) -> int:
    """Undo what `action` earned the member in one group since `since_ms` (the messages of
    a flood burst posted before it was caught): one negative participation row named
    `reason`. Returns the points taken back (0: nothing to undo)."""
    earned = repo.earned_since(conn, member_id=member_id, group_id=group_id, action=action,
                               since_ms=since_ms)
    if earned <= 0:
        return 0
    repo.add(conn, row={
        "community_id": community_id, "member_id": member_id, "group_id": group_id,
        "ledger": "participation", "action": reason[:40], "points": -earned,
        "day": local_day(at, tz), "at_ms": int(at.timestamp() * 1000),
        "ref": ref[:255] if ref else None,
    })
    return earned


def used_today(conn: Connection, *, member_id: int, action: str, day: str) -> int:
    """Points `action` has already earned the member on local day `day` (daily caps)."""
    return repo.day_sum(conn, member_id=member_id, action=action, day=day)


@dataclass(frozen=True, slots=True)
class MemberPoints:
    member_id: int
    participation: int
    contribution: int
    level: str
    next_level: str | None
    to_next: int | None

    @property
    def total(self) -> int:
        return self.participation + self.contribution


def level_share(levels: Sequence[Level], total: int) -> float | None:
    """T3: how far into the current level `total` is, 0–1, on the plan's levels (a list or
    its curve); None at the top level. The same measure as `!等级`'s progress bar."""
    mins = sorted(level.min_points for level in (levels or Points().levels))
    above = [m for m in mins if m > total]
    if not above:
        return None
    floor = max([m for m in mins if m <= total], default=0)
    return (total - floor) / (above[0] - floor)


def member_points(conn: Connection, member_id: int, *, levels: Sequence[Level] = ()
                  ) -> MemberPoints:
    """Both ledgers and the level (`levels` from `plan.points.levels`)."""
    part, contrib = repo.totals(conn, member_id=member_id)
    where = standing(levels or Points().levels, part + contrib)
    return MemberPoints(member_id, part, contrib, where.level, where.next_level, where.to_next)


@dataclass(frozen=True, slots=True)
class LeaderRow:
    rank: int
    member_id: int
    display_name: str | None
    participation: int
    contribution: int

    @property
    def total(self) -> int:
        return self.participation + self.contribution


def leaderboard(conn: Connection, community_id: int, group_id: int | None = None,
                limit: int = 10, exclude: Collection[int] = ()) -> list[LeaderRow]:
    """Top members by total points, in one group (its ledger rows) or the whole community,
    without the members in `exclude` (admins are off the boards unless the plan says not)."""
    rows = repo.leaderboard(conn, community_id=community_id, group_id=group_id, limit=limit,
                            exclude=exclude)
    return [LeaderRow(i, int(r["member_id"]), r["display_name"], int(r["participation"]),
                      int(r["contribution"])) for i, r in enumerate(rows, 1)]


def ledger(conn: Connection, *, member_id: int, limit: int = 100) -> list[dict[str, object]]:
    return repo.ledger_of(conn, member_id=member_id, limit=limit)


# What each ledger action is called in a member's `!积分` (the console has its own labels).
ACTION_WORDS = {
    "message": "发言", "self_intro": "自我介绍", "checkin": "打卡",
    "checkin_streak": "连续打卡奖励", "reply_received": "发言被回复",
    "reaction_received": "发言被点赞", "invite": "邀请新人", "ambassador": "推广大使带人",
    "form": "新人问卷", "decay": "不活跃衰减", "flood": "刷屏扣回", "manual_grant": "管理员加分",
    "manual_deduct": "管理员减分", "task": "交作业",
}


def sources_text(conn: Connection, *, member_id: int, limit: int = 6) -> str:
    """Where the points came from, largest first: 「自我介绍 +10 · 打卡 +5 · 发言 +2」
    (issue 11 walk12 finding 12: 17 points with only the +5 check-in explained)."""
    parts = [(ACTION_WORDS.get(a, a), n) for a, n in repo.by_action(conn, member_id=member_id)
             if n]
    shown = [f"{word} {n:+d}" for word, n in parts[:limit]]
    if len(parts) > limit:
        shown.append(f"其他 {sum(n for _w, n in parts[limit:]):+d}")
    return " · ".join(shown)


def imported_messages(conn: Connection, *, member_id: int) -> int:
    """The member's messages from an imported history: they earned no points (only the live
    bot awards them, as events arrive), which `!积分` and member 360 say (issue 11)."""
    return event_log.imported_messages(conn, member_id=member_id)

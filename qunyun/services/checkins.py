"""Check-ins (A3): one per member, campaign and local day; streaks; rewards in points.

The reward is the campaign's `reward_points` (participation ledger, action `checkin`),
plus `streak_rewards[n]` on the day the streak reaches n (action `checkin_streak`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from qunyun.domain.streaks import local_day, next_streak
from qunyun.plan.model import Checkin, Points
from qunyun.services import points as points_service
from qunyun.storage.bot import checkins as repo


@dataclass(frozen=True, slots=True)
class CheckinResult:
    new: bool  # False: already checked in today (nothing changed)
    campaign: str
    day: str
    streak: int
    points: int  # awarded now (reward + streak bonus)
    bonus: int
    total_days: int
    level_before: int = 0  # total points before/after, for level-up messages
    level_after: int = 0


def check_in(
    conn: Connection, *, community_id: int, member_id: int, group_id: int | None,
    campaign: Checkin, at: datetime, tz: str, rules: Points, ref: str | None = None,
    award: bool = True,
) -> CheckinResult:
    """Record today's check-in and its streak; `award=False` (admins, off the points boards)
    records it without points."""
    day = local_day(at, tz)
    last = repo.latest(conn, member_id=member_id, campaign=campaign.name)
    if last is not None and last["day"] == day:
        return CheckinResult(False, campaign.name, day, int(last["streak"]), 0, 0,
                             repo.count_of(conn, member_id=member_id, campaign=campaign.name))
    streak = next_streak(last["day"] if last else None, int(last["streak"]) if last else 0, day)
    added = repo.add(conn, row={
        "community_id": community_id, "member_id": member_id, "group_id": group_id,
        "campaign": campaign.name[:100], "day": day, "streak": streak,
        "at_ms": int(at.timestamp() * 1000),
    })
    if not added:  # a concurrent check-in for the same day won the race
        return CheckinResult(False, campaign.name, day, streak, 0, 0,
                             repo.count_of(conn, member_id=member_id, campaign=campaign.name))
    awarded, bonus, before, after = 0, 0, 0, 0
    common: dict[str, Any] = {"community_id": community_id, "member_id": member_id,
                              "group_id": group_id, "rules": rules, "at": at, "tz": tz,
                              "ref": ref, "ledger": "participation"}
    first = points_service.award(conn, action="checkin", points=campaign.reward_points,
                                 **common) if award else None
    if first:
        awarded, before, after = first.points, first.total_before, first.total_after
    extra = campaign.streak_rewards.get(streak, 0)
    if extra > 0 and award:
        got = points_service.award(conn, action="checkin_streak", points=extra, **common)
        if got:
            bonus = got.points
            before = before if first else got.total_before
            after = got.total_after
    return CheckinResult(True, campaign.name, day, streak, awarded + bonus, bonus,
                         repo.count_of(conn, member_id=member_id, campaign=campaign.name),
                         before, after)


def day_summary(conn: Connection, *, community_id: int, campaign: str, day: str,
                group_id: int | None = None) -> list[dict[str, Any]]:
    """Who checked in on `day` (longest streak first)."""
    return repo.of_day(conn, community_id=community_id, campaign=campaign, day=day,
                       group_id=group_id)


def groups_with_checkins(conn: Connection, *, community_id: int, day: str) -> list[int]:
    return repo.groups_of_day(conn, community_id=community_id, day=day)

"""Local days and streaks (A3 check-ins, daily point caps). Pure.

A "day" is a calendar day in the community's time zone (`bot.timezone`): a check-in at
23:30 Beijing time belongs to that day even though it is already tomorrow in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=32)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_day(at: datetime, tz: str) -> str:
    """'YYYY-MM-DD' of `at` in `tz`."""
    return at.astimezone(zone(tz)).date().isoformat()


def day_start(day: str, tz: str) -> datetime:
    """The aware instant a local day begins."""
    d = date.fromisoformat(day)
    return datetime(d.year, d.month, d.day, tzinfo=zone(tz))


def previous_day(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def next_streak(last_day: str | None, last_streak: int, today: str) -> int:
    """The streak after checking in `today`, given the member's latest earlier check-in."""
    if last_day is None:
        return 1
    if last_day == today:
        return last_streak
    return last_streak + 1 if last_day == previous_day(today) else 1

"""Leaderboard periods and seasons (T3), and dense ranks. Pure: no I/O.

A period is a half-open span of local calendar days in the community's time zone
(`bot.timezone`): the week starts on Monday, the month on the 1st, a season on the day the
plan's `seasons:` section says. Date arithmetic is dateutil's (`relativedelta`), local
midnight is turned into an instant with `zoneinfo`, so a week that spans a DST change still
starts at local midnight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import MO, relativedelta

from qunyun.plan.model import Seasons

PERIODS = ("week", "month", "season", "all")
PERIOD_NAMES = {"week": "周榜", "month": "月榜", "season": "赛季榜", "all": "总榜"}
PERIOD_NAMES_EN = {"week": "This week", "month": "This month", "season": "Season",
                   "all": "All time"}


@dataclass(frozen=True, slots=True)
class Season:
    n: int  # 1 for the first season
    name: str  # the plan's pattern filled in, e.g. 第3季
    start: date
    end: date | None  # first day after the season; None: open (the last explicit start)

    @property
    def last_day(self) -> date | None:
        return self.end - timedelta(days=1) if self.end else None


@dataclass(frozen=True, slots=True)
class Period:
    kind: str  # week | month | season | all
    start: date | None  # None: all time
    end: date | None  # first day after the period; None: open
    since_ms: int | None
    until_ms: int | None
    season: Season | None = None

    @property
    def last_day(self) -> date | None:
        return self.end - timedelta(days=1) if self.end else None


def trailing_days(today: date, days: int) -> list[date]:
    """The last `days` local calendar days, today included, oldest first: the tier window
    (T1) is "the last 30 days" in this sense, so nobody has more active days than that."""
    return [today - timedelta(days=back) for back in range(max(days, 1) - 1, -1, -1)]


def local_midnight_ms(day: date, tz: str) -> int:
    return int(datetime.combine(day, time(), tzinfo=ZoneInfo(tz)).timestamp() * 1000)


def local_date(at: datetime, tz: str) -> date:
    return at.astimezone(ZoneInfo(tz)).date()


def season_name(pattern: str, n: int, start: date) -> str:
    # str.replace rather than str.format: a brace the operator typed is not a crash.
    return pattern.replace("{n}", str(n)).replace("{year}", str(start.year))


def _nth_start(cfg: Seasons, n: int) -> date | None:
    """The first day of season `n` (1-based), or None when the plan does not define it."""
    if cfg.starts:
        ordered = sorted(cfg.starts)
        return ordered[n - 1] if 1 <= n <= len(ordered) else None
    if cfg.start is None or n < 1:
        return None
    if cfg.every_weeks:
        return cfg.start + relativedelta(weeks=cfg.every_weeks * (n - 1))
    if cfg.every_months:
        return cfg.start + relativedelta(months=cfg.every_months * (n - 1))
    return None


def season(cfg: Seasons, n: int) -> Season | None:
    start = _nth_start(cfg, n)
    if start is None:
        return None
    return Season(n, season_name(cfg.name, n, start), start, _nth_start(cfg, n + 1))


def season_on(cfg: Seasons | None, day: date) -> Season | None:
    """The season `day` falls in; None before the first season or without `seasons:`."""
    if cfg is None:
        return None
    first = _nth_start(cfg, 1)
    if first is None or day < first:
        return None
    if cfg.starts:
        n = sum(1 for s in cfg.starts if s <= day)
    elif cfg.every_weeks:
        n = (day - first).days // (7 * cfg.every_weeks) + 1
    else:
        assert cfg.every_months
        months = relativedelta(day, first)
        n = max(1, (months.years * 12 + months.months) // cfg.every_months + 1)
        # Month ends (Jan 31 + 1 month = Feb 28) can put the estimate one off: settle it
        # against the starts themselves, so a day is always in the season that holds it.
        while (nxt := _nth_start(cfg, n + 1)) is not None and nxt <= day:
            n += 1
        while n > 1 and (own := _nth_start(cfg, n)) is not None and own > day:
            n -= 1
    return season(cfg, n)


def from_first_day(cfg: Seasons | None, first_day: date | None) -> Seasons | None:
    """The plan's seasons numbered from the community's own first season: the one its
    first day of history falls in is 第1季 (issue 11 walk finding 37: a plan whose
    `start` lies months before the group existed listed 第1季…第12季, most of them from
    before anyone was there). A history that begins before the plan's first season, or
    none yet, keeps the plan's numbering."""
    if cfg is None or first_day is None:
        return cfg
    first = season_on(cfg, first_day)
    if first is None or first.n == 1:
        return cfg
    if cfg.starts:
        return cfg.model_copy(update={"starts": sorted(cfg.starts)[first.n - 1:]})
    return cfg.model_copy(update={"start": first.start})


def period(kind: str, now: datetime, tz: str, seasons: Seasons | None = None) -> Period:
    """The period of `kind` that `now` falls in (local days of `tz`)."""
    today = local_date(now, tz)
    if kind == "all":
        return Period("all", None, None, None, None)
    if kind == "week":
        start = today + relativedelta(weekday=MO(-1))
        end: date | None = start + relativedelta(weeks=1)
        found = None
    elif kind == "month":
        start = today.replace(day=1)
        end = start + relativedelta(months=1)
        found = None
    elif kind == "season":
        found = season_on(seasons, today)
        if found is None:
            raise NoSeason()
        start, end = found.start, found.end
    else:
        raise ValueError(f"unknown period {kind!r}")
    return Period(kind, start, end, local_midnight_ms(start, tz),
                  local_midnight_ms(end, tz) if end else None, found)


def season_period(s: Season, tz: str) -> Period:
    return Period("season", s.start, s.end, local_midnight_ms(s.start, tz),
                  local_midnight_ms(s.end, tz) if s.end else None, s)


class NoSeason(LookupError):
    """The plan has no season running today (no `seasons:`, or before the first start)."""


def dense_ranks(scores: Sequence[int]) -> list[int]:
    """Dense ranks for `scores` sorted best first: ties share a rank, the next is one more
    (100, 90, 90, 80 → 1, 2, 2, 3)."""
    out: list[int] = []
    rank, last = 0, None
    for score in scores:
        if score != last:
            rank, last = rank + 1, score
        out.append(rank)
    return out

"""Recurring A5 events: when each occurrence of a series starts, in the community's zone.

A series is the plan's `repeat:` on an event — every day, week or month (`interval` of
them), on `weekdays`, in a month the `nth` of one weekday ("the third Saturday"), up to
`until` (a local date, inclusive) or `count` occurrences. python-dateutil's `rrule`
expands it in *naive local wall-clock time* from the event's `starts`, and each
occurrence is then placed in the zone with zoneinfo — the same rule as the content
calendar's (`domain.recurrence`): a 19:30 topic night stays at 19:30 across a DST change;
a wall-clock time that does not exist (spring forward) reads as zoneinfo's fold=0.

A series with neither `until` nor `count` is bounded: one year from its start
(`HORIZON`, the anniversary left out; `plan check` says so), and no series has more than
`MAX_OCCURRENCES`. Each occurrence is its own event for the services, keyed
`<series key>-YYYYMMDD` (`occurrence_key`): the series key is at most `MAX_SERIES_KEY`
characters so that the occurrence key fits the 40 characters an event key has everywhere
it is stored. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule, weekday
from dateutil.rrule import weekdays as rrule_weekdays

from qunyun.domain.recurrence import WEEKDAYS, RuleError, weekday_code

HORIZON = relativedelta(years=1)  # a series without until/count: one year from its start
MAX_OCCURRENCES = 400  # a daily series for a year, with room; more is a plan mistake
KEY_LIMIT = 40  # the event key's length in the plan and in the activities table
MAX_SERIES_KEY = KEY_LIMIT - len("-YYYYMMDD")

_FREQ: dict[str, Literal[0, 1, 2, 3, 4, 5, 6]] = {"day": DAILY, "week": WEEKLY, "month": MONTHLY}
_UNIT_ZH = {"day": "天", "week": "周", "month": "个月"}
_DAY_ZH = dict(zip(WEEKDAYS, ("周一", "周二", "周三", "周四", "周五", "周六", "周日"), strict=True))


@dataclass(frozen=True, slots=True)
class Series:
    """A series' rule as the plan gives it (`every`: day, week or month)."""

    every: str
    interval: int = 1
    weekdays: Sequence[str] = ()
    nth: int | None = None
    until: date | None = None
    count: int | None = None


def check(series: Series) -> RuleError | None:
    """None when the rule makes sense, else why not (English and Chinese)."""
    try:
        _weekdays(series)
    except RuleError as exc:
        return exc
    return None


def _weekdays(series: Series) -> list[weekday] | None:
    if series.every not in _FREQ:
        raise RuleError(
            f"repeat.every {series.every!r}: use day, week or month",
            f"repeat.every「{series.every}」读不懂：写 day、week 或 month",
        )
    if series.interval < 1:
        raise RuleError("repeat.interval must be at least 1", "repeat.interval 至少是 1")
    if series.until is not None and series.count is not None:
        raise RuleError(
            "repeat: give until or count, not both",
            "repeat 里 until（到哪天）和 count（几场）只写一个",
        )
    if series.count is not None and not 1 <= series.count <= MAX_OCCURRENCES:
        raise RuleError(
            f"repeat.count must be 1…{MAX_OCCURRENCES}",
            f"repeat.count 要在 1…{MAX_OCCURRENCES} 之间",
        )
    codes = [weekday_code(d) for d in series.weekdays]
    if len(set(codes)) != len(codes):
        raise RuleError("repeat.weekdays names a day twice", "repeat.weekdays 里有重复的星期")
    days = [rrule_weekdays[WEEKDAYS.index(c)] for c in codes]
    if series.nth is not None:
        if series.every != "month":
            raise RuleError(
                "repeat.nth is for a monthly series (every: month)",
                "repeat.nth（第几个星期几）只用于每月（every: month）",
            )
        if len(days) != 1:
            raise RuleError(
                "repeat.nth needs exactly one weekday",
                "repeat.nth 要在 weekdays 里正好写一个星期几，例如 [sat]",
            )
        if series.nth == 0 or not -5 <= series.nth <= 5:
            raise RuleError(
                f"repeat.nth {series.nth} must be 1…5 or -1 (the last)",
                f"repeat.nth {series.nth} 要在 1…5 之间（-1 表示最后一个）",
            )
        return [days[0](series.nth)]
    if series.every == "month" and days:
        raise RuleError(
            "a monthly series on weekdays needs nth (e.g. nth: 3 = the third)",
            "每月的活动写了 weekdays 就要写 nth（例如 nth: 3 表示第三个）",
        )
    return days or None


def _rule(series: Series, starts: datetime) -> rrule:
    days = _weekdays(series)
    end = series.until
    if end is None and series.count is None:
        end = starts.date() + HORIZON - timedelta(days=1)
    return rrule(
        _FREQ[series.every],
        dtstart=starts,
        interval=series.interval,
        byweekday=days,
        count=series.count,
        until=datetime.combine(end, time(23, 59, 59)) if end else None,
        cache=False,
    )


def local_starts(series: Series, starts: datetime) -> list[datetime]:
    """Each occurrence's naive local start, oldest first (at most MAX_OCCURRENCES).

    `starts` is naive local wall-clock time (the plan's, without an offset). As with any
    RFC 5545 rule, `starts` itself is an occurrence only when it matches the rule."""
    out: list[datetime] = []
    for at in _rule(series, starts.replace(tzinfo=None)):
        if len(out) >= MAX_OCCURRENCES:
            break
        out.append(at)
    return out


def placed(local: datetime, tz: str) -> datetime:
    """A naive local time as an aware time in the zone (fold=0 for a gap or an overlap)."""
    return local.replace(tzinfo=ZoneInfo(tz), fold=0)


def occurrences(series: Series, starts: datetime, tz: str) -> list[datetime]:
    """Each occurrence's start, aware in the zone, oldest first."""
    return [placed(at, tz) for at in local_starts(series, starts)]


def unbounded(series: Series) -> bool:
    """The series has no end of its own (bounded at HORIZON)."""
    return series.until is None and series.count is None


def occurrence_key(series_key: str, day: date) -> str:
    return f"{series_key}-{day:%Y%m%d}"


_DAY_EN = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
_ORDINAL_EN = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", -1: "last"}


def describe(series: Series, lang: str = "zh") -> str:
    """How the console and `plan check` say the rule: 每月第 3 个周六、每 2 周周二、周四."""
    codes = [weekday_code(d) for d in series.weekdays]
    if lang == "en":
        return _describe_en(series, codes)
    days = "、".join(_DAY_ZH[c] for c in codes)
    unit = _UNIT_ZH.get(series.every, series.every)
    head = "每" + (f" {series.interval} " if series.interval > 1 else "") + unit
    if series.every == "week" and series.interval == 1:
        head = "每周"
    if series.every == "month" and series.interval == 1:
        head = "每月"
    if series.every == "day" and series.interval == 1:
        head = "每天"
    if series.nth is not None and codes:
        which = (
            "最后一个"
            if series.nth == -1
            else (f"倒数第 {-series.nth} 个" if series.nth < 0 else f"第 {series.nth} 个")
        )
        body = f"{head}{which}{days}"
    elif days:
        body = f"{head}（{days}）" if series.every == "day" else f"{head}{days}"
    else:
        body = head
    if series.until is not None:
        body += f"，到 {series.until:%Y-%m-%d}"
    elif series.count is not None:
        body += f"，共 {series.count} 场"
    return body


def _describe_en(series: Series, codes: list[str]) -> str:
    unit = series.every if series.interval == 1 else f"{series.interval} {series.every}s"
    days = ", ".join(_DAY_EN[c] for c in codes)
    if series.nth is not None and codes:
        nth = _ORDINAL_EN.get(series.nth, f"{series.nth}th")
        body = f"every {unit}, the {nth} {days}"
    else:
        body = f"every {unit}" + (f" on {days}" if days else "")
    if series.until is not None:
        body += f", until {series.until:%Y-%m-%d}"
    elif series.count is not None:
        body += f", {series.count} times"
    return body

"""Recurrence rules of the durable schedule: when a timed thing happens, in local time.

A rule is stored as RFC 5545 text (`DTSTART:20260105T080000` + `RRULE:FREQ=…`), read by
python-dateutil's `rrulestr`. DTSTART is a *naive local wall-clock time*: dateutil
expands the rule in wall-clock time ("every day at 08:00") and each occurrence is then
placed in the community's zone with zoneinfo. That is what keeps a daily 08:00 post at
08:00 across a DST change (a rule expanded in UTC would drift by an hour). A wall-clock
time that does not exist (spring forward, 02:30) is read with zoneinfo's fold=0 rule,
i.e. as the same instant as 03:30; an ambiguous one (fall back) happens once, the first
time. A one-off post is a rule with `COUNT=1`.

`rule_text` builds the text from the plan's friendly fields (`at`, `every`, `on`, `nth`,
`start`, `date`); `check_rule` says in one line what is wrong with a rule; `between`
lists occurrences in a UTC window. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_NAMES = {
    **{d.lower(): d for d in WEEKDAYS},
    "mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU",
    "周一": "MO", "周二": "TU", "周三": "WE", "周四": "TH", "周五": "FR", "周六": "SA",
    "周日": "SU", "周天": "SU",
}
_EVERY_N_DAYS = re.compile(r"^(\d{1,3})\s*(days?|天)$")
_AT = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class RuleError(ValueError):
    """A rule that cannot be read: one line in English (`str`) and in Chinese (`zh`)."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.zh = zh


def parse_at(value: str) -> time:
    m = _AT.match(value.strip())
    if not m:
        raise RuleError(f"time of day {value!r} is not HH:MM",
                        f"时间「{value}」要写成 时:分，例如 08:00")
    return time(int(m.group(1)), int(m.group(2)))


def weekday_code(name: str) -> str:
    code = _DAY_NAMES.get(name.strip().lower())
    if code is None:
        raise RuleError(f"unknown weekday {name!r} (mon…sun or 周一…周日)",
                        f"不认识的星期「{name}」（写 mon…sun 或 周一…周日）")
    return code


def rule_text(*, at: str, start: date, every: str | None = None,
              on: Sequence[str] = (), nth: int | None = None, until: date | None = None) -> str:
    """The stored rule for the plan's friendly fields.

    `every=None` is a one-off on `start`; `day`, `week` (with `on` weekdays, default the
    start's weekday), `month` (with `nth` + one weekday in `on`: "first Monday"; without,
    the start's day of month), or `N days` counted from `start`.
    """
    when = datetime.combine(start, parse_at(at))
    head = f"DTSTART:{when:%Y%m%dT%H%M%S}\n"
    days = [weekday_code(d) for d in on]
    tail = f";UNTIL={until:%Y%m%d}T235959" if until else ""
    if every is None:
        return head + "RRULE:FREQ=DAILY;COUNT=1"
    word = every.strip().lower()
    if word in ("day", "daily", "每天"):
        body = "FREQ=DAILY" + (f";BYDAY={','.join(days)}" if days else "")
    elif word in ("week", "weekly", "每周"):
        body = "FREQ=WEEKLY;BYDAY=" + ",".join(days or [WEEKDAYS[start.weekday()]])
    elif word in ("month", "monthly", "每月"):
        if nth is not None:
            if len(days) != 1:
                raise RuleError("a monthly rule with nth needs exactly one weekday",
                                "「每月第几个星期几」要在 weekdays 里正好写一个星期几")
            if nth == 0 or not -5 <= nth <= 5:
                raise RuleError(f"nth {nth} must be 1…5 or -1…-5 (last)",
                                f"nth {nth} 要在 1…5 之间（-1 表示最后一个）")
            body = f"FREQ=MONTHLY;BYDAY={nth:+d}{days[0]}"
        else:
            body = f"FREQ=MONTHLY;BYMONTHDAY={start.day}"
    elif m := _EVERY_N_DAYS.match(word):
        n = int(m.group(1))
        if n < 1:
            raise RuleError("every N days needs N ≥ 1", "「每 N 天」的 N 至少是 1")
        body = f"FREQ=DAILY;INTERVAL={n}"
    else:
        raise RuleError(f"every {every!r}: use day, week, month or 'N days'",
                        f"every「{every}」读不懂：写 day、week、month 或「3 days」")
    return head + "RRULE:" + body + tail


@lru_cache(maxsize=1024)
def _parsed(text: str) -> rrule:
    try:
        parsed = rrulestr(text)
    except (ValueError, TypeError) as exc:
        raise RuleError(f"rule {text!r} cannot be read: {exc}",
                        f"规则「{text}」读不懂（{exc}）") from None
    if not isinstance(parsed, rrule):
        raise RuleError("a rule set is not supported; give one RRULE",
                        "只支持一条 RRULE，不支持规则组")
    if parsed._dtstart is not None and parsed._dtstart.tzinfo is not None:  # type: ignore[attr-defined]
        raise RuleError("DTSTART must be local wall-clock time without a zone",
                        "DTSTART 要写本地时间，不带时区")
    return parsed


def check_rule(text: str) -> RuleError | None:
    """None when the rule reads, else why not."""
    try:
        _parsed(text)
    except RuleError as exc:
        return exc
    return None


def _to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def between(text: str, tz: str, start: datetime, end: datetime, *,
            limit: int = 10_000) -> list[datetime]:
    """Occurrences (aware UTC) with start <= t <= end, oldest first, at most `limit`."""
    zone = ZoneInfo(tz)
    rule = _parsed(text)
    # Widen the local window by a day each side: DST makes local↔UTC non-monotonic near
    # a change, and the exact bounds are applied in UTC below.
    lo = start.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    hi = end.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
    out: list[datetime] = []
    for local in rule.xafter(lo, inc=True):
        if local > hi or len(out) >= limit:
            break
        at = _to_utc(local, zone)
        if start <= at <= end:
            out.append(at)
    return out


def next_after(text: str, tz: str, after: datetime) -> datetime | None:
    """The first occurrence strictly after `after` (aware UTC), or None when the rule ended."""
    zone = ZoneInfo(tz)
    local = after.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    for occurrence in _parsed(text).xafter(local, inc=True):
        at = _to_utc(occurrence, zone)
        if at > after:
            return at
    return None


def first(text: str, tz: str) -> datetime | None:
    occurrence = _parsed(text).after(datetime.min, inc=True)
    return _to_utc(occurrence, ZoneInfo(tz)) if occurrence is not None else None

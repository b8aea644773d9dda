"""Times as the console shows them: in the community's time zone (the plan's
`bot.timezone`, Asia/Shanghai when it has no plan), each with its zone named, so an
operator in another zone reads "2026-12-02 14:05 UTC+8" and knows whose clock it is
(issue 11). The offset comes from zoneinfo for that instant (daylight saving included),
never from arithmetic of our own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from qunyun.domain.zones import offset_words, stamp, zone_words

DEFAULT_ZONE = "Asia/Shanghai"


@lru_cache(maxsize=32)
def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def when(ms: int | None, zone_name: str | None = None) -> str:
    """Milliseconds since the epoch as "2026-12-02 14:05 UTC+8" in the zone; "—" for none."""
    if ms is None:
        return "—"
    return stamp(datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(zone(zone_name)))


def when_seconds(ms: int | None, zone_name: str | None = None) -> str:
    """As `when`, to the second: when a report was built ("生成于 … 14:05:09 UTC+8"), which
    changes every few seconds while the live bot's events come in."""
    if ms is None:
        return "—"
    at = datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(zone(zone_name))
    return f"{at:%Y-%m-%d %H:%M:%S} {offset_words(at)}"


def iso_when(text: str | None, zone_name: str | None = None) -> str:
    """The report's ISO times ("2026-12-01T11:12:10+08:00") the same way."""
    if not text:
        return "—"
    try:
        at = datetime.fromisoformat(str(text))
    except ValueError:
        return str(text)
    if at.tzinfo is None:
        at = at.replace(tzinfo=zone(zone_name))
    return stamp(at.astimezone(zone(zone_name)))


def zone_note(zone_name: str | None, lang: str) -> str:
    """The page's line naming its clock: 「时间均为北京时间（UTC+8）」 (issue 11 walk 23): the
    zone's name in words, never the tz database's id."""
    now = datetime.now(tz=zone(zone_name))
    words = zone_words(zone(zone_name).key, now, lang)
    if lang == "en":
        return f"Times are in {words}"
    return f"时间均为{words}"

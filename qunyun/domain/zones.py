"""A time zone's offset in the words people write it (UTC+8), for times shown to a person:
the console's (qunyun.web.times) and the events page's (services.activities)."""

from __future__ import annotations

from datetime import datetime, timedelta

# The words of each offset seen: a page of 100 work items writes a time's offset hundreds
# of times, and strftime("%z") was a third of rendering the rows (issue 13). The words
# depend on the offset alone, and there are only a few dozen offsets in the world.
_WORDS: dict[timedelta | None, str] = {}


def offset_words(at: datetime) -> str:
    """The instant's UTC offset as people write it: UTC+8, UTC-4, UTC+5:30, UTC."""
    offset = at.utcoffset()
    words = _WORDS.get(offset)
    if words is None:
        words = _WORDS[offset] = _words(at)
    return words


def _words(at: datetime) -> str:
    sign_hours_minutes = at.strftime("%z")  # "+0800", from the zone's own rules
    if not sign_hours_minutes or sign_hours_minutes in ("+0000", "-0000"):
        return "UTC"
    sign, hours, minutes = sign_hours_minutes[0], int(sign_hours_minutes[1:3]), \
        sign_hours_minutes[3:5]
    return f"UTC{sign}{hours}" + (f":{minutes}" if minutes != "00" else "")


def stamp(at: datetime) -> str:
    """An aware time as the console and the audit log write it: "2026-12-02 14:05 UTC+8"."""
    return f"{at:%Y-%m-%d %H:%M} {offset_words(at)}"


# A time zone as a person names it (issue 11 walk 23/33): 「北京时间」, not the tz database's
# "Asia/Shanghai". Zones not listed read as the tz id's city ("Kolkata 时间").
_ZONE_NAMES: dict[str, tuple[str, str]] = {
    "Asia/Shanghai": ("北京时间", "Beijing time"), "Asia/Chongqing": ("北京时间", "Beijing time"),
    "Asia/Harbin": ("北京时间", "Beijing time"), "Asia/Urumqi": ("乌鲁木齐时间", "Urumqi time"),
    "PRC": ("北京时间", "Beijing time"), "Asia/Hong_Kong": ("香港时间", "Hong Kong time"),
    "Asia/Macau": ("澳门时间", "Macau time"), "Asia/Taipei": ("台北时间", "Taipei time"),
    "Asia/Singapore": ("新加坡时间", "Singapore time"), "Asia/Tokyo": ("东京时间", "Tokyo time"),
    "Asia/Seoul": ("首尔时间", "Seoul time"),
    "Asia/Kuala_Lumpur": ("吉隆坡时间", "Kuala Lumpur time"),
    "Asia/Bangkok": ("曼谷时间", "Bangkok time"), "Asia/Dubai": ("迪拜时间", "Dubai time"),
    "Asia/Kolkata": ("印度时间", "India time"), "Australia/Sydney": ("悉尼时间", "Sydney time"),
    "Europe/London": ("伦敦时间", "London time"), "Europe/Paris": ("巴黎时间", "Paris time"),
    "Europe/Berlin": ("柏林时间", "Berlin time"), "Europe/Moscow": ("莫斯科时间", "Moscow time"),
    "America/New_York": ("纽约时间", "New York time"),
    "America/Chicago": ("芝加哥时间", "Chicago time"),
    "America/Los_Angeles": ("洛杉矶时间", "Los Angeles time"),
    "America/Toronto": ("多伦多时间", "Toronto time"),
    "America/Vancouver": ("温哥华时间", "Vancouver time"),
    "UTC": ("协调世界时", "UTC"), "Etc/UTC": ("协调世界时", "UTC"),
}


def zone_name(name: str | None, lang: str = "zh") -> str:
    """The zone's name in words: 北京时间 / Beijing time; else the id's city, readable."""
    key = name or "Asia/Shanghai"
    known = _ZONE_NAMES.get(key)
    if known is not None:
        return known[1] if lang == "en" else known[0]
    city = key.rsplit("/", 1)[-1].replace("_", " ")
    return f"{city} time" if lang == "en" else f"{city} 时间"


def zone_words(name: str | None, at: datetime, lang: str = "zh") -> str:
    """「北京时间（UTC+8）」 / "Beijing time (UTC+8)"; UTC alone stays 「UTC」."""
    words, offset = zone_name(name, lang), offset_words(at)
    if words == offset:
        return words
    return f"{words} ({offset})" if lang == "en" else f"{words}（{offset}）"

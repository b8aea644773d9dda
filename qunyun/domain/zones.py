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

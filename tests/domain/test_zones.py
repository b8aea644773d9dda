"""Times shown to a person name their UTC offset as people write it, from the zone's own
rules at that instant — daylight saving included, whichever offset was asked first."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from qunyun.domain.zones import offset_words, stamp


def test_offsets_in_words_follow_each_instant() -> None:
    new_york = ZoneInfo("America/New_York")
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=new_york)
    winter = datetime(2026, 1, 1, 12, 0, tzinfo=new_york)
    for _ in range(2):  # asked again: the same words
        assert offset_words(summer) == "UTC-4"
        assert offset_words(winter) == "UTC-5"
        assert offset_words(datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Kolkata"))) == "UTC+5:30"
        assert offset_words(datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))) == "UTC"
    shanghai = datetime(2026, 12, 2, 14, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert stamp(shanghai) == "2026-12-02 14:05 UTC+8"

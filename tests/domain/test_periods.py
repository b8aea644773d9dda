"""T3 leaderboard periods on a tz-aware clock: weeks start on Monday at local midnight (across
a DST change too), months on the 1st, seasons on the plan's dates; dense ranks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from qunyun.domain.periods import NoSeason, dense_ranks, from_first_day, period, season_on
from qunyun.plan.model import Seasons

SHANGHAI = "Asia/Shanghai"


def test_dense_ranks_share_a_rank_and_the_next_is_one_more() -> None:
    assert dense_ranks([100, 90, 90, 80, 80, 80, 5]) == [1, 2, 2, 3, 3, 3, 4]
    assert dense_ranks([]) == []


def test_the_week_turns_at_local_monday_midnight() -> None:
    # 2026-03-01 is a Sunday; Shanghai is UTC+8, so Monday begins at 16:00 UTC on Sunday.
    sunday_late = period("week", datetime(2026, 3, 1, 15, 59, tzinfo=UTC), SHANGHAI)
    monday = period("week", datetime(2026, 3, 1, 16, 0, tzinfo=UTC), SHANGHAI)
    assert (sunday_late.start, sunday_late.end) == (date(2026, 2, 23), date(2026, 3, 2))
    assert (monday.start, monday.last_day) == (date(2026, 3, 2), date(2026, 3, 8))
    assert monday.since_ms == int(datetime(2026, 3, 1, 16, tzinfo=UTC).timestamp() * 1000)
    assert sunday_late.until_ms == monday.since_ms


def test_a_week_across_a_dst_change_starts_at_local_midnight() -> None:
    # Berlin moves to summer time on Sunday 2026-03-29: that week began at 23:00 UTC, the
    # next begins at 22:00 UTC.
    before = period("week", datetime(2026, 3, 29, 12, tzinfo=UTC), "Europe/Berlin")
    after = period("week", datetime(2026, 3, 30, 12, tzinfo=UTC), "Europe/Berlin")
    assert before.since_ms == int(datetime(2026, 3, 22, 23, tzinfo=UTC).timestamp() * 1000)
    assert after.since_ms == int(datetime(2026, 3, 29, 22, tzinfo=UTC).timestamp() * 1000)
    assert before.until_ms == after.since_ms


def test_the_month_turns_at_local_midnight_on_the_first() -> None:
    feb = period("month", datetime(2026, 2, 28, 15, 59, tzinfo=UTC), SHANGHAI)
    mar = period("month", datetime(2026, 2, 28, 16, 0, tzinfo=UTC), SHANGHAI)
    assert (feb.start, feb.last_day) == (date(2026, 2, 1), date(2026, 2, 28))
    assert (mar.start, mar.end) == (date(2026, 3, 1), date(2026, 4, 1))
    assert period("all", datetime(2026, 3, 1, tzinfo=UTC), SHANGHAI).since_ms is None


def test_seasons_by_weeks_months_and_explicit_starts() -> None:
    weekly = Seasons(start=date(2026, 3, 2), every_weeks=2, name="第{n}季")
    assert season_on(weekly, date(2026, 3, 1)) is None  # before the first season
    first = season_on(weekly, date(2026, 3, 15))
    assert first is not None and (first.n, first.name, first.end) == (1, "第1季",
                                                                      date(2026, 3, 16))
    second = season_on(weekly, date(2026, 3, 16))
    assert second is not None and (second.n, second.start) == (2, date(2026, 3, 16))

    monthly = Seasons(start=date(2026, 1, 31), every_months=1, name="{year} 第{n}季")
    feb = season_on(monthly, date(2026, 2, 28))  # Jan 31 + 1 month is Feb 28 (dateutil)
    assert feb is not None and (feb.n, feb.start, feb.name) == (2, date(2026, 2, 28),
                                                                "2026 第2季")

    listed = Seasons(starts=[date(2026, 5, 1), date(2026, 1, 1)])
    spring = season_on(listed, date(2026, 4, 30))
    assert spring is not None and (spring.n, spring.end) == (1, date(2026, 5, 1))
    last = season_on(listed, date(2027, 1, 1))
    assert last is not None and (last.n, last.end) == (2, None)  # open until another start


def test_a_season_board_needs_a_season() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(NoSeason):
        period("season", at, SHANGHAI, None)
    span = period("season", at, SHANGHAI, Seasons(start=date(2026, 2, 1), every_months=3))
    assert (span.start, span.end) == (date(2026, 2, 1), date(2026, 5, 1))
    assert span.season is not None and span.season.name == "第1季"


def test_every_day_is_in_the_season_that_starts_before_it() -> None:
    cfg = Seasons(start=date(2026, 1, 31), every_months=1)
    day = date(2026, 1, 31)
    while day < date(2027, 3, 1):
        found = season_on(cfg, day)
        assert found is not None and found.start <= day and (found.end is None
                                                              or day < found.end), day
        day = date.fromordinal(day.toordinal() + 1)


def test_seasons_are_numbered_from_the_communitys_own_first_season() -> None:
    """Issue 11 walk finding 37: the plan's `start` is months before the group's history;
    the season the first day of history falls in is 第1季, not 第9季."""
    cfg = Seasons(start=date(2026, 1, 5), every_weeks=4)
    assert season_on(cfg, date(2026, 9, 1)).n == 9  # type: ignore[union-attr]
    own = from_first_day(cfg, date(2026, 9, 1))
    assert own is not None
    first = season_on(own, date(2026, 9, 1))
    assert first is not None and (first.n, first.name) == (1, "第1季")
    assert first.start == date(2026, 8, 17)  # the same dates, numbered from the group's
    assert season_on(own, date(2026, 12, 3)).n == 4  # type: ignore[union-attr]
    assert season_on(own, date(2026, 8, 16)) is None
    # History before the plan's first season, or none yet: the plan's own numbering.
    assert from_first_day(cfg, date(2025, 12, 1)) == cfg
    assert from_first_day(cfg, None) == cfg
    listed = Seasons(starts=[date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1)])
    moved = from_first_day(listed, date(2026, 5, 9))
    assert moved is not None and moved.starts == [date(2026, 4, 1), date(2026, 7, 1)]
    assert season_on(moved, date(2026, 8, 1)).n == 2  # type: ignore[union-attr]

"""Recurring A5 events: the rules an operator writes, DST, the one-year bound, and the
plan's `repeat:` read into occurrences that are events of their own."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from qunyun.domain import event_series
from qunyun.domain.event_series import Series
from qunyun.plan.model import Activity, Plan

NIGHT = dt.datetime(2026, 3, 21, 19, 30)  # the third Saturday of March 2026


def days(series: Series, starts: dt.datetime = NIGHT) -> list[str]:
    return [f"{at:%Y-%m-%d %H:%M}" for at in event_series.local_starts(series, starts)]


def test_the_third_saturday_of_each_month() -> None:
    third = Series(every="month", weekdays=("sat",), nth=3, until=dt.date(2026, 7, 31))
    assert days(third) == [
        "2026-03-21 19:30",
        "2026-04-18 19:30",
        "2026-05-16 19:30",
        "2026-06-20 19:30",
        "2026-07-18 19:30",
    ]
    last = Series(every="month", weekdays=("周五",), nth=-1, count=3)
    assert days(last, dt.datetime(2026, 1, 30, 20)) == [
        "2026-01-30 20:00",
        "2026-02-27 20:00",
        "2026-03-27 20:00",
    ]


def test_weekly_fortnightly_and_daily_rules() -> None:
    tuesday = dt.datetime(2026, 3, 3, 20)
    assert days(Series(every="week", count=3), tuesday) == [
        "2026-03-03 20:00",
        "2026-03-10 20:00",
        "2026-03-17 20:00",
    ]
    assert days(Series(every="week", weekdays=("tue", "thu"), count=4), tuesday) == [
        "2026-03-03 20:00",
        "2026-03-05 20:00",
        "2026-03-10 20:00",
        "2026-03-12 20:00",
    ]
    assert days(Series(every="week", interval=2, until=dt.date(2026, 3, 31)), tuesday) == [
        "2026-03-03 20:00",
        "2026-03-17 20:00",
        "2026-03-31 20:00",
    ]
    assert days(Series(every="day", interval=3, count=3), tuesday) == [
        "2026-03-03 20:00",
        "2026-03-06 20:00",
        "2026-03-09 20:00",
    ]


def test_until_is_a_local_date_and_inclusive() -> None:
    weekly = Series(every="week", until=dt.date(2026, 4, 4))
    assert days(weekly)[-1] == "2026-04-04 19:30"
    assert days(Series(every="week", until=dt.date(2026, 3, 20))) == []


def test_a_start_off_the_rule_is_not_an_occurrence() -> None:
    """As in RFC 5545: the first occurrence is the rule's first day from the start."""
    friday = dt.datetime(2026, 3, 20, 19, 30)
    assert days(Series(every="month", weekdays=("sat",), nth=3, count=1), friday) == [
        "2026-03-21 19:30"
    ]


def test_the_time_of_day_stays_across_daylight_saving() -> None:
    """Berlin moves its clocks on 29 March 2026: a Saturday 19:30 stays 19:30 local, so
    its UTC time moves by an hour from 4 April."""
    weekly = Series(every="week", count=3)
    starts = event_series.occurrences(weekly, dt.datetime(2026, 3, 21, 19, 30), "Europe/Berlin")
    assert [f"{at:%H:%M}" for at in starts] == ["19:30"] * 3
    assert [f"{at.astimezone(dt.UTC):%H:%M}" for at in starts] == ["18:30", "18:30", "17:30"]
    # A wall-clock time that does not exist (02:30 on the change) still gives one occurrence.
    gap = event_series.occurrences(
        Series(every="day", count=3), dt.datetime(2026, 3, 28, 2, 30), "Europe/Berlin"
    )
    assert len(gap) == 3 and gap[1].astimezone(dt.UTC) == dt.datetime(
        2026, 3, 29, 1, 30, tzinfo=dt.UTC
    )


def test_a_series_without_an_end_is_bounded_at_a_year() -> None:
    weekly = Series(every="week")
    assert event_series.unbounded(weekly)
    out = days(weekly)
    assert len(out) == 53 and out[-1] == "2027-03-20 19:30"
    daily = days(Series(every="day"))
    assert len(daily) == 365 and daily[-1] == "2027-03-20 19:30"
    assert not event_series.unbounded(Series(every="day", count=5))


@pytest.mark.parametrize(
    ("series", "says"),
    [
        (Series(every="fortnight"), "day、week 或 month"),
        (Series(every="week", weekdays=("sat", "sat")), "重复"),
        (Series(every="week", weekdays=("caturday",)), "不认识的星期"),
        (Series(every="week", nth=2, weekdays=("sat",)), "只用于每月"),
        (Series(every="month", nth=3), "正好写一个星期几"),
        (Series(every="month", nth=6, weekdays=("sat",)), "1…5"),
        (Series(every="month", weekdays=("sat",)), "就要写 nth"),
        (Series(every="week", until=dt.date(2026, 5, 1), count=3), "只写一个"),
    ],
)
def test_nonsense_is_refused_with_the_reason(series: Series, says: str) -> None:
    problem = event_series.check(series)
    assert problem is not None and says in problem.zh


def test_the_rule_in_words() -> None:
    assert (
        event_series.describe(
            Series(every="month", weekdays=("sat",), nth=3, until=dt.date(2026, 12, 31))
        )
        == "每月第 3 个周六，到 2026-12-31"
    )
    assert (
        event_series.describe(Series(every="week", interval=2, weekdays=("tue", "thu"), count=6))
        == "每 2 周周二、周四，共 6 场"
    )
    assert (
        event_series.describe(Series(every="month", weekdays=("fri",), nth=-1), "en")
        == "every month, the last Fri"
    )


EVENT: dict[str, Any] = {
    "key": "pandas-night",
    "name": "Pandas 实战夜",
    "starts": "2026-03-21T19:30:00",
    "online_link": "https://x.example",
}


def plan(*events: dict[str, Any]) -> Plan:
    return Plan.model_validate(
        {"community": {"name": "Py", "slug": "py", "platform": "matrix"}, "events": list(events)}
    )


def test_each_occurrence_is_an_event_of_its_own_keyed_by_its_date() -> None:
    monthly = {**EVENT, "repeat": {"every": "month", "weekdays": ["sat"], "nth": 3, "count": 3}}
    one_off = {**EVENT, "key": "kickoff", "starts": "2026-04-01T20:00:00"}
    p = plan(monthly, one_off)
    got = [(a.key, f"{a.starts:%m-%d}", a.series_key) for a in p.event_occurrences()]
    assert got == [
        ("pandas-night-20260321", "03-21", "pandas-night"),
        ("kickoff", "04-01", None),
        ("pandas-night-20260418", "04-18", "pandas-night"),
        ("pandas-night-20260516", "05-16", "pandas-night"),
    ]
    assert all(len(a.key) <= 40 for a in p.event_occurrences())
    assert p.event_series("pandas-night") is not None and p.event_series("kickoff") is None


def test_an_offset_start_is_read_in_the_plans_zone() -> None:
    aware = {
        **EVENT,
        "starts": "2026-03-21T11:30:00+00:00",
        "repeat": {"every": "week", "count": 2},
    }
    p = plan(aware)
    assert [f"{a.starts:%Y-%m-%d %H:%M}" for a in p.event_occurrences()] == [
        "2026-03-21 19:30",
        "2026-03-28 19:30",
    ]
    assert ZoneInfo(p.bot.timezone).key == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("repeat", "says"),
    [
        ({"every": "month", "weekdays": ["sat"]}, "nth"),
        ({"every": "year"}, "every"),
        ({"every": "week", "count": 0}, "count"),
        ({"every": "week", "interval": 0}, "interval"),
    ],
)
def test_the_plan_refuses_a_rule_that_does_not_read(repeat: dict[str, Any], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        plan({**EVENT, "repeat": repeat})


def test_a_series_key_leaves_room_for_the_date() -> None:
    long_key = "a" * 32
    with pytest.raises(ValidationError, match="最多 31 个字符"):
        plan({**EVENT, "key": long_key, "repeat": {"every": "week"}})
    assert Activity.model_validate({**EVENT, "key": long_key}).key == long_key  # one-off


def test_expanding_a_plan_leaves_it_equal_to_the_same_plan() -> None:
    monthly = {**EVENT, "repeat": {"every": "month", "weekdays": ["sat"], "nth": 3}}
    first, second = plan(monthly), plan(monthly)
    assert len(first.event_occurrences()) == 13
    assert first.event_occurrences() is first.event_occurrences()  # computed once
    assert first == second


def test_the_day_before_reminder_keeps_the_clock_time_across_a_dst_change() -> None:
    """An event at 19:30 on the Sunday clocks go forward (Berlin, 2026-03-29): the day
    reminder is at 19:30 on Saturday — 23 hours ahead, not 24 (then 18:30)."""
    from qunyun.services import activities

    event = Activity(key="night", name="读书夜", starts=dt.datetime(2026, 3, 29, 19, 30))
    steps = dict((step, at) for step, at, _ in activities._step_times(event, "Europe/Berlin"))
    day = dt.datetime.fromtimestamp(steps["reminded_day_ms"] / 1000, tz=ZoneInfo("Europe/Berlin"))
    assert (day.date().isoformat(), day.strftime("%H:%M")) == ("2026-03-28", "19:30")
    starts = activities.starts_ms(event, "Europe/Berlin")
    assert starts - steps["reminded_day_ms"] == 23 * 3600 * 1000

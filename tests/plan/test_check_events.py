"""`plan check` for recurring A5 events: a series that ends before it starts, one without
an end (bounded at a year, and said so), a start off its own rule, an occurrence that
clashes with another event, a rule that does not read — each one finding with its path."""

from __future__ import annotations

from datetime import date

from qunyun.plan.check import check_loaded
from qunyun.plan.load import parse_plan

TODAY = date(2026, 3, 1)
HEAD = "community: {name: 测试群, slug: t, platform: wechat, size_cap: 100}\nevents:\n"
NIGHT = (
    '  - {key: night, name: 实战夜, starts: "2026-03-21T19:30:00", '
    'online_link: "https://m.example", duration_minutes: 90, repeat: {%s}}\n'
)


def _a5(events: str) -> list[tuple[str | None, str, str]]:
    loaded = parse_plan(HEAD + events, path="t.yaml")
    return [
        (f.path, f.severity, f.zh)
        for f in check_loaded(loaded, today=TODAY)
        if f.code in ("A5", "schema")
    ]


def test_a_bounded_series_on_its_own_day_has_no_findings() -> None:
    assert _a5(NIGHT % "every: month, weekdays: [sat], nth: 3, until: 2026-12-31") == []
    assert _a5(NIGHT % "every: week, count: 8") == []


def test_a_series_without_an_end_runs_a_year_and_says_so() -> None:
    [(path, severity, zh)] = _a5(NIGHT % "every: month, weekdays: [sat], nth: 3")
    assert (path, severity) == ("events.0.repeat", "advice")
    assert "没有写结束" in zh and "每月第 3 个周六" in zh
    assert "排到 2027-03-20，共 13 场" in zh


def test_until_before_the_start_is_an_error() -> None:
    [(path, severity, zh)] = _a5(NIGHT % "every: week, until: 2026-03-01")
    assert (path, severity) == ("events.0.repeat.until", "error")
    assert "早于开始 2026-03-21" in zh and "一场也不会办" in zh


def test_a_start_off_the_rule_names_the_first_occurrence() -> None:
    off = (
        NIGHT.replace("2026-03-21", "2026-03-20")
        % "every: month, weekdays: [sat], nth: 3, count: 3"
    )
    [(path, severity, zh)] = _a5(off)
    assert (path, severity) == ("events.0.starts", "advice")
    assert "2026-03-20 不是「每月第 3 个周六，共 3 场」中的一天" in zh
    assert "第一场是 2026-03-21 19:30" in zh


def test_an_occurrence_clashing_with_another_event_is_named_with_both_times() -> None:
    clash = (
        '  - {key: talk, name: 嘉宾分享, starts: "2026-04-18T20:00:00", '
        'online_link: "https://m.example"}\n'
    )
    found = _a5(NIGHT % "every: month, weekdays: [sat], nth: 3, count: 3" + clash)
    assert found == [
        (
            "events.1.starts",
            "advice",
            "活动「实战夜」（2026-04-18 19:30）和「嘉宾分享」（2026-04-18 20:00）时间重叠",
        )
    ]


def test_a_key_taken_by_an_occurrence_is_an_error() -> None:
    same = (
        '  - {key: night-20260418, name: 加场, starts: "2026-05-01T20:00:00", '
        'online_link: "https://m.example"}\n'
    )
    [(path, severity, zh)] = _a5(NIGHT % "every: week, count: 5" + same)
    assert (path, severity) == ("events.1.key", "error")
    assert "night-20260418" in zh and "2026-04-18" in zh


def test_a_rule_that_does_not_read_is_a_plan_error_saying_why() -> None:
    found = _a5(NIGHT % "every: month, weekdays: [sat]")
    assert found and all(severity == "error" for _p, severity, _z in found)
    assert any("nth" in zh for _p, _s, zh in found)


def test_a_start_with_an_offset_is_read_in_the_plans_zone() -> None:
    utc = NIGHT.replace('"2026-03-21T19:30:00"', '"2026-03-21T11:30:00+00:00"')
    assert _a5(utc % "every: month, weekdays: [sat], nth: 3, count: 3") == []

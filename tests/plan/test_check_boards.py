"""`plan check` for T3 boards: a FAQ naming the new commands is fine; a `seasons:` section
that is missing a start or a length, or contradicts itself, is a finding in both languages."""

from __future__ import annotations

from qunyun.plan.check import check_loaded
from qunyun.plan.load import parse_plan
from tests.plan.test_check import MINIMAL, TODAY


def _t3(extra: str) -> list[tuple[str, str, str]]:
    loaded = parse_plan(MINIMAL + extra, path="t.yaml")
    assert loaded.plan is not None, loaded.findings
    return [(f.path, f.zh, f.severity) for f in check_loaded(loaded, today=TODAY)
            if f.code in ("T3", "A2")]


def test_a_faq_naming_the_grant_and_board_commands_is_not_flagged() -> None:
    assert _t3("""
rules:
  faq:
    - q: 怎么加分？
      a: 管理员会用 !加分 或 !减分 记录；发 !排行 周 看本周排名，!rank 也可以。
""") == []


def test_good_seasons_have_no_findings() -> None:
    assert _t3("seasons: {start: 2026-01-05, every_weeks: 4, name: '{year} 第{n}季'}\n") == []
    assert _t3("seasons: {starts: [2026-01-01, 2026-04-01]}\n") == []


def test_seasons_that_cannot_be_computed_are_findings() -> None:
    no_start = _t3("seasons: {every_weeks: 4}\n")
    assert no_start[0][0] == "seasons" and "缺少开始日期" in no_start[0][1]
    assert "缺少长度" in _t3("seasons: {start: 2026-01-05}\n")[0][1]
    assert "二选一" in _t3("seasons: {start: 2026-01-05, every_weeks: 2, "
                          "starts: [2026-03-01]}\n")[0][1]
    assert "只能写一个" in _t3("seasons: {start: 2026-01-05, every_weeks: 2, "
                            "every_months: 1}\n")[0][1]
    assert "{season}" in _t3("seasons: {start: 2026-01-05, every_weeks: 2, "
                            "name: '第{season}季'}\n")[0][1]
    monday = _t3("seasons: {start: 2026-01-07, every_weeks: 2}\n")
    assert monday == [("seasons.start", monday[0][1], "advice")]


def test_quick_decay_is_advice() -> None:
    found = _t3("points: {decay: {enabled: true, after_days: 3}}\n")
    assert [(p, s) for p, _zh, s in found] == [("points.decay.after_days", "advice")]
    assert _t3("points: {decay: {enabled: false, after_days: 3}}\n") == []


def test_seasons_and_decay_need_the_daily_pass() -> None:
    found = _t3("growth: {enabled: false}\nseasons: {start: 2026-01-05, every_weeks: 4}\n"
                "points: {decay: {enabled: true}}\n")
    # Seasons are announced on their own schedule entry (seasons.announce_at), not by the
    # growth pass; decay still needs it.
    assert [(p, s) for p, _zh, s in found] == [("points.decay", "advice")]
    silent = _t3("seasons: {start: 2026-01-05, every_weeks: 4, announce_top: 0, "
                 "announce_start: false}\n")
    assert [(p, s) for p, _zh, s in silent] == [("seasons", "advice")]
    bad = parse_plan(MINIMAL + "seasons: {start: 2026-01-05, announce_at: '25:00'}\n",
                     path="t.yaml")
    assert any(f.path == "seasons.announce_at" for f in bad.findings)


def test_include_admins_says_everything_it_puts_admins_back_into() -> None:
    """Issue 15: admins are staff; the one switch reaches tiers, badges and core users too."""
    [(path, zh, severity)] = _t3("points: {include_admins: true}\n")
    assert path == "points.include_admins" and severity == "advice"
    for word in ("排行榜", "成长分层", "徽章", "核心用户", "志愿者候选和淘汰始终不含管理员"):
        assert word in zh
    assert _t3("points: {include_admins: false}\n") == []

"""`plan check` for the calendar (A1): each kind of bad calendar entry is one finding with
its file line, in Chinese and English; a good calendar has none."""

from __future__ import annotations

from datetime import date

from qunyun.plan.check import check_loaded
from qunyun.plan.load import parse_plan

TODAY = date(2026, 11, 23)
HEAD = "community: {name: 测试群, slug: t, platform: wechat, size_cap: 100}\n"


def _a1(calendar: str) -> list[tuple[int | None, str, str, str]]:
    loaded = parse_plan(HEAD + calendar, path="t.yaml")
    return [(f.line, f.severity, f.zh, f.en) for f in check_loaded(loaded, today=TODAY)
            if f.code in ("A1", "schema")]


def test_a_good_calendar_has_no_findings() -> None:
    assert _a1("""calendar:
  posts:
    - {id: m, text: "{group} 早安 {date}", every: day, at: "08:00"}
    - {id: t, text: 话题, every: week, weekdays: [tue, 周四], at: "20:00"}
    - {id: f, text: 复盘, every: month, weekdays: [mon], nth: 1}
    - {id: n, text: 分享, every: 3 days, start: 2026-12-01}
  campaigns:
    - id: camp
      name: 7 日营
      days: [{day: 1, text: "欢迎 {member}"}]
""") == []


def test_each_bad_entry_is_named_with_its_line() -> None:
    found = _a1("""calendar:
  posts:
    - {id: a, text: "今天 {weather}", every: day}
    - {id: b, text: 好, every: fortnight}
    - {id: c, text: 好, every: day, at: "25:00"}
    - {id: d, text: 好}
    - {id: e, text: 好, date: 2026-01-01}
    - {id: a, text: 好, every: month, weekdays: [mon, tue], nth: 1}
  campaigns:
    - id: s
      name: 开营周
      relative_to: start
      days: [{day: 1, text: 好}, {day: 1, text: 又, at: "9点"}]
""")
    errors = [(line, zh) for line, sev, zh, _ in found if sev == "error"]
    assert (4, "文案里有不认识的变量 {weather}（可用：{group}、{date}、{newcomers}、"
               "{top_checkins}、{next_event}、{member}）") in errors
    assert any(line == 5 and "fortnight" in zh for line, zh in errors)
    assert any(line == 6 and "25:00" in zh for line, zh in errors)
    assert any(line == 7 and "要写 date" in zh for line, zh in errors)
    assert any(line == 9 and "重复" in zh for line, zh in errors)
    assert any(line == 9 and "正好写一个星期几" in zh for line, zh in errors)
    assert any("没写 start" in zh for _, zh in errors)
    assert any("第 1 天写了两次" in zh for _, zh in errors)
    assert any("9点" in zh for _, zh in errors)
    advice = [(line, zh) for line, sev, zh, _ in found if sev == "advice"]
    assert advice == [(8, "一次性日历帖「e」的日期 2026-01-01 已经过去，不会再发")]
    english = [en for line, sev, _, en in found if line == 5]
    assert english == ["post 'b': the timing cannot be read: every 'fortnight': use day, "
                       "week, month or 'N days'"]

"""A5 events through the real pipeline, database and schedule on a simulated clock (SQLite
and PostgreSQL): announce, !报名 with a waiting list, reminders a day and an hour before,
!签到 on the day (walk-ins counted apart), !反馈, the summary in the admin room."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from qunyun.effects import Alert, Effect, Reply, Send
from qunyun.services import activities as service
from tests.factories import user
from tests.policies.test_bot_policies import ADMIN, Bot, camp_plan

# T0 is 2026-03-01 17:00 in Shanghai; the event starts 2026-03-03 19:30 local.
START = 2 * 86_400 + 2 * 3600 + 1800
EVENT: dict[str, Any] = {
    "key": "pandas-night", "name": "Pandas 实战夜", "goal": "学会分组聚合",
    "audience": "入门学员", "starts": "2026-03-03T19:30:00", "duration_minutes": 90,
    "online_link": "https://meet.example.com/pandas", "agenda": ["讲解", "练习", "答疑"],
    "roles": [{"role": "主持人", "who": "小林"}],
    "budget": [{"item": "嘉宾", "amount": "300"}], "expected_attendance": 3, "capacity": 2,
}


def texts(effects: list[Effect], kind: type[Effect] = Send) -> list[str]:
    return [getattr(e, "text", "") for e in effects if isinstance(e, kind)]


@pytest.fixture
def bot(engine: Engine) -> Bot:
    return Bot(engine, camp_plan(events=[EVENT], elimination__enabled=False))


def test_an_event_from_announcement_to_summary(bot: Bot) -> None:
    a, b, c, d = (user(n, name) for n, name in ((1, "甲"), (2, "乙"), (3, "丙"), (4, "丁")))
    bot.join(ADMIN, 0)
    for n, who in enumerate((a, b, c, d), 1):
        bot.join(who, n)
    [announce] = [t for t in texts(bot.tick(60)) if t.startswith("【活动】")]
    assert "Pandas 实战夜" in announce and "3 月 3 日 19:30" in announce
    assert "https://meet.example.com/pandas" in announce and "主持人 小林" in announce
    assert "嘉宾" not in announce.split("分工")[0] and "300" not in announce  # budget: admins
    assert not [t for t in texts(bot.tick(120)) if t.startswith("【活动】")]  # once

    assert "已报名" in texts(bot.say(a, "!报名", 600), Reply)[0]
    assert "已报名" in texts(bot.say(b, "！报名", 610), Reply)[0]
    assert "候补第 1 位" in texts(bot.say(c, "!报名", 620), Reply)[0]
    assert "已经报过名" in texts(bot.say(a, "!报名", 630), Reply)[0]
    effects = bot.say(a, "!取消报名", 640)
    assert "已取消" in texts(effects, Reply)[0]
    [moved] = [e for e in effects if isinstance(e, Send)]
    assert moved.mentions == (c,) and "正式报名" in moved.text  # type: ignore[attr-defined]

    [day] = [e for e in bot.tick(START - 23 * 3600) if isinstance(e, Send)
             and "明天" in e.text]
    assert set(day.mentions) == {b, c} and "已报名 2 人" in day.text  # type: ignore[attr-defined]
    before = bot.say(b, "!签到", START - 20 * 3600)  # the day before: the A3 check-in
    assert not any("签到成功" in t for t in texts(before, Reply))
    [hour] = [t for t in texts(bot.tick(START - 1800)) if "1 小时后开始" in t]
    assert "!签到" in hour
    assert "签到成功 ✓ 欢迎" in texts(bot.say(b, "!签到", START - 600), Reply)[0]
    assert "已经签到过" in texts(bot.say(b, "!签到", START - 500), Reply)[0]
    assert "现场参加" in texts(bot.say(d, "!签到", START + 300), Reply)[0]

    [ask] = [t for t in texts(bot.tick(START + 90 * 60 + 60)) if "!反馈" in t]
    assert "结束啦" in ask
    assert "1-5" in texts(bot.say(b, "!反馈 9 太棒", START + 2 * 3600), Reply)[0]
    assert "评分 5 分已记录" in texts(bot.say(b, "!反馈 5 很有收获", START + 2 * 3600), Reply)[0]
    assert "签到参加过" in texts(bot.say(c, "!反馈 4", START + 2 * 3600), Reply)[0]
    assert "评分 3 分已记录" in texts(bot.say(d, "!反馈 3 时间有点晚", START + 3 * 3600),
                                   Reply)[0]

    [summary] = texts(bot.tick(START + 90 * 60 + 86_400 + 60), Alert)
    assert "报名 2 人（候补 0，取消 1）" in summary
    assert "签到 2 人（其中未报名 1）" in summary and "缺席 1 人" in summary
    assert "预期 3 人，实到为预期的 66.7%" in summary
    assert "评分 4 / 5（2 条反馈）" in summary and "人均 150.00 元" in summary
    assert "很有收获" in summary
    assert not texts(bot.tick(START + 2 * 86_400), Alert)  # once

    with bot.engine.connect() as conn:
        [row] = service.all_with_results(conn, community_id=bot.cid)
    assert (row["registered"], row["checked_in"], row["walk_ins"]) == (2, 2, 1)


def test_an_event_added_late_gets_no_day_reminder_and_no_event_means_no_ticks(
        engine: Engine) -> None:
    late = {**EVENT, "starts": "2026-03-01T21:00:00"}  # four hours after T0
    bot = Bot(engine, camp_plan(events=[late], elimination__enabled=False))
    bot.join(ADMIN, 0)
    sent = texts(bot.tick(60)) + texts(bot.tick(3 * 3600 + 60))
    assert any(t.startswith("【活动】") for t in sent) and not any("明天" in t for t in sent)
    assert any("1 小时后开始" in t for t in sent)
    quiet = Bot(engine, camp_plan(elimination__enabled=False))
    assert not texts(quiet.tick(60))


def test_two_occurrences_of_a_series_each_get_their_own_run(engine: Engine) -> None:
    """A weekly series: each occurrence is announced on its own (six days ahead, not both
    at once), reminded to its own registrants, checked in and summarised on its own;
    registering for one is not registering for the other, and `!报名 <series>` means the
    next occurrence."""
    weekly = {**EVENT, "capacity": None,
              "repeat": {"every": "week", "count": 2, "announce_days_before": 6}}
    bot = Bot(engine, camp_plan(events=[weekly], elimination__enabled=False))
    a, b, c = (user(n, name) for n, name in ((1, "甲"), (2, "乙"), (3, "丙")))
    bot.join(ADMIN, 0)
    for n, who in enumerate((a, b, c), 1):
        bot.join(who, n)
    announced = [t for t in texts(bot.tick(60)) if t.startswith("【活动】")]
    assert len(announced) == 1 and "3 月 3 日 19:30" in announced[0]  # not 10 March yet
    assert "系列活动：每周，共 2 场（报名只报这一场）" in announced[0]

    assert "3 月 3 日" in texts(bot.say(a, "!报名", 600), Reply)[0]
    assert "3 月 3 日" in texts(bot.say(b, "!报名 pandas-night", 610), Reply)[0]
    # The later occurrence by its own key, before it is announced.
    assert "3 月 10 日" in texts(bot.say(c, "!报名 pandas-night-20260310", 620), Reply)[0]

    [day] = [e for e in bot.tick(START - 23 * 3600) if isinstance(e, Send) and "明天" in e.text]
    assert set(day.mentions) == {a, b} and "3 月 3 日" in day.text  # type: ignore[attr-defined]
    [hour] = [e for e in bot.tick(START - 1800) if isinstance(e, Send) and "1 小时后" in e.text]
    assert set(hour.mentions) == {a, b}  # type: ignore[attr-defined]
    assert "签到成功 ✓ 欢迎" in texts(bot.say(a, "!签到", START - 600), Reply)[0]
    # Six days before 10 March (4 March 19:30), its announcement; then the first's summary.
    assert not [t for t in texts(bot.tick(START + 86_400 - 600)) if t.startswith("【活动】")]
    [second] = [t for t in texts(bot.tick(START + 86_400 + 60)) if t.startswith("【活动】")]
    assert "3 月 10 日 19:30" in second
    [summary] = texts(bot.tick(START + 90 * 60 + 86_400 + 60), Alert)
    assert "（3 月 3 日 19:30）" in summary and "报名 2 人" in summary
    assert "签到 1 人" in summary

    week = 7 * 86_400
    assert not [t for t in texts(bot.tick(START + 2 * 86_400)) if t.startswith("【活动】")]
    # `!报名` alone: the first one is over, so the next one; a's first registration stays.
    assert "3 月 10 日" in texts(bot.say(a, "!报名", START + 2 * 86_400), Reply)[0]
    assert "已经报过名" in texts(bot.say(c, "!报名 pandas-night", START + 2 * 86_400), Reply)[0]
    [day2] = [e for e in bot.tick(START + week - 23 * 3600)
              if isinstance(e, Send) and "明天" in e.text]
    assert set(day2.mentions) == {a, c} and "3 月 10 日" in day2.text  # type: ignore[attr-defined]
    assert "签到成功" in texts(bot.say(c, "!签到", START + week - 300), Reply)[0]
    [summary2] = texts(bot.tick(START + week + 90 * 60 + 86_400 + 60), Alert)
    assert "（3 月 10 日 19:30）" in summary2 and "报名 2 人" in summary2

    with bot.engine.connect() as conn:
        rows = service.all_with_results(conn, community_id=bot.cid)
    assert [(r["key"], r["registered"], r["checked_in"]) for r in rows] == [
        ("pandas-night-20260303", 2, 1), ("pandas-night-20260310", 2, 1)]


def test_an_occurrence_registered_for_early_is_announced_on_its_own_date(
        engine: Engine) -> None:
    """`!报名 <key>-YYYYMMDD` before an occurrence's announcement stores it; another
    event's announcement does not take it along: it is announced six days ahead of it."""
    weekly = {**EVENT, "capacity": None, "repeat": {"every": "week", "count": 2}}
    qa = {**EVENT, "key": "qa", "name": "答疑会", "starts": "2026-03-08T20:00:00",
          "repeat": {"every": "week", "count": 1}}  # announced 2 March 20:00
    bot = Bot(engine, camp_plan(events=[weekly, qa], elimination__enabled=False))
    a = user(1, "甲")
    bot.join(ADMIN, 0)
    bot.join(a, 1)
    bot.tick(60)
    assert "3 月 10 日" in texts(bot.say(a, "!报名 pandas-night-20260310", 600), Reply)[0]
    announced = [t for t in texts(bot.tick(27 * 3600 + 60)) if t.startswith("【活动】")]
    assert len(announced) == 1 and "答疑会" in announced[0]
    later = [t for t in texts(bot.tick(START + 86_400 + 60)) if t.startswith("【活动】")]
    assert len(later) == 1 and "3 月 10 日" in later[0]

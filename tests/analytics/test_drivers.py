"""H3 what drove activity: a poll and an event measured against the same hours of the
days before, ranked as the week's top content (and shown in the weekly report)."""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import Engine

from qunyun.analytics import build_report, drivers
from qunyun.report.write import write_report
from qunyun.services import reports
from tests.factories import T0, user
from tests.policies.test_activities import EVENT
from tests.policies.test_bot_policies import ADMIN, Bot, camp_plan

DAY, HOUR = 86_400, 3600


def test_a_poll_that_sparked_talk_tops_the_week(engine: Engine) -> None:
    event = {**EVENT, "starts": "2026-03-10T20:00:00"}  # a quiet event: no one talks after
    bot = Bot(engine, camp_plan(events=[event], elimination__enabled=False,
                                reports__weekly=False))
    people = [user(n, f"学员{n}") for n in range(1, 7)]
    bot.join(ADMIN, 0)
    for n, who in enumerate(people, 1):
        bot.join(who, n)
    bot.tick(60)  # the plan's event is stored (and announced)
    for day in range(1, 9):  # an ordinary evening: two messages at 12:00 UTC (20:00 local)
        bot.say(people[0], f"第 {day} 天晚上打个招呼，今天大家学得怎么样", day * DAY + 11 * HOUR)
        bot.say(people[1], f"第 {day} 天我还在看第三章的内容哦", day * DAY + 11 * HOUR + 60)
    poll_at = 8 * DAY + 11 * HOUR - 600  # 18:50 local: its 3 hours hold the usual two
    bot.say(ADMIN, "!发起投票 下次直播讲什么 | 分组聚合 | 可视化", poll_at)
    for n, who in enumerate(people):
        bot.say(who, f"我投可视化，理由是第 {n} 个：图表更直观", poll_at + 60 * (n + 1))
    with engine.connect() as conn:
        top = drivers.top_content(conn, community_id=bot.cid,
                                  since_ms=int((T0.timestamp() + 7 * DAY) * 1000),
                                  until_ms=int((T0.timestamp() + 14 * DAY) * 1000),
                                  tz="Asia/Shanghai")
    assert [t["kind"] for t in top] == ["poll", "event"]
    poll = top[0]
    assert poll["label"] == "投票：下次直播讲什么" and poll["active"] == 7
    assert poll["messages"] == 9 and poll["baseline"] == 2.0 and poll["lift"] == 7.0
    assert top[1]["messages"] == 0 and top[1]["lift"] == 0.0

    bot.tick(12 * DAY)
    w = reports.weekly_numbers(engine, community_id=bot.cid, plan=bot.plan,
                               as_of=T0.replace(day=15))
    assert w["top_content"][0]["label"] == "投票：下次直播讲什么"
    assert w["events"][0]["name"] == "Pandas 实战夜"


def test_report_json_holds_what_drove_activity(engine: Engine, tmp_path: Path) -> None:
    bot = Bot(engine, camp_plan(elimination__enabled=False, reports__weekly=False))
    people = [user(n, f"学员{n}") for n in range(1, 5)]
    bot.join(ADMIN, 0)
    for n, who in enumerate(people, 1):
        bot.join(who, n)
    for day in range(1, 9):  # an ordinary evening: one message at 20:00 local
        bot.say(people[0], f"第 {day} 天晚上打个招呼，今天大家学得怎么样", day * DAY + 12 * HOUR)
    poll_at = 8 * DAY + 11 * HOUR
    bot.say(ADMIN, "!发起投票 周末读哪本书 | 流畅的 Python | 利用 Python 进行数据分析", poll_at)
    for n, who in enumerate(people):
        bot.say(who, f"我投第二本，理由是第 {n} 个：正好在学 pandas", poll_at + 60 * (n + 1))
    report = build_report(engine, community_id=bot.cid, plan=bot.plan)
    paths = write_report(report, tmp_path / "out")
    data = orjson.loads(paths["json"].read_bytes())["drivers"]
    assert data["hours"] == 3 and data["baseline_days"] == 7
    assert data["since"] < data["until"]
    (poll,) = [i for i in data["items"] if i["kind"] == "poll"]
    assert poll["label"] == "投票：周末读哪本书" and poll["kind_name"] == "投票"
    assert poll["messages"] == 6 and poll["baseline"] == 1.0 and poll["lift"] == 5.0
    assert data["top"][0] == poll

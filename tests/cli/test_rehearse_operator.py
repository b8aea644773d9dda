"""`qunyun rehearse` as an operator reads it: every line in words (no playbook codes such
as "T3 任务完成" or "O1 welcome"), the member each reply was about, a progress bar while
the simulated clock runs, and notes where the totals would mislead (the plan's event
outside the rehearsed days, removals waiting for an operator)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from qunyun.app import open_database
from qunyun.bot.rehearse import KIND_ZH, rehearse
from qunyun.plan.load import load_plan
from tests.cli.test_plan_cli import qunyun
from tests.conftest import EXAMPLES

CODE = re.compile(r"(^|\s)[A-Z]\d+ ")
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_timeline_is_in_words_and_names_who_and_the_clock_reports_progress(
        tmp_path: Path) -> None:
    loaded = load_plan(EXAMPLES / "python-camp.yaml")
    assert loaded.plan is not None
    engine = open_database(f"sqlite:///{tmp_path / 'r.db'}")
    days: list[int] = []
    try:
        result = rehearse(engine, loaded.plan, days=14, members=15, seed=2,
                          start=dt.date(2026, 3, 2), progress=days.append)
    finally:
        engine.dispose()
    assert days and days == sorted(set(days)) and days[-1] == 14
    assert result.timeline
    for item in result.timeline:
        assert not CODE.search(item.reason), item
        assert CJK.search(item.reason), item
    tasks = [i for i in result.timeline if i.kind == "task_done"]
    assert tasks and all(i.member and re.fullmatch(r"完成任务「.+」", i.reason) for i in tasks)
    # Only members already in the group do a task: each was welcomed, at most one welcome
    # batch after they joined, before their first task.
    batch = dt.timedelta(seconds=loaded.plan.onboarding.welcome_batch_seconds)
    welcomed = {i.member: i.at for i in result.timeline if i.kind == "welcome" and i.member}
    for item in tasks:
        base = str(item.member).split("-")[0]
        assert base in welcomed and welcomed[base] - batch <= item.at, item
    checkins = [i for i in result.timeline if i.kind == "checkin"]
    assert checkins and all(i.member for i in checkins)
    # A campaign day is not an event (活动公告, 活动签到): it reads as the camp's day.
    camp = [i for i in result.timeline if i.kind == "post" and "7 日营" in i.reason]
    assert camp and all(i.reason.startswith("营期「新人 7 日营 第") for i in camp)
    lines = list(result.day_lines())
    assert not any(CODE.search(line) for line in lines)
    assert all(word in KIND_ZH.values() for word in ("入群超时", "完成任务"))


def test_the_command_notes_an_event_outside_the_days_and_waiting_removals(
        tmp_path: Path) -> None:
    result = qunyun("rehearse", str(EXAMPLES / "python-camp.yaml"), "--days", "7",
                    "--members", "8", "--seed", "3", "--start", "2026-03-02", "--quiet")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("合计（7 天，8 名成员，种子 3）")
    assert lines[1] == ("注意：重复活动「Pandas 实战夜（线上）」（每月第 3 个周六，到 2026-12-31）"
                        "在预演的 2026-03-02 至 2026-03-08 里没有一场：最近一场在 2026-03-21 "
                        "19:30（加 --start 2026-03-14 可以预演它）")


def test_noticed_members_who_wait_for_review_are_explained() -> None:
    from qunyun.bot.rehearse import Item, Rehearsal
    from qunyun.cli.rehearse import notes

    loaded = load_plan(EXAMPLES / "python-camp.yaml")
    assert loaded.plan is not None
    at = dt.datetime(2026, 3, 9, 10, tzinfo=dt.UTC)
    result = Rehearsal(start=dt.date(2026, 3, 2), days=30, members=5, seed=1,
                       tz="Asia/Shanghai", timeline=[Item(
                           at=at, kind="elimination_notice", group="g", member="m",
                           key="k", reason="私信淘汰提醒")])
    said = notes(loaded.plan, result, first=dt.date(2026, 3, 2), days=30, approve=False)
    assert said == ["1 次淘汰提醒后没有人被移出：计划要求运营在控制台确认"
                    "（elimination.auto_remove: false）；加 --approve 模拟运营每天批准"]
    assert notes(loaded.plan, result, first=dt.date(2026, 3, 2), days=30, approve=True) == []


def test_sixty_days_run_each_occurrence_of_the_monthly_night_once(tmp_path: Path) -> None:
    """The bundled Pandas night is monthly (third Saturday): 60 days from 2 March rehearse
    its 21 March and 18 April occurrences, each announced, checked in and summed up on its
    own — and 16 May's, six days ahead of it, not yet."""
    out = tmp_path / "r.json"
    result = qunyun("rehearse", str(EXAMPLES / "python-camp.yaml"), "--days", "60",
                    "--members", "12", "--seed", "5", "--start", "2026-03-02", "--quiet",
                    "--json", str(out))
    assert result.returncode == 0, result.stderr
    timeline = json.loads(out.read_text(encoding="utf-8"))["timeline"]
    announced = [(i["key"], i["at"][:10], i["reason"]) for i in timeline if i["kind"] == "event"]
    assert announced == [
        ("event:pandas-night-20260321:announced", "2026-03-15",
         "活动公告「Pandas 实战夜（线上）」3 月 21 日 19:30"),
        ("event:pandas-night-20260418:announced", "2026-04-12",
         "活动公告「Pandas 实战夜（线上）」4 月 18 日 19:30")]
    checkins = [i["key"] for i in timeline if i["kind"] == "event_checkin"]
    assert len(checkins) == len(set(checkins))  # each member once per occurrence
    nights = {k.split(":")[1] for k in checkins}
    assert nights == {"pandas-night-20260321", "pandas-night-20260418"}
    assert all(i["at"][:10] in ("2026-03-21", "2026-04-18") for i in timeline
               if i["kind"] == "event_checkin")
    assert "不在预演" not in result.stdout and "没有一场" not in result.stdout

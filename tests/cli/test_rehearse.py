"""`qunyun rehearse`: a synthetic community through the real bot on a simulated clock.
Months of the bundled plans in seconds: each calendar slot is posted once at its time,
the camp runs per member, the JSON has the totals and timeline the README promises, and
the same seed gives the same output."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

from qunyun.app import open_database
from qunyun.bot.rehearse import Rehearsal, _note, classify, rehearse
from qunyun.effects import Send
from qunyun.events import GroupRef, UserRef
from qunyun.plan.load import load_plan
from tests.cli.test_plan_cli import qunyun
from tests.conftest import EXAMPLES

TOTALS = {"posts", "reminders", "warnings", "removals", "revivals", "event_checkins",
          "tier_changes"}


def run(tmp: Path, name: str, *, days: int, members: int, seed: int = 7) -> Rehearsal:
    loaded = load_plan(EXAMPLES / name)
    assert loaded.plan is not None
    engine = open_database(f"sqlite:///{tmp / f'{name}-{seed}.db'}")
    try:
        return rehearse(engine, loaded.plan, days=days, members=members, seed=seed,
                        start=dt.date(2026, 3, 2))
    finally:
        engine.dispose()


def test_a_quarter_of_the_course_plan(tmp_path: Path) -> None:
    result = run(tmp_path, "python-camp.yaml", days=91, members=25)
    posts = [i for i in result.timeline if i.kind == "post"]
    keys = Counter(i.key for i in posts)
    assert all(n == 1 for n in keys.values())  # no slot posted twice
    morning = [i for i in posts if "早安打卡提醒" in i.reason]
    assert len(morning) == 91 and {i.at.strftime("%H:%M") for i in morning} == {"08:00"}
    topics = [i for i in posts if "话题夜" in i.reason]
    assert len(topics) == 26 and {i.at.strftime("%a") for i in topics} == {"Tue", "Thu"}
    monthly = [i.at.date().isoformat() for i in posts if "复盘" in i.reason]
    assert monthly == ["2026-03-02", "2026-04-06", "2026-05-04"]
    camp = Counter(i.member for i in posts if "7 日营" in i.reason)
    assert len(camp) >= 20 and max(camp.values()) <= 7
    totals = result.totals
    assert set(totals) >= TOTALS and totals["posts"] == len(posts)
    assert totals["reminders"] > 0 and totals["revivals"] == 0
    # Issue 15: tier changes over the 90 days, both ways, from more than one month.
    moves = [i for i in result.timeline if i.kind == "tier_change"]
    assert totals["tier_changes"] == len(moves) > 0
    assert any("升级" in i.reason for i in moves) and any("降级" in i.reason for i in moves)
    assert len({i.at.month for i in moves}) >= 2


def test_a_month_of_the_course_plan_shows_onboarding_and_moderation(tmp_path: Path) -> None:
    """The members act like people: most newcomers rename to the plan's pattern, introduce
    themselves and answer the questionnaire by DM (their checklist completes); lurkers
    miss the deadline; the few who post adverts are warned and, at the limit, removed;
    ghosts fall silent and the sweep notices them — never the group's owner."""
    result = run(tmp_path, "python-camp.yaml", days=30, members=30)
    totals = result.totals
    assert totals["welcomes"] > 0
    assert totals["onboarded"] > totals["welcomes"] / 2  # most complete onboarding
    assert 0 < totals["deadlines"] < totals["onboarded"]  # some do not
    onboarded = [i for i in result.timeline if i.kind == "onboarded"]
    # Once each; a completed checklist includes the nickname in the plan's format and the
    # questionnaire answered in the DM (neither has a timeline item of its own).
    assert len({i.member for i in onboarded}) == len(onboarded)
    warned = Counter(i.member for i in result.timeline if i.kind == "warning")
    assert totals["warnings"] > 0
    removals = [i for i in result.timeline if i.kind == "removal"]
    spam = [i for i in removals if "警告" in i.reason]
    assert spam and {i.member for i in spam} <= set(warned)
    for out in spam:  # a removed advertiser posts no more adverts
        assert not [i for i in result.timeline if i.kind == "warning" and
                    i.member == out.member and i.at > out.at]
    noticed = [i.member for i in result.timeline if i.kind == "elimination_notice"]
    assert noticed and "群主" not in noticed
    # T3: the plan's four-week seasons turn on 3-02 and 3-30, announced at 10:00 (the
    # plan's default seasons.announce_at), the ended one's results with the new one's start.
    # The rehearsed group's history begins on 3-02, so that season is its 第1季 (the plan's
    # `start` is in January: issue 11 walk finding 37).
    started = [i for i in result.timeline if i.kind == "season_start"]
    assert [(i.at.strftime("%m-%d %H:%M"), i.reason) for i in started] == [
        ("03-02 10:00", "「第1季」今天开始")]
    seasons = [i for i in result.timeline if i.kind == "season_end"]
    assert [i.at.strftime("%m-%d %H:%M") for i in seasons] == ["03-30 10:00"]
    assert seasons[0].reason.startswith("「第1季」结束") and "公布前几名：" in seasons[0].reason
    assert "「第2季」开始" in seasons[0].reason


def test_the_bundled_revival_task_brings_the_removed_back(tmp_path: Path) -> None:
    """E2 by task: with a stand-in operator approving removals, the removed hand in the
    plan's revival task by DM and are invited back at once (no application to review)."""
    loaded = load_plan(EXAMPLES / "python-camp.yaml")
    assert loaded.plan is not None and loaded.plan.revival is not None
    assert loaded.plan.revival.task == "批量重命名"
    engine = open_database(f"sqlite:///{tmp_path / 'task.db'}")
    try:
        result = rehearse(engine, loaded.plan, days=45, members=30, seed=7,
                          start=dt.date(2026, 3, 2), approve=True)
    finally:
        engine.dispose()
    revived = [i for i in result.timeline if i.kind == "revival"]
    assert result.totals["revivals"] == len(revived) > 0
    assert all(i.reason == "交了复活任务「批量重命名」，自动邀请回群" for i in revived)
    swept = {i.member for i in result.timeline
             if i.kind == "removal" and i.reason.startswith("淘汰")}
    assert {i.member for i in revived} <= swept
    assert not [i for i in result.timeline if i.kind == "revival_application"]


def test_same_seed_same_output_and_the_json(tmp_path: Path) -> None:
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
    first = run(tmp_path / "a", "fruit-shop.yaml", days=10, members=12)
    second = run(tmp_path / "b", "fruit-shop.yaml", days=10, members=12)
    assert first.to_json() == second.to_json()
    other = run(tmp_path, "fruit-shop.yaml", days=10, members=12, seed=8)
    assert other.to_json()["timeline"] != first.to_json()["timeline"]
    data = first.to_json()
    assert set(data["timeline"][0]) == {"at", "kind", "group", "member", "key", "reason"}
    cutoffs = [i for i in data["timeline"] if "截单" in i["reason"]]
    assert [c["at"][:16] for c in cutoffs] == ["2026-03-03T20:00", "2026-03-06T20:00",
                                                "2026-03-10T20:00"]


def test_the_command_prints_days_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = qunyun("rehearse", str(EXAMPLES / "fruit-shop.yaml"), "--days", "3",
                    "--members", "5", "--seed", "3", "--start", "2026-03-02", "--json", str(out))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2026-03-02 周一")
    assert any("日历帖「今日到货」" in line for line in lines)
    assert lines[-1].startswith("合计（3 天，5 名成员，种子 3）：发帖 ")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data["totals"]) >= TOTALS and data["timeline"]
    bad = qunyun("rehearse", str(EXAMPLES / "draft-incomplete.yaml"), "--days", "3")
    assert bad.returncode == 1 and "plan check" in bad.stderr


def test_tier_changes_are_on_the_timeline(tmp_path: Path) -> None:
    result = run(tmp_path, "python-camp.yaml", days=45, members=25)
    moves = [i for i in result.timeline if i.kind == "tier_change"]
    assert result.totals["tier_changes"] == len(moves) > 0
    assert len({i.key for i in moves}) == len(moves)  # one per member and daily pass
    assert all(i.member and "→" in i.reason and ("升级" in i.reason or "降级" in i.reason)
               for i in moves)
    assert len({i.at.date() for i in moves}) > 1  # the daily pass, not one burst


def test_a_season_end_line_names_the_top_members_not_one_mention() -> None:
    """Issue 11: the day said 「赛季结束 @群主」, as if the announcement were about the first
    member it mentions; it names the season and its top members instead."""
    group = GroupRef(platform="matrix", group_id="!g", name="训练营")
    top = (UserRef("matrix", "@owner", "群主"), UserRef("matrix", "@a", "Alice"))
    season_end = Send(group=group, mentions=top, policy="boards", reason="T3 season end",
                      evidence={"season": 1, "name": "第 1 赛季"}, text="🏁 …")
    result = Rehearsal(start=dt.date(2026, 3, 2), days=1, members=2, seed=1, tz="Asia/Shanghai")
    at = dt.datetime(2026, 3, 2, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    _note(result, season_end, at, ZoneInfo("Asia/Shanghai"), [classify])
    lines = list(result.day_lines())
    assert "    12:00 赛季结束：「第 1 赛季」结束，公布前几名：群主、Alice" in lines
    assert not any("@群主" in line for line in lines)


def test_title_changes_are_on_the_timeline(tmp_path: Path) -> None:
    """Issue 15 (T2 roles): with a title for 活跃者 and 意见领袖, the rehearsal's days say
    when each title is given and taken back, beside the tier moves that caused them."""
    loaded = load_plan(EXAMPLES / "python-camp.yaml")
    assert loaded.plan is not None and loaded.plan.tier_actions is not None
    actions = loaded.plan.tier_actions.model_dump()["actions"]
    actions["opinion_leader"] |= {"role": "意见领袖", "role_level": 20}
    actions["active"] |= {"role": "活跃之星", "role_level": 10}
    plan = loaded.plan.model_copy(update={"tier_actions": loaded.plan.tier_actions.model_copy(
        update={"actions": type(loaded.plan.tier_actions).model_validate(
            {"actions": actions}).actions})})
    engine = open_database(f"sqlite:///{tmp_path / 'roles.db'}")
    try:
        result = rehearse(engine, plan, days=45, members=25, seed=7, start=dt.date(2026, 3, 2))
    finally:
        engine.dispose()
    titles = [i for i in result.timeline if i.kind == "role_change"]
    assert result.totals["role_changes"] == len(titles) > 0
    assert len({i.key for i in titles}) == len(titles)
    assert all(i.member and "头衔「" in i.reason for i in titles)
    assert any(i.reason.startswith("授予头衔「") for i in titles)
    lines = "\n".join(result.day_lines(per_day=100))
    assert re.search(r"\d\d:\d\d 头衔变化 @\S+：授予头衔「(意见领袖|活跃之星)」", lines)
    # A title given after the first pass follows a tier move of that member that pass;
    # on the timeline the move comes first.
    moves = [i for i in result.timeline if i.kind == "tier_change"]
    first_pass = min(i.at for i in titles)
    for title in (i for i in titles if i.at > first_pass):
        move = next(m for m in moves if m.member == title.member and m.at == title.at)
        assert result.timeline.index(move) < result.timeline.index(title)

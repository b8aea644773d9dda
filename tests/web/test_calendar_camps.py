"""The content calendar as an operator reads it (issue 14 A1, issue 11): a newcomer camp
of five members is one entry with a count, not 35 rows, and one item per day in the grid;
a paused entry says 已暂停 and no next time; every entry names the groups it posts to;
the preview is what the bot posts — a member's camp day with their @-mention and name,
a slot that went out as the bot posted it, `{next_event}` as of the slot, and ahead of
time `{newcomers}` / `{top_checkins}` as samples named as samples. Through the real
scheduler and pipeline (the posts that went out) and the console (SQLite, PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from qunyun.bot.wiring import build_policies, build_scheduler
from qunyun.events import GroupRef, MemberJoined, UserRef
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.load import load_plan
from qunyun.plan.model import Plan
from qunyun.services import calendar as calendar_service
from qunyun.storage.schedule import entries as entry_repo
from tests.conftest import EXAMPLES
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded

Make = Callable[..., TestClient]
BASE = "/c/python-camp/calendar"
TZ = ZoneInfo("Asia/Shanghai")
QA = GroupRef("matrix", "!qa:localhost", "Python 训练营 · 答疑群")
ADV = GroupRef("matrix", "!adv:localhost", "进阶营 1 群")
NEWCOMERS = ["王小明-上海-运营", "李娜-北京-财务", "张伟-深圳-数据分析", "赵敏-杭州-产品",
             "陈晨-成都-运营"]


def _plan() -> Plan:
    plan = load_plan(EXAMPLES / "python-camp.yaml").plan
    assert plan is not None
    return plan


def _camp(engine: Engine, seeded: Seeded) -> dt.datetime:
    """Five newcomers join two groups over the last two days, through the bot, and the
    schedule runs up to now: days 1 (and 2) of their camp and the plan's posts go out."""
    plan = _plan()
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    clock = [now - dt.timedelta(days=2)]
    pipeline = Pipeline(engine, community_id=seeded.community_id, plan=plan,
                        policies=build_policies(plan), clock=lambda: clock[0])
    for i, name in enumerate(NEWCOMERS):
        clock[0] = now - dt.timedelta(days=2) + dt.timedelta(hours=7 * i)
        pipeline.process(MemberJoined(source="t", source_event_id=f"camp-j{i}",
                                      group=QA if i % 2 == 0 else ADV, at=clock[0],
                                      member=UserRef("matrix", f"@n{i}:localhost", name)))
    schedule = build_scheduler(engine, community_id=seeded.community_id, plan=plan,
                               resolution_s=60, now=now - dt.timedelta(days=2))
    at = now - dt.timedelta(days=2)
    while at <= now:
        clock[0] = at
        for timer in schedule(at):
            pipeline.process(timer)
        at += dt.timedelta(minutes=30)
    return now


def _entries(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT id, kind, key, paused, next_ms FROM schedule_entries "
            "WHERE kind IN ('calendar', 'campaign') ORDER BY id")).mappings()]


def test_a_newcomer_camp_is_one_entry_with_a_count_and_one_item_a_day(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    _camp(engine, seeded)
    per_member = [e for e in _entries(engine) if ":m" in str(e["key"])]
    assert len(per_member) == 5 * 7  # stored one per member and day, as the bot runs them
    admin = make_client("admin")
    page = admin.get(BASE).text
    table = page[page.index('id="calendar-entries"'):]
    rows = re.findall(r'<tr data-camp="新人 7 日营" data-members="(\d+)"', table)
    assert rows == ["5"]
    assert "5 位成员进行中" in table and "每位新成员入群后按天发，共 7 天" in table
    # Every member, once, with their next day — folded away until asked for.
    assert all(table.count(name) == 1 for name in NEWCOMERS), table
    assert "看每位成员（5）" in table
    # The entries list has the plan's three posts and the camp: no row per member and day.
    assert table.count("<tr data-entry=") == 3 + 5
    # The grid: one item per day and time for the camp, with the number of members.
    tomorrow = (dt.datetime.now(TZ) + dt.timedelta(days=1)).date()
    week = admin.get(f"{BASE}?day={tomorrow.isoformat()}").text
    grid = week[week.index('id="calendar-grid"'):week.index('id="calendar-entries"')]
    items = re.findall(r'data-camp="新人 7 日营" data-members="(\d+)"', grid)
    assert items and all(int(n) <= 5 for n in items)
    assert grid.count("新人 7 日营 第") == 0  # no per-member titles in the grid
    assert "时间均为北京时间（UTC+8）" in week
    # The rest of the one schedule, read-only: when the sweep and the weekly report run.
    jobs = week[week.index('id="calendar-jobs"'):]
    jobs = jobs[:jobs.index("</table>")]
    assert "淘汰检查" in jobs and "周报" in jobs and "每周一 09:00" in jobs
    assert "每日成长等级评定" in jobs and ("已运行" in jobs or "补运行" in jobs)
    assert not re.search(r"elimination\.sweep|report\.weekly|FREQ=", jobs)
    english = make_client("viewer")
    english.cookies.set("qunyun_lang", "en")
    page = english.get(BASE).text
    assert "every group (Python 训练营 · 答疑群, 进阶营 1 群)" in page
    assert "Each member (5)" in page and "5 members in it" in page
    assert "Times are Asia/Shanghai (UTC+8)" in page and "Elimination sweep" in page


def test_paused_entries_say_so_and_every_entry_names_its_groups(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    _camp(engine, seeded)
    admin = make_client("admin")
    token = csrf_of(admin, BASE)
    morning = next(e for e in _entries(engine) if e["key"] == "morning")
    assert admin.post(f"{BASE}/{morning['id']}/pause", data={"csrf": token, "paused": 1},
                      follow_redirects=False).status_code == 303
    page = admin.get(BASE).text
    row = re.search(rf'<tr data-entry="{morning["id"]}">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = row.group(1)
    assert "已暂停，恢复后才会再发" in cells
    assert not re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", cells)  # no next time
    assert "全部群（Python 训练营 · 答疑群、进阶营 1 群）" in cells
    # Its slots ahead are on the grid as paused, not gone and not 待发.
    tomorrow = (dt.datetime.now(TZ) + dt.timedelta(days=1)).date()
    week = admin.get(f"{BASE}?day={tomorrow.isoformat()}").text
    assert re.search(rf'class="cal-item s-paused" data-status="paused" '
                     rf'data-entry="{morning["id"]}"', week)
    # A member's camp paused from the folded row: all their remaining days, 已暂停.
    camp_day = next(e for e in _entries(engine) if ":m" in str(e["key"]) and e["next_ms"])
    assert admin.post(f"{BASE}/{camp_day['id']}/pause", data={
        "csrf": token, "paused": 1, "member_days": 1}, follow_redirects=False).status_code == 303
    member = str(camp_day["key"]).split(":")[1]
    theirs = [e for e in _entries(engine)
              if f":{member}:" in str(e["key"]) and e["next_ms"] is not None]
    assert theirs and all(e["paused"] for e in theirs)
    others = [e for e in _entries(engine) if ":m" in str(e["key"]) and e["next_ms"]
              and f":{member}:" not in str(e["key"])]
    assert others and not any(e["paused"] for e in others)
    table = admin.get(BASE).text
    assert "恢复此人的营期" in table and "4 位成员进行中" not in table  # still in the camp
    # A console post to one group names that group, not its platform id.
    day = (dt.datetime.now(TZ) + dt.timedelta(days=2)).date().isoformat()
    assert admin.post(f"{BASE}/add", data={
        "csrf": token, "title": "进阶群通知", "text": "{group} 今晚答疑", "at": "21:00",
        "every": "", "day": day, "group": "!adv:localhost"},
        follow_redirects=False).status_code == 303
    page = admin.get(BASE).text
    row = re.search(r'<tr data-entry="\d+">\s*<td>进阶群通知.*?</tr>', page, re.S)
    assert row is not None and '<td class="posts-to">进阶营 1 群</td>' in row.group(0)


def test_the_preview_is_what_the_bot_posts(make_client: Make, seeded: Seeded,
                                           engine: Engine) -> None:
    _camp(engine, seeded)
    admin = make_client("admin")
    with engine.connect() as conn:
        sent = conn.execute(text(
            "SELECT event_source_id, effect FROM audit_log WHERE action = 'send' "
            "AND event_source_id LIKE 'campaign:%' ORDER BY id")).mappings().first()
    assert sent is not None
    _kind, entry_id, slot = str(sent["event_source_id"]).split(":")
    raw = sent["effect"]  # a JSON column read through text(): a string on SQLite
    effect = raw if isinstance(raw, dict) else json.loads(raw)
    # A slot that went out: the bot's own text, @-mention and all.
    went_out = admin.get(f"{BASE}/{entry_id}/preview?slot={slot}").text
    assert "这次已经发出" in went_out
    assert effect["text"].split("\n")[0] in went_out and effect["text"].startswith("@")
    # Without a slot, an entry that has run its course shows its last post, not "now".
    assert "这次已经发出" in admin.get(f"{BASE}/{entry_id}/preview").text
    # A member's day ahead: their @-mention, their name, their group.
    ahead = next(e for e in _entries(engine) if ":m" in str(e["key"]) and e["next_ms"])
    page = admin.get(f"{BASE}/{ahead['id']}/preview").text
    with engine.connect() as conn:
        stored = entry_repo.get(conn, entry_id=int(str(ahead["id"])))
        assert stored is not None
        name = conn.execute(text("SELECT display_name FROM members WHERE id = :m"),
                            {"m": int(stored["payload"]["member"])}).scalar_one()
    assert f"@{name} 第" in page and f"发给：{name}" in page
    assert "（成员）" not in page and "【示例】" not in page
    assert page.count('class="preview-post"') == 1  # their own group only
    # The morning post tomorrow: two groups, each with its name; the day's newcomers and
    # check-in stars are not known yet — samples, named as samples.
    morning = next(e for e in _entries(engine) if e["key"] == "morning")
    page = admin.get(f"{BASE}/{morning['id']}/preview").text
    assert page.count('class="preview-post"') == 2
    assert "Python 训练营 · 答疑群 早上好" in page and "进阶营 1 群 早上好" in page
    assert "欢迎新同学：【示例】小王、小李" in page
    assert "要到发帖时才知道，这里先用示例代替" in page
    assert "北京时间（UTC+8）" in page


def test_next_event_in_a_preview_is_the_next_one_at_the_slot(engine: Engine,
                                                             seeded: Seeded) -> None:
    """`{next_event}` as of the slot, as the bot fills it: the plan's event before it has
    run, 暂无活动 after (not the event as of today, nor the raw variable)."""
    base = _plan()
    soon = dt.datetime.now(TZ).replace(tzinfo=None, second=0, microsecond=0) \
        + dt.timedelta(days=10)
    data = base.model_dump()
    data["events"][0]["starts"] = soon.isoformat()
    plan = Plan.model_validate(data)
    with engine.begin() as conn:
        calendar_service.sync_from_plan(conn, community_id=seeded.community_id, plan=plan,
                                        now_ms=int(dt.datetime.now(dt.UTC).timestamp() * 1000))
        entry = entry_repo.by_key(conn, community_id=seeded.community_id, kind="calendar",
                                  key="weekly-topic")
        assert entry is not None
        now_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
        before = calendar_service.preview(conn, community_id=seeded.community_id, plan=plan,
                                          entry=entry, slot_ms=now_ms + 86_400_000,
                                          now_ms=now_ms)
        after = calendar_service.preview(conn, community_id=seeded.community_id, plan=plan,
                                         entry=entry, slot_ms=now_ms + 20 * 86_400_000,
                                         now_ms=now_ms)
    assert before is not None and after is not None
    assert "下一场活动：「Pandas 实战夜（线上）」" in before.posts[0].text
    assert "下一场活动：暂无活动" in after.posts[0].text
    assert "{next_event}" not in before.posts[0].text and not before.samples


def test_a_post_to_a_group_that_does_not_exist_says_so_before_it_fails(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    admin = make_client("admin")
    token = csrf_of(admin, BASE)
    day = (dt.datetime.now(TZ) + dt.timedelta(days=2)).date().isoformat()
    assert admin.post(f"{BASE}/add", data={
        "csrf": token, "title": "旧群通知", "text": "{group} 今晚答疑", "at": "21:00",
        "day": day, "group": "已解散的群"}, follow_redirects=False).status_code == 303
    page = admin.get(BASE).text
    assert '<td class="posts-to">已解散的群（没有这个群）</td>' in page
    entry = next(e for e in _entries(engine) if str(e["key"]).startswith("console-"))
    preview = admin.get(f"{BASE}/{entry['id']}/preview").text
    assert "没有可发的群" in preview and "到时会记为失败" in preview
    assert "【示例】群名 今晚答疑" in preview and "{group}（群名）" in preview

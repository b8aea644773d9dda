"""The newcomer walk's second round (issue 11): the English console says in English what
the code generates (tiers, their reasons and to-dos, default levels, stages, the dying
warning, audit reasons), schedule rules read as words in both languages, the events page
lists past and upcoming events, same-name groups are told apart the same way everywhere,
and a member whose history was imported is told why it earned no points."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.domain import recurrence
from qunyun.domain.rule_words import describe
from qunyun.events import GroupRef, MessagePosted
from qunyun.services.ingest import EventRecorder
from qunyun.storage.community import communities as community_repo
from qunyun.web import labels
from tests.factories import T0, user
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded

Make = Callable[..., TestClient]
TZ = ZoneInfo("Asia/Shanghai")
HAN = re.compile(r"[\u4e00-\u9fff]")


def _visible(html: str) -> str:
    html = re.sub(r"<details.*?</details>", "", html, flags=re.S)
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _english(make_client: Make, who: str = "owner") -> TestClient:
    client = make_client(who)
    client.cookies.set("qunyun_lang", "en")
    return client


def test_rules_read_as_words_in_both_languages() -> None:
    weekly = recurrence.rule_text(at="20:00", start=dt.date(2026, 12, 7), every="week",
                                  on=["mon"])
    assert describe(weekly, "zh") == "每周一 20:00（2026-12-07 起）"
    assert describe(weekly, "en") == "every Monday at 20:00 from 2026-12-07"
    twice = recurrence.rule_text(at="20:00", start=dt.date(2026, 1, 1), every="week",
                                 on=["tue", "thu"], until=dt.date(2027, 1, 1))
    assert describe(twice, "zh").startswith("每周二、周四 20:00")
    assert "至 2027-01-01" in describe(twice, "zh")
    assert describe(twice, "en").startswith("every Tuesday and Thursday at 20:00")
    first_monday = recurrence.rule_text(at="09:00", start=dt.date(2026, 1, 1), every="month",
                                        on=["mon"], nth=1)
    assert describe(first_monday, "zh").startswith("每月第一个周一 09:00")
    assert describe(first_monday, "en").startswith("every month on the first Monday at 09:00")
    once = recurrence.rule_text(at="10:30", start=dt.date(2026, 12, 24))
    assert describe(once, "zh") == "一次：2026-12-24 10:30"
    assert describe(once, "en") == "once, on 2026-12-24 at 10:30"
    assert describe("not a rule", "en") == "not a rule"  # never hidden


def test_generated_words_in_english() -> None:
    assert labels.tier_label("participant", "en") == "participant"
    assert labels.tier_label("participant", "zh") == "参与者"
    assert labels.level_label("新人", "en") == "Newcomer"
    assert labels.level_label("新人", "en", plan_levels=True) == "新人"  # the plan's own
    assert labels.reason_label("从报告（数据截至 2026-12-02 07:25）新开 246 项", "en") == \
        "opened 246 items from the report (data as of 2026-12-02 07:25)"
    assert labels.reason_label("从文件 a.yaml 导入计划", "en") == "imported the plan from a.yaml"
    assert labels.reason_label("日历帖「周会」", "en") == "calendar post “周会”"
    assert labels.reason_label("老学员，已核实", "en") == "老学员，已核实"  # typed: as written
    todo = {"queue": "todo", "title": "旁观者（3）：安抚与关怀",
            "detail": {"tier": "onlooker", "count": 3, "action": "安抚与关怀"}}
    title = labels.item_title(todo, "en")
    assert title.startswith("onlookers (3): reassure") and not HAN.search(title)
    assert labels.dying_reason({"warning": True, "silent_days": 9, "reason": "最近7天没有"},
                               "en") == "no messages in the last 7 days: the group has gone quiet"


def test_every_stored_tier_reason_reads_in_english() -> None:
    """The daily pass stores each move's reason in Chinese (`tiers.reason`); the English
    console reads every form of it back as the English `tiers.reason` would say it."""
    from qunyun.analytics import tiers
    from qunyun.plan.model import Tiers

    cfg = Tiers()
    for tier in tiers.TIERS:
        row = {"tier": tier, "window_messages": 25, "active_days": 6, "onion": 0.42,
               "invited": 4}
        assert labels.reason_label(tiers.reason(row, cfg), "en") == \
            tiers.reason(row, cfg, "en"), tier
    assert labels.reason_label("lin 将等级锁定为「意见领袖」", "en") == \
        "lin locked the tier at Opinion leader"


def test_member_page_in_english_has_no_generated_chinese(make_client: Make,
                                                         seeded: Seeded) -> None:
    client = _english(make_client)
    page = client.get(f"/c/python-camp/members/{seeded.script_member_id}")
    assert page.status_code == 200
    lock = re.search(r'<select name="tier">.*?</select>', page.text, flags=re.S)
    assert lock is not None
    assert "opinion leader" in lock.group(0) and not HAN.search(lock.group(0))
    shown = _visible(page.text)
    for chinese in ("意见领袖", "参与者", "旁观者", "新人"):
        assert chinese not in shown, chinese
    assert "Newcomer" in shown


def test_past_and_upcoming_events(make_client: Make, seeded: Seeded) -> None:
    page = make_client("viewer").get("/c/python-camp/activities").text
    # The plan's monthly series (March to December 2026) is listed although no bot has
    # stored it yet: each occurrence with its date, past or upcoming by today's clock.
    past = page.split('id="activities-past"')[1].split("</table>")[0]
    assert "Pandas 实战夜（线上）" in past and "2026-03-21 19:30 UTC+8" in past
    assert "每月第 3 个周六" in past
    # Walk13 #66: a date no bot ran is 「没有举办」, not an event with 0 sign-ups.
    march = next(row for row in past.split("<tr") if "2026-03-21 19:30 UTC+8" in row)
    assert "没有举办" in march and "当时没有机器人在运行这份计划" in march
    assert '<td class="num">0</td>' not in march
    upcoming = page.split('id="activities"')[1].split("</table>")[0]
    ahead = [day for day in (dt.date(2026, m, d) for m, d in (
        (3, 21), (4, 18), (5, 16), (6, 20), (7, 18), (8, 15), (9, 19), (10, 17), (11, 21),
        (12, 19))) if dt.datetime.combine(day, dt.time(21), tzinfo=TZ) > dt.datetime.now(TZ)]
    if ahead:
        assert f"{ahead[0].isoformat()} 19:30" in upcoming
    else:
        assert "没有即将开始的活动" in upcoming
    english = _english(make_client, "viewer").get("/c/python-camp/activities").text
    assert "Past events" in english and "2026-03-21 19:30" in english
    assert "not held" in english and "no bot was running the plan then" in english


def test_calendar_entries_and_audit_say_the_rule_in_words(make_client: Make,
                                                         seeded: Seeded) -> None:
    admin = make_client("admin")
    token = csrf_of(admin, "/c/python-camp/calendar")
    admin.post("/c/python-camp/calendar/sync", data={"csrf": token})
    first_day = dt.datetime.now(TZ).date() + dt.timedelta(days=7)
    admin.post("/c/python-camp/calendar/add", data={
        "csrf": token, "title": "周一读书会", "text": "{group} 今晚读书会", "at": "20:00",
        "every": "week", "weekdays": "mon", "day": first_day.isoformat()})
    page = admin.get("/c/python-camp/calendar").text
    entries = _visible(page.split('id="calendar-entries"')[1].split("</table>")[0])
    assert "每周二、周四 20:00" in entries and "每周一 20:00" in entries
    assert "FREQ=" not in page and "RRULE" not in page
    # Editing the post starts from its own time, repeat, weekdays and first day.
    row = page[page.index("周一读书会"):]
    row = row[:row.index("</tr>")]
    assert 'name="at" value="20:00"' in row and '<option value="week" selected>' in row
    assert 'name="weekdays" value="mon" checked' in row
    assert 'name="weekdays" value="tue" checked' not in row
    assert f'value="{first_day.isoformat()}"' in row
    english = _english(make_client, "admin").get("/c/python-camp/calendar").text
    assert "every Tuesday and Thursday at 20:00" in english
    audit = _visible(admin.get("/c/python-camp/audit").text)
    assert "每周一 20:00" in audit and "FREQ=" not in audit
    english_audit = _visible(_english(make_client, "admin").get("/c/python-camp/audit").text)
    assert "every Monday at 20:00" in english_audit
    assert "calendar post “周一读书会”" in english_audit


def test_groups_with_one_name_are_told_apart(make_client: Make, engine: Engine,
                                             seeded: Seeded) -> None:
    with engine.begin() as conn:
        twin = community_repo.get_or_create_group(
            conn, community_id=seeded.community_id, platform="telegram",
            external_id="-100777", name="Python 训练营 · 答疑群", now_ms=0)
    client = make_client("owner")
    page = _visible(client.get("/c/python-camp").text)
    assert f"Python 训练营 · 答疑群（Telegram #{twin}）" in page
    assert re.search(r"Python 训练营 · 答疑群（Matrix #\d+）", page)
    calendar = client.get("/c/python-camp/calendar").text
    assert f">Python 训练营 · 答疑群（Telegram #{twin}）</option>" in calendar
    assert 'value="-100777"' in calendar


def test_imported_history_is_why_there_are_no_points(make_client: Make, engine: Engine,
                                                     seeded: Seeded) -> None:
    group = GroupRef("telegram", "-100123", "导入的群")
    with engine.begin() as conn:
        recorder = EventRecorder(community_id=seeded.community_id)
        recorder.record_many(conn, [MessagePosted(
            source="import:telegram:-100123", source_event_id=f"h{i}", group=group,
            at=T0 + dt.timedelta(minutes=i), actor=user(77, "老学员"), text="以前的消息")
            for i in range(5)])
        member = recorder.member_id(conn, user(77, "老学员"))
    page = make_client("owner").get(f"/c/python-camp/members/{member}").text
    note = _visible(page.split('id="points-imported"')[1].split("</p>")[0])
    assert "导入的聊天记录（5 条消息）不计积分" in note
    english = _english(make_client).get(f"/c/python-camp/members/{member}").text
    assert "Imported history (5 messages) earns no points" in english
    # A member the live bot saw says nothing of the kind.
    live = make_client("owner").get(f"/c/python-camp/members/{seeded.script_member_id}").text
    assert 'id="points-imported"' not in live


def test_lang_in_the_address_holds_for_the_pages_panels(make_client: Make,
                                                        seeded: Seeded) -> None:
    """`?lang=en` (a shared link) is English, and stays English for the HTMX panels the page
    loads without it."""
    client = make_client("owner")
    page = client.get("/c/python-camp?lang=en")
    assert "Overview" in page.text and client.cookies.get("qunyun_lang") == "en"
    assert "Overview" in client.get("/c/python-camp").text


def test_the_audit_actor_filter_takes_words(make_client: Make, engine: Engine,
                                            seeded: Seeded) -> None:
    from qunyun.services import audit

    with engine.begin() as conn:
        audit.record_operator_action(conn, community_id=seeded.community_id, operator="lin",
                                     action="suspect:exempted", reason="老学员")
    client = make_client("owner")
    mine = _visible(client.get("/c/python-camp/audit?actor=lin").text)
    assert "老学员" in mine
    bots = _visible(client.get("/c/python-camp/audit?actor=机器人").text)
    assert "老学员" not in bots
    assert "operator:lin" not in _visible(client.get("/c/python-camp/audit").text)

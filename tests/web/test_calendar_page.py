"""The console's content calendar (A1): the plan's calendar loads into a week and a month
view; an admin adds a console post, previews it, skips one occurrence and pauses an entry
(all audited); a viewer cannot change anything; a bad post is one clear line, nothing saved."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.web.conftest import csrf_of
from tests.web.seed import Seeded

Make = Callable[..., TestClient]
BASE = "/c/python-camp/calendar"
RAW_KEY = re.compile(r">\s*calendar\.[a-z_.]+\s*<")
TZ = ZoneInfo("Asia/Shanghai")


def _get(client: TestClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.text[:400])
    assert not RAW_KEY.search(response.text), path
    return response.text


def _audit(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT action FROM audit_log WHERE action LIKE "
                                      "'schedule:%' OR action LIKE 'calendar:%' ORDER BY id"))
                    .scalars())


def test_the_plans_calendar_in_week_and_month_views(make_client: Make, seeded: Seeded) -> None:
    admin = make_client("admin")
    page = _get(admin, BASE)
    assert "载入计划里的日历" in page
    token = csrf_of(admin, BASE)
    assert admin.post(f"{BASE}/sync", data={"csrf": token},
                      follow_redirects=False).status_code == 303
    next_week = (dt.datetime.now(TZ) + dt.timedelta(days=7)).date().isoformat()
    week = _get(admin, f"{BASE}?day={next_week}")
    assert week.count("早安打卡提醒") == 7 + 1  # every day of the week, and the entry list
    assert week.count("周二周四话题夜") == 2 + 1
    assert "待发" in week and "新人 7 日营" not in week  # join camps are per member
    in_a_month = (dt.datetime.now(TZ) + dt.timedelta(days=40)).date().isoformat()
    month = _get(admin, f"{BASE}?view=month&day={in_a_month}")
    assert month.count("早安打卡提醒") >= 28
    english = make_client("viewer")
    english.cookies.set("qunyun_lang", "en")
    assert "Calendar" in _get(english, f"{BASE}?view=month")


def test_the_day_is_typed_year_month_day_whatever_the_browsers_language(
        make_client: Make, seeded: Seeded, engine: Engine) -> None:
    """A browser draws <input type="date"> in its own language (月/日/年 in an English
    Chromium): the form asks for 年-月-日 in words and takes the ways people type it."""
    admin = make_client("admin")
    form = _get(admin, BASE)
    assert 'type="date"' not in form and "年-月-日" in form
    token = csrf_of(admin, BASE)
    day = (dt.datetime.now(TZ) + dt.timedelta(days=3)).date()
    typed = f"{day.year}/{day.month}/{day.day}"
    assert admin.post(f"{BASE}/add", data={"csrf": token, "text": "周末读书会", "at": "20:00",
                                           "day": typed}, follow_redirects=False).status_code == 303
    with engine.connect() as conn:
        next_ms = conn.execute(text("SELECT next_ms FROM schedule_entries "
                                    "WHERE origin = 'console'")).scalar_one()
    slot = dt.datetime.combine(day, dt.time(20, 0), tzinfo=TZ)
    assert next_ms == int(slot.timestamp() * 1000)


def test_add_preview_skip_pause(make_client: Make, seeded: Seeded, engine: Engine) -> None:
    admin = make_client("admin")
    token = csrf_of(admin, BASE)
    tomorrow = (dt.datetime.now(TZ) + dt.timedelta(days=1)).date()
    response = admin.post(f"{BASE}/add", data={
        "csrf": token, "title": "团购预告", "text": "{group} 明天 {date} 开团 <b>!</b>",
        "at": "10:30", "every": "day", "day": tomorrow.isoformat(),
        "link": "https://fruit.example.cn"}, follow_redirects=False)
    assert response.status_code == 303
    with engine.connect() as conn:
        entry, next_ms = conn.execute(text("SELECT id, next_ms FROM schedule_entries "
                                           "WHERE origin = 'console'")).one()
    slot = dt.datetime.combine(tomorrow, dt.time(10, 30), tzinfo=TZ)
    assert next_ms == int(slot.timestamp() * 1000)
    preview = _get(admin, f"{BASE}/{entry}/preview?slot={next_ms}")
    assert "开团 &lt;b&gt;!&lt;/b&gt;" in preview and "链接：https://fruit.example.cn" in preview
    assert f"{tomorrow.month}月{tomorrow.day}日" in preview
    assert admin.post(f"{BASE}/{entry}/skip", data={"csrf": token, "slot": next_ms},
                      follow_redirects=False).status_code == 303
    week = _get(admin, f"{BASE}?day={tomorrow.isoformat()}")
    assert re.search(rf'data-status="skipped" data-entry="{entry}"', week)
    # The skipped slot offers its undo (the operator can take the skip back).
    assert re.search(rf'action="{BASE}/{entry}/skip".*?name="undo" value="1"', week, re.S)
    assert admin.post(f"{BASE}/{entry}/pause", data={"csrf": token, "paused": 1},
                      follow_redirects=False).status_code == 303
    assert "已暂停" in _get(admin, BASE)
    assert _audit(engine) == ["calendar:add", "schedule:skip", "schedule:pause"]


def test_a_bad_post_is_one_line_and_saves_nothing(make_client: Make, seeded: Seeded,
                                                  engine: Engine) -> None:
    admin = make_client("admin")
    token = csrf_of(admin, BASE)
    response = admin.post(f"{BASE}/add", data={"csrf": token, "text": "今天 {weather}",
                                               "every": "day", "at": "08:00"})
    assert response.status_code == 400
    assert "文案里有不认识的变量 {weather}" in response.text
    response = admin.post(f"{BASE}/add", data={"csrf": token, "text": "好", "every": "",
                                               "at": "08:00"})
    assert "一次性的帖子要选日期" in response.text
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM schedule_entries")).scalar_one() == 0


def test_a_viewer_sees_but_cannot_change(make_client: Make, seeded: Seeded) -> None:
    viewer = make_client("viewer")
    page = _get(viewer, BASE)
    assert "添加日历帖" not in page
    token = csrf_of(viewer, BASE)
    for path, data in ((f"{BASE}/sync", {}), (f"{BASE}/add", {"text": "x"}),
                       (f"{BASE}/1/pause", {"paused": 1}), (f"{BASE}/1/skip", {"slot": 1})):
        assert viewer.post(path, data={"csrf": token, **data}).status_code == 403, path


def test_edit_a_console_post_keeps_its_entry_and_moves_its_slot(make_client: Make,
                                                                seeded: Seeded,
                                                                engine: Engine) -> None:
    admin = make_client("admin")
    token = csrf_of(admin, BASE)
    tomorrow = (dt.datetime.now(TZ) + dt.timedelta(days=1)).date()
    form = {"csrf": token, "title": "团购预告", "text": "明天开团", "at": "10:30",
            "every": "day", "day": tomorrow.isoformat()}
    assert admin.post(f"{BASE}/add", data=form, follow_redirects=False).status_code == 303
    with engine.connect() as conn:
        entry = conn.execute(text("SELECT id FROM schedule_entries "
                                  "WHERE origin = 'console'")).scalar_one()
    edited = {**form, "entry": entry, "text": "明天 {date} 十一点开团", "at": "11:00"}
    assert admin.post(f"{BASE}/add", data=edited, follow_redirects=False).status_code == 303
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, next_ms FROM schedule_entries "
                                 "WHERE origin = 'console'")).all()
    slot = dt.datetime.combine(tomorrow, dt.time(11, 0), tzinfo=TZ)
    assert [(r.id, r.next_ms) for r in rows] == [(entry, int(slot.timestamp() * 1000))]
    preview = _get(admin, f"{BASE}/{entry}/preview?slot={rows[0].next_ms}")
    assert f"明天 {tomorrow.month}月{tomorrow.day}日 十一点开团" in preview
    assert _audit(engine) == ["calendar:add", "calendar:edit"]

"""A5 recurring events in the console: the events page and the calendar list each
occurrence of the bundled monthly Pandas night on its own date, with who registered and
who came — one occurrence's sign-ups are not another's."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.services import activities as service
from qunyun.services import plans as plan_service
from tests.web.seed import Seeded

Make = Callable[..., TestClient]
TZ = ZoneInfo("Asia/Shanghai")
APRIL = "pandas-night-20260418"  # the third Saturday of April 2026


def _register_and_attend_april(engine: Engine, seeded: Seeded) -> None:
    """The bot's view on 15 April: the April night is announced; one member registers and
    checks in on the night, another only registers for May."""
    cid = seeded.community_id
    now = int(dt.datetime(2026, 4, 15, 12, tzinfo=TZ).timestamp() * 1000)
    night = int(dt.datetime(2026, 4, 18, 19, 20, tzinfo=TZ).timestamp() * 1000)
    with engine.begin() as conn:
        _text, plan = plan_service.stored_plan(conn, community_id=cid)
        assert plan is not None
        service.sync(conn, community_id=cid, plan=plan, now_ms=now)
        april = service.choose(conn, community_id=cid, plan=plan, now_ms=now, key=None)
        assert april is not None and april["key"] == APRIL
        service.register(conn, activity=april, member_id=seeded.script_member_id, now_ms=now)
        service.check_in(conn, activity=april, member_id=seeded.script_member_id, now_ms=night)
        may = service.choose(
            conn, community_id=cid, plan=plan, now_ms=night + 86_400_000, key="pandas-night"
        )
        assert may is not None and may["key"] == "pandas-night-20260516"
        service.register(conn, activity=may, member_id=seeded.script_member_id + 1, now_ms=now)


def _row(page: str, key: str) -> list[str]:
    row = page[page.index(f'data-key="{key}"') :]
    row = row[: row.index("</tr>")]
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


def test_the_events_page_lists_each_occurrence_with_its_own_numbers(
    make_client: Make, seeded: Seeded, engine: Engine
) -> None:
    _register_and_attend_april(engine, seeded)
    page = make_client("viewer").get("/c/python-camp/activities").text
    assert page.count('data-key="pandas-night-2026') == 10  # March to December, once each
    april = _row(page, APRIL)
    assert "Pandas 实战夜（线上）" in april[0] and "每月第 3 个周六" in april[0]
    # The console's date format, as on every other page (issue 11 #36).
    assert "2026-04-18 19:30" in april[1] and "年" not in april[1]
    # expected, registered, waiting, checked in, walk-ins
    assert april[2:7] == ["30", "1", "0", "1", "0"]
    may = _row(page, "pandas-night-20260516")
    assert "2026-05-16 19:30" in may[1] and may[3:6] == ["1", "0", "0"]
    june = _row(page, "pandas-night-20260620")
    # Not stored (no bot ran it) and its day has passed: 「没有举办」, not three zeros that
    # read as a flop (walk13 #66).
    assert "没有举办" in june[0] and june[3] == "当时没有机器人在运行这份计划，没有报名和签到记录"
    assert "pandas-night" not in re.sub(r'data-key="[^"]+"', "", page)  # no key shown


def test_the_calendar_shows_each_occurrence_on_its_day(
    make_client: Make, seeded: Seeded, engine: Engine
) -> None:
    _register_and_attend_april(engine, seeded)
    viewer = make_client("viewer")
    month = viewer.get("/c/python-camp/calendar?view=month&day=2026-04-15").text
    grid = month[
        month.index('id="calendar-grid"') : month.index(
            "</table>", month.index('id="calendar-grid"')
        )
    ]
    items = re.findall(r'data-event="([^"]+)"', grid)
    assert items == [APRIL]  # April's month view: the April night only, once
    cell = grid[grid.index(f'data-event="{APRIL}"') :]
    cell = re.sub(r"<[^>]+>", " ", cell[: cell.index("</div>")])
    assert "19:30" in cell and "Pandas 实战夜（线上）" in cell
    assert "报名 1 · 签到 1" in cell
    may = viewer.get("/c/python-camp/calendar?view=week&day=2026-05-16").text
    assert re.findall(r'data-event="([^"]+)"', may) == ["pandas-night-20260516"]
    assert "报名 1 · 签到 0" in may
    english = make_client("viewer")
    english.cookies.set("qunyun_lang", "en")
    page = english.get("/c/python-camp/calendar?view=month&day=2026-04-15").text
    assert "1 registered · 1 checked in" in page

"""The report as a newcomer reads it (issue 11, items 17–18): no developer text in its
header (the schema version is kept for developers out of sight), axes of people start at
0, the dying stage has one word (热寂, the playbook's "heat death") everywhere, and E3's
day count matches the last-message date printed beside it."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from qunyun.analytics import build_report
from qunyun.analytics.health import STAGES
from qunyun.events import Event, MemberJoined, MemberLeft, MessagePosted
from qunyun.report.html import render_html
from qunyun.report.write import write_report
from qunyun.services.importing import import_events
from qunyun.storage.community import communities as community_repo
from qunyun.web.texts import translate
from tests.analytics.test_report import _plan, _report
from tests.factories import GROUP, user
from tests.report.test_report_files import browser  # noqa: F401  (the Chromium fixture)

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)


def _visible(html: str) -> str:
    html = re.sub(r"<(script|style|head)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _silent_history() -> list[Event]:
    """Members whose last messages fall late and early in the day, and leaves (which the
    old chart drew below zero)."""
    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)

    start = date(2026, 10, 1)
    events: list[Event] = [
        MemberJoined(source="t", source_event_id=f"j{n}", group=GROUP, at=at(start, 9),
                     member=user(n), via="link") for n in range(1, 9)]
    lasts = {1: at(date(2026, 11, 10), 22, 30), 2: at(date(2026, 11, 11), 10),
             3: at(date(2026, 11, 11), 23, 50), 4: at(date(2026, 11, 30), 12)}
    for n, last in lasts.items():
        events += [MessagePosted(source="t", source_event_id=f"m{n}-{k}", group=GROUP,
                                 at=last - timedelta(days=k), actor=user(n), text="打卡")
                   for k in range(3)]
    events += [MessagePosted(source="t", source_event_id=f"busy{k}", group=GROUP,
                             at=AS_OF - timedelta(hours=k * 7), actor=user(5), text="大家好")
               for k in range(40)]
    events += [MemberLeft(source="t", source_event_id=f"l{n}", group=GROUP,
                          at=at(date(2026, 11, 20), 12), member=user(n)) for n in (6, 7, 8)]
    return events


@pytest.fixture
def silent_report(engine: Engine) -> dict[str, Any]:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    import_events(engine, community_id=cid, events=_silent_history())
    plan = _plan(elimination={"silent_days": 21, "notice_days": 3})
    return build_report(engine, community_id=cid, plan=plan, as_of=AS_OF, tz="Asia/Shanghai",
                        community_name="训练营")


def test_e3_days_match_the_last_message_date_printed(silent_report: dict[str, Any]) -> None:
    """One definition: today's date minus the last message's date, on the community clock.
    A message at 22:30 on 11-10 is 22 days before 12-02 (it used to say 21); one at 10:00
    on 11-11 is 21 days and on the list (it used to be left off: 20 whole 24-hour spans)."""
    members = {m["name"]: m for m in silent_report["elimination"]["members"]}
    today = AS_OF.date()
    for m in members.values():
        found = re.search(r"已 (\d+) 天未发言（最后发言 (\d{4}-\d{2}-\d{2})）", m["reason"])
        assert found, m["reason"]
        days, last = int(found.group(1)), date.fromisoformat(found.group(2))
        assert days == m["silent_days"] == (today - last).days >= 21, m
    by_days = sorted(m["silent_days"] for m in members.values())
    assert by_days == [21, 21, 22]  # 11-11 10:00, 11-11 23:50, 11-10 22:30; not 11-30


def test_header_shows_no_schema_and_one_zone(silent_report: dict[str, Any]) -> None:
    html = render_html(silent_report)
    shown = _visible(html)
    assert "schema" not in shown.lower()
    assert '<meta name="qunyun-report-schema" content="' in html  # for developers
    header = shown[shown.index("社群健康报告"):shown.index("概览")]
    assert "训练营" in header and "UTC" not in header
    assert header.count("北京时间") == 2  # the data's time and the build time
    assert "Asia/Shanghai" not in shown  # the zone in words, not its tz id (issue 11 walk 33)


def test_the_dying_stage_has_one_word_everywhere(engine: Engine) -> None:
    """热寂 (the playbook's "heat death") for the stage, the warning and its reasons; the
    synonym 衰退 is gone from the report and the console."""
    assert STAGES["declining"] == "热寂"
    assert translate("stage.declining", "zh") == "热寂"
    assert translate("dying", "zh") == "热寂预警"
    html = render_html(_report(engine, _plan(elimination={"silent_days": 20})))
    assert "衰退" not in html
    template = (Path(__file__).parents[2] / "qunyun" / "report" / "templates"
                / "report.html.j2").read_text(encoding="utf-8")
    assert "衰退" not in template and "热寂预警" in template


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_people_axis_starts_at_zero(silent_report: dict[str, Any], tmp_path: Path,
                                        browser: Any) -> None:  # noqa: F811
    """Leaves are drawn as bars up from 0, so the 人 axis never runs below zero."""
    assert any(d["leaves"] for d in silent_report["community"]["daily"])
    paths = write_report(silent_report, tmp_path / "out")
    page = browser.new_page(viewport={"width": 1280, "height": 2000})
    page.goto(paths["html"].as_uri())
    page.wait_for_function("window.qunyunReportReady === true", timeout=10_000)
    extents = page.evaluate("""(() => {
        const c = echarts.getInstanceByDom(document.getElementById('chart-daily'));
        return [0, 1].map(i => c.getModel().getComponent('yAxis', i).axis.scale.getExtent());
    })()""")
    page.close()
    assert all(low >= 0 for low, _high in extents), extents
    assert extents[1][1] >= 3  # three leaves on one day are counted up, not down

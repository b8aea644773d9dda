"""The report as the walk of issue 11 (findings 3, 33, 35, 37, 38) read it: headings in
words without playbook IDs, the time zone as 北京时间, a health part with nothing to measure
shown as "—" and left out of the score, parts named for what they measure, distinct
advert examples, and the to-do lists' names separated."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from qunyun.analytics import build_report
from qunyun.events import Event, MemberJoined, MessagePosted
from qunyun.report import tour
from qunyun.report.html import render_html
from qunyun.report.words import component_label
from qunyun.services.importing import import_events
from qunyun.storage.community import communities as community_repo
from tests.analytics.test_report import _plan
from tests.factories import GROUP, user
from tests.report.test_report_newcomer import AS_OF, _visible, silent_report  # noqa: F401


def test_headings_name_no_playbook_ids_and_the_zone_in_words(
        silent_report: dict[str, Any]) -> None:  # noqa: F811
    html = render_html(silent_report)
    headings = [_visible(h) for h in re.findall(r"<h2>(.*?)</h2>", html, re.S)]
    assert headings and not [h for h in headings if re.search(r"\b[A-Z]\d\b", h)], headings
    assert any(h.strip().startswith("分层待办") for h in headings)
    header = _visible(html.split("<header>")[1].split("</header>")[0])
    assert "北京时间" in header and "Asia/Shanghai" not in header
    assert silent_report["timezone"] == "Asia/Shanghai"  # report.json keeps the zone's id


def test_todo_names_are_separated(silent_report: dict[str, Any]) -> None:  # noqa: F811
    html = render_html(silent_report)
    cells = re.findall(r'<td class="[^"]*todo-members[^"]*">(.*?)</td>', html, re.S)
    names = [c for c in cells if c.count('class="tag"') > 1]
    assert names, cells
    for cell in names:
        text = re.sub(r"<[^>]+>", "", cell)
        assert text.count("、") == cell.count('class="tag"') - 1, text


def test_a_part_with_nothing_to_measure_is_left_out_of_the_score(
        silent_report: dict[str, Any]) -> None:  # noqa: F811
    """Nobody joined 1–8 weeks before `as_of`: 新人参与 has no data — "—", not 50 — and the
    score is the weighted mean of the other five."""
    health = silent_report["community"]["health"]
    parts, weights = health["components"], health["weights"]
    assert parts["newcomers"] is None
    counted = {k: w for k, w in weights.items() if parts[k] is not None}
    expected = round(100 * sum(parts[k] * w for k, w in counted.items()) / sum(counted.values()))
    assert health["score"] == expected
    shown = _visible(render_html(silent_report))
    assert re.search(r"新人参与 —（[^）]*没有可算的数据，不计入健康分）", shown), shown[:3000]
    line = tour.health_line(silent_report) or ""
    assert "健康分是五项的加权" in line and "新人参与 —" in line and "不计入" in line, line


def test_the_parts_are_named_for_what_they_measure() -> None:
    """Walk 3: 「活跃度 100」 beside 「比高峰期少了 87%」 read as a contradiction: the part is
    the message volume against the plan's floor; the drop from the peak is its own part."""
    assert component_label("activity") == "消息量"
    assert component_label("momentum") == "对比高峰"


def _adverts() -> list[Event]:
    start = AS_OF - timedelta(days=20)
    events: list[Event] = [MemberJoined(source="t", source_event_id="j", group=GROUP,
                                        at=start, member=user(1))]
    texts = ["加微信 abc123 领资料 http://ad.cn", "加微信 abc123 领资料 http://ad.cn",
             "加微信 abc123 领资料 http://ad.cn", "扫码进群 https://t.me/spam"]
    events += [MessagePosted(source="t", source_event_id=f"a{k}", group=GROUP,
                             at=start + timedelta(hours=k + 1), actor=user(1), text=t)
               for k, t in enumerate(texts)]
    return events


def test_advert_examples_are_distinct(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="ads", name="ads", now_ms=0)
    import_events(engine, community_id=cid, events=_adverts())
    report = build_report(engine, community_id=cid, plan=_plan(), as_of=AS_OF,
                          tz="Asia/Shanghai", community_name="ads")
    (suspect,) = [s for s in report["suspects"]
                  if any(sig["kind"] == "ads" for sig in s["signals"])]
    ads = next(sig for sig in suspect["signals"] if sig["kind"] == "ads")
    examples = ads["evidence"]["examples"]
    assert ads["evidence"]["messages"] == 4
    assert len(examples) == len(set(examples)) == 2, examples


def test_a_time_zone_reads_as_its_name() -> None:
    """Walk 23: the console's footer and the report name the zone in words."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from qunyun.domain.zones import zone_name, zone_words
    from qunyun.web.times import zone_note

    winter = datetime(2026, 1, 15, 12, tzinfo=ZoneInfo("America/New_York"))
    assert zone_words("Asia/Shanghai", winter.astimezone(ZoneInfo("Asia/Shanghai"))) == \
        "北京时间（UTC+8）"
    assert zone_words("America/New_York", winter) == "纽约时间（UTC-5）"
    assert zone_words("America/New_York", winter, "en") == "New York time (UTC-5)"
    assert zone_name("Africa/Nairobi") == "Nairobi 时间"
    assert zone_note("Asia/Shanghai", "zh") == "时间均为北京时间（UTC+8）"
    assert zone_note("Asia/Shanghai", "en") == "Times are in Beijing time (UTC+8)"

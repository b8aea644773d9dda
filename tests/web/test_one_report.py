"""One set of numbers (issue 11, walk findings 25 and 65): the home page and the community's
page show the same report in the same minute, and where a page puts live counts beside the
cached report, each says which it is."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.events import GroupRef, MessagePosted
from qunyun.services.ingest import EventRecorder
from qunyun.web.reports import ReportCache
from tests.factories import T0, user
from tests.web.seed import Seeded

Make = Callable[..., TestClient]
GROUP = GroupRef("matrix", "!qa:localhost", "Python 训练营 · 答疑群")


def _live_message(engine: Engine, seeded: Seeded, n: int) -> None:
    with engine.begin() as conn:
        EventRecorder(community_id=seeded.community_id).record_many(conn, [MessagePosted(
            source="seed", source_event_id=f"live{n}", group=GROUP,
            at=T0 + timedelta(days=1, minutes=n), actor=user(2), text=f"刚刚又说了一句 {n}")])


def test_the_index_and_the_community_page_show_the_same_report(
        make_client: Make, engine: Engine, seeded: Seeded) -> None:
    """At each moment both pages show the one cached report: before a member writes, and
    after the rebuild her message starts (the walk saw 20026 on the index and 20030 on the
    community's page in the same minute)."""
    client = make_client("viewer", reports=ReportCache(engine, min_age=0))
    cache = client.app.state.reports  # type: ignore[attr-defined]

    def shown() -> tuple[str, str]:
        # The first body row of each table: the community on the index, and on the panel
        # the whole community (or its one group, which is the whole community).
        index_row = client.get("/").text.split('id="community-table"')[1].split("</tr>")[1]
        panel = client.get("/c/python-camp/panel").text
        panel_row = panel.split('id="health-table"')[1].split("<tbody>")[1].split("</tr>")[0]
        messages = re.compile(r'<td class="num" data-k="messages">([\d,]+)</td>')
        return messages.findall(index_row)[0], messages.findall(panel_row)[0]

    client.get("/c/python-camp/panel")  # the first report is built
    old = cache.peek(seeded.community_id)
    index_now, panel_now = shown()
    assert index_now == panel_now == str(old["community"]["messages"])
    cache._entries[seeded.community_id].seconds = 0.0  # a quick build: rebuilt on change
    _live_message(engine, seeded, 1)  # a member writes: that report is out of date
    cache.warm([seeded.community_id]).join(30)  # the rebuild a panel view starts
    new = cache.peek(seeded.community_id)
    assert new["community"]["messages"] == old["community"]["messages"] + 1
    index_now, panel_now = shown()
    assert index_now == panel_now == str(new["community"]["messages"])


def test_a_current_report_is_shown_on_the_index_at_once(
        make_client: Make, engine: Engine, seeded: Seeded) -> None:
    client = make_client("viewer")
    client.get("/c/python-camp/panel")
    report = client.app.state.reports.peek(seeded.community_id)  # type: ignore[attr-defined]
    index = client.get("/").text
    assert f'<span class="score">{report["community"]["health"]["score"]}</span>' in index
    assert "报告截至" in index  # the row says when its report's data ends


def test_the_community_page_says_which_counts_are_live_and_which_the_report(
        make_client: Make, seeded: Seeded) -> None:
    client = make_client("viewer")
    page = client.get("/c/python-camp").text
    assert "当前成员（实时）" in page
    panel = client.get("/c/python-camp/panel").text
    assert re.search(r'<h2 id="report-title">报告（截至 \d{4}-\d\d-\d\d \d\d:\d\d', panel)
    english = client.get("/c/python-camp/panel?lang=en").text
    assert "Report (as of" in english


def test_the_member_list_shows_the_last_message_beside_the_tier(
        make_client: Make, seeded: Seeded) -> None:
    """Issue 11 #45: tiers go by messages; 最近出现 (any sign, e.g. a reaction) alone beside
    旁观者 read as a contradiction, so the last message is shown too."""
    client = make_client("viewer")
    client.get("/c/python-camp/panel")
    report = client.app.state.reports.peek(seeded.community_id)  # type: ignore[attr-defined]
    listing = client.get("/c/python-camp/members").text
    assert "<th>最后发言</th>" in listing
    spoke = next(m for m in report["members"] if m.get("last_message"))
    row = listing.split(f'/members/{spoke["id"]}"')[1].split("</tr>")[0]
    assert spoke["last_message"][:10] in row.split("<td>")[-1]
    silent = listing.split(f'/members/{seeded.script_member_id}"')[1].split("</tr>")[0]
    assert silent.split("<td>")[-1].startswith("—")
    page = client.get(f"/c/python-camp/members/{spoke['id']}").text
    assert spoke["last_message"][:10] in page.split('id="member-last-message">')[1][:30]

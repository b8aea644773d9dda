"""The console's report follows the live bot (issue 11 walk finding 21).

After `./dev.sh run` the home page showed the tour's report — built before the live bot's
events — next to live counts: 消息 20,000 and a Matrix room with 成员 1 · 消息 0 while the
room's live count said 3. The bot writes its events from its own connection; the console's
report cache must notice them by itself (nobody clicks "refresh"), rebuild within seconds
(at most every `min_age` seconds while events keep coming), and say when the report it
shows was built and that a newer one is on the way.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.services.importing import import_events
from qunyun.web.reports import ReportCache
from tests.factories import message
from tests.web.seed import Seeded

ROOT = Path(__file__).resolve().parents[2]

# The live bot's way of writing: its pipeline (the policies the bot runs, from the
# community's stored plan) in a process of its own, one sync batch in one transaction.
BOT = r'''
import sys
from datetime import UTC, datetime, timedelta

from qunyun.bot.wiring import build_policies
from qunyun.events import GroupRef, MemberJoined, MemberLeft, MessagePosted, UserRef
from qunyun.pipeline.runner import Pipeline
from qunyun.services import plans as plan_service
from qunyun.storage.engine import make_engine

url, cid = sys.argv[1], int(sys.argv[2])
engine = make_engine(url)
with engine.connect() as conn:
    _text, plan = plan_service.stored_plan(conn, community_id=cid)
pipeline = Pipeline(engine, community_id=cid, plan=plan,
                    policies=build_policies(plan, room_admins=lambda g: frozenset()))
room = GroupRef("matrix", "!live:localhost", "Python 训练营 · 直播群")
now = datetime.now(UTC) - timedelta(minutes=5)
people = [UserRef("matrix", f"@live{n}:localhost", name) for n, name in
          enumerate(["张三", "李四", "王五"])]
events = [MemberJoined(source="matrix", source_event_id=f"$join{n}", group=room,
                       at=now + timedelta(seconds=n), member=p, via="invite")
          for n, p in enumerate(people)]
events += [MessagePosted(source="matrix", source_event_id=f"$msg{i}", group=room,
                         at=now + timedelta(seconds=10 + i), actor=people[i % 2],
                         text=f"今天学了 pandas 第 {i} 节")
           for i in range(20)]
events += [MemberLeft(source="matrix", source_event_id="$left", group=room,
                      at=now + timedelta(seconds=60), member=people[2])]
pipeline.process_many(events)
engine.dispose()
'''


def _home_row(client: TestClient, slug: str) -> str:
    html = client.get("/").text
    row = re.search(r'<tr>\s*<td[^>]*><a [^>]*href="/c/' + re.escape(slug) + r'">.*?</tr>', html, re.S)
    assert row, html[:2000]
    return row.group(0)


def _cell(html: str, key: str) -> int:
    found = re.search(r'data-k="' + key + r'">([\d,]+)<', html)
    assert found, html[:1500]
    return int(found.group(1).replace(",", ""))


def _panel_rows(html: str) -> dict[str, str]:
    """The report's rows on the community panel, by the group's name."""
    return {m.group(1): m.group(0) for m in re.finditer(
        r'<tr><td><a href="/c/[^"]+/g/\d+">([^<]+)</a></td>.*?</tr>', html, re.S)}


def _live_rows(html: str) -> dict[str, str]:
    table = html.split('id="groups-table"', 1)[1].split("</table>", 1)[0]
    return {m.group(1): m.group(0) for m in re.finditer(
        r'<tr><td><a href="/c/[^"]+/g/\d+">([^<]+)</a></td>.*?</tr>', table, re.S)}


def test_the_live_bots_events_reach_the_home_and_community_pages_within_seconds(
        engine: Engine, db_url: str, seeded: Seeded,
        make_client: Callable[..., TestClient]) -> None:
    cache = ReportCache(engine, min_age=1.0)
    client = make_client("owner", reports=cache)
    cache.warm([seeded.community_id]).join(60)  # as `qunyun up` does at start
    cache.watch(0.5)  # ... and keeps it current
    before = _home_row(client, seeded.slug)
    assert _cell(before, "messages") == 30
    assert "生成于" in before  # when the report it shows was built: on hover over 报告截至

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", BOT, db_url, str(seeded.community_id)],
                   check=True, env=env, cwd=ROOT, timeout=120)

    deadline = time.monotonic() + 30
    row = before
    while time.monotonic() < deadline:
        row = _home_row(client, seeded.slug)
        if _cell(row, "messages") == 50 and "正在生成新的报告" not in row:
            break
        time.sleep(0.3)
    # No page view was needed: the cache noticed the bot's events and rebuilt.
    assert _cell(row, "messages") == 50, row
    community = client.get(f"/c/{seeded.slug}").text
    live = _live_rows(community)
    panel = client.get(f"/c/{seeded.slug}/panel").text
    assert "正在生成新的报告" not in panel
    reported = _panel_rows(panel)
    room = next(name for name in live if "直播群" in name)
    # The report's row for the live room agrees with the live table beside it.
    assert _cell(live[room], "member_count") == _cell(reported[room], "member_count") == 2
    assert _cell(live[room], "members_left") == _cell(reported[room], "members_left") == 1
    assert _cell(live[room], "members_ever") == _cell(reported[room], "members_ever") == 3
    assert _cell(reported[room], "messages") == 20
    for name, cells in live.items():  # and so do the other groups'
        assert _cell(cells, "member_count") == _cell(reported[name], "member_count"), name


def test_while_a_newer_report_is_built_the_page_says_so_and_reloads_itself(
        engine: Engine, seeded: Seeded, make_client: Callable[..., TestClient]) -> None:
    """Between the events and the new report the page shows the kept report, says when it
    was built and that a newer one is being built; the open page learns when the new one
    is there."""
    release = threading.Event()
    built: list[int] = []

    def builder(_engine: Engine, *, community_id: int, plan: Any) -> dict[str, Any]:
        if built:
            assert release.wait(30)
        built.append(community_id)
        return {"as_of": "2026-12-03T07:25:00+08:00", "groups": [],
                "community": {"messages": 30 if len(built) == 1 else 31, "health": {}}}

    cache = ReportCache(engine, min_age=0, builder=builder)
    client = make_client("owner", reports=cache)
    cache.get(seeded.community_id)
    cache._entries[seeded.community_id].seconds = 0.0
    cache.watch(0.2)
    import_events(engine, community_id=seeded.community_id, events=[message(999)])
    deadline = time.monotonic() + 10
    while len(built) < 1 or not cache.status(seeded.community_id)["updating"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    panel = client.get(f"/c/{seeded.slug}/panel").text
    assert "生成于" in panel and "有新的消息，正在生成新的报告" in panel
    home = client.get("/").text
    assert "正在生成新的报告" in home
    assert _cell(_home_row(client, seeded.slug), "messages") == 30
    # The open pages ask every 3 s whether their report changed; nothing yet.
    seen = _stamp_of(panel)
    asked = client.get(f"/c/{seeded.slug}/report-stamp", params={"seen": seen})
    assert asked.status_code == 200 and "HX-Trigger" not in asked.headers
    home_seen = _stamp_of(home)
    assert "HX-Trigger" not in client.get("/report-stamp", params={"seen": home_seen}).headers
    release.set()
    deadline = time.monotonic() + 10
    while cache.status(seeded.community_id)["updating"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # Now they are told, and fetch the new numbers (`report-changed`).
    asked = client.get(f"/c/{seeded.slug}/report-stamp", params={"seen": seen})
    assert asked.headers.get("HX-Trigger") == "report-changed"
    assert client.get("/report-stamp", params={"seen": home_seen}).headers.get(
        "HX-Trigger") == "report-changed"
    assert _cell(_home_row(client, seeded.slug), "messages") == 31
    assert "正在生成新的报告" not in client.get("/").text
    assert "正在生成新的报告" not in client.get(f"/c/{seeded.slug}/panel").text


def _stamp_of(html: str) -> str:
    import html as markup
    from urllib.parse import unquote

    found = re.search(r'report-stamp\?seen=([^"]*)"', html)
    assert found, html[:1500]
    return unquote(markup.unescape(found.group(1)))


def test_while_events_keep_coming_a_report_is_rebuilt_at_most_every_min_age(
        engine: Engine, seeded: Seeded) -> None:
    """Bounded cost: a message every tenth of a second for two seconds, a watcher checking
    every 0.1 s, and a one-second rebuild interval — builds at least a second apart, about
    one per second of events, and the last message is in the report soon after it arrived."""
    built: list[float] = []

    def builder(_engine: Engine, *, community_id: int, plan: Any) -> dict[str, Any]:
        built.append(time.monotonic())
        return {"n": len(built)}

    cache = ReportCache(engine, min_age=1.0, builder=builder)
    cache.get(seeded.community_id)
    cache._entries[seeded.community_id].seconds = 0.0
    cache.watch(0.1)
    started = time.monotonic()
    for i in range(20):
        import_events(engine, community_id=seeded.community_id, events=[message(1000 + i)])
        time.sleep(0.1)
    deadline = time.monotonic() + 5
    while not cache.is_fresh(seeded.community_id):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    gaps = [b - a for a, b in itertools.pairwise(built)]
    # One build per second of events at most (plus the first and the one after the last).
    assert 2 <= len(built) <= int(time.monotonic() - started) + 2, built
    assert all(gap >= 0.95 for gap in gaps), gaps


def test_events_of_another_community_leave_a_report_current(
        engine: Engine, seeded: Seeded) -> None:
    cache = ReportCache(engine, min_age=0, builder=lambda _e, **_kw: {"n": 1})
    cache.get(seeded.community_id)
    import_events(engine, community_id=seeded.other_community_id, events=[message(1)])
    assert cache.is_fresh(seeded.community_id)
    import_events(engine, community_id=seeded.community_id, events=[message(2)])
    assert not cache.is_fresh(seeded.community_id)


CHROMIUM = Path("/usr/bin/chromium")


def test_in_a_browser_the_pages_update_themselves(
        engine: Engine, db_url: str, seeded: Seeded) -> None:
    """What the walker did: the console open in Chromium, the live bot writing. The home
    row and the community panel change to the new numbers with no reload."""

    import pytest

    if not CHROMIUM.exists():
        pytest.skip("needs Debian chromium (./dev.sh setup)")
    if engine.dialect.name != "sqlite":
        pytest.skip("one backend is enough for the browser")
    import uvicorn
    from playwright.sync_api import sync_playwright

    from qunyun.ports import free_port
    from qunyun.web.app import create_app
    from tests.web.seed import PASSWORD

    cache = ReportCache(engine)  # the console's own settings (rebuild at most every 10 s)
    app = create_app(engine, secure_cookies=False, reports=cache)
    cache.warm([seeded.community_id]).join(60)
    cache.watch()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                        args=["--no-sandbox", "--disable-gpu",
                                              "--disable-dev-shm-usage"])
            context = browser.new_context(viewport={"width": 1280, "height": 900},
                                          locale="zh-CN")
            home = context.new_page()
            home.set_default_timeout(60_000)
            home.goto(base + "/login")
            home.fill("input[name=username]", "owner")
            home.fill("input[name=password]", PASSWORD)
            home.click("button[type=submit]")
            home.wait_for_url(base + "/")
            cell = f'tr:has(a[href="/c/{seeded.slug}"]) td[data-k="messages"]'
            assert home.text_content(cell) == "30"
            community = context.new_page()
            community.set_default_timeout(60_000)
            community.goto(f"{base}/c/{seeded.slug}")
            community.wait_for_selector("#health-table")
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            subprocess.run([sys.executable, "-c", BOT, db_url, str(seeded.community_id)],
                           check=True, env=env, cwd=ROOT, timeout=120)
            # No reload: both pages ask again while a newer report is on the way.
            home.wait_for_function(
                "s => document.querySelector(s) && document.querySelector(s).textContent"
                " === '50'", arg=cell)
            row = '#health-table tr:has(a:text("直播群"))'
            community.wait_for_selector(row)
            assert community.text_content(f'{row} td[data-k="messages"]') == "20"
            assert community.text_content(f'{row} td[data-k="member_count"]') == "2"
            assert "正在生成新的报告" not in (community.text_content("#report-panel") or "")
            browser.close()
    finally:
        server.should_exit = True
        thread.join(10)
        cache.close()

"""The console in Debian's Chromium (Playwright) against a real uvicorn on 127.0.0.1:
sign in, overview with charts drawn, a member, a queue action that shows in the audit log,
a plan finding, a viewer who cannot act, and a `<script>` nickname that stays text.

Set QUNYUN_SCREENSHOTS=DIR to also save screenshots of the main pages there.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from qunyun.ports import free_port
from qunyun.storage.engine import make_engine
from qunyun.storage.migrate import upgrade
from qunyun.storage.work import audit as audit_repo
from qunyun.storage.work import queues as queue_repo
from tests.web.seed import PASSWORD, SCRIPT_NICK, Seeded, seed_sample

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium (./dev.sh setup)"),
]
SHOTS = os.environ.get("QUNYUN_SCREENSHOTS")


@dataclass
class Console:
    url: str
    engine: Engine
    seeded: Seeded


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    import uvicorn

    from qunyun.web.app import create_app

    work = tmp_path_factory.mktemp("console")
    url = f"sqlite:///{work / 'qunyun.db'}"
    seeding = make_engine(url)
    upgrade(seeding)
    big = bool(SHOTS)
    seeded = seed_sample(seeding, work, messages=20_000 if big else 3000,
                         senders=400 if big else 150, days=120 if big else 60)
    # The seed read the log through ADBC in this process, which leaves this engine's
    # pooled SQLite connections unusable; the server gets a fresh engine.
    seeding.dispose()
    engine = make_engine(url)
    app = create_app(engine, secure_cookies=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield Console(f"http://127.0.0.1:{port}", engine, seeded)
    server.should_exit = True
    thread.join(10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-dev-shm-usage"])
        yield b
        b.close()


def _page(browser: object, console: Console, username: str,  # type: ignore[no-untyped-def]
          width: int = 1360, height: int = 900, scale: float = 1):
    """A page signed in as `username`, in a window of the given size."""
    context = browser.new_context(viewport={"width": width, "height": height},  # type: ignore[attr-defined]
                                  locale="zh-CN", device_scale_factor=scale)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(console.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(console.url + "/")
    return page


def _shot(page, name: str, *, full: bool = False) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=full)


def _charts_drawn(page, at_least: int) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(f"window.qunyunCharts && window.qunyunCharts.length >= {at_least}")
    sizes = page.evaluate("window.qunyunCharts.map(c => c.getDataURL().length)")
    assert len(sizes) >= at_least and min(sizes) > 5000, sizes
    # Chinese glyphs are real glyphs, not boxes (browser-and-fonts.md).
    boxes = page.evaluate("""() => {
        const draw = s => { const c = document.createElement('canvas'); c.width = 80; c.height = 30;
          const x = c.getContext('2d'); x.font = '20px sans-serif'; x.fillText(s, 2, 22);
          return c.toDataURL(); };
        return draw('社群') === draw('\\ue000\\ue001'); }""")
    assert not boxes


def test_sign_in_overview_and_group_charts(browser: object, console: Console) -> None:
    page = _page(browser, console, "owner")
    assert "Python 训练营" in page.content()
    page.wait_for_selector("#community-table .score")
    _shot(page, "communities")
    page.click("text=Python 训练营")
    page.wait_for_selector("#health-table")
    _charts_drawn(page, 1)
    assert page.locator("#health-table tbody tr").count() >= 2
    _shot(page, "overview")
    page.click("#health-table a:has-text('进阶营')")
    page.wait_for_selector("[data-chart=cohorts]")
    _charts_drawn(page, 5)
    _shot(page, "group", full=True)
    page.click("a.lang")  # English, the second UI language
    page.wait_for_selector("text=Weekday × hour heatmap")
    _charts_drawn(page, 5)
    _shot(page, "group-en", full=True)
    page.context.close()


def test_member_page_and_script_nickname_is_inert(browser: object, console: Console) -> None:
    page = _page(browser, console, "viewer")
    page.goto(console.url + "/c/python-camp/members?q=script")
    page.click("#member-table a")
    page.wait_for_selector("#member-name")
    assert SCRIPT_NICK in page.inner_text("#member-name")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("script:not([src]):not([type='application/json'])").count() == 0
    page.goto(console.url + "/c/python-camp/members")
    page.locator("#member-table a").nth(1).click()
    page.wait_for_selector("#member-name")
    _shot(page, "member")
    page.context.close()


def test_volunteer_acts_on_a_queue_item_and_sees_it_in_the_audit_log(
        browser: object, console: Console) -> None:
    page = _page(browser, console, "vol")
    page.goto(console.url + "/c/python-camp/queues?queue=suspect")
    _shot(page, "queues")
    row = page.locator(f"#item-{console.seeded.suspect_item}")
    # Issue 11: buttons keep their words on one line; evidence reads as sentences.
    button = row.locator("button[value=exempted]")
    assert button.bounding_box()["height"] < 40  # type: ignore[index]
    assert "{" not in row.locator("td").nth(1).inner_text()
    card = page.locator("#queue-cards a[data-queue=suspect] b")
    before = int(card.inner_text())
    row.locator("input[name=reason]").fill("老学员，已核实")
    button.click()
    page.wait_for_selector(f"#item-{console.seeded.suspect_item}[data-status=exempted]")
    page.wait_for_function(
        f"document.querySelector('#queue-cards a[data-queue=suspect] b').textContent == '{before - 1}'")
    with console.engine.connect() as conn:
        item = queue_repo.get_item(conn, item_id=console.seeded.suspect_item)
    assert item is not None and item["status"] == "exempted" and item["resolved_by"] == "vol"
    page.goto(console.url + "/c/python-camp/audit")
    page.fill("#audit-filters input[name=actor]", "operator:vol")
    page.click("#audit-filters button")
    page.wait_for_selector("#audit-table")
    table = page.inner_text("#audit-table")
    assert "疑似假号：豁免" in table and "老学员，已核实" in table
    assert "suspect:exempted" not in table and "operator:vol" not in table
    _shot(page, "audit")
    page.context.close()


def test_admin_edits_the_plan_and_sees_a_finding(browser: object, console: Console) -> None:
    page = _page(browser, console, "admin")
    page.goto(console.url + "/c/python-camp/plan")
    page.wait_for_selector("#rules-preview")
    _shot(page, "plan")
    area = page.locator("textarea[name=plan_yaml]")
    text = area.input_value()
    area.fill(text.replace("platform:", "platfrom:", 1))
    page.click("button[value=save]")
    page.wait_for_selector("#findings li")
    findings = page.inner_text("#findings")
    assert "platfrom" in findings and "第" in findings and "行" in findings
    assert "计划无法载入，未保存" in page.content()
    _shot(page, "plan-findings")
    page.context.close()


def test_viewer_cannot_act(browser: object, console: Console) -> None:
    page = _page(browser, console, "viewer")
    page.goto(console.url + "/c/python-camp/queues")
    assert page.locator("button[name=resolution]").count() == 0
    assert "只读账号" in page.content()
    with console.engine.connect() as conn:
        before = len(audit_repo.entries(conn, community_id=console.seeded.community_id,
                                        limit=100_000))
    # Even a hand-made request with a valid CSRF token is refused.
    status = page.evaluate("""async (url) => {
        const body = new URLSearchParams({csrf: document.body.dataset.csrf,
                                          resolution: 'done', reason: 'x'});
        const r = await fetch(url, {method: 'POST', body});
        return r.status; }""", f"/c/python-camp/queues/{console.seeded.todo_item}")
    assert status == 403
    with console.engine.connect() as conn:
        assert queue_repo.get_item(conn, item_id=console.seeded.todo_item)["status"] == "open"  # type: ignore[index]
        after = len(audit_repo.entries(conn, community_id=console.seeded.community_id,
                                       limit=100_000))
    assert after == before
    page.context.close()


def test_volunteer_grants_points_and_finds_the_member_on_the_leaderboard(
        browser: object, console: Console) -> None:
    """T3: the grant form on member 360, then 排行榜 from the navigation."""
    page = _page(browser, console, "vol")
    page.goto(console.url + "/c/python-camp/members")
    page.locator("#member-table a").nth(2).click()
    page.wait_for_selector("#grant-form")
    name = page.inner_text("#member-name").split(" #")[0]
    page.fill("#grant-form input[name=points]", "30")
    page.fill("#grant-form input[name=reason]", "整理了本周的答疑汇总")
    page.click("#grant-form button[type=submit]")
    page.wait_for_selector("#member-ledger")
    assert "整理了本周的答疑汇总 · vol" in page.inner_text("#member-ledger")
    _shot(page, "member-grant", full=True)
    page.click("nav.tabs a:has-text('排行榜')")
    page.wait_for_selector("#board")
    page.click("#board-boards a:has-text('贡献榜')")
    page.wait_for_selector("#board")
    top = page.locator("#board tbody tr").first.inner_text()
    assert name in top and "30" in top, top
    _shot(page, "boards")
    page.locator("#board tbody tr").first.locator("a").click()
    page.wait_for_selector("#member-name")
    assert name in page.inner_text("#member-name")


def test_operator_adds_a_recurring_post_and_sees_it_in_the_month_as_words(
        browser: object, console: Console) -> None:
    """Issue 14/11: the operator opens the calendar, adds a weekly post, finds it on every
    Monday of the month view, and the entry says when it repeats in words, in both
    languages (never FREQ=WEEKLY;BYDAY=MO)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    monday = today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)
    page = _page(browser, console, "admin")
    page.goto(console.url + f"/c/python-camp/calendar?view=month&day={monday.isoformat()}")
    form = page.locator("form.cal-form").last
    form.locator("input[name=title]").fill("周一读书会")
    form.locator("textarea[name=text]").fill("{group} 今晚 20:00 读书会")
    form.locator("input[name=at]").fill("20:00")
    form.locator("select[name=every]").select_option("week")
    form.get_by_label("周一").check()  # the weekdays are 周一…周日 boxes, not "mon"
    form.locator("input[name=day]").fill(monday.isoformat())
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#calendar-entries")
    page.goto(console.url + f"/c/python-camp/calendar?view=month&day={monday.isoformat()}")
    cells = page.locator("#calendar-grid .cal-item", has_text="周一读书会")
    mondays_left = sum(1 for i in range(0, 35, 7)
                       if (monday + dt.timedelta(days=i)).month == monday.month)
    assert cells.count() >= mondays_left, page.inner_text("#calendar-grid")
    entry = page.locator("#calendar-entries tr", has_text="周一读书会")
    assert "每周一 20:00" in entry.inner_text()
    assert "FREQ" not in page.inner_text("main")
    _shot(page, "calendar-month", full=True)
    page.click("a.lang")
    page.wait_for_selector("#calendar-entries")
    entry = page.locator("#calendar-entries tr", has_text="周一读书会")
    assert "every Monday at 20:00" in entry.inner_text()
    page.click("a.lang")  # back to Chinese for the tests that follow
    page.context.close()


def test_the_queue_fits_a_phone_sized_window(browser: object, console: Console) -> None:
    """Issue 11 #71: at 390 px the queue table ran off the right edge — 时间, 状态 and the
    完成 / 豁免 / 驳回 buttons could not be seen without scrolling sideways."""
    page = _page(browser, console, "vol", 390, 844, scale=2)
    page.goto(console.url + "/c/python-camp/queues?queue=suspect")
    page.wait_for_selector("#queue-table tbody tr")
    _shot(page, "queue-390")
    if os.environ.get("QUNYUN_SCREENSHOT_390"):  # the first items, to look at
        page.locator("#queue-table").scroll_into_view_if_needed()
        page.screenshot(path=os.environ["QUNYUN_SCREENSHOT_390"])
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 390, overflow
    first = page.locator("#queue-table tbody tr").first
    for part in ("td:nth-child(3)", "td:nth-child(4) .tag", "input[name=reason]",
                 "button[value=done]", "button[value=exempted]", "button[value=dismissed]"):
        box = first.locator(part).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (part, box)
    page.context.close()


def test_the_plan_editors_buttons_are_in_view_and_long_lines_scroll(
        browser: object, console: Console) -> None:
    """Issue 11 walk finding 62: the 检查 / 保存 buttons sat below a text area as tall as the
    whole plan, and long lines ran off its edge. The buttons are above the text, the text
    scrolls in its own box (sideways too, the line numbers following), at 1280 and 390 px."""
    for width, height in ((1280, 800), (390, 844)):
        page = _page(browser, console, "admin")
        page.set_viewport_size({"width": width, "height": height})
        page.goto(console.url + "/c/python-camp/plan")
        page.wait_for_selector("#rules-preview")
        for button in ("button[value=check]", "button[value=save]"):
            box = page.locator(button).bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, \
                (width, button, box)
            assert box["x"] + box["width"] <= width, (width, button, box)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        area = page.locator("textarea[name=plan_yaml]")
        text = area.input_value()
        long_line = "# " + "很长的一行注释，" * 30
        area.fill(long_line + "\n" + text)
        box = area.bounding_box()
        assert box is not None and box["height"] <= height, (width, box)  # its own box
        sizes = area.evaluate("a => [a.scrollWidth, a.clientWidth, a.scrollHeight, "
                              "a.clientHeight, getComputedStyle(a).overflowX]")
        assert sizes[0] > sizes[1] and sizes[2] > sizes[3] and sizes[4] == "auto", sizes
        area.evaluate("a => { a.scrollTop = 400; a.dispatchEvent(new Event('scroll')); }")
        assert page.evaluate("document.querySelector('.editor .gutter').scrollTop") == \
            area.evaluate("a => a.scrollTop")
        page.context.close()


# Each run of Chinese text in a table cell: how many lines it takes as drawn, and how many
# characters that is a line (one text node at a time: a cell holds titles, links, buttons).
# The elements that stick out of the window, outside any box that scrolls: what to fix
# when a page scrolls sideways.
OVERFLOWING = """() => {
  const out = [];
  for (const e of document.querySelectorAll('body *')) {
    if (e.getBoundingClientRect().right <= window.innerWidth + 1) continue;
    let a = e, scrolls = false;
    while ((a = a.parentElement)) {
      const x = getComputedStyle(a).overflowX;
      if (x === 'auto' || x === 'hidden' || x === 'scroll') { scrolls = true; break; }
    }
    if (!scrolls) out.push(e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40));
  }
  return out.slice(0, 6);
}"""
SQUEEZED = """() => { const out = [];
  for (const cell of document.querySelectorAll('main td, main th')) {
    const walk = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walk.nextNode(); node; node = walk.nextNode()) {
      const text = node.textContent.trim();
      if ([...text].length < 4 || !/[\u4e00-\u9fff]/.test(text)) continue;
      if (!node.parentElement.checkVisibility()) continue;  // in a closed <details>
      const range = document.createRange();
      range.selectNodeContents(node);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      if (!rects.length) continue;  // not drawn (a closed <details>)
      const lines = new Set(rects.map(r => Math.round(r.top))).size;
      if (lines > 1 && [...text].length / lines < 4) out.push([text.slice(0, 30), lines]);
    }
  }
  return out; }"""


def test_every_page_fits_the_window_without_squeezing_words(
        browser: object, console: Console) -> None:
    """Issue 11 walk: at 390 px tables pushed pages sideways (the home page to 847 px, the
    audit log to 930 px), and at 1280 px the queue's help text widened its column until the
    item titles read three characters a line. Every page fits its window in both languages;
    a wide table scrolls in its own box; no cell of Chinese reads under 4 characters a line."""
    page = _page(browser, console, "owner")
    page.goto(console.url + "/c/python-camp/members")
    member = page.eval_on_selector("#members-table a[href*='/members/']",
                                   "a => a.getAttribute('href')") \
        if page.locator("#members-table").count() else \
        page.eval_on_selector("main a[href*='/members/']", "a => a.getAttribute('href')")
    c = "/c/python-camp"
    paths = ["/", c, f"{c}/members", member, f"{c}/queues", f"{c}/queues?queue=elimination",
             f"{c}/audit", f"{c}/boards", f"{c}/volunteers", f"{c}/core", f"{c}/activities",
             f"{c}/plan", f"{c}/calendar", "/operators"]
    for lang in ("zh", "en"):
        page.context.add_cookies([{"name": "qunyun_lang", "value": lang, "url": console.url}])
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            for path in paths:
                page.goto(console.url + path)
                page.wait_for_load_state("networkidle")
                wide = page.evaluate("document.documentElement.scrollWidth")
                assert wide <= width, (lang, width, path, wide, page.evaluate(OVERFLOWING))
                squeezed = page.evaluate(SQUEEZED)
                assert not squeezed, (lang, width, path, squeezed[:4])
    page.context.close()


def test_walk13_home_rows_read_at_1280_and_390_and_the_gutter_follows_the_text(
        browser: object, console: Console) -> None:
    """Issue 11 walk13 #18/#38: the home row's 健康度 cell wrapped 「65 / 报告截 / 至 / …」 one
    fragment a line and the warning was a tall narrow column (a tall blank block on a
    phone): the number stands alone, the report's date and the warning read on a line of
    their own, in view at 390 px. #29: the plan's line numbers follow the text in the box
    (a restored form), not only the text the server sent."""
    for width in (1280, 390):
        page = _page(browser, console, "admin", width, 844)
        page.wait_for_selector("#community-table tr.row-note")
        score = page.locator("#community-table tbody tr:first-child td.num").nth(2)
        box = score.bounding_box()
        assert box is not None and box["height"] < 60, (width, box)  # one line, not seven
        note = page.locator("#community-table .row-note-text").first
        note_box = note.bounding_box()
        assert note_box is not None and note_box["x"] >= 0, (width, note_box)
        assert note_box["x"] + note_box["width"] <= width, (width, note_box)
        assert "报告截至" in note.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        _shot(page, f"walk13-home-{width}", full=True)
        page.context.close()
    page = _page(browser, console, "admin")
    page.goto(console.url + "/c/python-camp/plan")
    page.wait_for_selector("#rules-preview")
    page.evaluate("""() => { const a = document.querySelector('textarea[name=plan_yaml]');
        a.value = a.value.split('\\n').slice(0, 40).join('\\n');
        window.dispatchEvent(new Event('pageshow')); }""")
    assert page.locator(".editor .gutter div").count() == 40
    page.context.close()

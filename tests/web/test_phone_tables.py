"""The console's data tables on a phone (issue 11 walk13 findings 59 and 53): at 390×844 the
community page's groups and report tables, the audit log and the member list showed only
their first column — each row a tall blank block, the numbers beyond a sideways scroll
nothing announced. Tables with class `cards-on-phone` become one card per row, each value
under its column's heading, inside the window. And a home row whose report is not cached
yet fills in with its numbers instead of going blank."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qunyun.services.importing import import_events
from qunyun.storage.community import communities as community_repo
from tests.factories import message
from tests.web.test_browser import CHROMIUM, Console, _page, browser, console  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium (./dev.sh setup)"),
]
SHOTS = os.environ.get("QUNYUN_SCREENSHOTS")

# Every cell of every card: its box, its label and whether it shows anything.
CELLS = """sel => Array.from(document.querySelectorAll(sel + ' tbody tr')).slice(0, 6).map(tr =>
  Array.from(tr.cells).filter(td => getComputedStyle(td).display !== 'none').map(td => {
    const r = td.getBoundingClientRect();
    return {label: td.getAttribute('data-label') || '', text: td.innerText.trim(),
            left: r.left, right: r.right, height: r.height,
            before: getComputedStyle(td, '::before').content};
  }))"""


@pytest.mark.parametrize(("path", "table", "must_show"), [
    ("/c/python-camp", "#groups-table", "当前成员"),
    ("/c/python-camp", "#health-table", "健康度"),
    ("/c/python-camp/audit", "#audit-table", "动作"),
    ("/c/python-camp/members", "#member-table", "近30天消息"),
])
def test_a_table_on_a_phone_is_one_card_per_row_with_every_value_labelled(
        browser: object, console: Console, path: str, table: str,  # noqa: F811
        must_show: str) -> None:
    page = _page(browser, console, "owner", 390, 844, scale=2)
    page.goto(console.url + path)
    page.wait_for_selector(f"{table} tbody tr td[data-label]")
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"phone-{table[1:]}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    rows = page.evaluate(CELLS, table)
    assert rows
    for cells in rows:
        title, *rest = cells
        assert title["text"], cells  # the card's title: the group, the time, the member
        assert rest, cells  # …and the other columns under it, not off to the right
        for cell in cells:
            assert cell["left"] >= 0 and cell["right"] <= 390, cell
        for cell in rest:
            assert cell["label"] and cell["before"] not in ("none", "normal"), cell
        # A row is as tall as what it says, never a tall blank block beside one name.
        assert title["height"] < 80, title
    labels = {cell["label"] for cells in rows for cell in cells}
    assert any(must_show in label for label in labels), labels
    page.context.close()


def test_the_same_tables_stay_tables_on_a_laptop(browser: object,  # noqa: F811
                                                 console: Console) -> None:  # noqa: F811
    page = _page(browser, console, "owner", 1280, 900)
    page.goto(console.url + "/c/python-camp/audit")
    page.wait_for_selector("#audit-table tbody tr")
    assert page.locator("#audit-table thead").is_visible()
    assert page.evaluate(
        "getComputedStyle(document.querySelector('#audit-table tbody td')).display") \
        == "table-cell"
    page.context.close()


def test_a_home_row_whose_report_is_not_built_yet_fills_in(
        browser: object, console: Console) -> None:  # noqa: F811
    """Finding 53: the row's cells are fetched when its report was not cached; the request
    inherited the table's `hx-select="#communities"`, found nothing to select and swapped in
    nothing — the row read 「2 · 246 · ✓」 and nothing else."""
    with console.engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="late-camp", name="晚来的营",
                                                     now_ms=0)
    import_events(console.engine, community_id=cid, events=[message(i) for i in range(1, 6)])
    page = _page(browser, console, "owner", 1280, 900)
    # The row must fill from its own request, not from the page reloading its rows once
    # the report is built (`report-changed`).
    page.route("**/report-stamp*", lambda route: route.abort())
    page.reload()
    row = page.locator("#community-table tbody tr", has_text="晚来的营")
    row.locator(".score").wait_for()
    assert row.locator("td").count() == 4 + 10  # the row's own cells and the report's ten
    assert "正在载入" not in row.inner_text()
    page.context.close()


def test_the_retention_heatmap_shows_whole_percents_like_the_report(
        browser: object, console: Console) -> None:  # noqa: F811
    """Walk13 #65: the group page's retention cells read 81.3 where report.html reads 81."""
    page = _page(browser, console, "owner", 1280, 900)
    page.goto(console.url + "/c/python-camp")
    href = page.eval_on_selector("#groups-table a[href*='/g/']", "a => a.getAttribute('href')")
    page.goto(console.url + href)
    page.wait_for_selector("[data-chart=cohorts][data-drawn]")
    values = page.evaluate("""() => {
        const el = document.querySelector('[data-chart=cohorts]');
        const chart = window.qunyunCharts.find(c => c.getDom() === el);
        return chart.getOption().series[0].data.map(c => c[2]); }""")
    assert values and all(float(v).is_integer() for v in values), values[:10]
    page.context.close()

"""The console's charts as a person meets them, at 1280 x 800 and 390 x 844, in Chinese and
English (issue 11): the legend sat on top of the zoom slider (ECharts 6 puts a legend at
the bottom unless told), and the charts stayed blank for a second or more after the page
showed, because the report panel was a second request made after the page had loaded.
Once a report is built the panel is in the page: its charts are drawn by the time the page
has loaded, with no second request."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.chart_boxes import chart_parts, collisions
from tests.web.test_browser import CHROMIUM, Console, _page, browser, console  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium (./dev.sh setup)"),
]
SHOTS = os.environ.get("QUNYUN_SCREENSHOTS")
HEIGHTS = {1280: 800, 390: 844}


def _built(page, console: Console) -> str:  # type: ignore[no-untyped-def]  # noqa: F811
    """The report built (as `qunyun up` builds it at start); the group with every chart."""
    page.goto(console.url + "/c/python-camp/panel")
    page.goto(console.url + "/c/python-camp")
    href = page.locator("#health-table a", has_text="进阶营").first.get_attribute("href")
    assert href
    return str(href)


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_charts_are_drawn_by_the_time_the_page_has_loaded_and_nothing_overlaps(
        browser: object, console: Console, width: int, lang: str) -> None:  # noqa: F811
    page = _page(browser, console, "owner", width, HEIGHTS[width])
    group = _built(page, console)
    for path, charts in (("/c/python-camp", 1), (group, 5)):
        asked: list[str] = []
        page.on("request", lambda r, asked=asked: asked.append(r.url))
        page.goto(console.url + f"{path}?lang={lang}", wait_until="load")
        # No waiting: drawn when the page says it has loaded.
        drawn = chart_parts(page, "[data-chart]")
        assert len(drawn) == charts, (path, drawn)
        assert [u for u in asked if u.endswith("/panel")] == [], asked
        for chart in drawn:
            assert chart["inked"] > 5000, chart  # a blank canvas has none, axes alone ~2000
            assert collisions(chart) == []
        trend = next(c for c in drawn if c["chart"] in ("trend", "joins"))
        assert trend["legend"] and trend["slider"], trend  # both there to be compared
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            name = "community" if path == "/c/python-camp" else "group"
            page.screenshot(path=str(Path(SHOTS) / f"charts-{name}-{width}-{lang}.png"),
                            full_page=True)
    page.context.close()


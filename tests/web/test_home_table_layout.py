"""The console's home table (the communities, `index.html` / `_community_rows.html`) at a
laptop's 1280 × 800 and a phone's 390 px, in both languages (issue 11 walk13): in English the
table was 1261 px in its 1240 px box, a scrollbar under the numbers; on a phone it was a
wide table to scroll sideways where every other table is one card per row
(`cards-on-phone`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qunyun.services.importing import import_events
from qunyun.storage.community import communities as community_repo
from qunyun.web.texts import translate
from tests.factories import message
from tests.web.test_browser import CHROMIUM, Console, _page, browser, console  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium (./dev.sh setup)"),
]
SHOTS = os.environ.get("QUNYUN_SCREENSHOTS")
HEADINGS = ("groups", "open_items", "plan", "health", "stage", "dying", "hc.current", "hc.left",
            "hc.ever", "hc.active_ratio", "hc.messages", "hc.senders", "hc.moves")

# The table against its scrolling box, each heading's text and height, and the Chinese words
# of a heading (「活跃率」「（近30天）」) broken across lines.
MEASURE = """() => { const t = document.querySelector('#community-table');
  const broken = th => { const node = th.firstChild, out = [];
    if (!node || node.nodeType !== 3) return out;
    const text = node.textContent;
    for (const m of text.matchAll(/（?[^\\s（]+/g)) {
      const r = document.createRange();
      r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
      const tops = new Set([...r.getClientRects()].filter(b => b.width > 0).map(b => Math.round(b.top)));
      if (tops.size > 1) out.push(m[0]);
    }
    return out; };
  return {table: t.scrollWidth, box: t.parentElement.clientWidth,
          page: document.documentElement.scrollWidth,
          heads: Array.from(t.querySelectorAll('thead th')).map(th =>
            [th.textContent.trim(), th.getBoundingClientRect().height, broken(th)])}; }"""
# Each community's card: its box, the boxes and labels of the cells it shows.
CARDS = """() => Array.from(document.querySelectorAll('#community-table tbody.community-rows'))
  .map(tb => { const r = tb.getBoundingClientRect();
    return {display: getComputedStyle(tb).display, left: r.left, right: r.right, top: r.top,
            bottom: r.bottom,
            cells: Array.from(tb.querySelectorAll('td')).map(td => { const c = td.getBoundingClientRect();
              return {label: td.getAttribute('data-label') || '', text: td.innerText.trim(), span: td.colSpan,
                      display: getComputedStyle(td).display, left: c.left, right: c.right,
                      top: c.top, bottom: c.bottom,
                      before: getComputedStyle(td, '::before').content}; })}; })"""


@pytest.fixture(scope="module")
def two_communities(console: Console) -> Console:  # noqa: F811
    """A third community with a longer name: the owner's home then holds two with reports
    and the sample's other community, which has no groups and so no report."""
    with console.engine.begin() as conn:
        cid = community_repo.get_or_create_community(
            conn, slug="weekend-readers", name="周末读书会 Weekend Readers", now_ms=0)
    import_events(console.engine, community_id=cid, events=[message(i) for i in range(1, 6)])
    return console


def _home(browser: object, console: Console, lang: str, width: int, height: int):  # type: ignore[no-untyped-def]  # noqa: F811
    page = _page(browser, console, "owner", width, height, scale=2 if width < 640 else 1)
    page.context.add_cookies([{"name": "qunyun_lang", "value": lang, "url": console.url}])
    page.goto(console.url + "/")
    page.locator("#community-table .score").nth(1).wait_for()  # both rows, the new one too
    page.wait_for_load_state("networkidle")
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"home-{lang}-{width}.png"), full_page=True)
    return page


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_home_table_fits_a_1280_window_without_a_scrollbar(
        browser: object, two_communities: Console, lang: str) -> None:  # noqa: F811
    page = _home(browser, two_communities, lang, 1280, 800)
    sizes = page.evaluate(MEASURE)
    assert sizes["table"] <= sizes["box"], sizes
    assert sizes["page"] <= 1280, sizes
    texts = [text for text, _, _ in sizes["heads"]]
    # Every heading reads in full, in the page's language…
    assert texts[1:] == [translate(key, lang) for key in HEADINGS], texts
    # …in at most two lines, broken between words: 「活跃率 / （近30天）」, never 「活跃 / 率」.
    for text, height, broken in sizes["heads"]:
        assert height < 60 and not broken, (text, height, broken)
        if lang == "zh":  # the Chinese ones have the room for one line, as before
            assert height < 40, (text, height)
    page.context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_on_a_phone_each_community_is_one_card_with_every_number_labelled(
        browser: object, two_communities: Console, lang: str) -> None:  # noqa: F811
    page = _home(browser, two_communities, lang, 390, 844)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not page.locator("#community-table thead").is_visible()
    cards = page.evaluate(CARDS)
    assert len(cards) == 3
    labels = [translate(key, lang) for key in HEADINGS]
    with_report = 0
    for card in cards:
        assert card["display"] == "block", card
        assert card["left"] >= 0 and card["right"] <= 390, card
        title, *rest = card["cells"]
        # The community's name heads the card, without a label before it.
        assert title["text"] and title["before"] in ("none", "normal"), title
        assert title["bottom"] - title["top"] < 60, title  # a line, not a word a line
        numbers = [cell for cell in rest if cell["span"] == 1]  # the note or a dash spans
        assert [cell["label"] for cell in numbers] == labels[:len(numbers)], numbers
        for cell in numbers:
            assert cell["display"] == "block", cell  # a line of its own, not a column
            assert cell["before"] not in ("none", "normal"), cell  # the label is drawn
        for cell in [c for c in card["cells"] if c["display"] != "none"]:  # inside its card
            assert card["left"] <= cell["left"] and cell["right"] <= card["right"], cell
            assert card["top"] <= cell["top"] and cell["bottom"] <= card["bottom"] + 1, cell
        if len(numbers) == len(labels):
            with_report += 1
            # The note line (when the report ends) is in the same card, under the numbers.
            note = rest[-1]
            assert translate("report_as_of_short", lang, as_of="").strip() in note["text"], note
            assert note["top"] >= numbers[-1]["bottom"] - 1, note
        else:  # no groups, no report: its three numbers, not a lone dash under them
            assert len(numbers) == 3, rest
            assert all(cell["display"] == "none" for cell in rest[3:]), rest
    assert with_report == 2
    page.context.close()

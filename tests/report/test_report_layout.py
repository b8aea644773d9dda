"""The report's tables as a person reads them at 1280 px and on a phone (390 px), in
Chromium (issue 11 walk finding 47: narrow columns wrapped Chinese one character a line):
names, tiers, numbers and dates stay on one line, sentences keep room for their words, and
a table wider than the phone scrolls inside its own box instead of squeezing its cells or
widening the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from qunyun.analytics import build_report
from qunyun.importers.detect import open_export
from qunyun.plan.load import parse_plan
from qunyun.report.write import write_report
from qunyun.samples import write_telegram_export
from qunyun.services.importing import import_batches
from qunyun.storage.community import communities as community_repo
from tests.conftest import EXAMPLES
from tests.report.test_report_files import browser  # noqa: F401  (the Chromium fixture)

# Per cell with Chinese in it: how many lines its text takes and how many characters that
# is a line (Range rects give the line boxes as drawn).
CELLS = """() => [...document.querySelectorAll('main td, main th')].map(cell => {
  const text = cell.innerText.trim();
  const range = document.createRange();
  range.selectNodeContents(cell);
  const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
                       .map(r => Math.round(r.top)));
  return {text: text.slice(0, 30), chars: [...text].length, lines: Math.max(tops.size, 1)};
}).filter(c => /[\\u4e00-\\u9fff]/.test(c.text))"""


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_report_cells_keep_their_words_at_desktop_and_phone_widths(
        engine: Engine, tmp_path: Path, browser: Any) -> None:  # noqa: F811
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="camp", name="Python 训练营",
                                                      now_ms=0)
    export = write_telegram_export(tmp_path / "t.json", messages=1500, senders=80, days=60)
    import_batches(engine, community_id=cid, batches=open_export(export).batches)
    plan = parse_plan((EXAMPLES / "python-camp.yaml").read_text(encoding="utf-8")).plan
    paths = write_report(build_report(engine, community_id=cid, plan=plan), tmp_path / "out")
    for width in (1280, 390):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(paths["html"].as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no page scroll
        if width == 1280:  # walk13 #36: the 各群 table fits its card, 预警 and 时间范围 in view
            box = page.evaluate("(() => { const s = document.querySelector('#groups .scroll');"
                                " return [s.scrollWidth, s.clientWidth]; })()")
            assert box[0] <= box[1], box
        cells = page.evaluate(CELLS)
        assert len(cells) > 50, width
        squeezed = [c for c in cells if c["lines"] > 1 and c["chars"] / c["lines"] < 4]
        assert not squeezed, (width, squeezed[:5])
        # Short labels (tiers, names, headers) stay on one line.
        for label in ("副意见领袖", "旁观者", "层级", "最早移除日期"):
            found = [c for c in cells if c["text"] == label]
            assert found and all(c["lines"] == 1 for c in found), (width, label)
        page.close()

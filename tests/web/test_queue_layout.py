"""The work queues page at 1280 px and 390 px, in Chinese and English (issue 11 walk 48,
34): the help sentences sat in a column right of the buttons and pushed the page to 2146 px;
in English 豁免 / 驳回 were cut at the window's edge. The buttons' meaning is said once above
the list, and every item's buttons are inside the window."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qunyun.services import queues as queue_service
from tests.web.test_browser import CHROMIUM, Console, _page, browser, console  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium (./dev.sh setup)"),
]
SHOTS = os.environ.get("QUNYUN_SCREENSHOTS")
REPLY = ("@张三 你好，看到你的消息了。关于“作业怎么交？”：在群里发「!作业 链接」，或提交到学习平台的作业区。"
         "如果链接打不开，请把报错截图发给助教，我们会尽快帮你看。")


def _escalation(console: Console) -> None:  # noqa: F811
    with console.engine.begin() as conn:
        queue_service.open_item(
            conn, community_id=console.seeded.community_id, queue="escalation",
            item_key="escalation:layout", member_id=console.seeded.script_member_id,
            title="【需要人工】张三 在群里@了管理员：老师，我的作业提交不了，链接一直打不开，怎么办？",
            detail={"event_id": "$layout", "suggested_reply": REPLY, "trigger": "admin_mention"})


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_queue_fits_the_window_and_says_what_the_buttons_do_once(
        browser: object, console: Console, width: int, lang: str) -> None:  # noqa: F811
    _escalation(console)
    page = _page(browser, console, "admin", width)
    page.goto(console.url + f"/c/python-camp/queues?lang={lang}")
    page.wait_for_selector("#queue-table tbody tr")
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"queues-{lang}-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    help_text = page.inner_text("#queue-help")
    assert ("这个按钮不会替你发消息" if lang == "zh" else "this button sends nothing") in help_text
    assert ("报告列出的候选不会被机器人移出" if lang == "zh"
            else "does not remove a candidate the report listed") in help_text
    # Said once: no card repeats it.
    assert page.locator("#queue-table .act-help").count() == 0
    rows = page.locator("#queue-table tbody tr")
    for n in range(min(rows.count(), 12)):
        row = rows.nth(n)
        buttons = row.locator(".resolve button")
        for b in range(buttons.count()):
            box = buttons.nth(b).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, \
                (n, buttons.nth(b).inner_text(), box)
            text = buttons.nth(b).inner_text()
            assert page.evaluate("(e) => e.scrollWidth <= e.clientWidth + 1",
                                 buttons.nth(b).element_handle()), text  # not cut
    page.context.close()

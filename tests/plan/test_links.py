"""The allowed-link rule (`qunyun.plan.links`, R1/R4): each link's host and path against
the allow list, not the text around it; the bot's per-message check and the report's
Polars expression give the same verdict on every text."""

from __future__ import annotations

import polars as pl
import pytest

from qunyun.domain.links import LINK_POLARS, first_link
from qunyun.plan.links import AllowedLinks, entry

ALLOW = ["docs.python.org", "https://www.PyCamp.example.cn/", "t.me/spam", "", "  "]

# (text, the link the bot objects to, or None)
CASES = [
    ("看文档 https://docs.python.org/3/library/", None),
    ("加微信 看 https://docs.python.org", None),  # the link is fine; the words are the ad keywords' business
    ("https://bugs.docs.python.org/issue1", None),  # under an allowed host
    ("WWW.DOCS.PYTHON.ORG/3/", None),
    ("http://docs.python.org:8080/x", None),
    ("课程 pycamp.example.cn 的 https://pycamp.example.cn/week1", None),
    ("文档 https://docs.python.org，大家看看", None),  # Chinese punctuation ends a link
    ("看这里 t.me/spam", None),
    ("t.me/spam/12 和 t.me/spam?x=1", None),
    ("没有链接的消息", None),
    ("https://docs.python.org.evil.cn/x", "link"),
    ("https://evil.cn/docs.python.org", "link"),
    ("https://docs.python.org@evil.cn/", "link"),
    ("https://docs.python.org 和 https://spam.cn", "link"),
    ("加我https://spam.example.cn", "link"),  # glued to Chinese text: still a link
    ("t.me/spammer", "link"),  # a path entry allows that path, not every path it prefixes
    ("t.me/other", "link"),
    ("https://python.org", "link"),  # above an allowed host is not under it
    ("进群 t.me/joinchat/abc", "invite_link"),  # an invite is never allowed
    ("matrix.to/#/#other:example.org", "invite_link"),
    ("作业在这https://docs.python.org/3/谢谢", None),  # the Chinese after it is not the link's
    ("链接：docs.python.org/3/，请看", None),  # a bare address with a path is a link
    ("链接：github.com/a/b，请看", "link"),
    ("去 python.org 看看", None),  # a bare host without a path is text
    ("看 https://站点.example.cn/a", "link"),  # a Chinese host label is still a host
]


@pytest.mark.parametrize(("text", "link"), [
    ("作业在这https://github.com/x/y谢谢", "https://github.com/x/y"),
    ("链接：github.com/a/b，请看", "github.com/a/b"),
    ("看这里：https://gitee.com/u/w2。", "https://gitee.com/u/w2"),
    ("（https://github.com/u/r）谢谢", "https://github.com/u/r"),
    ("作业 https://github.com/u/r. 请老师看", "https://github.com/u/r"),
    ("作业 https://x.cn/a?b=1&c=%E4%BD%A0#top！", "https://x.cn/a?b=1&c=%E4%BD%A0#top"),
    ("www.github.com/u/r》", "www.github.com/u/r"),
    ("https://docs.python.org@evil.cn/x", "https://docs.python.org@evil.cn/x"),
    ("http://127.0.0.1:8080/x，", "http://127.0.0.1:8080/x"),
    ("版本 3.10，main.py 改好了", None),
    ("去 python.org 看看", None),
])
def test_a_link_ends_where_the_address_ends(text: str, link: str | None) -> None:
    assert first_link(text) == link
    assert pl.Series([text]).str.extract(f"({LINK_POLARS})").to_list() == [link]


def test_entries_are_a_host_and_a_path_prefix() -> None:
    assert entry("https://www.PyCamp.example.cn/") == entry("pycamp.example.cn")
    assert entry("t.me/spam/") is not None and entry("t.me/spam/").path == "/spam"  # type: ignore[union-attr]
    assert entry(" ") is None


@pytest.mark.parametrize(("text", "verdict"), CASES)
def test_the_bot_checks_each_link(text: str, verdict: str | None) -> None:
    found = AllowedLinks.from_entries(ALLOW).forbidden(text)
    assert (found[0] if found else None) == verdict


@pytest.mark.parametrize("allow", [ALLOW, [], ["t.me"], ["docs.python.org/3"]])
def test_the_report_expression_agrees_with_the_bot(allow: list[str]) -> None:
    links = AllowedLinks.from_entries(allow)
    texts = [t for t, _v in CASES] + [None, "docs.python.org/3x", "docs.python.org/3/x"]
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    vectorised = frame.select(links.forbidden_expr())["text"].to_list()
    assert vectorised == [t is not None and links.forbidden(t) is not None for t in texts]


def test_a_long_allow_list_compiles_and_stays_fast() -> None:
    import time

    links = AllowedLinks.from_entries([f"站点{i}.example.cn/课程" for i in range(30_000)]
                                      + ["docs.python.org"])
    texts = ["看 https://站点29999.example.cn/%E8%AF%BE%E7%A8%8B/1",
             "看 https://站点7.example.cn/%E5%88%AB",
             "https://docs.python.org", "普通消息"] * 500
    frame = pl.DataFrame({"text": texts})
    started = time.perf_counter()
    out = frame.select(links.forbidden_expr())["text"].to_list()
    elapsed = time.perf_counter() - started
    assert out[:4] == [False, True, False, False]
    # A guard against a blow-up (a regex per entry, or backtracking), not a benchmark:
    # ~4 s on a quiet machine, ~10 s on a loaded one.
    assert elapsed < 60, elapsed


def test_a_hostile_text_is_scanned_in_linear_time() -> None:
    import time

    from qunyun.domain.links import LINK

    started = time.perf_counter()
    for text in ["a." * 10_000, "a-" * 10_000 + ".", "https://" + "中" * 20_000, "x@" * 10_000]:
        LINK.findall(text)
    assert time.perf_counter() - started < 1  # Python's `re` took 38 s on the first

"""R4: the advert scan's table of keyword forms is exactly what the bot's folding and
OpenCC give, so a report on the default keywords (which skips loading OpenCC) looks for
the same words; its prefilter never drops a text the scan would call an advert."""

from __future__ import annotations

import opencc
import polars as pl

from qunyun.analytics import suspects
from qunyun.plan.links import AllowedLinks
from qunyun.plan.model import KeywordPolicy
from qunyun.policies.matching import squeeze


def test_the_known_variants_are_the_bots_form_and_opencc_s_and_cover_the_defaults() -> None:
    s2t = opencc.OpenCC("s2t")
    defaults = KeywordPolicy().keywords
    assert set(defaults) <= set(suspects.KNOWN_VARIANTS)
    for word, (folded, traditional) in suspects.KNOWN_VARIANTS.items():
        assert (folded, traditional) == (squeeze(word), s2t.convert(squeeze(word))), word


def test_other_keywords_are_folded_and_converted() -> None:
    assert suspects.ad_words(["优惠券", "发票 代开", "ＫｅＦｕ", " "]) == sorted(
        {"优惠券", "優惠券", "发票代开", "發票代開", "kefu"}
    )


def test_the_prefilter_passes_every_text_an_advert_pattern_matches() -> None:
    words = suspects.ad_words([*KeywordPolicy().keywords, "KeFu", "Ärger", "wei"])
    texts = [
        "加微信 abc",
        "加V 123",
        "WWW.DEAL.TOP 優惠",
        "see HTTPS://x.y",
        "go to T.ME/spam",
        "shop.COM now",
        "\u212aefu here",
        "ÄRGER",
        "weİ",
        "Weİ!",
        "掃碼進群",
        "兼職日結",
        "hello world",
        "今天学到了很多",
        "",
        None,
        "VX: 88",
        "x.Vip",
        "Ⓦww.x",
        "加 微-信",
        "ｖｘ８８",
        "Ｖ Ｘ",
        "扫 一 扫",
        "github.com/a/b",
    ]
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    # No link allowed: every link is an advert (a bare `shop.com` is no link, as in the bot).
    matched = suspects.advert(words, AllowedLinks.from_entries([]))
    out = frame.with_columns(matched=matched, passed=suspects.may_match(words))
    missed = out.filter(pl.col("matched") & ~pl.col("passed"))["text"].to_list()
    assert missed == []
    assert out["matched"].sum() >= 17  # the tricky ones do match
    assert out.filter(pl.col("text") == "hello world")["passed"].to_list() == [False]

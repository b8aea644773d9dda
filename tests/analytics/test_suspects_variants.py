"""R4: the advert scan's table of keyword variants is exactly what OpenCC gives, so a
report on the default keywords (which skips loading OpenCC) matches the same words."""

from __future__ import annotations

import opencc

from qunyun.analytics import suspects
from qunyun.plan.links import AllowedLinks
from qunyun.plan.model import KeywordPolicy


def test_the_known_variants_are_opencc_s_and_cover_the_default_keywords() -> None:
    s2t, t2s = opencc.OpenCC("s2t"), opencc.OpenCC("t2s")
    defaults = KeywordPolicy().keywords
    assert set(defaults) <= set(suspects.KNOWN_VARIANTS)
    for word, (traditional, simplified) in suspects.KNOWN_VARIANTS.items():
        assert (traditional, simplified) == (s2t.convert(word), t2s.convert(word)), word


def test_other_keywords_are_converted_by_opencc() -> None:
    assert suspects._variants(["优惠券", "发票代开", " "]) == sorted(
        {"优惠券", "優惠券", "发票代开", "發票代開"})


def test_the_prefilter_passes_every_text_an_advert_pattern_matches() -> None:
    import polars as pl

    words = [*KeywordPolicy().keywords, "KeFu", "Ärger", "wei"]
    texts = ["加微信 abc", "加V 123", "WWW.DEAL.TOP 優惠", "see HTTPS://x.y", "go to T.ME/spam",
             "shop.COM now", "\u212Aefu here", "ÄRGER", "weİ", "Weİ!", "掃碼進群", "兼職日結",
             "hello world", "今天学到了很多", "", None, "VX: 88", "x.Vip", "Ⓦww.x"]
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    # No link allowed: every link is an advert (a bare `shop.com` is no link, as in the bot).
    matched = suspects.advert(suspects.ad_patterns(words), AllowedLinks.from_entries([]))
    out = frame.with_columns(matched=matched, passed=suspects.may_match(
        suspects.ad_literals(words)))
    missed = out.filter(pl.col("matched") & ~pl.col("passed"))["text"].to_list()
    assert missed == []
    assert out["matched"].sum() >= 12  # the tricky ones do match
    assert out.filter(pl.col("text") == "hello world")["passed"].to_list() == [False]

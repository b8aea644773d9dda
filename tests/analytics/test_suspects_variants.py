"""R4: the advert scan's table of keyword variants is exactly what OpenCC gives, so a
report on the default keywords (which skips loading OpenCC) matches the same words."""

from __future__ import annotations

import opencc

from qunyun.analytics import suspects
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

"""Keyword matching on chat text: Traditional→Simplified folding, width and case folding.

`fold` turns 加微信/代購/ＶＸ into 加微信/代购/vx so one keyword list catches both scripts;
`squeeze` also drops spaces and punctuation so 加 微-信 still reads 加微信.
This is the bot's own folding (OpenCC t2s); when `qunyun.domain.text.fold` lands (the
analytics side), the two should become one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")
# Whitespace, punctuation, symbols and underscores: what spammers put between characters.
_NOISE = re.compile(r"[\W_]+")
_CACHE_LIMIT = 4096  # texts longer than this are folded each time rather than cached


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", _T2S.convert(text)).casefold()


@lru_cache(maxsize=2048)
def _fold_cached(text: str) -> str:
    return _fold(text)


def fold(text: str) -> str:
    """Simplified, NFKC, case-folded. Several policies fold the same message: cached."""
    return _fold_cached(text) if len(text) <= _CACHE_LIMIT else _fold(text)


@lru_cache(maxsize=2048)
def _squeeze_cached(text: str) -> str:
    return _NOISE.sub("", _fold_cached(text))  # the same message is usually folded too


def squeeze(text: str) -> str:
    """`fold` without whitespace and punctuation (for keyword matching)."""
    return _squeeze_cached(text) if len(text) <= _CACHE_LIMIT else _NOISE.sub("", _fold(text))


class KeywordSet:
    """Keywords as the operator wrote them, matched against squeezed text."""

    def __init__(self, keywords: Iterable[str]) -> None:
        pairs = [(kw, squeeze(kw)) for kw in keywords if kw and kw.strip()]
        # Longest first, so the evidence names the most specific keyword.
        self._pairs = sorted(((k, s) for k, s in pairs if s), key=lambda p: -len(p[1]))

    def __bool__(self) -> bool:
        return bool(self._pairs)

    def find(self, text: str) -> str | None:
        """The first (longest) keyword found in `text`, as written in the plan."""
        if not self._pairs or not text:
            return None
        return self.find_squeezed(squeeze(text))

    def find_squeezed(self, squeezed: str) -> str | None:
        """`find` on text already passed through `squeeze` (several sets, one message)."""
        for original, folded in self._pairs:
            if folded in squeezed:
                return original
        return None

    def find_all(self, text: str) -> list[str]:
        squeezed = squeeze(text) if text else ""
        return [original for original, folded in self._pairs if folded in squeezed]

"""Which listed choice a questionnaire answer names (O2 `onboarding.form[].choices`).

Loose on purpose, as a person reads an answer: the choice's number (「2」「２」「选2」
「第二个」) or the choice's own words anywhere in the answer (「我会一点点」 is 会一点),
folded like keywords (Traditional/Simplified, width, case, spaces and punctuation). An
answer naming two choices that are not part of one another (「零基础还是会一点？」) names
none: the bot asks again rather than guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qunyun.policies.matching import squeeze

_CN_NUMBERS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
               "九": 9, "十": 10}
# 「2」「选2」「第2个」「2号」「选第二个」: a choice's number, with the words around it.
_NUMBERED = re.compile(r"(?:选|选择)?第?(\d{1,2}|[一二两三四五六七八九十])(?:个|项|号|条)?")


def picked(answer: str, choices: Sequence[str]) -> str | None:
    """The choice (as the plan writes it) that `answer` names, or None."""
    said = squeeze(answer)
    if not said or not choices:
        return None
    number = _NUMBERED.fullmatch(said)
    if number is not None:
        word = number.group(1)
        n = int(word) if word.isdigit() else _CN_NUMBERS[word]
        if 1 <= n <= len(choices):
            return choices[n - 1]
    found = [c for c in choices if squeeze(c) and squeeze(c) in said]
    # A choice inside a longer one that is named too is not a second choice
    # (「Python 进阶」 names 进阶 only as part of itself).
    widest = [c for c in found
              if not any(other != c and squeeze(c) in squeeze(other) for other in found)]
    return widest[0] if len(widest) == 1 else None


def listed(choices: Sequence[str]) -> str:
    """The choices as the member reads them: 「1. 零基础 / 2. 会一点 / 3. 能写脚本」."""
    return " / ".join(f"{i}. {c}" for i, c in enumerate(choices, 1))

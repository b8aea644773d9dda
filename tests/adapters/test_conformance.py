"""Every adapter passes the same translation cases (I1): join, leave, removal by an admin,
rename, message, reply, mention, reaction, mute — each platform's documented payload
(tests/adapters/<platform>/fixtures) through its own code, held to one platform-neutral
check (tests/adapters/conformance.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adapters.conformance import CHECKS, Translator
from tests.adapters.matrix.conformance import MatrixTranslator
from tests.adapters.onebot.conformance import OneBotTranslator
from tests.adapters.telegram.conformance import TelegramTranslator

PLATFORMS = ("matrix", "telegram", "qq")


def translator(platform: str, tmp: Path) -> Translator:
    if platform == "matrix":
        return MatrixTranslator()
    if platform == "telegram":
        return TelegramTranslator(tmp)
    return OneBotTranslator()


@pytest.mark.parametrize("case", list(CHECKS))
@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_adapter_gives_the_same_events(platform: str, case: str, tmp_path: Path) -> None:
    t = translator(platform, tmp_path)
    CHECKS[case](t.events(case), t)

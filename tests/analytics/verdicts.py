"""Bot-versus-report verdicts, shared by the tests that check both judge alike: the same
messages said through the bot's real pipeline, then the report built from what it stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from qunyun.analytics import build_report
from tests.factories import T0, user
from tests.policies.test_bot_policies import Bot, kinds

# (member, text, an advert?)
Said = list[tuple[int, str, bool]]


def said_live(bot: Bot, said: Said) -> dict[str, bool]:
    """Each member's message said ten minutes apart: was it deleted (judged an advert)?"""
    live: dict[str, bool] = {}
    for i, (who, text, _advert) in enumerate(said):
        effects = bot.say(user(who), text, 600 * i)
        live[user(who).display_name or ""] = "delete" in kinds(effects)
    return live


def expected(said: Said) -> dict[str, bool]:
    return {user(who).display_name or "": advert for who, _t, advert in said}


def _suspects(engine: Engine, bot: Bot) -> list[dict[str, Any]]:
    report = build_report(engine, community_id=bot.cid, plan=bot.plan,
                          as_of=T0 + timedelta(days=1), tz="Asia/Shanghai",
                          community_name="Python 进阶营")
    return list(report["suspects"])


def report_signals(engine: Engine, bot: Bot) -> dict[str, set[str]]:
    """The report's suspect signal kinds per member name, a day after the messages."""
    return {s["name"]: {sig["kind"] for sig in s["signals"]} for s in _suspects(engine, bot)}


def report_advert_counts(engine: Engine, bot: Bot) -> dict[str, int]:
    """How many of each member's messages the report calls adverts (0: none)."""
    return {s["name"]: sum(sig["evidence"]["messages"] for sig in s["signals"]
                           if sig["kind"] == "ads") for s in _suspects(engine, bot)}


def adverts_in_report(signals: dict[str, set[str]], live: dict[str, bool]) -> dict[str, bool]:
    return {name: "ads" in signals.get(name or "", set()) for name in live}

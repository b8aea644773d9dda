"""The plan's own instructions are not adverts — live or in the report (issue 11 item 4,
R1/R4): the same messages, through the bot's real pipeline and then the report built from
what the bot stored, get the same verdict, because both read `plan.instructions`
(SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.analytics.verdicts import adverts_in_report, expected, report_signals, said_live
from tests.factories import user
from tests.policies.test_bot_policies import Bot, camp_plan, kinds

# (member, text, an advert?) — the FAQ of python-camp.yaml says 「!作业 链接」.
SAID = [
    (1, "!作业 https://github.com/xiaoli/week1", False),
    (2, "！作业　第二周 https://gitee.com/xiaowang/week2", False),
    (3, "!完成 结营总结 https://github.com/xiaozhang/summary", False),  # the camp's day 7
    (4, "!福利 加微信 http://spam.example.com", True),  # a command the bot does not have
    (5, "看我作业 https://github.com/xiaozhao/w1", True),  # the same kind of link, no command
]
# Three members sign up with the same words on one day: commands are never repeats, and
# in the report never a spam wave.
SIGN_UP = "!报名 周六 Python 直播分享会"


def test_the_bot_and_the_report_judge_the_plans_commands_alike(engine: Engine) -> None:
    bot = Bot(engine, camp_plan())
    live = said_live(bot, SAID)
    for who in (6, 7, 8):
        assert "warn" not in kinds(bot.say(user(who), SIGN_UP, 4000 + who))
    assert live == expected(SAID)

    signals = report_signals(engine, bot)
    assert adverts_in_report(signals, live) == live
    assert not any("same_text" in kinds_ for kinds_ in signals.values())

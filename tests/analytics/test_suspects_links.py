"""Allowed links are judged alike live and in the report (issue 11 item 14, R1/R4): the
same messages, through the bot's real pipeline and then the report built from what the
bot stored, get the same verdict, because both read `plan.links` — each link's host and
path against `moderation.links.allow`, not the text around it (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.analytics.verdicts import adverts_in_report, expected, report_signals, said_live
from tests.policies.test_bot_policies import Bot, camp_plan

ALLOW = ["docs.python.org", "pycamp.example.cn", "t.me/spam"]
# (member, text, an advert?)
SAID = [
    (1, "加微信 领资料 https://docs.python.org", True),  # the ad words count, the link does not save it
    (2, "官方文档 https://docs.python.org/3/library/re.html", False),
    (3, "文档 https://docs.python.org，大家看看", False),
    (4, "https://docs.python.org.evil.cn/free", True),
    (5, "https://evil.cn/docs.python.org", True),
    (6, "课程页 https://docs.python.org 还有 https://spam.example.cn", True),
    (7, "看这里 t.me/spam", False),  # an entry with a path allows that path
    (8, "频道 t.me/spam/12", False),
    (9, "t.me/spammer 更多", True),
    (10, "进群 t.me/joinchat/abcdef", True),
    (11, "作业在https://gitee.com/xiaowang/week2", True),  # glued to Chinese text
    (12, "讲义 https://pycamp.example.cn/week1", False),
    (13, "链接：github.com/a/b，请看", True),  # a bare address with a path is a link
    (14, "文档在这docs.python.org/3/谢谢", False),  # the Chinese after it is not its path
]


def test_the_bot_and_the_report_judge_links_alike(engine: Engine) -> None:
    bot = Bot(engine, camp_plan(moderation__links__allow=ALLOW))
    live = said_live(bot, SAID)
    assert live == expected(SAID)

    signals = report_signals(engine, bot)
    assert adverts_in_report(signals, live) == live

"""One list of ad keywords, one R3 rule, live and in the report (issue 11, R1/R3/R4): the
same messages, through the bot's real pipeline and then the report built from what the
bot stored, get the same verdict — the report looks for the plan's keywords exactly as the
bot does (no advert phrases of its own) and spares admins where the plan's
`admins_exempt` switches spare them (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from tests.analytics.verdicts import (
    adverts_in_report,
    expected,
    report_advert_counts,
    report_signals,
    said_live,
)
from tests.factories import user
from tests.policies.test_bot_policies import ADMIN, Bot, camp_plan, kinds

# (member, text, an advert?) under the default keywords
DEFAULTS = [
    (1, "加 微-信 领资料", True),  # the bot reads past spaces and punctuation
    (2, "vx 888 私我", True),
    (3, "ＶＸ：abc123", True),  # full-width
    (4, "扫一扫进群领红包", True),
    (5, "二維碼在群公告裡", True),  # Traditional
    (6, "薇信 abc 联系", True),
    (7, "参加微积分补习的同学请报名", False),  # 加微 is not 加微信
    (8, "今天的作业大家都交了吗", False),
]
# A plan with its own list: what it leaves out is no advert, live or in the report.
OWN = [
    (1, "vx 888 私我", False),
    (2, "二维码在群公告里", False),
    (3, "正品代購，私聊", True),
    (4, "代 购 名 额 还 有", True),
]


def test_the_default_keywords_are_judged_alike(engine: Engine) -> None:
    bot = Bot(engine, camp_plan())
    live = said_live(bot, DEFAULTS)
    assert live == expected(DEFAULTS)
    assert adverts_in_report(report_signals(engine, bot), live) == live


def test_a_plans_own_keyword_list_is_the_reports_list_too(engine: Engine) -> None:
    bot = Bot(engine, camp_plan(moderation__ad_keywords__keywords=["代购"]))
    live = said_live(bot, OWN)
    assert live == expected(OWN)
    assert adverts_in_report(report_signals(engine, bot), live) == live


LINK = "课程资料在这 https://spam.example.cn/a"  # not on python-camp.yaml's allow list
AD = "加微信领资料"


@pytest.mark.parametrize(
    ("changes", "admin_flagged"),
    [
        ({}, {LINK: True, AD: True}),  # R3: the rules apply to admins too
        ({"moderation__links__admins_exempt": True}, {LINK: False, AD: True}),
        ({"moderation__ad_keywords__admins_exempt": True}, {LINK: True, AD: False}),
        ({"rules__admins_exempt": True}, {LINK: False, AD: False}),
    ],
)
def test_the_report_spares_admins_where_the_bot_does(
    engine: Engine, changes: dict[str, Any], admin_flagged: dict[str, bool]
) -> None:
    bot = Bot(engine, camp_plan(**changes))
    for n, (said, flagged) in enumerate(admin_flagged.items()):
        assert ("delete" in kinds(bot.say(ADMIN, said, 600 * n))) == flagged, said
    assert "delete" in kinds(bot.say(user(1), LINK, 1800))  # a member is never spared
    counts = report_advert_counts(engine, bot)
    assert counts.get(ADMIN.display_name, 0) == sum(admin_flagged.values())
    assert counts[user(1).display_name] == 1

"""T3 leaderboards, seasons, decay and manual grants through the real pipeline, schedule and
database (SQLite and PostgreSQL), on a simulated clock in the plan's time zone
(Asia/Shanghai; T0 is Sunday 2026-03-01 17:00 local)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from qunyun.effects import Effect, Send
from qunyun.plan.model import Plan
from qunyun.policies.commands import ADMIN_HELP, HELP
from qunyun.services import boards as board_service
from tests.factories import user
from tests.policies.test_bot_policies import ADMIN, camp_plan
from tests.policies.test_growth_tiers import Camp

HOUR, DAY = 3600, 86_400
MONDAY = 7 * HOUR  # local Monday 2026-03-02 00:00


def plan_with(**sections: Any) -> Plan:
    data = camp_plan(elimination__onboarding_incomplete=False).model_dump()
    data["badges"] = []  # not what these tests are about
    data["seasons"] = None  # the example's seasons; a test gives its own
    for key, value in sections.items():
        if key == "decay":
            data["points"]["decay"] = value
        else:
            data[key] = value
    return Plan.model_validate(data)


def boards(effects: list[Effect]) -> list[Effect]:
    """What the boards policy sent into the groups (season announcements)."""
    return [e for e in effects if isinstance(e, Send) and e.policy == "boards"]


def said(effects: list[Effect]) -> str:
    texts = [getattr(e, "text", "") for e in effects if e.policy == "boards"]
    assert texts, effects
    return texts[-1]


def chat(bot: Camp, who: Any, n: int, at: float) -> None:
    for i in range(n):
        bot.say(who, f"今天的学习进度 {i}", at + 300 * i)  # spaced: no flood warning


def test_period_boards_have_dense_ranks_and_show_my_rank(engine: Engine) -> None:
    bot = Camp(engine, plan_with())
    a, b, c = user(1, "阿甲"), user(2, "小乙"), user(3, "小丙")
    bot.join(ADMIN, 0)
    for who in (a, b, c):
        bot.join(who, 1)
    chat(bot, a, 3, HOUR)  # Sunday evening: last week, but March
    chat(bot, b, 2, MONDAY + HOUR)
    chat(bot, c, 2, MONDAY + 2 * HOUR)
    chat(bot, a, 1, MONDAY + 3 * HOUR)

    week = said(bot.say(c, "!排行 周", MONDAY + 4 * HOUR))
    assert "周榜 · 总积分（3月2日—3月8日）" in week
    assert "1. 小乙 — 2 分" in week and "1. 小丙 — 2 分" in week and "2. 阿甲 — 1 分" in week
    assert "你：第 1 名，2 分" in week

    month = said(bot.say(b, "!排行 月", MONDAY + 4 * HOUR))
    assert "月榜 · 总积分（3月1日—3月31日）" in month
    assert "1. 阿甲 — 4 分" in month and "2. 小乙 — 2 分" in month and "2. 小丙 — 2 分" in month
    assert "你：第 2 名，2 分" in month

    default = said(bot.say(a, "!排行", MONDAY + 4 * HOUR))  # as before: all-time total
    assert "总榜 · 总积分" in default and "1. 阿甲 — 4 分" in default
    assert "!排行 周" in default  # tells members the other boards exist
    assert said(bot.say(a, "!rank week", MONDAY + 4 * HOUR)).count("分") >= 3

    nobody = said(bot.say(a, "!排行 总 贡献", MONDAY + 4 * HOUR))
    assert "总榜 · 贡献" in nobody and "还没有人得分" in nobody and "你在这个榜上还没有积分" in nobody
    assert "管理员不参与排行" in said(bot.say(ADMIN, "!排行 周", MONDAY + 4 * HOUR))
    assert "没有进行中的赛季" in said(bot.say(a, "!排行 赛季", MONDAY + 4 * HOUR))
    assert "用法：!排行 周" in said(bot.say(a, "!排行 昨天", MONDAY + 4 * HOUR))
    assert "!排行 周" in HELP and "!加分" in ADMIN_HELP


def test_admins_grant_and_deduct_with_a_reason_members_are_refused(engine: Engine) -> None:
    bot = Camp(engine, plan_with())
    a, b = user(1, "阿甲"), user(2, "小乙")
    bot.join(ADMIN, 0)
    bot.join(a, 1)
    bot.join(b, 1)
    bot.say(a, "老师好", 10)
    bot.say(b, "大家好呀", 11)

    # A Matrix pill: the member is in `mentions`, the body has their name.
    got = said(bot.say(ADMIN, "!加分 阿甲: 10 分享了很好的学习笔记", 20, mentions=(a.user_id,)))
    assert "@阿甲 +10 分（贡献，班主任小林）：分享了很好的学习笔记。现在共 11 分" in got
    # A plain "@name" works too.
    assert "@小乙 +5 分" in said(bot.say(ADMIN, "!加分 @小乙 5 回答了同学的问题", 21))
    assert "−3 分" in said(bot.say(ADMIN, "!减分 @阿甲 3 刷屏", 22))

    refused = said(bot.say(b, "!加分 @小乙 100 我很棒", 30))
    assert refused == "只有管理员可以加分"
    assert said(bot.say(b, "!减分 @阿甲 5 看他不顺眼", 31)) == "只有管理员可以减分"
    assert "请写明原因" in said(bot.say(ADMIN, "!加分 @阿甲 10", 32))
    assert "只有 7 分" in said(bot.say(ADMIN, "!减分 @阿甲 100 太多了", 33))
    assert "找不到成员「无名氏」" in said(bot.say(ADMIN, "!加分 @无名氏 1 谁", 34))
    assert "不能给管理员加减分" in said(bot.say(ADMIN, "!加分 @班主任小林 1 自己", 35))
    assert "用法：!加分 @某人 10 原因" in said(bot.say(ADMIN, "!加分 @阿甲 很多", 36))

    board = said(bot.say(a, "!排行 周 贡献", 40))
    assert "1. 阿甲 — 7 分" in board and "2. 小乙 — 5 分" in board
    # A grant from the console (no group) counts on the group's boards too.
    with bot.engine.begin() as conn:
        b_id = conn.execute(text("SELECT id FROM members WHERE display_name = '小乙'")).scalar()
        board_service.grant(conn, community_id=bot.cid, member_id=int(b_id), points=4,
                            reason="整理了答疑汇总", by="运营小张", plan=bot.plan,
                            at=bot.at(41))
    board = said(bot.say(a, "!排行 周 贡献", 42))
    assert "1. 小乙 — 9 分" in board and "2. 阿甲 — 7 分" in board
    with bot.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT action, points, note FROM bot_points WHERE action LIKE 'manual%' "
            "AND group_id IS NOT NULL ORDER BY id")).all()
        audited = conn.execute(text(
            "SELECT actor, action, reason FROM audit_log WHERE action LIKE 'points.%' "
            "ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("manual_grant", 10, "分享了很好的学习笔记"),
                                        ("manual_grant", 5, "回答了同学的问题"),
                                        ("manual_deduct", -3, "刷屏")]
    assert next(tuple(r) for r in audited) == ("admin:班主任小林", "points.grant",
                                              "分享了很好的学习笔记")
    assert len(audited) == 4  # the refusals changed nothing
    assert audited[3].actor == "operator:运营小张"


def test_seasons_over_a_replayed_month(engine: Engine) -> None:
    bot = Camp(engine, plan_with(seasons={"start": "2026-03-02", "every_weeks": 2,
                                          "name": "第{n}季", "announce_top": 2}))
    a, b, c = user(1, "阿甲"), user(2, "小乙"), user(3, "小丙")
    bot.join(ADMIN, 0)
    for who in (a, b, c):
        bot.join(who, 1)
    assert "没有进行中的赛季" in said(bot.say(a, "!排行 赛季", HOUR))  # starts on Monday
    bot.tick(2 * HOUR)  # the schedule stores the daily growth entry
    chat(bot, a, 5, MONDAY + 3 * HOUR)
    chat(bot, b, 3, MONDAY + 4 * HOUR)
    # T3 (issue 15): the first day's announcement at seasons.announce_at (10:00 local).
    [opened] = boards(bot.tick(MONDAY + 10 * HOUR + 60))
    assert opened.text.startswith("🚀 「第1季」今天开始（3月2日—3月15日）")  # type: ignore[attr-defined]
    assert opened.reason == "T3 season start" and not opened.mentions  # type: ignore[attr-defined]
    chat(bot, c, 3, 5 * DAY)
    first = said(bot.say(b, "!排行 赛季", 6 * DAY))
    assert "第1季 · 总积分（3月2日—3月15日）" in first and "你：第 2 名，3 分" in first

    quiet = [t for t in (getattr(e, "text", "") for e in bot.tick(10 * DAY)) if "结束" in t]
    assert quiet == []  # mid-season: nothing to announce
    # Season 2 starts on Monday 16 March local: the daily growth pass (04:30) says nothing;
    # at 10:00 one message ends season 1 with its top two and opens season 2.
    assert not boards(bot.tick(MONDAY + 14 * DAY + 5 * HOUR))
    end = boards(bot.tick(MONDAY + 14 * DAY + 10 * HOUR + 60))
    assert len(end) == 1
    text_ = end[0].text  # type: ignore[attr-defined]
    assert "「第1季」结束了" in text_
    assert "1. @阿甲 — 5 分" in text_
    assert "2. @小乙 — 3 分" in text_ and "2. @小丙 — 3 分" in text_  # tied
    assert "🚀 「第2季」今天开始（3月16日—3月29日）" in text_
    assert {m.user_id for m in end[0].mentions} == {a.user_id, b.user_id, c.user_id}  # type: ignore[attr-defined]
    again = bot.tick(MONDAY + 15 * DAY + 10 * HOUR + 60)  # the next day's slot
    assert not boards(again)  # announced once

    bot.say(c, "新赛季第一条", 16 * DAY)
    second = said(bot.say(a, "!排行 赛季", 16 * DAY + 60))
    assert "第2季 · 总积分（3月16日—3月29日）" in second
    assert "1. 小丙 — 1 分" in second and "阿甲" not in second.split("\n你")[0]
    assert "你在这个榜上还没有积分" in second
    assert "1. 阿甲 — 5 分" in said(bot.say(a, "!排行", 16 * DAY + 61))  # all-time kept


def test_a_season_end_missed_on_its_day_is_announced_the_next_day_once(engine: Engine) -> None:
    """The bot was down all of season 2's first day: the next day's 10:00 slot announces
    season 1's results (without claiming season 2 starts today); a restart that computes
    the same slot again sends nothing."""
    bot = Camp(engine, plan_with(seasons={"start": "2026-03-02", "every_weeks": 2,
                                          "announce_top": 1, "announce_at": "09:30"}))
    a = user(1, "阿甲")
    bot.join(ADMIN, 0)
    bot.join(a, 1)
    bot.tick(2 * HOUR)
    chat(bot, a, 2, MONDAY + 3 * HOUR)
    bot.tick(MONDAY + 13 * DAY)  # Sunday 15 March, mid-season 1
    late = boards(bot.tick(MONDAY + 15 * DAY + 9 * HOUR + 31 * 60))  # Tuesday 09:31
    assert len(late) == 1
    words = late[0].text  # type: ignore[attr-defined]
    assert "「第1季」结束了" in words and "1. @阿甲 — 2 分" in words
    assert "今天开始" not in words and "新赛季已经开始" in words
    assert not boards(bot.tick(MONDAY + 15 * DAY + 9 * HOUR + 31 * 60))  # the same slot


def test_where_the_bot_cannot_post_the_owner_gets_the_season_announcement(
        engine: Engine) -> None:
    from qunyun.bot.wiring import build_policies
    from qunyun.capabilities import Capabilities
    from qunyun.pipeline.dispatcher import Dispatcher
    from qunyun.storage.work import queues as queue_repo

    bot = Camp(engine, plan_with(seasons={"start": "2026-03-02", "every_weeks": 2}))
    bot.pipeline.dispatcher = Dispatcher(build_policies(
        bot.plan, capabilities=Capabilities(post_in_group=False)))
    bot.join(ADMIN, 0)
    bot.tick(2 * HOUR)
    assert not boards(bot.tick(MONDAY + 10 * HOUR + 60))
    with bot.engine.connect() as conn:
        [todo] = queue_repo.list_items(conn, community_id=bot.cid, queue="post_todo")
    assert todo["title"] == "请群主发布：赛季公告"
    assert todo["detail"]["text"].startswith("🚀 「第1季」今天开始")


def test_decay_after_long_inactivity_is_in_the_ledger_and_explained(engine: Engine) -> None:
    bot = Camp(engine, plan_with(decay={"enabled": True, "after_days": 10, "percent": 50,
                                        "every_days": 7}))
    a, b = user(1, "阿甲"), user(2, "小乙")
    bot.join(ADMIN, 0)
    bot.join(a, 1)
    bot.join(b, 1)
    chat(bot, a, 10, HOUR)
    bot.tick(2 * HOUR)
    for day in range(1, 25, 3):
        bot.say(b, f"第 {day} 天的笔记", day * DAY)  # b stays active

    def decays() -> list[tuple[str, int]]:
        with bot.engine.connect() as conn:
            return [(str(n), int(p)) for n, p in conn.execute(text(
                "SELECT m.display_name, p.points FROM bot_points p JOIN members m "
                "ON m.id = p.member_id WHERE p.action = 'decay' ORDER BY p.id")).all()]

    bot.tick(9 * DAY)
    assert decays() == []  # nine days idle: not yet
    bot.tick(11 * DAY)
    assert decays() == [("阿甲", -5)]
    bot.tick(12 * DAY)
    assert decays() == [("阿甲", -5)]  # once a week
    bot.tick(18 * DAY + 12 * HOUR)
    assert decays() == [("阿甲", -5), ("阿甲", -3)]  # half of 5, rounded up

    points = said_commands(bot.say(a, "!积分", 18 * DAY + 13 * HOUR))
    assert "积分 2" in points
    assert "连续 10 天没有获得积分，每周扣除当前积分的 50%" in points
    assert "最近一次衰减：" in points and "-3 分" in points
    # Decay is about all-time standing: this month's board still shows what was earned.
    assert "1. 阿甲 — 10 分" in said(bot.say(a, "!排行 月", 18 * DAY + 14 * HOUR))

    bot.say(a, "我回来了", 19 * DAY)  # active again: no more decay
    bot.tick(26 * DAY)
    assert len(decays()) == 2


def said_commands(effects: list[Effect]) -> str:
    return next(getattr(e, "text", "") for e in effects if e.policy == "commands")

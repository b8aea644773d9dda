"""T3 level-ups whatever raised the points (issue 11 walk13 #58), through the real pipeline
and database (SQLite and PostgreSQL): `!加分` past a level, a self-introduction, a
check-in and homework each congratulate the member in the group, once per level (a
deduction and a second climb say nothing again), the higher of two levels crossed at once;
the points shown are those the whole message left, as `!积分` says right after (the
introduction's and its 发言 point, issue 11 walk13); a grant in the console tells the member in their group like `!加分`, with the level."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, text

from qunyun.effects import Effect, Reply, Send
from qunyun.events import MemberLeft, UserRef
from qunyun.plan.model import Plan
from qunyun.services import audit, level_ups
from qunyun.services import boards as board_service
from tests.factories import user
from tests.policies.test_bot_policies import ADMIN, Bot, camp_plan

LEVELS = [{"name": "新人", "min_points": 0}, {"name": "成员", "min_points": 50},
          {"name": "骨干", "min_points": 200}, {"name": "元老", "min_points": 800}]


def plan_with(levels: list[dict[str, Any]] = LEVELS) -> Plan:
    data = camp_plan(elimination__onboarding_incomplete=False).model_dump()
    data["badges"] = []  # their congratulations are not what these tests are about
    data["points"]["levels"] = levels
    data["points"].pop("curve", None)
    return Plan.model_validate(data)


def level_posts(effects: list[Effect]) -> list[str]:
    return [e.text for e in effects if isinstance(e, Send) and e.reason == "T3 level up"]


def points_reply(bot: Bot, who: UserRef, seconds: float) -> str:
    return next(e.text for e in bot.say(who, "!积分", seconds)
                if isinstance(e, Reply))


def member_id(bot: Bot, name: str) -> int:
    with bot.engine.connect() as conn:
        return int(conn.execute(text("SELECT id FROM members WHERE display_name = :n"),
                                {"n": name}).scalar_one())


def test_a_grant_past_a_level_is_announced_once_per_level(engine: Engine) -> None:
    bot = Bot(engine, plan_with())
    wangwu = user(1, "王五-上海-财务")
    bot.join(ADMIN, 0)
    bot.join(wangwu, 1)
    for i in range(14):  # 14 message points, spaced: no flood
        bot.say(wangwu, f"今天学到了第 {i} 个知识点", 60 + 120 * i)

    got = bot.say(ADMIN, "!加分 @王五-上海-财务 40 帮同学解决了报错", 4000)
    sends = [e for e in got if isinstance(e, Send)]
    assert "@王五 +40 分（贡献，班主任小林）：帮同学解决了报错。现在共 54 分" in sends[0].text
    assert level_posts(got) == ["🎉 恭喜 @王五 升级为「成员」（54 分）！"]
    assert sends[1].mentions[0].user_id == wangwu.user_id  # a real mention of the member

    # Below the level and back over it: congratulated once, not twice.
    assert level_posts(bot.say(ADMIN, "!减分 @王五-上海-财务 10 误加", 4010)) == []
    assert level_posts(bot.say(ADMIN, "!加分 @王五-上海-财务 10 补回", 4020)) == []
    # Two levels at once: one post, of the higher.
    leap = bot.say(ADMIN, "!加分 @王五-上海-财务 800 整理了全部答疑", 4030)
    assert level_posts(leap) == ["🎉 恭喜 @王五 升级为「元老」（854 分）！"]
    with engine.connect() as conn:
        audited = conn.execute(text(
            "SELECT member_id FROM audit_log WHERE reason = 'T3 level up'")).scalars().all()
    assert audited == [member_id(bot, "王五-上海-财务")] * 2


def test_an_intro_a_check_in_and_homework_each_announce_the_level_they_reach(
        engine: Engine) -> None:
    low = [{"name": "新人", "min_points": 0}, {"name": "成员", "min_points": 10},
           {"name": "骨干", "min_points": 17}, {"name": "元老", "min_points": 28}]
    bot = Bot(engine, plan_with(low))
    zhangsan = user(1, "张三")
    bot.join(zhangsan, 0)

    intro = bot.say(zhangsan, "大家好，我是张三，在北京做数据分析，想学 pandas", 30)
    # The introduction's 10 points reach 成员, and the same message's 发言 point is
    # counted too: the post says what `!积分` says right after (issue 11 walk13).
    assert level_posts(intro) == ["🎉 恭喜 @张三 升级为「成员」（11 分）！"]
    assert points_reply(bot, zhangsan, 40).startswith("@张三 积分 11（参与 11 · 贡献 0）")
    checkin = bot.say(zhangsan, "!打卡", 60)
    assert "打卡成功" in next(e.text for e in checkin if e.kind == "reply")  # type: ignore[attr-defined]
    assert level_posts(checkin) == []  # 16: not yet 骨干
    homework = bot.say(zhangsan, "!作业 https://github.com/zhangsan/hw1", 90)
    assert level_posts(homework) == ["🎉 恭喜 @张三 升级为「骨干」（26 分）！"]
    assert "积分 26（" in points_reply(bot, zhangsan, 100)
    tomorrow = bot.say(zhangsan, "!打卡", 86_400 + 60)
    assert level_posts(tomorrow) == ["🎉 恭喜 @张三 升级为「元老」（31 分）！"]
    assert "积分 31（" in points_reply(bot, zhangsan, 86_400 + 70)
    # The congratulation comes after the answer it belongs to, in the group.
    assert [e.kind for e in tomorrow][-1] == "send"


def test_two_levels_reached_by_one_message_are_one_post_with_the_points_after_both(
        engine: Engine) -> None:
    # The introduction's 10 points reach 成员, its 发言 point 骨干: one congratulation, of
    # the higher, from the level the member had before the message.
    steep = [{"name": "新人", "min_points": 0}, {"name": "成员", "min_points": 10},
             {"name": "骨干", "min_points": 11}]
    bot = Bot(engine, plan_with(steep))
    zhangsan = user(1, "张三")
    bot.join(zhangsan, 0)
    intro = bot.say(zhangsan, "大家好，我是张三，在北京做数据分析，想学 pandas", 30)
    assert level_posts(intro) == ["🎉 恭喜 @张三 升级为「骨干」（11 分）！"]
    with engine.connect() as conn:
        evidence = conn.execute(text(
            "SELECT evidence FROM audit_log WHERE reason = 'T3 level up'")).scalars().all()
    assert len(evidence) == 1
    shown = evidence[0] if isinstance(evidence[0], dict) else json.loads(evidence[0])
    assert (shown["from"], shown["to"], shown["points"]) == ("新人", "骨干", 11)
    assert "等级「骨干」" in points_reply(bot, zhangsan, 40)


def test_a_console_grant_tells_the_member_in_their_group_like_the_command(
        engine: Engine) -> None:
    bot = Bot(engine, plan_with())
    zhangsan = user(1, "张三-北京-学生")
    bot.join(zhangsan, 0)
    for i in range(20):  # the day's cap of message points
        bot.say(zhangsan, f"今天的学习进度 {i}", 60 + 120 * i)
    mid = member_id(bot, "张三-北京-学生")
    with engine.begin() as conn:
        done = board_service.grant(conn, community_id=bot.cid, member_id=mid, points=35,
                                   reason="帮同学解决了报错", by="lin", plan=bot.plan,
                                   at=bot.at(9000))
        told = level_ups.tell_grant(conn, community_id=bot.cid, granted=done, plan=bot.plan,
                                    operator="lin", at_ms=0)
    assert done.total_after == 55 and told.level == "成员" and told.where
    with engine.connect() as conn:
        effects = [e for _id, e in audit.pending_effects(conn, community_id=bot.cid)]
    # In the bot's outbox, as the operator's: the notice, then the level.
    assert [e.text for e in effects] == [  # type: ignore[attr-defined]
        "@张三 +35 分（贡献，运营者 lin）：帮同学解决了报错。现在共 55 分",
        "🎉 恭喜 @张三 升级为「成员」（55 分）！"]
    assert all(e.group.group_id == "!room:localhost" for e in effects)

    # Gone from every group: the grant is kept, nobody is told.
    bot(MemberLeft(source="t", source_event_id="left1", group=effects[0].group,
                   at=bot.at(9100), member=zhangsan))
    with engine.begin() as conn:
        later = board_service.grant(conn, community_id=bot.cid, member_id=mid, points=5,
                                    reason="补发", by="lin", plan=bot.plan, at=bot.at(9200))
        assert level_ups.tell_grant(conn, community_id=bot.cid, granted=later,
                                    plan=bot.plan, operator="lin", at_ms=0).why == "no_group"

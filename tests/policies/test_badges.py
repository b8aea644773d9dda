"""T3 badges through the real pipeline, schedule and database (SQLite and PostgreSQL), over
a replayed month on a simulated clock: a first message earns 破冰 at once and it is
announced, a week of check-ins earns 七日打卡 (by the daily pass at the latest), an
invitation counts for the inviter, nothing is awarded twice, a badge added to the plan
later is backfilled by the daily pass, `!徽章` lists them, and a bad rule is a plan finding."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, text

from qunyun.effects import Effect, Reply, Send
from qunyun.plan.check import check_plan
from qunyun.plan.model import Plan
from tests.factories import user
from tests.policies.test_bot_policies import ADMIN, camp_plan
from tests.policies.test_growth_tiers import Camp

DAY = 86_400


def plan_with(extra: list[dict[str, Any]] | None = None) -> Plan:
    base = camp_plan(elimination__onboarding_incomplete=False)
    data = base.model_dump()
    # Congratulate 破冰 too (the example keeps it quiet), to see the announcement.
    data["badges"] = [{**b, "announce": True} for b in data["badges"]] + (extra or [])
    return Plan.model_validate(data)


def badge_posts(effects: list[Effect]) -> list[str]:
    return [e.text for e in effects if isinstance(e, Send) and e.policy == "badges"]


def badges_of(bot: Camp) -> dict[str, set[str]]:
    with bot.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT m.display_name, b.name FROM growth_badges b JOIN members m "
            "ON m.id = b.member_id")).all()
    out: dict[str, set[str]] = {}
    for name, badge in rows:
        out.setdefault(str(name), set()).add(str(badge))
    return out


def test_badges_over_a_replayed_month(engine: Engine) -> None:
    bot = Camp(engine, plan_with())
    star, friend, quiet = user(1, "阿星"), user(2, "小友"), user(3, "潜水")
    bot.join(ADMIN, 0)
    bot.join(star, 10)
    bot.join(quiet, 10)
    posts = badge_posts(bot.say(star, "大家好，我是阿星", 60))
    assert badges_of(bot)["阿星"] == {"破冰"}
    assert len(posts) == 1 and "@阿星" in posts[0] and "「破冰」" in posts[0]
    assert badge_posts(bot.say(star, "第二句话", 120)) == []  # awarded once

    bot.tick(1 * DAY)  # stores the daily growth entry
    for day in range(1, 9):  # a check-in every day for a week and a bit
        bot.say(star, "打卡 今日学习 Python 列表推导式", day * DAY + 3600 * 10)
        bot.tick((day + 1) * DAY)
    assert "七日打卡" in badges_of(bot)["阿星"]
    assert "潜水" not in badges_of(bot)  # silent: nothing

    for n, who in enumerate((friend, user(4, "小二"), user(5, "小三"))):
        bot.join(who, 10 * DAY + n * 60, inviter=star)
    assert "拉新达人" in badges_of(bot)["阿星"]

    # The log has each award, with the rule it met.
    with bot.engine.connect() as conn:
        logged = [json.loads(p) if isinstance(p, str) else p for (p,) in conn.execute(text(
            "SELECT payload FROM events WHERE kind = 'badge' ORDER BY ts_ms, id")).all()]
    assert [p["name"] for p in logged] == ["破冰", "七日打卡", "拉新达人"]
    assert logged[1]["rule"] == "checkin_streak >= 7"

    # A plan change adds a badge the star already meets: the next daily pass backfills it.
    later = Camp(engine, plan_with([{"key": "talker", "name": "小话痨",
                                     "rule": "messages(days=30) >= 5"}]))
    later.now = bot.now
    later.n = bot.n
    for day in range(11, 31):
        later.tick(day * DAY)
    assert "小话痨" in badges_of(later)["阿星"]
    assert "小话痨" not in badges_of(later).get("小友", set())

    reply = [e for e in later.say(star, "!徽章", 31 * DAY) if isinstance(e, Reply)]
    assert len(reply) == 1
    for name in ("破冰", "七日打卡", "拉新达人", "小话痨"):
        assert name in reply[0].text
    assert "还可以获得" in reply[0].text and "活动常客" in reply[0].text
    assert "{" not in reply[0].text  # no internal codes


def test_a_rule_that_does_not_parse_is_a_plan_finding() -> None:
    plan = plan_with([{"key": "bad", "name": "坏规则", "rule": "messages >= lots"},
                      {"key": "bad2", "name": "未知", "rule": "karma >= 3"}])
    found = [f for f in check_plan(plan) if f.code == "T3"]
    assert {f.path for f in found} == {f"badges.{len(plan.badges) - 2}.rule",
                                       f"badges.{len(plan.badges) - 1}.rule"}
    assert any("karma" in f.zh for f in found)


def test_level_shows_progress_on_the_plans_curve(engine: Engine) -> None:
    data = camp_plan(elimination__onboarding_incomplete=False).model_dump()
    data["points"].pop("levels")
    data["points"]["curve"] = {"kind": "linear", "base": 10, "count": 5}
    bot = Camp(engine, Plan.model_validate(data))
    star = user(1, "阿星")
    bot.join(star, 10)
    bot.say(star, "大家好，我是阿星，分享一篇学习笔记", 60)
    (reply,) = [e for e in bot.say(star, "!等级", 120) if isinstance(e, Reply)]
    assert "还差" in reply.text and "升级进度" in reply.text and "%" in reply.text


def test_answered_questions_counts_answers_to_questions_someone_thanked(
        engine: Engine) -> None:
    """`answered_questions` (热心解答, ≥ 5): replies to another member's question that
    someone else reacted to. Replies to small talk, and a reaction to one's own answer,
    do not count."""
    from qunyun.events import ReactionAdded
    from tests.factories import GROUP

    bot = Camp(engine, plan_with())
    helper, asker = user(1, "热心"), user(2, "提问")
    bot.join(ADMIN, 0)
    bot.join(helper, 10)
    bot.join(asker, 10)

    def react(who: Any, target: str, seconds: float) -> None:
        bot.n += 1
        bot(ReactionAdded(source="t", source_event_id=f"r{bot.n}", group=GROUP,
                          at=bot.at(seconds), actor=who, target_event_id=target, key="👍"))

    at = 100.0
    for k in range(4):  # four answers thanked by the asker
        bot.say(asker, f"请问第 {k} 题怎么做？", at)
        question = f"m{bot.n}"
        bot.say(helper, f"第 {k} 题先读文件再循环", at + 10, reply_to=question)
        react(asker, f"m{bot.n}", at + 20)
        at += 100
    bot.say(asker, "今天天气不错", at)  # small talk, not a question
    bot.say(helper, "是啊", at + 10, reply_to=f"m{bot.n}")
    react(asker, f"m{bot.n}", at + 20)
    bot.say(asker, "这个报错是什么意思？", at + 100)
    bot.say(helper, "缩进不对", at + 110, reply_to=f"m{bot.n}")
    react(helper, f"m{bot.n}", at + 120)  # the helper's own reaction
    assert "热心解答" not in badges_of(bot).get("热心", set())

    bot.say(asker, "最后一题如何提交", at + 200)
    bot.say(helper, "用 !作业 加链接", at + 210, reply_to=f"m{bot.n}")
    react(asker, f"m{bot.n}", at + 220)  # the fifth thanked answer
    assert "热心解答" in badges_of(bot)["热心"]

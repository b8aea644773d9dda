"""T2 the tier playbook as automation, through the real pipeline, schedule and database on
a simulated clock, with the bundled plan's `tier_actions`: a new leader becomes an
operator to-do with the drafted message, a new onlooker gets a welcome DM and a buddy
from the active tiers (who is told), and the shared limit stops a third bot DM that week."""

from __future__ import annotations

from sqlalchemy import Engine, text

from qunyun.effects import DirectMessage, Effect, Send
from tests.factories import user
from tests.policies.test_bot_policies import ADMIN, camp_plan
from tests.policies.test_growth_tiers import Camp

DAY = 86_400


def tier_dms(effects: list[Effect]) -> list[tuple[str, str]]:
    return [(e.member.display_name or "", e.text) for e in effects
            if isinstance(e, DirectMessage) and e.policy == "tier_actions"]


def test_todo_for_leaders_dm_and_buddy_for_a_new_onlooker_within_the_dm_limit(
        engine: Engine) -> None:
    plan = camp_plan(tiers__window_days=7, tiers__active_min_messages=3,
                     tiers__active_min_days=2, elimination__onboarding_incomplete=False,
                     volunteers=None)
    assert plan.tier_actions is not None and plan.tier_actions.dm_per_week == 2
    bot = Camp(engine, plan)
    star, friend, newcomer = user(1, "阿星"), user(2, "老友"), user(3, "新人")
    for who in (ADMIN, star, friend):
        bot.join(who, 10)
    for day in range(2):
        for n in range(4):
            bot.say(star, f"今天的学习笔记第 {n} 篇", day * DAY + 600 + n * 60)
        for n in range(3):
            bot.say(friend, f"我也来分享 {n}", day * DAY + 900 + n * 60)
    bot.tick(1 * DAY + 7200)
    first = bot.tick(2 * DAY + 7200)
    # The leader's action is an operator to-do with the plan's draft, not a bot message.
    with bot.engine.connect() as conn:
        todo = conn.execute(text(
            "SELECT title, detail FROM work_items WHERE queue = 'todo' AND title LIKE '阿星%'")
        ).all()
    assert len(todo) == 1 and "意见领袖" in todo[0][0]
    assert "主持" in str(todo[0][1])
    assert not [e for e in first if isinstance(e, Send) and e.policy == "tier_actions"]

    bot.join(newcomer, 3 * DAY)
    intro = tier_dms(bot.tick(4 * DAY + 7200))
    to_newcomer = [t for who, t in intro if who == "新人"]
    to_buddy = [(who, t) for who, t in intro if who != "新人"]
    assert len(to_newcomer) == 2  # the onlooker's welcome and the buddy introduction
    assert any("欢迎来到" in t for t in to_newcomer)
    assert len(to_buddy) == 1 and to_buddy[0][0] in ("阿星", "老友")
    assert "新人" in to_buddy[0][1] and to_buddy[0][0] in " ".join(to_newcomer)

    # The newcomer speaks and becomes a participant; the plan's DM for it would be a
    # third bot DM this week, so it is not sent.
    bot.say(newcomer, "大家好，我是新人，请多指教", 4 * DAY + 8000)
    later = tier_dms(bot.tick(5 * DAY + 7200))
    assert not [t for who, t in later if who == "新人"]
    with bot.engine.connect() as conn:
        assert conn.execute(text(
            "SELECT tier FROM growth_tiers t JOIN members m ON m.id = t.member_id "
            "WHERE m.display_name = '新人'")).scalar_one() == "participant"

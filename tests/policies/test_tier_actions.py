"""T2 the tier playbook as automation, through the real pipeline, schedule and database on
a simulated clock, with the bundled plan's `tier_actions`: a new leader becomes an
operator to-do with the drafted message, a new onlooker gets a welcome DM and a buddy
from the active tiers (who is told), and the shared limit stops a third bot DM that week."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from qunyun.effects import DirectMessage, Effect, Send, SetRole
from qunyun.plan.model import Plan
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


def role_plan() -> Plan:
    """The bundled plan, with 意见领袖 given the title 意见领袖 (power level 20 on Matrix)."""
    settings: dict[str, Any] = {
        "tiers__window_days": 7, "tiers__active_min_messages": 3, "tiers__active_min_days": 2,
        "growth__grace_days": 14, "elimination__onboarding_incomplete": False,
        "volunteers": None}
    base = camp_plan(**settings)
    assert base.tier_actions is not None
    actions = {**base.tier_actions.model_dump()["actions"],
               "opinion_leader": {"do": "todo", "role": "意见领袖", "role_level": 20}}
    return camp_plan(**settings, tier_actions__actions=actions)


def lead_then_fall_silent(bot: Camp) -> tuple[list[Effect], list[Effect]]:
    """阿星 becomes 意见领袖 on day 3 and is demoted on day 18 (grace over, silent)."""
    star = user(1, "阿星")
    bot.join(ADMIN, 0)
    bot.join(star, 10)
    bot.say(star, "大家好，我是阿星", 60)
    bot.tick(1 * DAY)
    bot.tick(2 * DAY)
    for n in range(4):
        bot.say(star, f"今天的学习笔记第 {n} 篇，分享给大家", 2 * DAY + 3600 + n * 60)
    bot.say(star, "第二天继续打卡分享", 3 * DAY - 3600 * 12)
    promoted = bot.tick(3 * DAY)
    bot.tick(11 * DAY)
    demoted = bot.tick(18 * DAY)
    return promoted, demoted


def roles(effects: list[Effect]) -> list[tuple[str, str, int, bool]]:
    return [(e.member.display_name or "", e.role, e.level, e.give) for e in effects
            if isinstance(e, SetRole)]


def test_a_tier_role_is_given_on_promotion_and_taken_back_silently(engine: Engine) -> None:
    bot = Camp(engine, role_plan())
    promoted, demoted = lead_then_fall_silent(bot)
    assert roles(promoted) == [("阿星", "意见领袖", 20, True)]
    given = next(e for e in promoted if isinstance(e, SetRole))
    assert given.group.group_id == "!room:localhost"  # in the member's group
    assert roles(demoted) == [("阿星", "意见领袖", 20, False)]
    # Taken back silently: nothing posted nor DMed about the demotion.
    assert not [e for e in demoted if isinstance(e, Send | DirectMessage)]
    # Audited: each change is an effect in the audit log with its reason.
    assert bot.scalar("SELECT count(*) FROM audit_log WHERE action = 'role'") == 2
    assert bot.scalar("SELECT count(*) FROM growth_roles") == 0


def test_where_the_platform_cannot_set_a_role_the_operator_gets_a_todo(
        engine: Engine) -> None:
    from qunyun.bot.wiring import build_policies
    from qunyun.capabilities import TELEGRAM
    from qunyun.pipeline.runner import Pipeline

    bot = Camp(engine, role_plan())
    bot.pipeline = Pipeline(engine, community_id=bot.cid, plan=bot.plan,
                            policies=build_policies(bot.plan, capabilities=TELEGRAM),
                            clock=lambda: bot.now)
    promoted, demoted = lead_then_fall_silent(bot)
    assert roles(promoted) == roles(demoted) == []
    with bot.engine.connect() as conn:
        todos = conn.execute(text(
            "SELECT title, detail FROM work_items WHERE item_key LIKE 'role:%' ORDER BY id")
        ).all()
        audited = conn.execute(text(
            "SELECT reason, detail FROM audit_log WHERE action = 'role' ORDER BY id")).all()
    assert len(todos) == 2
    give, take = (str(t[0]) for t in todos)
    assert "阿星" in give and "「意见领袖」" in give and "加上头衔" in give
    assert "恭喜 阿星" in str(todos[0][1])  # the drafted message for the member
    assert "收回" in take and "不必告知" in take and "恭喜" not in str(todos[1][1])
    assert [r for r, _ in audited] == ["T2 role given", "T2 role taken back"]
    assert all("需要运营者处理" in str(d) for _, d in audited)


def outbox_roles(bot: Camp) -> list[tuple[str, str, str, bool]]:
    """Role effects an operator put in the bot's outbox: (actor, status, role, give)."""
    from sqlalchemy import select

    from qunyun.storage.tables import audit_log

    with bot.engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.actor, audit_log.c.status, audit_log.c.effect)
                            .where(audit_log.c.action == "role").order_by(audit_log.c.id)).all()
    return [(str(a), str(st), str((e or {}).get("role")), bool((e or {}).get("give")))
            for a, st, e in rows]


def test_an_operators_lock_gives_and_takes_the_role_as_a_move_would(engine: Engine) -> None:
    from qunyun.services import growth as growth_service

    bot = Camp(engine, role_plan())
    star = user(1, "阿星")
    bot.join(ADMIN, 0)
    bot.join(star, 10)
    bot.say(star, "大家好，我是阿星", 60)
    bot.tick(1 * DAY)
    bot.tick(2 * DAY)
    star_id = int(bot.scalar("SELECT member_id FROM identities WHERE external_id = '@u1:localhost'"))
    assert bot.scalar(f"SELECT tier FROM growth_tiers WHERE member_id = {star_id}") == "participant"

    def lock(tier: str | None) -> None:
        with bot.engine.begin() as conn:
            growth_service.lock(conn, community_id=bot.cid, member_id=star_id, tier=tier,
                                operator="lin", now_ms=int(bot.now.timestamp() * 1000) + 1,
                                plan=bot.plan)

    lock("opinion_leader")  # up: the role is given, through the bot's outbox
    assert outbox_roles(bot) == [("operator:lin", "pending", "意见领袖", True)]
    assert bot.scalar("SELECT role FROM growth_roles") == "意见领袖"
    # The next daily pass neither moves a locked tier nor gives the role twice.
    assert roles(bot.tick(3 * DAY)) == []
    assert len(outbox_roles(bot)) == 1

    lock("onlooker")  # down: taken back silently, nothing posted nor DMed
    assert outbox_roles(bot)[1:] == [("operator:lin", "pending", "意见领袖", False)]
    assert bot.scalar("SELECT count(*) FROM growth_roles") == 0
    assert bot.scalar("SELECT count(*) FROM audit_log WHERE action IN ('send', 'dm') "
                      "AND actor = 'operator:lin'") == 0


def test_members_in_a_tier_get_a_role_added_to_the_plan_at_the_next_pass(
        engine: Engine) -> None:
    """Backfill: 阿星 became 意见领袖 before the plan gave that tier a title; the next daily
    pass gives it, silently and audited, once."""
    plain = role_plan().model_copy(deep=True)
    assert plain.tier_actions is not None
    del plain.tier_actions.actions["opinion_leader"]
    bot = Camp(engine, plain)
    star = user(1, "阿星")
    bot.join(ADMIN, 0)
    bot.join(star, 10)
    bot.say(star, "大家好，我是阿星", 60)
    bot.tick(1 * DAY)
    bot.tick(2 * DAY)
    for n in range(4):
        bot.say(star, f"今天的学习笔记第 {n} 篇，分享给大家", 2 * DAY + 3600 + n * 60)
    bot.say(star, "第二天继续打卡分享", 3 * DAY - 3600 * 12)
    assert roles(bot.tick(3 * DAY)) == []  # promoted, but the tier has no role yet
    assert bot.scalar("SELECT tier FROM growth_tiers t JOIN members m ON m.id = t.member_id "
                      "WHERE m.display_name = '阿星'") == "opinion_leader"

    # The operator adds the title to the plan (the bot reloads it): the next pass gives it.
    later = Camp(engine, role_plan())
    later.n, later.now = bot.n, bot.now
    backfilled = later.tick(4 * DAY)
    assert roles(backfilled) == [("阿星", "意见领袖", 20, True)]
    given = next(e for e in backfilled if isinstance(e, SetRole))
    assert given.reason == "T2 role backfilled" and given.group.group_id == "!room:localhost"
    assert not [e for e in backfilled if isinstance(e, Send | DirectMessage)
                and "阿星" in getattr(e, "text", "")]
    assert later.scalar("SELECT count(*) FROM audit_log WHERE action = 'role' "
                        "AND reason = 'T2 role backfilled'") == 1
    assert later.scalar("SELECT role FROM growth_roles") == "意见领袖"
    assert roles(later.tick(5 * DAY)) == []  # once


def test_a_recompute_from_the_console_moves_the_title_too(engine: Engine) -> None:
    """The console's 「立即重新评定」 promotes 阿星 between daily passes: the title follows
    through the outbox, and the next daily pass does not give it twice."""
    from qunyun.services import growth as growth_service

    bot = Camp(engine, role_plan())
    star = user(1, "阿星")
    bot.join(ADMIN, 0)
    bot.join(star, 10)
    bot.say(star, "大家好，我是阿星", 60)
    bot.tick(1 * DAY)
    bot.tick(2 * DAY)
    for n in range(4):
        bot.say(star, f"今天的学习笔记第 {n} 篇，分享给大家", 2 * DAY + 3600 + n * 60)
    bot.say(star, "第二天继续打卡分享", 3 * DAY - 3600 * 12)
    moved = growth_service.recompute(engine, community_id=bot.cid, plan=bot.plan,
                                     as_of=bot.at(3 * DAY - 3600 * 6), operator="lin")
    assert [(c.after, c.direction) for c in moved] == [("opinion_leader", "promotion")]
    assert outbox_roles(bot) == [("operator:lin", "pending", "意见领袖", True)]
    assert roles(bot.tick(3 * DAY)) == [] and len(outbox_roles(bot)) == 1


def test_a_member_no_bot_can_reach_gets_an_operator_todo_not_a_dm(engine: Engine) -> None:
    """Issue 11 #68: under a Matrix bot, a newcomer of the community's Telegram group (no
    Telegram bot) is not sent the onlooker's DM — the Matrix bot cannot reach a Telegram
    id — but is the operator's to-do with the draft, saying why; no buddy is asked."""
    from qunyun.bot.wiring import build_policies
    from qunyun.capabilities import MATRIX
    from qunyun.events import GroupRef, MemberJoined, UserRef
    from qunyun.pipeline.runner import Pipeline
    from qunyun.policies.base import serving

    plan = camp_plan(tiers__window_days=7, tiers__active_min_messages=3,
                     tiers__active_min_days=2, elimination__onboarding_incomplete=False,
                     volunteers=None)
    bot = Camp(engine, plan)
    bot.pipeline = Pipeline(engine, community_id=bot.cid, plan=plan,
                            policies=build_policies(plan, capabilities=MATRIX,
                                                    serves=serving("matrix")),
                            clock=lambda: bot.now)
    star, friend = user(1, "阿星"), user(2, "老友")
    for who in (ADMIN, star, friend):
        bot.join(who, 10)
    for day in range(2):
        for n in range(4):
            bot.say(star, f"今天的学习笔记第 {n} 篇", day * DAY + 600 + n * 60)
        for n in range(3):
            bot.say(friend, f"我也来分享 {n}", day * DAY + 900 + n * 60)
    bot.tick(1 * DAY + 7200)
    bot.tick(2 * DAY + 7200)
    imported = UserRef("telegram", "user7", "许敏洋")
    bot(MemberJoined(source="tg", source_event_id="tj1",
                     group=GroupRef("telegram", "-100777", "进阶营（Telegram）"),
                     at=bot.at(3 * DAY), member=imported))
    bot.tick(3 * DAY + 20)  # the welcome batch (the newcomer questionnaire goes with it)
    effects = bot.tick(4 * DAY + 7200)
    assert not [e for e in effects if isinstance(e, DirectMessage)
                and e.member.platform == "telegram"]
    assert all(e.group.platform == e.member.platform for e in effects
               if isinstance(e, DirectMessage))
    with bot.engine.connect() as conn:
        (title, detail), = conn.execute(text(
            "SELECT title, detail FROM work_items WHERE queue = 'todo' "
            "AND title LIKE '许敏洋%'")).all()
    assert "这位成员在 Telegram，机器人联系不到，请亲自联系" in title
    assert "欢迎来到" in str(detail)

"""Issue 15: admins are staff. A room moderator the plan does not list (the demo's
`operator`, power 100) who invites members and talks the most is kept off the tiers,
badges, the report's tier chart and to-do list, core users and volunteer candidates — in
the bot's daily pass, the report and the console alike, because all three ask
`services.staff` (the bot records what the room says, the report and console read it).
`points.include_admins: true` puts admins back, as it already did for the boards."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from qunyun.analytics import build_report
from qunyun.bot.wiring import build_policies
from qunyun.events import GroupRef, UserRef
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.model import Plan
from qunyun.services import staff
from qunyun.services.ingest import ensure_group
from qunyun.web.routes.core_users import core_users
from qunyun.web.routes.volunteers import _candidates
from tests.factories import user
from tests.policies.test_bot_policies import camp_plan
from tests.policies.test_growth_tiers import Camp

DAY = 86_400
OPERATOR = UserRef("matrix", "@operator:localhost", "运营者")


def plan(**changes: Any) -> Plan:
    return camp_plan(**{"bot__admins": [], "tiers__window_days": 7,
                        "tiers__active_min_messages": 3, "tiers__active_min_days": 2,
                        "elimination__onboarding_incomplete": False, **changes})


def camp(engine: Engine, chosen: Plan, moderators: set[str]) -> Camp:
    """The bot, with `moderators` as the room's moderators (the adapter's view)."""
    bot = Camp(engine, chosen)
    bot.pipeline = Pipeline(engine, community_id=bot.cid, plan=chosen, clock=lambda: bot.now,
                            policies=build_policies(chosen, room_admins=lambda _g: moderators))
    return bot


def operator_sets_up_the_group(bot: Camp) -> None:
    """The operator brings three members and talks every day; members talk a little."""
    bot.join(OPERATOR, 0)
    for n in (1, 2, 3):
        bot.join(user(n, f"学员{n}"), 60 + n, inviter=OPERATOR)
    for day in range(3):
        for k in range(5):
            bot.say(OPERATOR, f"今天的课程安排第 {k} 条", day * DAY + 600 + k * 60)
        bot.say(user(1, "学员1"), f"收到，第 {day} 天的作业已经交了", day * DAY + 1200)
    bot.say(user(2, "学员2"), "大家好，我是学员2", 2 * DAY + 1500)


def held(bot: Camp) -> dict[str, str]:
    with bot.engine.connect() as conn:
        rows = conn.execute(text("SELECT m.display_name, t.tier FROM growth_tiers t "
                                 "JOIN members m ON m.id = t.member_id")).all()
    return {str(n): str(t) for n, t in rows}


def badges_of(bot: Camp) -> set[str]:
    with bot.engine.connect() as conn:
        return {str(r[0]) for r in conn.execute(text(
            "SELECT m.display_name FROM growth_badges b JOIN members m ON m.id = b.member_id"))}


def operator_id(bot: Camp) -> int:
    return int(bot.scalar("SELECT member_id FROM identities "
                          "WHERE external_id = '@operator:localhost'"))


def test_a_room_moderator_is_off_tiers_badges_report_and_console(engine: Engine) -> None:
    bot = camp(engine, plan(), {OPERATOR.user_id})
    operator_sets_up_the_group(bot)
    bot.tick(3 * DAY + 7200)
    bot.tick(4 * DAY + 7200)
    # The bot: no tier and no badge for the operator; members have theirs.
    tiers = held(bot)
    assert "运营者" not in tiers and tiers["学员1"] in ("opinion_leader", "active")
    assert "运营者" not in badges_of(bot) and "学员1" in badges_of(bot)  # 破冰
    assert bot.scalar("SELECT external_id FROM group_moderators") == OPERATOR.user_id

    # The report: staff, with the numbers, off the chart and the to-do list.
    report = build_report(engine, community_id=bot.cid, plan=bot.plan, as_of=bot.now)
    me = next(m for m in report["members"] if m["id"] == operator_id(bot))
    assert me["staff"] is True and me["tier"] is None and me["invited"] == 3
    assert sum(report["community"]["tiers"].values()) == 3  # the three members
    assert report["community"]["tiers"]["spreader"] == 0
    assert me["id"] not in {m["id"] for t in report["todo"] for m in t["members"]}
    # The console reads the same report and the same staff.
    assert me["id"] not in {m["id"] for m in core_users(report)}
    with engine.connect() as conn:
        candidates = _candidates(conn, bot.cid, bot.plan, report)
        assert candidates is not None and me["id"] not in {c.member_id for c in candidates}
        assert staff.off_growth(conn, community_id=bot.cid, plan=bot.plan) == {me["id"]}
    # Never an elimination candidate either.
    assert me["id"] not in {m["member_id"] for m in report["elimination"]["members"]}


def test_a_member_made_moderator_loses_the_held_tier_quietly(engine: Engine) -> None:
    moderators: set[str] = set()
    bot = camp(engine, plan(), moderators)
    operator_sets_up_the_group(bot)
    bot.tick(3 * DAY + 7200)
    bot.tick(4 * DAY + 7200)
    assert held(bot)["运营者"] == "opinion_leader"  # not a moderator yet: tiered
    moderators.add(OPERATOR.user_id)  # the room makes them a moderator
    bot.say(OPERATOR, "我现在是管理员了", 4 * DAY + 9000)
    effects = bot.tick(5 * DAY + 7200)
    assert "运营者" not in held(bot)
    assert not [e for e in effects if OPERATOR in getattr(e, "mentions", ())]
    with engine.connect() as conn:
        direction, reason = conn.execute(text(
            "SELECT direction, reason FROM growth_tier_changes WHERE member_id = :m "
            "ORDER BY id DESC"), {"m": operator_id(bot)}).first() or ("", "")
    assert direction == "staff" and "管理员不参与分层和积分" in reason
    # No longer a moderator: recorded as such at the next event in the group.
    moderators.clear()
    bot.say(user(1, "学员1"), "老师辛苦了", 5 * DAY + 9000)
    assert bot.scalar("SELECT count(*) FROM group_moderators") == 0


def test_include_admins_puts_them_back_in_the_report_and_the_pass(engine: Engine) -> None:
    bot = camp(engine, plan(points__include_admins=True), {OPERATOR.user_id})
    operator_sets_up_the_group(bot)
    bot.tick(3 * DAY + 7200)
    bot.tick(4 * DAY + 7200)
    assert held(bot)["运营者"] == "opinion_leader" and "运营者" in badges_of(bot)
    report = build_report(engine, community_id=bot.cid, plan=bot.plan, as_of=bot.now)
    me = next(m for m in report["members"] if m["id"] == operator_id(bot))
    assert me["staff"] is False and me["tier"] == "opinion_leader"
    assert me["id"] in {m["id"] for m in core_users(report)}
    with engine.connect() as conn:
        # Volunteers are never asked among admins, whatever the switch says.
        candidates = _candidates(conn, bot.cid, bot.plan, report) or []
        assert me["id"] not in {c.member_id for c in candidates}


def test_a_member_made_moderator_has_the_bots_title_taken_back(engine: Engine) -> None:
    from qunyun.effects import SetRole
    from tests.policies.test_tier_actions import role_plan

    base = role_plan()
    moderators: set[str] = set()
    bot = camp(engine, base.model_copy(update={"bot": base.bot.model_copy(
        update={"admins": []})}), moderators)
    operator_sets_up_the_group(bot)
    bot.tick(3 * DAY + 7200)
    bot.tick(4 * DAY + 7200)
    assert held(bot)["运营者"] == "opinion_leader"
    mine = f"SELECT count(*) FROM growth_roles WHERE member_id = {operator_id(bot)}"
    assert bot.scalar(mine) == 1
    moderators.add(OPERATOR.user_id)
    bot.say(OPERATOR, "我现在是管理员了", 4 * DAY + 9000)
    taken = [e for e in bot.tick(5 * DAY + 7200) if isinstance(e, SetRole)]
    assert [(e.member.user_id, e.role, e.give) for e in taken] == [
        (OPERATOR.user_id, "意见领袖", False)]
    assert bot.scalar(mine) == 0


def test_a_lost_moderator_row_is_written_again_within_ten_minutes(engine: Engine) -> None:
    bot = camp(engine, plan(), {OPERATOR.user_id})
    bot.join(OPERATOR, 0)
    with engine.begin() as conn:  # as if the transaction that wrote it had rolled back
        conn.execute(text("DELETE FROM group_moderators"))
    bot.say(user(1, "学员1"), "大家好", 60)
    assert bot.scalar("SELECT count(*) FROM group_moderators") == 0  # cached: no query
    bot.say(user(1, "学员1"), "还在吗", 60 + 11 * 60)
    assert bot.scalar("SELECT external_id FROM group_moderators") == OPERATOR.user_id


def test_a_timer_before_the_room_is_read_does_not_wipe_the_moderators(engine: Engine) -> None:
    """After a restart, a tick can come before the adapter has read the room's admins (an
    empty view): the recorded moderators stay, so the daily pass still leaves them out."""
    bot = camp(engine, plan(), {OPERATOR.user_id})
    operator_sets_up_the_group(bot)
    restarted = camp(engine, plan(), set())  # the adapter has not read the room yet
    restarted.n, restarted.now = bot.n, bot.now
    restarted.tick(3 * DAY + 7200)
    restarted.tick(4 * DAY + 7200)
    assert bot.scalar("SELECT external_id FROM group_moderators") == OPERATOR.user_id
    assert "运营者" not in held(bot)


def test_a_moderator_of_another_group_is_off_the_board_asked_here(engine: Engine) -> None:
    """`!排行` in one group leaves out the moderators of the community's other groups too."""
    bot = camp(engine, plan(), set())  # nobody moderates this room
    operator_sets_up_the_group(bot)
    other = GroupRef("matrix", "!other:localhost", "二群")
    with engine.begin() as conn:
        other_id = ensure_group(conn, community_id=bot.cid, group=other, at_ms=0)
        staff.record_moderators(conn, group_id=other_id, external_ids=[OPERATOR.user_id],
                                now_ms=0)
    effects = bot.say(user(1, "学员1"), "!排行", 3 * DAY)
    board = "\n".join(getattr(e, "text", "") for e in effects)
    assert "积分排行" in board and "学员1" in board
    assert "运营者" not in board

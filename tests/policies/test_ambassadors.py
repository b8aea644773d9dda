"""T2 the ambassador programme (推广大使) through the real pipeline, schedule and database
on a simulated clock, with the bundled plan (传播者 → `do: ambassador`): a member who
becomes a spreader gets a DM invitation; `!接受` in the DM gives them a code (and, where
the platform has per-member links, their own link); a member joining through them, or a
newcomer giving their code with `!邀请码`, credits them with the plan's points, once;
`!拒绝` declines; the weekly DM limit holds the invitation back; where the bot cannot DM
first (Telegram) the invitation is an operator to-do; with a volunteer invitation open
too, `!接受` asks which one."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine, text

from qunyun.bot.wiring import build_policies
from qunyun.capabilities import TELEGRAM
from qunyun.effects import DirectMessage, Effect, InviteLink, Reply
from qunyun.events import GroupRef, MessagePosted, UserRef
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.model import Plan
from qunyun.services import ambassadors as service
from qunyun.services import outreach
from tests.factories import user
from tests.policies.test_bot_policies import ADMIN, camp_plan
from tests.policies.test_growth_tiers import Camp

DAY = 86_400
DM = GroupRef("matrix", "!dm-star:localhost", None, kind="direct")
STAR = user(1, "阿星")


def plan(**changes: Any) -> Plan:
    defaults: dict[str, Any] = {
        "tiers__window_days": 7, "elimination__onboarding_incomplete": False,
        "volunteers": None, "tier_actions__buddy": False}
    return camp_plan(**(defaults | changes))


def invitations(effects: list[Effect]) -> dict[str, str]:
    return {e.member.display_name or "": e.text for e in effects
            if isinstance(e, DirectMessage) and e.reason == "T2 ambassador invitation"}


def in_dm(bot: Camp, who: UserRef, body: str, seconds: float,
          group: GroupRef = DM) -> list[Effect]:
    bot.n += 1
    return bot(MessagePosted(source="t", source_event_id=f"d{bot.n}", group=group,
                             at=bot.at(seconds), actor=who, text=body))


def replies(effects: list[Effect]) -> list[str]:
    return [e.text for e in effects if isinstance(e, Reply)]


def becomes_spreader(bot: Camp) -> list[Effect]:
    """阿星 joins and brings two friends on day 0; the day-2 tier pass makes them 传播者."""
    bot.join(ADMIN, 0)
    bot.join(STAR, 10)
    bot.join(user(2, "朋友甲"), 100, inviter=STAR)
    bot.join(user(3, "朋友乙"), 200, inviter=STAR)
    bot.tick(1 * DAY)  # stores the daily entries
    return bot.tick(2 * DAY)


def roster(bot: Camp) -> dict[str, dict[str, Any]]:
    with bot.engine.connect() as conn:
        return {str(r["name"]): r for r in service.roster(
            conn, community_id=bot.cid, tz=bot.plan.bot.timezone,
            now_ms=int(bot.now.timestamp() * 1000))}


def ambassador_points(bot: Camp, name: str) -> int:
    with bot.engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT coalesce(sum(p.points), 0) FROM bot_points p JOIN members m "
            "ON m.id = p.member_id WHERE p.action = 'ambassador' AND m.display_name = :n"),
            {"n": name}).scalar_one())


def test_spreader_invited_accepts_gets_a_code_and_is_credited_for_who_they_bring(
        engine: Engine) -> None:
    bot = Camp(engine, plan())
    invited = invitations(becomes_spreader(bot))
    assert set(invited) == {"阿星"}
    words = invited["阿星"]
    assert "推广大使" in words and "!接受" in words and "!拒绝" in words
    assert "8 折" in words and "30 积分" in words  # the plan's perks and points
    assert "{" not in words
    assert roster(bot)["阿星"]["state"] == "invited"

    # Answered in the group: told to answer in the DM, nothing changes.
    assert "私聊" in replies(bot.say(STAR, "!接受", 2 * DAY + 60))[0]
    assert roster(bot)["阿星"]["state"] == "invited"

    answer = in_dm(bot, STAR, "!接受", 2 * DAY + 120)
    said = replies(answer)[0]
    code = re.search(r"邀请码：([A-Z0-9]{6})", said)
    assert code is not None and "欢迎成为推广大使" in said
    assert "直接邀请朋友" in said  # Matrix: no per-member links, an invitation names them
    assert not [e for e in answer if isinstance(e, InviteLink)]
    assert roster(bot)["阿星"]["state"] == "accepted"
    # The plan's title is the operator's to-do (the bot's titles follow the tiers).
    with bot.engine.connect() as conn:
        title = conn.execute(text("SELECT title FROM work_items WHERE item_key LIKE "
                                  "'ambassador-title:%'")).scalar_one()
    assert "阿星" in title and "「推广大使」" in title

    # Friends brought before acceptance are not the programme's; one invited now is.
    assert roster(bot)["阿星"]["brought_total"] == 0
    bot.join(user(4, "朋友丙"), 2 * DAY + 600, inviter=STAR)
    assert ambassador_points(bot, "阿星") == 30
    # A newcomer whose join named nobody gives the code: credited too, once.
    walk_in = user(5, "路人丁")
    bot.join(walk_in, 2 * DAY + 900)
    assert "邀请来的" in replies(bot.say(walk_in, f"!邀请码 {code[1].lower()}",
                                        2 * DAY + 960))[0]
    assert "已经记下" in replies(bot.say(walk_in, f"!邀请码 {code[1]}", 2 * DAY + 990))[0]
    # The friend who joined through 阿星 cannot be credited again by a code.
    assert "已经记下" in replies(bot.say(user(4, "朋友丙"), f"!邀请码 {code[1]}",
                                        2 * DAY + 1000))[0]
    assert "你自己的邀请码" in replies(bot.say(STAR, f"!邀请码 {code[1]}", 2 * DAY + 1100))[0]
    assert "没有找到" in replies(bot.say(walk_in, "!邀请码 ZZZZZZ", 2 * DAY + 1200))[0]
    assert ambassador_points(bot, "阿星") == 60
    row = roster(bot)["阿星"]
    assert row["brought_total"] == 2 and row["brought_month"] == 2
    # `!邀请码` alone tells the ambassador their code.
    assert code[1] in replies(in_dm(bot, STAR, "!邀请码", 2 * DAY + 1300))[0]
    # A late code (after `code_days`) is refused.
    late = user(6, "老成员")
    bot.join(late, 2 * DAY + 1400)
    assert "7 天内" in replies(bot.say(late, f"!邀请码 {code[1]}", 10 * DAY))[0]
    with bot.engine.connect() as conn:
        audited = {r[0] for r in conn.execute(text(
            "SELECT action FROM audit_log WHERE action LIKE 'ambassador.%'"))}
    assert audited == {"ambassador.invite", "ambassador.accept", "ambassador.referral"}
    assert "!邀请码" in replies(bot.say(late, "!帮助", 10 * DAY + 60))[0]


def test_a_declined_invitation_is_not_asked_again(engine: Engine) -> None:
    bot = Camp(engine, plan())
    assert invitations(becomes_spreader(bot))
    assert "理解" in replies(in_dm(bot, STAR, "!拒绝", 2 * DAY + 60))[0]
    assert roster(bot)["阿星"]["state"] == "declined"
    assert "没有待回复" in replies(in_dm(bot, STAR, "!接受", 2 * DAY + 120))[0]
    # Demoted and promoted again later: not invited a second time.
    assert not invitations(bot.tick(30 * DAY))
    bot.join(user(7, "朋友戊"), 30 * DAY + 60, inviter=STAR)
    assert not invitations(bot.tick(31 * DAY))
    assert ambassador_points(bot, "阿星") == 0  # a declined member's friends earn no bonus


def test_the_weekly_dm_limit_holds_the_invitation_back(engine: Engine) -> None:
    """The invitation shares `tier_actions.dm_per_week` (2) with every other bot DM."""
    bot = Camp(engine, plan())
    bot.join(ADMIN, 0)
    bot.join(STAR, 10)
    with bot.engine.begin() as conn:
        star_id = conn.execute(text("SELECT id FROM members WHERE display_name = '阿星'")
                               ).scalar_one()
        for kind in ("tier_dm", "buddy"):  # two bot DMs this week already
            assert outreach.take_dm(conn, community_id=bot.cid, member_id=star_id,
                                    plan=bot.plan, kind=kind, now_ms=int(bot.now.timestamp()
                                                                         * 1000))
    bot.join(user(2, "朋友甲"), 100, inviter=STAR)
    bot.join(user(3, "朋友乙"), 200, inviter=STAR)
    bot.tick(1 * DAY)
    assert invitations(bot.tick(2 * DAY)) == {}
    assert "阿星" not in roster(bot)  # not invited at all: no invitation waits unsent


def test_where_the_bot_cannot_dm_first_the_invitation_is_an_operator_todo(
        engine: Engine) -> None:
    bot = Camp(engine, plan())
    bot.pipeline = Pipeline(engine, community_id=bot.cid, plan=bot.plan,
                            policies=build_policies(bot.plan, capabilities=TELEGRAM),
                            clock=lambda: bot.now)
    assert invitations(becomes_spreader(bot)) == {}
    with bot.engine.connect() as conn:
        title, detail = conn.execute(text(
            "SELECT title, detail FROM work_items WHERE item_key LIKE 'ambassador:%'")).one()
    assert "阿星" in title and "推广大使" in title
    assert "!接受" in str(detail)  # the invitation's text, ready to send
    # The member answers the operator's message in the bot's DM: the invitation stands,
    # and Telegram's own link (named after them) follows.
    answer = in_dm(bot, STAR, "!接受", 2 * DAY + 60)
    assert "专属邀请链接" in replies(answer)[0]
    links = [e for e in answer if isinstance(e, InviteLink)]
    assert [(e.member.user_id, e.group.group_id) for e in links] == [
        (STAR.user_id, "!room:localhost")]


def test_with_a_volunteer_invitation_open_too_the_member_is_asked_which(
        engine: Engine) -> None:
    bot = Camp(engine, plan())
    assert invitations(becomes_spreader(bot))
    with bot.engine.begin() as conn:
        star_id = conn.execute(text("SELECT id FROM members WHERE display_name = '阿星'")
                               ).scalar_one()
    both = camp_plan(tiers__window_days=7, elimination__onboarding_incomplete=False,
                     tier_actions__buddy=False)
    bot.plan = both
    bot.pipeline = Pipeline(engine, community_id=bot.cid, plan=both,
                            policies=build_policies(both), clock=lambda: bot.now)
    from qunyun.services import volunteers as volunteer_service
    with bot.engine.begin() as conn:
        volunteer_service.invite(conn, community_id=bot.cid, member_id=star_id, plan=both,
                                 by="lin", why="测试", now_ms=0)
    asked = replies(in_dm(bot, STAR, "!接受", 2 * DAY + 60))[0]
    assert "两份邀请" in asked and "!接受 推广大使" in asked
    assert roster(bot)["阿星"]["state"] == "invited"
    assert "欢迎成为推广大使" in replies(in_dm(bot, STAR, "!接受 推广大使", 2 * DAY + 120))[0]
    # The volunteer invitation is still open, and now the only one: plain !拒绝 answers it.
    assert "理解" in replies(in_dm(bot, STAR, "!拒绝", 2 * DAY + 180))[0]
    with bot.engine.connect() as conn:
        assert volunteer_service.state_of(conn, community_id=bot.cid,
                                          member_id=star_id) == "declined"


def points_total(bot: Camp, seconds: float) -> int:
    said = replies(bot.say(STAR, "!积分", seconds))[0]
    found = re.search(r"积分 (\d+)（", said)
    assert found is not None, said
    return int(found[1])


def test_a_level_reached_by_a_join_counts_the_ambassadors_points_and_the_invitation(
        engine: Engine) -> None:
    # One join credits 阿星 twice — the programme's 30 points, then the invitation's —
    # and the congratulation shows both, as `!积分` does (issue 11 walk13).
    bot = Camp(engine, plan(points__levels=[{"name": "新人", "min_points": 0},
                                           {"name": "成员", "min_points": 50}],
                            points__curve=None, badges=[]))
    becomes_spreader(bot)
    in_dm(bot, STAR, "!接受", 2 * DAY + 120)
    before = points_total(bot, 2 * DAY + 300)
    assert before < 50
    joined = bot.join(user(4, "朋友丙"), 2 * DAY + 600, inviter=STAR)
    after = points_total(bot, 2 * DAY + 700)
    assert after == before + 30 + 20 and ambassador_points(bot, "阿星") == 30
    assert [e.text for e in joined if getattr(e, "reason", "") == "T3 level up"] == [
        f"🎉 恭喜 @阿星 升级为「成员」（{after} 分）！"]

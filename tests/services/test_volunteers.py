"""T4 volunteers and the shared DM limit through the real pipeline, schedule and database
(SQLite and PostgreSQL) on a simulated clock: the most active members are picked and
invited by DM (admins and the quiet are not), `!接受` / `!拒绝` in the DM, the accepted
volunteer warns a member (audited as theirs) and is refused against an admin, the on-duty
volunteer is pinged first for an escalation and their response time is kept, a silent
volunteer is retired with thanks, and no member gets more than 2 bot DMs a week."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from qunyun.effects import Alert, Delete, DirectMessage, Effect, Reply, Warn
from qunyun.events import GroupRef, MessagePosted, UserRef
from qunyun.plan.model import Plan
from qunyun.services import outreach
from qunyun.services import volunteers as service
from tests.factories import user
from tests.policies.test_bot_policies import ADMIN, camp_plan
from tests.policies.test_growth_tiers import Camp

DAY = 86_400
DM = GroupRef("matrix", "!dm-star:localhost", None, kind="direct")


def plan(**changes: Any) -> Plan:
    defaults: dict[str, Any] = {
        "tiers__window_days": 7, "tiers__active_min_messages": 3, "tiers__active_min_days": 2,
        "elimination__onboarding_incomplete": False, "volunteers__target": 2,
        "volunteers__inactive_days": 10, "tier_actions": None}
    return camp_plan(**(defaults | changes))


def dms(effects: list[Effect], policy: str = "volunteers") -> dict[str, str]:
    return {e.member.display_name or e.member.user_id: e.text for e in effects
            if isinstance(e, DirectMessage) and e.policy == policy}


def in_dm(bot: Camp, who: UserRef, body: str, seconds: float) -> list[Effect]:
    bot.n += 1
    return bot(MessagePosted(source="t", source_event_id=f"d{bot.n}", group=DM,
                             at=bot.at(seconds), actor=who, text=body))


def roster(bot: Camp) -> dict[str, dict[str, Any]]:
    with bot.engine.connect() as conn:
        return {str(r["name"]): r for r in service.roster(conn, community_id=bot.cid)}


def replies(effects: list[Effect]) -> list[str]:
    return [e.text for e in effects if isinstance(e, Reply)]


def busy_week(bot: Camp, people: list[UserRef], start: float) -> None:
    for day in range(2):
        for who in people:
            for n in range(3):
                bot.say(who, f"今天的学习笔记第 {n} 篇，分享给大家", start + day * DAY + n * 60)


def test_candidates_invited_accept_warn_refused_duty_and_retirement(engine: Engine) -> None:
    bot = Camp(engine, plan())
    star, helper, quiet, third = user(1, "阿星"), user(2, "小帮"), user(3, "小静"), user(4, "阿三")
    for who in (ADMIN, star, helper, quiet, third):
        bot.join(who, 10)
    busy_week(bot, [ADMIN, star, helper, third], 60)
    for n in range(3):  # the most active of all: first in line
        bot.say(star, f"再分享一个技巧 {n}", 2 * DAY + 3600 + n * 60)
    bot.say(quiet, "大家好", 120)
    bot.tick(2 * DAY + 7200)  # stores the daily entries
    invited = dms(bot.tick(3 * DAY + 7200))
    # Target 2: the two most active members; the admin and the quiet member are not asked.
    assert set(invited) == {"阿星", "小帮"}
    assert "!接受" in invited["阿星"] and "!拒绝" in invited["阿星"]
    assert "{" not in invited["阿星"]
    assert roster(bot)["阿星"]["state"] == "invited"
    assert "发言" in roster(bot)["阿星"]["why"]

    # Answered in the group: told to answer in the DM, nothing changes.
    assert "私聊" in replies(bot.say(star, "!接受", 3 * DAY + 7300))[0]
    accepted = replies(in_dm(bot, star, "!接受 答疑志愿者", 3 * DAY + 7400))
    assert "欢迎加入志愿者团队" in accepted[0] and "答疑志愿者" in accepted[0]
    assert "不能对管理员使用" in accepted[0]
    declined = replies(in_dm(bot, helper, "!拒绝", 3 * DAY + 7500))
    assert "理解" in declined[0]
    r = roster(bot)
    assert r["阿星"]["state"] == "accepted" and r["阿星"]["role"] == "答疑志愿者"
    assert r["阿星"]["answered_ms"] is not None
    assert r["小帮"]["state"] == "declined"

    # The volunteer warns a member: a recorded warning, audited with the volunteer as actor.
    effects = bot.say(star, "!警告 @小静 刷屏", 3 * DAY + 8000, mentions=(quiet.user_id,))
    warns = [e for e in effects if isinstance(e, Warn)]
    assert len(warns) == 1 and warns[0].member.user_id == quiet.user_id
    assert "阿星 提醒你：刷屏" in warns[0].text and "第 1 次警告" in warns[0].text
    assert bot.scalar("SELECT count(*) FROM bot_warnings WHERE reason = '刷屏'") == 1
    assert bot.scalar("SELECT actor FROM audit_log WHERE action = 'volunteer.warn'") \
        == "volunteer:阿星"
    # At the limit the member is told why and how to appeal by DM, before the removal.
    for at in (8010, 8020):
        last = bot.say(star, "!警告 @小静 刷屏", 3 * DAY + at, mentions=(quiet.user_id,))
    order = [e.kind for e in last]
    assert "kick" in order and order.index("dm") < order.index("kick")
    told = next(e for e in last if isinstance(e, DirectMessage))
    assert told.member.user_id == quiet.user_id and "!申诉" in told.text and "刷屏" in told.text
    # Never against an admin: a clear reply, no warning.
    refused = bot.say(star, "!警告 @班主任小林 不听话", 3 * DAY + 8100,
                      mentions=(ADMIN.user_id,))
    assert not [e for e in refused if isinstance(e, Warn)]
    assert "不能对管理员使用" in replies(refused)[0]
    # `!删除` as a reply: the member's message is deleted, an admin's is not.
    bot.say(quiet, "广告广告", 3 * DAY + 8110)
    spam = f"m{bot.n}"
    deleted = [e for e in bot.say(star, "!删除", 3 * DAY + 8120, reply_to=spam)
               if isinstance(e, Delete)]
    assert [d.event_id for d in deleted] == [spam]
    bot.say(ADMIN, "今晚八点直播", 3 * DAY + 8130)
    notice = f"m{bot.n}"
    kept = bot.say(star, "!删除", 3 * DAY + 8140, reply_to=notice)
    assert not [e for e in kept if isinstance(e, Delete)]
    assert "不能对管理员使用" in replies(kept)[0]
    # A member who declined has no privilege.
    assert "权限" in replies(bot.say(helper, "!警告 @小静 刷屏", 3 * DAY + 8200,
                                     mentions=(quiet.user_id,)))[0]

    # An escalation: the on-duty volunteer is pinged by DM first, then the admins' room.
    asked = bot.say(quiet, "老师，请问周末的线下聚会在哪里办？", 3 * DAY + 9000)
    kinds = [type(e).__name__ for e in asked if isinstance(e, DirectMessage | Alert)]
    assert kinds == ["DirectMessage", "Alert"]
    ping = next(e for e in asked if isinstance(e, DirectMessage))
    assert ping.member.user_id == star.user_id and "线下聚会" in ping.text
    bot.say(star, "聚会地点在群公告第二条里哦", 3 * DAY + 9000 + 120)
    r = roster(bot)["阿星"]
    assert r["escalations"] == 1 and r["response_minutes"] == 2.0 and r["warns"] == 3
    assert r["deletes"] == 1

    # Silent for more than inactive_days: retired with a thank-you DM.
    later = dms(bot.tick(14 * DAY + 7200))  # (the days between are missed slots)
    assert roster(bot)["阿星"]["state"] == "retired"
    assert "感谢" in later["阿星"]
    # The bot does not invite the retired or the declined again.
    assert "小帮" not in later or "感谢" in later.get("小帮", "")


def test_no_member_gets_more_than_two_bot_dms_a_week(engine: Engine) -> None:
    bot = Camp(engine, plan())
    star = user(1, "阿星")
    bot.join(star, 10)
    busy_week(bot, [star], 60)
    with bot.engine.begin() as conn:
        mid = conn.execute(text("SELECT id FROM members WHERE display_name = '阿星'")).scalar_one()
        now = int(bot.at(3600).timestamp() * 1000)
        for kind in ("tier_dm", "buddy"):
            assert outreach.take_dm(conn, community_id=bot.cid, member_id=mid, plan=bot.plan,
                                    kind=kind, now_ms=now)
        assert not outreach.may_dm(conn, community_id=bot.cid, member_id=mid, plan=bot.plan,
                                   now_ms=now + 3600_000)
    bot.tick(2 * DAY + 7200)
    # Two bot DMs already this week: no invitation now …
    assert "阿星" not in dms(bot.tick(3 * DAY + 7200))
    assert "阿星" not in roster(bot)
    # … but a week after those two, the invitation goes out.
    busy_week(bot, [star], 6 * DAY)
    assert "阿星" in dms(bot.tick(8 * DAY + 7200))


def test_operator_invites_and_retires_by_hand(engine: Engine) -> None:
    bot = Camp(engine, plan())
    quiet = user(3, "小静")
    bot.join(quiet, 10)
    with bot.engine.begin() as conn:
        mid = conn.execute(text("SELECT id FROM members WHERE display_name = '小静'")).scalar_one()
        text_ = service.invite(conn, community_id=bot.cid, member_id=mid, plan=bot.plan,
                               by="lin", why="运营手动邀请", now_ms=1000, role="设计志愿者")
        assert "设计志愿者" in text_
        service.retire(conn, community_id=bot.cid, member_id=mid, by="lin", reason="手动卸任",
                       now_ms=2000)
        actors = [a for (a,) in conn.execute(text(
            "SELECT actor FROM audit_log WHERE action LIKE 'volunteer.%' ORDER BY id"))]
    assert actors == ["operator:lin", "operator:lin"]
    assert roster(bot)["小静"]["state"] == "retired"
    # An invitation nobody answers is closed as declined after answer_days (14).
    with bot.engine.begin() as conn:
        service.invite(conn, community_id=bot.cid, member_id=mid, plan=bot.plan, by="lin",
                       why="再次邀请", now_ms=3000)
        assert service.expire_unanswered(conn, community_id=bot.cid, plan=bot.plan,
                                         now_ms=3000 + 13 * DAY * 1000) == []
        assert service.expire_unanswered(conn, community_id=bot.cid, plan=bot.plan,
                                         now_ms=3000 + 15 * DAY * 1000) == [mid]
    assert roster(bot)["小静"]["state"] == "declined"


def test_where_the_bot_cannot_dm_first_the_invitation_is_an_operator_todo(
        engine: Engine) -> None:
    from qunyun.bot.wiring import build_policies
    from qunyun.capabilities import TELEGRAM
    from qunyun.pipeline.runner import Pipeline

    bot = Camp(engine, plan())
    bot.pipeline = Pipeline(engine, community_id=bot.cid, plan=bot.plan,
                            policies=build_policies(bot.plan, capabilities=TELEGRAM),
                            clock=lambda: bot.now)
    star = user(1, "阿星")
    bot.join(star, 10)
    busy_week(bot, [star], 60)
    bot.tick(2 * DAY + 7200)
    assert dms(bot.tick(3 * DAY + 7200)) == {}
    assert roster(bot)["阿星"]["state"] == "invited"
    with bot.engine.connect() as conn:
        title, detail = conn.execute(text(
            "SELECT title, detail FROM work_items WHERE item_key LIKE 'volunteer:%'")).one()
    assert "阿星" in title and "!接受" in str(detail)


def test_a_member_active_every_day_has_at_most_30_active_days_in_the_figures(
        engine: Engine) -> None:
    """The candidates' numbers use the report's window: the last 30 local calendar days,
    today included (`bot.timezone`, Asia/Shanghai here; T0 is 17:00 local)."""
    bot = Camp(engine, plan(tiers__window_days=30))
    daily = user(1, "天天来")
    bot.join(daily, 10)
    morning, evening = -8 * 3600, 6 * 3600  # 09:00 and 23:00 local, from T0's 17:00
    for day in range(1, 41):
        bot.say(daily, f"第 {day} 天早上好", day * DAY + morning)  # no 打卡: a check-in is no 发言
        if day < 40:
            bot.say(daily, f"第 {day} 天晚上好", day * DAY + evening)
    bot.tick(1 * DAY)  # stores the daily entries
    noon = 40 * DAY - 5 * 3600  # 12:00 local on the 40th day: a 30×24 h span reaches day 10's evening
    bot.tick(noon)
    with bot.engine.connect() as conn:
        rows = service.figures(conn, community_id=bot.cid, plan=bot.plan,
                               now_ms=int(bot.at(noon).timestamp() * 1000))
    numbers = next(r for r in rows if r["name"] == "天天来")
    assert numbers["active_days"] == 30
    assert numbers["window_messages"] == 1 + 29 * 2


def test_the_daily_pass_asks_only_members_a_bot_can_reach(engine: Engine) -> None:
    """Issue 11 #68: under a Matrix bot, a member known only from the community's Telegram
    group (an imported history, no Telegram bot) is never invited, however active: the
    daily pass picks the Matrix members, and every DM goes to a Matrix id."""
    from qunyun.bot.wiring import build_policies
    from qunyun.capabilities import MATRIX
    from qunyun.pipeline.runner import Pipeline
    from qunyun.policies.base import serving

    bot = Camp(engine, plan())
    bot.pipeline = Pipeline(engine, community_id=bot.cid, plan=bot.plan,
                            policies=build_policies(bot.plan, capabilities=MATRIX,
                                                    serves=serving("matrix")),
                            clock=lambda: bot.now)
    star, helper = user(1, "阿星"), user(2, "小帮")
    imported = UserRef("telegram", "user1", "许敏洋")
    telegram = GroupRef("telegram", "-100777", "进阶营（Telegram）")
    for who in (star, helper):
        bot.join(who, 10)
    busy_week(bot, [star, helper], 60)
    for n in range(12):  # the most active of all, but only in the Telegram history
        bot.n += 1
        bot(MessagePosted(source="tg", source_event_id=f"tg{n}", group=telegram,
                          at=bot.at(90 + n * 3600 * 4), actor=imported,
                          text=f"今天的学习笔记第 {n} 篇"))
    bot.tick(2 * DAY + 7200)
    effects = bot.tick(3 * DAY + 7200)
    invited = dms(effects)
    assert set(invited) == {"阿星", "小帮"}
    assert all(e.member.platform == "matrix" and e.group.platform == "matrix"
               for e in effects if isinstance(e, DirectMessage))
    assert "许敏洋" not in roster(bot)

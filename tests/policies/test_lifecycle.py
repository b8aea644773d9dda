"""E1 elimination sweep and E2 revival through the real pipeline, database and schedule, on a
simulated clock (SQLite and PostgreSQL): notice → review → removal → `!复活` → back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from qunyun.effects import Alert, DirectMessage, Effect, Invite, Kick, Reply, Send
from qunyun.events import GroupRef, MemberLeft, MessagePosted, UserRef
from qunyun.services import elimination as elimination_service
from qunyun.services import queues as queue_service
from qunyun.storage.work import queues as queue_repo
from tests.factories import GROUP, user
from tests.policies.test_bot_policies import ADMIN, Bot, camp_plan

DAY = 86_400
# T0 is Sunday 2026-03-01 17:00 in Shanghai; the camp plan sweeps on Mondays at 10:00.
MONDAY_4 = 22 * DAY  # Monday 2026-03-23 17:00 local: that morning's sweep is due
DM = GroupRef("matrix", "!dm-u1:localhost", None)


def of(effects: list[Effect], kind: type[Effect]) -> list[Effect]:
    return [e for e in effects if isinstance(e, kind)]


def dm_to(effects: list[Effect], who: UserRef) -> list[str]:
    return [e.text for e in effects if isinstance(e, DirectMessage) and e.member == who]


def items(bot: Bot, queue: str, status: str | None = "open") -> list[dict]:  # type: ignore[type-arg]
    # Only the sweep's and the revival's items (onboarding deadlines open their own).
    with bot.engine.connect() as conn:
        return [i for i in queue_repo.list_items(conn, community_id=bot.cid, queue=queue,
                                                 status=status)
                if not i["item_key"].startswith("onboarding:")]


def resolve(bot: Bot, item_id: int, status: str) -> None:
    with bot.engine.begin() as conn:
        queue_service.resolve_item(conn, community_id=bot.cid, item_id=item_id,
                                   operator="lin", status=status, reason="test")


def community(bot: Bot) -> tuple[UserRef, UserRef]:
    silent, talker = user(1, "潜水员"), user(2, "话痨")
    bot.tick(0)  # the bot starts: the plan's schedule entries are stored from T0
    bot.join(ADMIN, 0)
    bot.join(silent, 10)
    bot.join(talker, 20)
    bot.tick(31)  # the welcome batch closes (and the questionnaire follows it)
    bot.say(silent, "大家好，我是潜水员，来自杭州做财务", 60)
    for day in (5, 12, 19):
        bot.say(talker, f"第 {day} 天的学习笔记分享给大家", day * DAY)
    return silent, talker


@pytest.fixture
def bot(engine: Engine) -> Bot:
    return Bot(engine, camp_plan(elimination__onboarding_incomplete=False))


def test_sweep_notices_the_silent_member_once_and_never_an_admin(bot: Bot) -> None:
    silent, talker = community(bot)
    assert not of(bot.tick(MONDAY_4 - 7 * DAY), DirectMessage)  # day 15: nobody silent 21 days
    effects = bot.tick(MONDAY_4)
    notices = dm_to(effects, silent)
    assert len(notices) == 1 and notices[0].startswith("【淘汰提醒】")
    # Last message 03-01 17:01, swept 03-23: 22 days by the dates (one definition with the
    # report's E3 list, issue 11), though only 21 whole 24-hour spans.
    assert "已连续 22 天未发言" in notices[0] and "3 月 26 日" in notices[0]
    assert "回群方式" in notices[0]
    assert not dm_to(effects, ADMIN) and not dm_to(effects, talker)
    alert = of(effects, Alert)
    assert len(alert) == 1 and "1 人已收到提醒" in alert[0].text  # type: ignore[attr-defined]
    [item] = items(bot, "elimination")
    assert item["title"].startswith("潜水员：") and item["detail"]["rule"] == "silent"
    # The same slot again (a restart, a second bot): nothing twice.
    assert not of(bot.tick(MONDAY_4 + 60), DirectMessage)
    assert len(items(bot, "elimination")) == 1


def test_without_auto_remove_the_operator_confirms_then_revival_round_trip(bot: Bot) -> None:
    silent, _ = community(bot)
    bot.tick(MONDAY_4)
    # Notice period over, nobody approved: the member stays (E3, auto_remove: false).
    assert not of(bot.tick(MONDAY_4 + 3 * DAY + 60), Kick)
    [item] = items(bot, "elimination")
    resolve(bot, item["id"], "approved")
    effects = bot.tick(MONDAY_4 + 3 * DAY + 120)
    [kick] = of(effects, Kick)
    assert kick.member == silent and "已连续" in kick.reason  # type: ignore[attr-defined]
    [told] = dm_to(effects, silent)
    assert "你已被移出「测试群」" in told and "回群方式" in told and "!复活" in told
    # Told first: once removed, several platforms no longer let the bot reach them.
    assert effects.index(next(e for e in effects if isinstance(e, DirectMessage)
                              and e.member == silent)) < effects.index(kick)
    assert not of(bot.tick(MONDAY_4 + 3 * DAY + 180), Kick)  # removed once
    bot.n += 1  # the platform's notice of the removal
    bot(MemberLeft(source="t", source_event_id="left1", group=GROUP,
                   at=bot.at(MONDAY_4 + 3 * DAY + 200), member=silent))

    # E2: the removed member applies by DM; the operator approves; the bot invites them.
    bot.n += 1
    effects = bot(MessagePosted(source="t", source_event_id="revive1", group=DM,
                                at=bot.at(MONDAY_4 + 4 * DAY), actor=silent,
                                text="!复活 我补交了三次作业"))
    [reply] = of(effects, Reply)
    assert "回群申请已提交" in reply.text  # type: ignore[attr-defined]
    assert "我补交了三次作业" in of(effects, Alert)[0].text  # type: ignore[attr-defined]
    [application] = items(bot, "revival")
    assert application["detail"]["text"] == "我补交了三次作业"
    assert not of(bot.tick(MONDAY_4 + 4 * DAY + 60), Invite)  # not before approval
    resolve(bot, application["id"], "approved")
    effects = bot.tick(MONDAY_4 + 4 * DAY + 120)
    [invite] = of(effects, Invite)
    assert invite.member == silent and invite.group == GROUP  # type: ignore[attr-defined]
    assert any("回群申请已通过" in t for t in dm_to(effects, silent))
    assert not of(bot.tick(MONDAY_4 + 4 * DAY + 180), Invite)  # invited once

    with bot.engine.connect() as conn:
        [case] = elimination_service.history(
            conn, member_id=int(bot.scalar("SELECT member_id FROM lifecycle_cases")))
    assert case["status"] == "revived" and case["revived_how"] == "approved"
    assert case["closed_ms"] is not None  # removed, then revived: both kept
    # Back in the group, welcomed back (not a newcomer: no welcome batch, no form); the
    # next Monday's sweep counts their silence from the return.
    back = bot.join(silent, MONDAY_4 + 5 * DAY)
    assert [e.text for e in of(back, Send)] == [  # type: ignore[attr-defined]
        "欢迎回来，@潜水员！你的积分和记录都还在，直接参与就好。"]
    assert not dm_to(back, silent)
    assert not dm_to(bot.tick(MONDAY_4 + 7 * DAY), silent)


def test_an_exempted_member_is_kept_and_speaking_again_cancels(engine: Engine) -> None:
    bot = Bot(engine, camp_plan(elimination__onboarding_incomplete=False,
                                elimination__auto_remove=True))
    silent, talker = community(bot)
    other = user(3, "旁观者")
    bot.join(other, 30)
    bot.tick(MONDAY_4)
    assert len(items(bot, "elimination")) == 2
    exempt = next(i for i in items(bot, "elimination") if i["title"].startswith("旁观者"))
    resolve(bot, exempt["id"], "exempted")
    bot.say(silent, "不好意思最近太忙了，我还在！", MONDAY_4 + DAY)
    effects = bot.tick(MONDAY_4 + 3 * DAY + 60)
    assert not of(effects, Kick)  # auto_remove, but one was exempted and one spoke again
    assert any("淘汰提醒已取消" in t for t in dm_to(effects, silent))
    # An exempted member is not noticed again by later sweeps (E3).
    assert not dm_to(bot.tick(MONDAY_4 + 7 * DAY), other)
    assert not dm_to(bot.tick(MONDAY_4 + 7 * DAY), talker)


def test_auto_remove_respects_the_per_round_limit(engine: Engine) -> None:
    bot = Bot(engine, camp_plan(elimination__onboarding_incomplete=False,
                                elimination__auto_remove=True,
                                elimination__max_removals_per_run=2))
    bot.tick(0)
    bot.join(ADMIN, 0)
    for n in range(1, 6):
        bot.join(user(n, f"潜水{n}"), n)
    bot.tick(20)  # the welcome batch closes (and the questionnaire follows it)
    notices = bot.tick(MONDAY_4)
    assert len(of(notices, DirectMessage)) == 5 and not dm_to(notices, ADMIN)
    rounds = [len(of(bot.tick(MONDAY_4 + 3 * DAY + 60 * k), Kick)) for k in range(1, 5)]
    assert rounds == [2, 2, 1, 0]


def test_referrals_readmit_at_once_and_a_stranger_is_told_there_is_nothing_to_revive(
        engine: Engine) -> None:
    bot = Bot(engine, camp_plan(elimination__onboarding_incomplete=False,
                                elimination__auto_remove=True,
                                revival__ways=["referrals", "reapply"], revival__referrals=2))
    silent, talker = community(bot)
    bot.join(user(7, "新人甲"), 40, inviter=silent)
    bot.join(user(8, "新人乙"), 50, inviter=silent)
    for n in (7, 8):
        bot.say(user(n), "大家好，我是新来的，请多关照哦", 20 * DAY)
    bot.tick(MONDAY_4)
    assert of(bot.tick(MONDAY_4 + 3 * DAY + 60), Kick)
    effects = bot(MessagePosted(source="t", source_event_id="r1", group=DM,
                                at=bot.at(MONDAY_4 + 4 * DAY), actor=silent, text="!复活"))
    [invite] = of(effects, Invite)
    assert invite.group == GROUP and "已满足回群条件" in of(effects, Reply)[0].text  # type: ignore[attr-defined]
    assert not items(bot, "revival")
    effects = bot(MessagePosted(source="t", source_event_id="r2", group=DM,
                                at=bot.at(MONDAY_4 + 4 * DAY), actor=talker, text="！复活"))
    assert "没有找到你被移出的记录" in of(effects, Reply)[0].text  # type: ignore[attr-defined]


def test_a_group_announcement_when_the_plan_asks(engine: Engine) -> None:
    bot = Bot(engine, camp_plan(elimination__onboarding_incomplete=False,
                                elimination__announce_in_group=True))
    silent, _ = community(bot)
    sends = [e for e in of(bot.tick(MONDAY_4), Send) if "淘汰提醒" in e.text]  # type: ignore[attr-defined]
    assert len(sends) == 1 and sends[0].mentions == (silent,)  # type: ignore[attr-defined]


def test_a_sweep_missed_for_more_than_a_day_is_not_run_late(bot: Bot) -> None:
    community(bot)
    assert not of(bot.tick(MONDAY_4 + DAY + 60), DirectMessage)  # Tuesday evening
    assert of(bot.tick(MONDAY_4 + 7 * DAY), DirectMessage)  # the next Monday's slot runs


def test_no_sweep_without_a_rule(engine: Engine) -> None:
    bot = Bot(engine, camp_plan(elimination__enabled=False))
    community(bot)
    assert not of(bot.tick(MONDAY_4), DirectMessage)
    assert timedelta(0) == timedelta(0)


def test_a_silent_room_moderator_is_never_noticed(engine: Engine) -> None:
    """Issue 15: a moderator the plan does not list (the demo's `operator`) is an admin to
    the sweep as to the report (`services.staff`), however silent."""
    from qunyun.bot.wiring import build_policies
    from qunyun.pipeline.runner import Pipeline

    plan = camp_plan(elimination__onboarding_incomplete=False, bot__admins=[])
    bot = Bot(engine, plan)
    moderator = UserRef("matrix", "@operator:localhost", "运营者")
    bot.pipeline = Pipeline(engine, community_id=bot.cid, plan=plan, clock=lambda: bot.now,
                            policies=build_policies(plan,
                                                    room_admins=lambda _g: {moderator.user_id}))
    silent, _talker = community(bot)
    bot.join(moderator, 30)
    bot.tick(41)
    effects = bot.tick(MONDAY_4)
    assert len(dm_to(effects, silent)) == 1 and not dm_to(effects, moderator)
    titles = [i["title"].split("：")[0] for i in items(bot, "elimination")]
    # 班主任小林 is not in this plan's bot.admins nor a moderator here: a member like others.
    assert "潜水员" in titles and "运营者" not in titles


DIRECT = GroupRef("matrix", "!dm-u1:localhost", None, kind="direct")
HOMEWORK = "https://gist.example.cn/rename.py"


def removed(bot: Bot) -> UserRef:
    """The silent member, noticed on the fourth Monday and removed when the notice ends."""
    silent, _ = community(bot)
    bot.tick(MONDAY_4)
    assert of(bot.tick(MONDAY_4 + 3 * DAY + 60), Kick)
    return silent


def dm(bot: Bot, who: UserRef, text: str, seconds: float) -> list[Effect]:
    bot.n += 1
    return bot(MessagePosted(source="t", source_event_id=f"dm{bot.n}", group=DIRECT,
                             at=bot.at(seconds), actor=who, text=text))


def case_of(bot: Bot) -> dict:  # type: ignore[type-arg]
    with bot.engine.connect() as conn:
        [case] = elimination_service.history(
            conn, member_id=int(bot.scalar("SELECT member_id FROM lifecycle_cases")))
    return case


def task_plan(**changes: object) -> object:
    return camp_plan(elimination__onboarding_incomplete=False, elimination__auto_remove=True,
                     revival__ways=["task"], revival__task="批量重命名", **changes)


def test_the_revival_task_handed_in_by_dm_readmits_at_once(engine: Engine) -> None:
    """E2: the plan names its task; the removed member's `!作业 链接` by DM is the task
    handed in — recorded with the link, and the member is invited back at once."""
    from qunyun.services import tasks as task_service

    bot = Bot(engine, task_plan())  # type: ignore[arg-type]
    silent = removed(bot)
    # Without a link nothing is filed: the member is asked for it.
    [ask] = of(dm(bot, silent, "!复活 我想回来", MONDAY_4 + 4 * DAY), Reply)
    assert "请附上任务「批量重命名」的作业链接" in ask.text  # type: ignore[attr-defined]
    assert not items(bot, "revival") and case_of(bot)["status"] == "removed"

    effects = dm(bot, silent, f"!作业 {HOMEWORK} 补交的重命名脚本", MONDAY_4 + 4 * DAY + 60)
    [invite] = of(effects, Invite)
    assert invite.member == silent and invite.group == GROUP  # type: ignore[attr-defined]
    assert invite.reason == "E2 revival: task"  # the audit names how
    [reply] = of(effects, Reply)
    assert "任务「批量重命名」已收到" in reply.text and "已邀请你回到「测试群」" in reply.text  # type: ignore[attr-defined]
    assert HOMEWORK in of(effects, Alert)[0].text  # type: ignore[attr-defined]
    assert not items(bot, "revival")
    case = case_of(bot)
    assert case["status"] == "revived" and case["revived_how"] == "task"
    with bot.engine.connect() as conn:
        [handed] = task_service.submissions(conn, member_id=int(case["member_id"]))
    assert handed["link"] == HOMEWORK
    # Back once: the same hand-in again finds nothing to revive.
    again = dm(bot, silent, f"!复活 {HOMEWORK}", MONDAY_4 + 4 * DAY + 120)
    assert not of(again, Invite)


def test_a_member_who_was_never_removed_hands_in_homework_as_usual(engine: Engine) -> None:
    bot = Bot(engine, task_plan())  # type: ignore[arg-type]
    _silent, talker = community(bot)
    [reply] = of(dm(bot, talker, f"!作业 {HOMEWORK}", 20 * DAY), Reply)
    assert "作业链接已收到" in reply.text  # type: ignore[attr-defined]


def test_without_auto_readmit_the_handed_in_task_waits_in_the_queue(engine: Engine) -> None:
    bot = Bot(engine, task_plan(revival__auto_readmit=False))  # type: ignore[arg-type]
    silent = removed(bot)
    effects = dm(bot, silent, f"!复活 {HOMEWORK}", MONDAY_4 + 4 * DAY)
    assert not of(effects, Invite)
    assert "管理员确认后会邀请你回群" in of(effects, Reply)[0].text  # type: ignore[attr-defined]
    [application] = items(bot, "revival")
    assert application["detail"]["link"] == HOMEWORK
    assert application["detail"]["task"] == "批量重命名" and application["detail"]["submission"]
    assert "已交任务「批量重命名」" in application["title"]
    resolve(bot, application["id"], "approved")
    [invite] = of(bot.tick(MONDAY_4 + 4 * DAY + 60), Invite)
    assert invite.member == silent  # type: ignore[attr-defined]
    assert case_of(bot)["revived_how"] == "approved"


@pytest.mark.parametrize(("platform", "words"), [
    ("telegram", "回到「测试群」的进群链接马上私信给你"),  # the adapter DMs a one-use link
    ("qq", "管理员会尽快把「测试群」的进群方式发给你"),  # the adapter leaves the to-do
])
def test_where_the_bot_cannot_invite_the_member_is_told_how_they_get_back(
        engine: Engine, platform: str, words: str) -> None:
    from qunyun.bot.wiring import build_policies
    from qunyun.capabilities import of_platform
    from qunyun.pipeline.dispatcher import Dispatcher

    bot = Bot(engine, task_plan())  # type: ignore[arg-type]
    silent = removed(bot)
    bot.pipeline.dispatcher = Dispatcher(build_policies(
        bot.plan, capabilities=of_platform(platform)))
    effects = dm(bot, silent, f"!复活 {HOMEWORK}", MONDAY_4 + 4 * DAY)
    assert of(effects, Invite) and words in of(effects, Reply)[0].text  # type: ignore[attr-defined]


def test_the_notice_tells_how_to_hand_in_the_named_task(engine: Engine) -> None:
    bot = Bot(engine, task_plan())  # type: ignore[arg-type]
    silent, _ = community(bot)
    [notice] = dm_to(bot.tick(MONDAY_4), silent)
    assert "补交「批量重命名」作业：私信机器人「!复活 作业链接」" in notice and "!复活 作业链接" in notice
    assert "自动邀请你回群" in notice

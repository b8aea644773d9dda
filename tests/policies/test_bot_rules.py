"""Who the rules apply to and what the plan's own instructions do (issue 11 items 4, 6, 9,
11, 12), through the real pipeline and database (SQLite and PostgreSQL): room moderators
are admins, commands are never repeats or adverts, `!作业` records a submission with
points, polls close with a result, admins are off the points boards, a level-up is
audited on the member it congratulates, and an appeal's decision acts."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

import pytest
from sqlalchemy import Engine, text

from qunyun.bot.wiring import build_policies
from qunyun.effects import Alert, DirectMessage, Invite, Reply, Send, effect_from_dict
from qunyun.events import GroupRef, MemberLeft, MessagePosted, UserRef
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.model import Plan
from qunyun.services import appeals as appeal_service
from qunyun.services import queues as queue_service
from qunyun.services import warnings as warning_service
from qunyun.storage.work import queues as queue_repo
from tests.factories import GROUP, user
from tests.policies.test_bot_policies import ADMIN, Bot, camp_plan, kinds

MOD = UserRef("matrix", "@mod:localhost", "助教阿杰")  # power ≥ 50 in the room, not in bot.admins


def make_bot(engine: Engine, plan: Plan, moderators: Collection[str] = (MOD.user_id,)) -> Bot:
    bot = Bot(engine, plan)

    def room_admins(group: GroupRef) -> Collection[str]:
        return moderators if group == GROUP else ()

    bot.pipeline = Pipeline(engine, community_id=bot.cid, plan=plan, clock=lambda: bot.now,
                            policies=build_policies(plan, room_admins=room_admins))
    return bot


@pytest.fixture
def bot(engine: Engine) -> Bot:
    return make_bot(engine, camp_plan())


def rows(bot: Bot, sql: str, **params: Any) -> list[Any]:
    with bot.engine.connect() as conn:
        return list(conn.execute(text(sql), params).mappings())


# -- item 4: the plan's own instructions -------------------------------------------------------
def test_handing_in_homework_as_the_faq_says_is_recorded_not_moderated(bot: Bot) -> None:
    member = user(1, "小李-上海-产品经理")
    effects = bot.say(member, "!作业 https://github.com/xiaoli/week1", 0)
    assert "delete" not in kinds(effects) and "warn" not in kinds(effects)
    ack = effects[0]
    assert isinstance(ack, Reply) and "作业链接已收到" in ack.text and "第 1 次提交" in ack.text
    assert "+10 分" in ack.text  # points.actions.task (default 10)
    saved = rows(bot, "SELECT link, text FROM bot_task_submissions")
    assert [r["link"] for r in saved] == ["https://github.com/xiaoli/week1"]
    assert bot.scalar("SELECT sum(points) FROM bot_points WHERE action = 'task'") == 10
    second = bot.say(member, "！作业　第二周 https://gitee.com/xiaoli/week2", 60)
    assert "第 2 次提交" in second[0].text
    # the ledger row names the event that earned it, shown on the member page
    assert bot.scalar("SELECT count(*) FROM bot_points WHERE action = 'task' AND ref = 'm2'") == 1


@pytest.mark.parametrize(("said", "link"), [
    ("!作业 作业在这https://github.com/x/y谢谢", "https://github.com/x/y"),
    ("!作业 链接：github.com/a/b，请看", "github.com/a/b"),
    ("！作业　第三周（https://gitee.com/u/w3）。", "https://gitee.com/u/w3"),
    ("!作业https://github.com/u/w4", "https://github.com/u/w4"),  # glued to the command
])
def test_a_task_link_glued_to_chinese_text_is_recorded_as_the_address(
        bot: Bot, said: str, link: str) -> None:
    effects = bot.say(user(1, "小李-上海-产品经理"), said, 0)
    assert "delete" not in kinds(effects) and "作业链接已收到" in effects[0].text
    assert [r["link"] for r in rows(bot, "SELECT link FROM bot_task_submissions")] == [link]


def test_a_task_without_anything_to_hand_in_gets_the_usage(bot: Bot) -> None:
    effects = bot.say(user(1), "!作业", 0)
    assert isinstance(effects[0], Reply) and "附上作业链接" in effects[0].text
    asked = bot.say(user(1), "!作业 第三周的什么时候交？", 1)
    assert "附上作业链接" in asked[0].text
    assert bot.scalar("SELECT count(*) FROM bot_task_submissions") == 0


def test_the_same_link_outside_a_command_is_still_a_forbidden_link(bot: Bot) -> None:
    assert kinds(bot.say(user(1), "看我作业 https://github.com/xiaoli/week1", 0)) == [
        "delete", "warn"]


def test_an_unknown_command_with_an_advert_is_still_an_advert(bot: Bot) -> None:
    assert "delete" in kinds(bot.say(user(1), "!福利 加微信 http://spam.example.com", 0))


# -- item 6: commands are not repeats; per-rule exemptions -------------------------------------
def test_an_admin_starting_the_same_poll_three_times_is_not_warned(bot: Bot) -> None:
    for i in range(3):
        effects = bot.say(ADMIN, "!发起投票 周末直播改到几点？ | 19:00 | 20:00", i * 10)
        assert "warn" not in kinds(effects) and "📊 投票：" in effects[-1].text
        # a poll replaced by a new one is over: its result is posted first
        assert kinds(effects) == (["send"] if i == 0 else ["send", "send"])
        assert i == 0 or effects[0].text.startswith("📊 投票结束：周末直播改到几点？")
    assert bot.scalar("SELECT count(*) FROM bot_warnings") == 0
    for i in range(3):
        assert "warn" not in kinds(bot.say(user(2), "!申诉 我没有发广告，请管理员核实一下", 40 + i))


def test_a_plain_text_repeated_three_times_is_still_a_repeat(bot: Bot) -> None:
    said = [bot.say(user(2), "明晚八点直播，大家记得准时参加哦", i) for i in range(3)]
    assert "warn" in kinds(said[2]) and "warn" not in kinds(said[1])


def test_the_repeat_warning_says_what_counts_as_a_repeat(bot: Bot) -> None:
    # Issue 11 walk finding 52: the member learns the rule, not only that they broke it.
    said = [bot.say(user(2), "明晚八点直播，大家记得准时参加哦", i) for i in range(3)]
    (warning,) = [e for e in said[2] if e.kind == "warn"]
    assert "同一句话至少 10 个字、5 分钟内发 3 次算重复" in warning.text  # type: ignore[attr-defined]
    assert "「收到」这类短句不算" in warning.text  # type: ignore[attr-defined]
    assert [kinds(bot.say(user(3), "收到", 10 + i)) for i in range(4)] == [[]] * 4


def test_the_flood_warning_says_what_counts_as_flooding(engine: Engine) -> None:
    # Walk13 #64: like the repeat warning, from the plan's own numbers.
    bot = make_bot(engine, camp_plan(moderation__flood={"messages": 5, "seconds": 20}))
    said = [bot.say(user(2), f"哈哈{i}", i) for i in range(6)]
    warnings = [e for effects in said for e in effects if e.kind == "warn"]
    assert len(warnings) == 1  # one burst, one warning
    assert "因「刷屏」已被撤回（20 秒内连发 5 条或更多算刷屏；一次刷屏只算一次警告）" \
        in warnings[0].text  # type: ignore[attr-defined]


def test_admins_are_exempt_from_one_rule_when_the_plan_says_so(engine: Engine) -> None:
    bot = make_bot(engine, camp_plan(moderation__repeat={"admins_exempt": True}))
    notice = "明晚八点直播，大家记得准时参加哦"
    assert [kinds(bot.say(MOD, notice, i)) for i in range(3)] == [[], [], []]
    assert "delete" in kinds(bot.say(MOD, "http://other.example.com", 10))  # links still apply
    member = [bot.say(user(3), notice, 20 + i) for i in range(3)]
    assert "warn" in kinds(member[2])  # the same rule for members


# -- item 9: admins out of the box; polls close with a result ----------------------------------
def test_room_moderators_are_admins_and_close_polls_with_a_result(bot: Bot) -> None:
    started = bot.say(MOD, "!发起投票 下次直播讲什么？ | pandas | 可视化", 0)
    assert "📊 投票" in started[0].text
    bot.say(user(1), "!投票 1", 10)
    bot.say(user(2), "!投票 1", 11)
    bot.say(user(3), "!投票 2", 12)
    refused = bot.say(user(1), "!结束投票", 20)
    assert isinstance(refused[0], Reply) and "只有管理员" in refused[0].text
    closed = bot.say(MOD, "!结束投票", 30)
    post = closed[0]
    assert isinstance(post, Send) and post.text.startswith("📊 投票结束：下次直播讲什么？")
    assert "1. pandas — 2 票（67%）" in post.text and "2. 可视化 — 1 票（33%）" in post.text
    assert "共 3 人投票" in post.text and "「pandas」得票最多" in post.text
    late = bot.say(user(4), "!投票 2", 40)
    assert "没有进行中的投票" in late[0].text
    assert "我能做的" in bot.say(user(1), "!帮助", 50)[0].text
    assert "!结束投票" not in bot.say(user(1), "!帮助", 51)[0].text  # a member's own only
    assert "!结束投票" in bot.say(user(1), "!帮助 全部", 52)[0].text
    assert "!结束投票" in bot.say(MOD, "!帮助", 53)[0].text


def test_poll_options_are_numbered_as_votes_count_them(bot: Bot) -> None:
    started = bot.say(MOD, "!发起投票 去哪儿 | 杭州 | | 上海", 0)[0].text
    assert "1. 杭州\n2. 上海" in started
    assert "上海 1" in bot.say(user(1), "!投票 2", 1)[0].text


def test_the_plan_can_say_moderators_are_not_admins(engine: Engine) -> None:
    bot = make_bot(engine, camp_plan(bot__moderators_are_admins=False))
    refused = bot.say(MOD, "!发起投票 问题 | 甲 | 乙", 0)
    assert "只有管理员可以发起投票" in refused[0].text
    assert "📊 投票" in bot.say(ADMIN, "!发起投票 问题 | 甲 | 乙", 1)[0].text  # bot.admins still


# -- item 11: admins off the boards; the level-up audited on the right member ------------------
def test_admins_earn_no_points_and_are_off_the_leaderboard(bot: Bot) -> None:
    for n in range(3):
        bot.join(user(10 + n, f"新人{n}"), n, inviter=MOD)
    bot.say(MOD, "欢迎大家，有问题随时问", 10)
    assert bot.scalar("SELECT count(*) FROM bot_points WHERE action = 'invite'") == 0
    assert not any("升级" in getattr(e, "text", "") for e in bot.say(MOD, "今晚直播见", 11))
    bot.say(user(10, "新人0"), "老师好，我来报到了", 20)
    board = bot.say(user(10, "新人0"), "!排行", 30)[0].text
    assert "新人0" in board and "助教阿杰" not in board


def test_an_admin_checks_in_and_hands_in_without_points(bot: Bot) -> None:
    checked = bot.say(MOD, "打卡 今天备课两小时", 0)[0].text
    assert "打卡成功" in checked and "分" not in checked
    handed = bot.say(MOD, "!作业 https://github.com/mod/demo", 10)[0].text
    assert "作业链接已收到" in handed and "分" not in handed
    assert bot.scalar("SELECT count(*) FROM bot_points") == 0
    assert "+5 分" in bot.say(user(1), "打卡 今天学了一小时", 20)[0].text


def test_the_plan_can_put_admins_on_the_boards(engine: Engine) -> None:
    bot = make_bot(engine, camp_plan(points__include_admins=True))
    for n in range(3):
        bot.join(user(10 + n), n, inviter=MOD)
    assert bot.scalar("SELECT sum(points) FROM bot_points WHERE action = 'invite'") == 60
    assert "助教阿杰" in bot.say(user(10), "!排行", 30)[0].text


def test_a_level_up_is_audited_on_the_member_congratulated(engine: Engine) -> None:
    bot = make_bot(engine, camp_plan(points__levels=[{"name": "新人", "min_points": 0},
                                                     {"name": "成员", "min_points": 20}]))
    inviter, newcomer = user(1, "老成员"), user(2, "新人乙")
    bot.say(inviter, "大家好", 0)  # the inviter is known before the join
    effects = bot.join(newcomer, 10, inviter=inviter)
    assert any(isinstance(e, Send) and "恭喜 @老成员" in e.text for e in effects)
    audited = rows(bot, "SELECT a.member_id, m.display_name FROM audit_log a "
                        "JOIN members m ON m.id = a.member_id WHERE a.reason = 'T3 level up'")
    assert [r["display_name"] for r in audited] == ["老成员"]


# -- item 12: an appeal's decision acts -------------------------------------------------------
def _appeal_item(bot: Bot) -> dict[str, Any]:
    with bot.engine.connect() as conn:
        items = queue_repo.list_items(conn, community_id=bot.cid, queue="appeal")
    assert len(items) == 1
    return items[0]


def _outbox(bot: Bot) -> list[Any]:
    found = rows(bot, "SELECT effect FROM audit_log WHERE status = 'pending' "
                      "AND actor = 'operator:lin' ORDER BY id")
    return [effect_from_dict(r["effect"] if isinstance(r["effect"], dict)
                             else json.loads(r["effect"])) for r in found]


def test_an_approved_appeal_withdraws_its_warnings_and_tells_the_member(bot: Bot) -> None:
    member = user(5, "小周")
    bot.say(member, "资料 http://spam.example.com/a", 0)
    bot.say(member, "资料 http://spam.example.com/b", 10)
    assert "申诉已提交" in bot.say(member, "!申诉 那是课程资料的镜像站", 20)[0].text
    item = _appeal_item(bot)
    assert len(item["detail"]["warnings"]) == 2
    with bot.engine.begin() as conn:
        decision = appeal_service.decide(conn, community_id=bot.cid, item_id=item["id"],
                                         operator="lin", approve=True, reason="核实是镜像站")
    assert len(decision.revoked) == 2 and decision.reinvited == []
    with bot.engine.connect() as conn:
        assert warning_service.live_count(conn, member_id=item["member_id"],
                                          now_ms=int(bot.now.timestamp() * 1000) + 1) == 0
    told, in_group = _outbox(bot)
    assert isinstance(told, DirectMessage) and told.member.user_id == member.user_id
    assert "申诉已通过" in told.text and "撤销 2 次警告" in told.text and "核实是镜像站" in told.text
    # Appealed in the group: one line there says the answer is in the DM (walk finding 66).
    assert in_group.kind == "send" and "结果已私信你" in in_group.text
    assert bot.scalar("SELECT count(*) FROM audit_log WHERE action = 'warning:revoke'") == 2
    # a third link now is the first live warning again, not a removal
    assert kinds(bot.say(member, "http://spam.example.com/c", 30)) == ["delete", "warn"]
    with bot.engine.begin() as conn, pytest.raises(queue_service.QueueError):
        appeal_service.decide(conn, community_id=bot.cid, item_id=item["id"], operator="lin",
                              approve=True, reason="")  # decided once


def test_a_removed_member_appeals_by_dm_and_is_invited_back(bot: Bot) -> None:
    member = user(6, "小吴")
    for i in range(3):
        effects = bot.say(member, f"福利 http://spam.example.com/{i}", i * 10)
    assert "kick" in kinds(effects)
    bot.n += 1
    bot(MemberLeft(source="t", source_event_id=f"left{bot.n}", group=GROUP, at=bot.at(31),
                   member=member, removed_by=UserRef("matrix", "@bot:localhost", "群运助手")))
    dm = GroupRef("matrix", "!dm:localhost", None, "direct")
    bot.n += 1
    bot(MessagePosted(source="t", source_event_id=f"m{bot.n}", group=dm, at=bot.at(40),
                      actor=member, text="!申诉 我是新同学，不知道不能发链接"))
    item = _appeal_item(bot)
    assert len(item["detail"]["warnings"]) == 3  # the warnings that got them removed
    with bot.engine.begin() as conn:
        decision = appeal_service.decide(conn, community_id=bot.cid, item_id=item["id"],
                                         operator="lin", approve=True, reason="")
    assert decision.reinvited == ["测试群"]
    invite, told = _outbox(bot)
    assert isinstance(invite, Invite) and invite.group == GROUP
    assert invite.member.user_id == member.user_id
    assert isinstance(told, DirectMessage) and told.group == dm
    assert "重新邀请你回到「测试群」" in told.text


def test_the_admins_room_hears_of_an_appeal_and_what_deciding_it_does(bot: Bot) -> None:
    # Issue 11 walk finding 17: an appeal is one alert in the admins' room (it @-mentions
    # the admins who can act), about the group, saying where to decide and what follows.
    member = user(9, "小郑")
    for i in range(2):
        bot.say(member, f"福利 http://spam.example.com/{i}", i * 10)
    alert = next(e for e in bot.say(member, "!申诉 那是课程资料的镜像站", 20)
                 if isinstance(e, Alert))
    assert alert.ping and alert.group == GROUP and alert.member == member
    assert alert.text.startswith("【申诉】小郑 对「发送未经允许的链接（2 次警告）」提出申诉：那是课程资料的镜像站")
    assert "工作队列「申诉」" in alert.text and "通过会撤销这些警告，" in alert.text
    bot.say(member, "福利 http://spam.example.com/3", 30)  # the third: removed
    dm = GroupRef("matrix", "!dm9:localhost", None, "direct")
    bot.n += 1
    by_dm = bot(MessagePosted(source="t", source_event_id=f"m{bot.n}", group=dm, at=bot.at(40),
                              actor=member, text="!申诉 我是新同学，不知道不能发链接"))
    alert = next(e for e in by_dm if isinstance(e, Alert))
    assert alert.group == GROUP  # the group the removal was from, not the DM
    assert "对「被移出」提出申诉：我是新同学" in alert.text and "邀请 ta 回群" in alert.text


def test_an_appeal_needs_a_reason_and_removal_says_how_to_appeal(bot: Bot) -> None:
    assert "写明理由" in bot.say(user(8), "!申诉", 0)[0].text
    assert bot.scalar("SELECT count(*) FROM work_items WHERE queue = 'appeal'") == 0
    for i in range(3):
        effects = bot.say(user(8), f"http://spam.example.com/{i}", 10 + i)
    notice = next(e for e in effects if isinstance(e, Send))
    assert "私信机器人发送 !申诉" in notice.text


def test_a_rejected_appeal_tells_the_member_why(bot: Bot) -> None:
    member = user(7, "小郑")
    bot.say(member, "http://spam.example.com", 0)
    bot.say(member, "!申诉 我不是广告", 10)
    item = _appeal_item(bot)
    with bot.engine.begin() as conn:
        appeal_service.decide(conn, community_id=bot.cid, item_id=item["id"], operator="lin",
                              approve=False, reason="链接是外部推广页")
    told, in_group = _outbox(bot)
    assert isinstance(told, DirectMessage)
    assert "申诉未通过" in told.text and "链接是外部推广页" in told.text
    assert "结果已私信你" in in_group.text and "外部推广页" not in in_group.text
    assert bot.scalar("SELECT count(*) FROM bot_warnings WHERE revoked_ms IS NULL") == 1
    assert bot.scalar("SELECT status FROM work_items WHERE queue = 'appeal'") == "dismissed"

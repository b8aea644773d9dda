"""What the bot does with a member's DM, and with a removal at the warning limit (issue 11,
walk-through findings 13, 16/64, 49, 70, 75).

A removal by moderation ("送机票") is a removal on record: `!复活` finds it and member 360
shows it; an upheld appeal ends it. `!申诉` with nothing to appeal files nothing. A member
no longer in any of the community's groups gets no newcomer questions, and their DM is not
an answer; a DM that is no answer, command or FAQ hit goes to the admins (R5), and so does
the member's unanswered question in the group, with one short note to them."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from qunyun.effects import Alert, DirectMessage, Effect, Reply, Send
from qunyun.events import GroupRef, MemberLeft, MessagePosted, UserRef
from qunyun.services import appeals
from qunyun.services import elimination as elimination_service
from qunyun.services import onboarding as onboarding_service
from qunyun.services.reports import weekly_numbers
from qunyun.storage.lifecycle import cases as case_repo
from qunyun.storage.work import queues as queue_repo
from tests.factories import GROUP, user
from tests.policies.test_bot_policies import Bot, camp_plan

DM = GroupRef("matrix", "!dm-u7:localhost", None, "direct")
ADVERTS = ("福利 https://spam.example.com/x", "加微信领资料 vx123", "代購正品，價格優惠，私聊我")


@pytest.fixture
def bot(engine: Engine) -> Bot:
    return Bot(engine, camp_plan())


def dm(bot: Bot, who: UserRef, text: str, seconds: float) -> list[Effect]:
    bot.n += 1
    return bot(MessagePosted(source="t", source_event_id=f"dm{bot.n}", group=DM,
                             at=bot.at(seconds), actor=who, text=text))


def left(bot: Bot, who: UserRef, seconds: float) -> list[Effect]:
    bot.n += 1
    return bot(MemberLeft(source="t", source_event_id=f"l{bot.n}", group=GROUP,
                          at=bot.at(seconds), member=who))


def replies(effects: list[Effect]) -> list[str]:
    return [e.text for e in effects if isinstance(e, Reply)]


def items(bot: Bot, queue: str) -> list[dict]:  # type: ignore[type-arg]
    with bot.engine.begin() as conn:
        return queue_repo.list_items(conn, community_id=bot.cid, queue=queue)


def member_id(bot: Bot, who: UserRef) -> int:
    return int(bot.scalar(f"SELECT member_id FROM identities WHERE external_id = '{who.user_id}'"))


def removed_at_limit(bot: Bot, who: UserRef) -> list[Effect]:
    bot.join(who, 0)
    effects: list[Effect] = []
    for n, advert in enumerate(ADVERTS):
        effects = bot.say(who, advert, 60 + n)
    assert any(e.kind == "kick" for e in effects)
    return effects


def test_a_removal_at_the_warning_limit_is_on_record_and_offers_the_appeal_only(
        bot: Bot) -> None:
    """Finding 70: 送机票 is a removal on record (member 360, the weekly report); walk13
    finding 11: the way back from breaking the rules is an appeal an admin decides, never
    revival — the DM names no homework or renewal, and `!复活` / `!作业 链接` point to
    `!申诉` and file nothing."""
    member = user(7, "王五-北京-运营")
    effects = removed_at_limit(bot, member)
    (notice,) = [e for e in effects if isinstance(e, DirectMessage) and e.member == member]
    assert "!申诉" in notice.text
    assert "回群方式" not in notice.text and "!复活" not in notice.text \
        and "作业" not in notice.text
    left(bot, member, 70)
    with bot.engine.begin() as conn:
        (case,) = elimination_service.history(conn, member_id=member_id(bot, member))
    assert case["status"] == "removed" and "累计 3 次警告" in case["reason"]  # member 360
    with bot.engine.begin() as conn:  # the weekly report: not the sweep's notice or removal
        assert case_repo.counts(conn, community_id=bot.cid, since_ms=0) == {
            "noticed": 0, "removed": 0, "revived": 0}
    weekly = weekly_numbers(bot.engine, community_id=bot.cid, plan=bot.plan, as_of=bot.at(3600))
    assert weekly["lifecycle"]["removed_for_rules"] == 1  # 违规移出, once

    (text,) = replies(dm(bot, member, "!复活 我会遵守群规，请让我回去", 120))
    assert "没有找到" not in text and "违反群规" in text and "!申诉" in text
    effects = dm(bot, member, "!作业 https://github.com/wangwu/hw1", 130)
    assert not any(e.kind == "invite" for e in effects)
    (text,) = replies(effects)
    assert "!申诉" in text
    assert items(bot, "revival") == []


def test_an_upheld_appeal_ends_the_removal(bot: Bot) -> None:
    member = user(7, "王五-北京-运营")
    removed_at_limit(bot, member)
    left(bot, member, 70)
    (text,) = replies(dm(bot, member, "!申诉 第一条是课程资料的链接", 100))
    assert "申诉已提交" in text
    with bot.engine.begin() as conn:
        (item,) = queue_repo.list_items(conn, community_id=bot.cid, queue="appeal")
        decision = appeals.decide(conn, community_id=bot.cid, item_id=int(item["id"]),
                                  operator="lin", approve=True, reason="确是课程资料")
        (case,) = elimination_service.history(conn, member_id=member_id(bot, member))
    assert decision.reinvited and case["status"] == "revived" and case["revived_how"] == "appeal"
    (text,) = replies(dm(bot, member, "!复活 让我回去", 200))
    assert "没有找到你被移出的记录" in text


def test_an_appeal_with_nothing_to_appeal_files_nothing(bot: Bot) -> None:
    """Finding 49."""
    member = user(8, "李四-上海-教师")
    bot.join(member, 0)
    (text,) = replies(bot.say(member, "!申诉 我没有被警告，只是想试试", 30))
    assert text.startswith("你目前没有警告或移除记录，无需申诉")
    assert items(bot, "appeal") == []


def asked(effects: list[Effect]) -> list[str]:
    """The questionnaire's questions in the effects (by DM, or as the reply to a DM)."""
    return [e.text for e in effects if isinstance(e, DirectMessage | Reply) and "新人问卷" in e.text]


def form_step(bot: Bot, who: UserRef) -> int:
    """The question the member's questionnaire waits on (0: the first)."""
    with bot.engine.begin() as conn:
        pending = onboarding_service.form_pending(conn, member_id=member_id(bot, who),
                                                  onboarding=bot.plan.onboarding)
    assert pending is not None
    return pending.index


def test_a_removed_member_is_asked_nothing_and_their_question_goes_to_the_admins(
        bot: Bot) -> None:
    """Finding 16: 「为什么把我踢了？」 is not the answer to question 1."""
    member = user(7, "王五-北京-运营")
    bot.join(member, 0)
    assert asked(bot.tick(11))  # question 1 by DM, after the welcome
    for n, advert in enumerate(ADVERTS):
        bot.say(member, advert, 60 + n)
    left(bot, member, 70)
    effects = dm(bot, member, "为什么把我踢了？", 100)
    assert asked(effects) == [] and form_step(bot, member) == 0
    (text,) = replies(effects)
    # Removed for breaking the rules: the appeal is the way back, not revival (walk13 #11).
    assert text.startswith("已转给老师，稍后回复你") and "!申诉" in text and "!复活" not in text
    (alert,) = [e for e in effects if isinstance(e, Alert)]
    assert "为什么把我踢了？" in alert.text
    assert len(items(bot, "escalation")) == 1


def test_a_member_who_left_mid_questionnaire_resumes_when_back(bot: Bot) -> None:
    """Finding 64: 赵六 left with the questionnaire half done."""
    member = user(9, "赵六-广州-会计")
    bot.join(member, 0)
    assert "新人问卷 2/3" in asked(dm(bot, member, "会一点 Python", 30))[0]
    left(bot, member, 60)
    effects = dm(bot, member, "能学习", 90)
    assert asked(effects) == [] and form_step(bot, member) == 1
    bot.join(member, 3600)
    back = asked(bot.tick(3611))  # with the welcome
    assert len(back) == 1 and "新人问卷 2/3" in back[0]
    assert asked(dm(bot, member, "每周 5 小时", 3700))[0].startswith("新人问卷 3/3")


def test_a_dm_that_is_no_answer_goes_to_the_admins(bot: Bot) -> None:
    """Finding 75: a scam report in the DM is not answered 「你的新人问卷已经填完了」."""
    member = user(8, "张三-杭州-财务")
    bot.join(member, 0)
    for n, answer in enumerate(("会一点", "每周 5 小时", "做报表")):
        effects = dm(bot, member, answer, 30 + n)
    assert "问卷完成" in replies(effects)[0]
    effects = dm(bot, member, "老师，这个链接是不是骗子？加微信 http://x.cn", 100)
    assert replies(effects) == ["已转给老师，稍后回复你。"]
    (alert,) = [e for e in effects if isinstance(e, Alert)]
    assert "私信" in alert.text and "http://x.cn" in alert.text and alert.suggested_reply
    (item,) = items(bot, "escalation")
    assert item["status"] == "open"
    # What she adds right after goes to the admins too; she was told already.
    effects = dm(bot, member, "他还让我先转 200 元押金", 110)
    assert [e for e in effects if isinstance(e, Alert)] and replies(effects) == []
    # A pleasantry is not an admin's to-do.
    effects = dm(bot, member, "谢谢！", 130)
    assert not [e for e in effects if isinstance(e, Alert)]
    assert "填完了" in replies(effects)[0] and len(items(bot, "escalation")) == 2


def test_an_escalated_question_in_the_group_is_acknowledged_once(bot: Bot) -> None:
    """Finding 13: the member sees their question taken, not ignored."""
    member = user(8, "张三-杭州-财务")
    bot.join(member, 0)
    effects = bot.say(member, "老师，请问结业证书怎么领取？", 60)
    assert [e for e in effects if isinstance(e, Alert)]
    assert replies(effects) == ["@张三 已转给老师，稍后回复你。"]
    # Nothing to a message that is not escalated.
    assert replies(bot.say(member, "今天的作业写完了", 90)) == []
    # A follow-up question soon after: escalated too, the member not told again.
    effects = bot.say(member, "老师，证书上的名字能改吗？", 120)
    assert [e for e in effects if isinstance(e, Alert)] and replies(effects) == []
    assert len(items(bot, "escalation")) == 2
    # Another question once the half hour is over: told again.
    effects = bot.say(member, "老师，下一期什么时候开课？", 120 + 31 * 60)
    assert replies(effects) == ["@张三 已转给老师，稍后回复你。"]


def test_a_member_back_after_an_upheld_appeal_asks_and_is_not_answering_the_form(
        bot: Bot) -> None:
    """Walk finding 55/56: removed with question 1 pending, appeal upheld, back in the group
    (「欢迎回来」): 「老师，结营证书什么时候发？」 in the DM is a question for a human, not his
    Python level, and no question 2 follows."""
    member = user(7, "王五-北京-运营")
    bot.join(member, 0)
    assert asked(bot.tick(11)) and form_step(bot, member) == 0  # with the welcome
    for n, advert in enumerate(ADVERTS):
        bot.say(member, advert, 60 + n)
    left(bot, member, 70)
    dm(bot, member, "!申诉 第一条是课程资料的链接", 100)
    with bot.engine.begin() as conn:
        (item,) = queue_repo.list_items(conn, community_id=bot.cid, queue="appeal")
        assert appeals.decide(conn, community_id=bot.cid, item_id=int(item["id"]),
                              operator="lin", approve=True, reason="确是课程资料").reinvited
    back = bot.join(member, 300)
    assert any(isinstance(e, Send) and e.text.startswith("欢迎回来") for e in back)
    assert asked(back) == []
    effects = dm(bot, member, "老师，结营证书什么时候发？", 400)
    assert asked(effects) == []
    assert replies(effects) == ["已转给老师，稍后回复你。"]
    (alert,) = [e for e in effects if isinstance(e, Alert)]
    assert "结营证书" in alert.text
    with bot.engine.begin() as conn:
        attributes = bot.scalar(
            f"SELECT attributes FROM members WHERE id = {member_id(bot, member)}")
    assert "结营证书" not in str(attributes)  # not recorded as an answer
    # A plain line is no answer either, and the bot does not claim the form was finished.
    effects = dm(bot, member, "好的", 500)
    assert asked(effects) == [] and "填完了" not in "".join(replies(effects))


def test_a_question_mid_questionnaire_is_not_taken_as_the_answer(bot: Bot) -> None:
    """A newcomer with question 1 pending asks the bot something: it is answered (or goes to
    a human) and question 1 is still the one pending, asked again after."""
    member = user(8, "张三-杭州-财务")
    bot.join(member, 0)
    effects = dm(bot, member, "请问直播回放在哪里看", 30)  # an FAQ hit, no question mark
    texts = replies(effects)
    assert "群公告置顶" in texts[0]
    assert texts[1].startswith("（新人问卷还在等你") and "新人问卷 1/3" in texts[1]
    assert form_step(bot, member) == 0
    effects = dm(bot, member, "结营证书什么时候发？", 60)
    assert [e for e in effects if isinstance(e, Alert)] and form_step(bot, member) == 0
    assert "新人问卷 1/3" in replies(effects)[-1]
    # A plain answer is still the answer.
    assert asked(dm(bot, member, "会一点", 90))[0].startswith("新人问卷 2/3")


def test_an_admin_mention_the_faq_answers_is_not_escalated(bot: Bot) -> None:
    """Walk finding 63: 钱七 @-mentioned an admin with a question the FAQ answers; the bot
    answered in the group, and asked the admins to send that same answer again."""
    from tests.policies.test_bot_policies import ADMIN

    member = user(8, "钱七-广州-学生")
    bot.join(member, 0)
    effects = bot.say(member, "@班主任小林 老师，请问直播回放在哪里可以找到呢？", 60,
                      mentions=(ADMIN.user_id,))
    (answer,) = replies(effects)
    assert answer.startswith("@钱七 ") and "群公告置顶" in answer  # the name part (walk12 #13)
    assert not [e for e in effects if isinstance(e, Alert)]
    assert items(bot, "escalation") == []
    # A mention the FAQ cannot answer still goes to the admins, and the member is told.
    effects = bot.say(member, "@班主任小林 老师，我的作业链接一直打不开", 90,
                      mentions=(ADMIN.user_id,))
    assert [e for e in effects if isinstance(e, Alert)] and len(items(bot, "escalation")) == 1


def test_an_appeal_made_in_the_group_is_answered_there_in_one_line(bot: Bot) -> None:
    """Walk finding 66: 赵六 appealed in the group; the answer went only to a DM he had not
    accepted. The group is told where the answer is; a removed member's appeal (from the
    DM) gets no group line."""
    member = user(9, "赵六")
    bot.join(member, 0)
    bot.say(member, "兼职刷单日赚300，加微信 vx123456", 30)
    (text,) = replies(bot.say(member, "!申诉 我只是转发朋友的话，不是广告", 60))
    assert "申诉已提交" in text
    with bot.engine.begin() as conn:
        (item,) = queue_repo.list_items(conn, community_id=bot.cid, queue="appeal")
        decision = appeals.decide(conn, community_id=bot.cid, item_id=int(item["id"]),
                                  operator="lin", approve=False, reason="消息里有加微信")
    (told,) = [e for e in decision.effects if isinstance(e, Send)]
    assert told.group == GROUP and told.mentions == (member,)
    assert told.text == "@赵六 你的申诉已处理，结果已私信你（在和我的私聊里；收到私聊邀请请先接受）。"
    (private,) = [e for e in decision.effects if isinstance(e, DirectMessage)]
    assert "消息里有加微信" in private.text and "消息里有加微信" not in told.text

    removed = user(7, "王五-北京-运营")
    removed_at_limit(bot, removed)
    left(bot, removed, 70)
    dm(bot, removed, "!申诉 第一条是课程资料的链接", 100)
    with bot.engine.begin() as conn:
        (item,) = [i for i in queue_repo.list_items(conn, community_id=bot.cid, queue="appeal")
                   if i["status"] == "open"]
        decision = appeals.decide(conn, community_id=bot.cid, item_id=int(item["id"]),
                                  operator="lin", approve=True, reason="确是课程资料")
    assert not [e for e in decision.effects if isinstance(e, Send)]


def test_a_questionnaire_dm_still_waiting_is_withdrawn_at_the_removal(bot: Bot) -> None:
    """Walk finding 16: the questionnaire's DM the member never received (a DM invitation
    not accepted: the operator's 待发私信 to-do, sent by the bot once they open the DM) is
    not sent after the removal — opening the DM to appeal, he is not asked question 1."""
    from qunyun.services import direct

    member = user(7, "王五-北京-运营")
    bot.join(member, 0)
    (question,) = [e for e in bot.tick(11) if isinstance(e, DirectMessage)]  # after the welcome
    with bot.engine.begin() as conn:
        direct.undeliverable(conn, community_id=bot.cid, effect=question,
                             why="ta 还没有接受机器人的私聊邀请", at_ms=1)
    assert len(items(bot, "dm_todo")) == 1
    for n, advert in enumerate(ADVERTS):
        bot.say(member, advert, 60 + n)
    left(bot, member, 70)
    assert items(bot, "dm_todo") == []  # the removal notice is delivered by the fake


def test_an_appeal_alert_awaits_a_decision_and_a_removal_notice_pings_nobody(
        bot: Bot) -> None:
    """Walk13 finding 45: the appeal is work waiting on an admin (it pings past the
    ten-minute limit, `test_alert_mentions`); the removal is done (no ping)."""
    member = user(7, "王五-北京-运营")
    effects = removed_at_limit(bot, member)
    (removed,) = [e for e in effects if isinstance(e, Alert)]
    assert not removed.ping
    effects = dm(bot, member, "!申诉 第一条是课程资料的链接", 100)
    (appeal,) = [e for e in effects if isinstance(e, Alert)]
    assert appeal.text.startswith("【申诉】") and appeal.ping and appeal.awaits_decision

"""What members read from the bot (issue 11, walk12 findings): checklist progress in the
member's DM rather than the group, the rename format repeated, the questionnaire after the
welcome and its answers echoed, help sized to who asks, names as the plan's pattern reads
them, adverts named as adverts, removal/appeal/mention acknowledgements that say what they
are about, quiet votes, and where points came from."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from qunyun.bot.wiring import build_policies
from qunyun.capabilities import TELEGRAM
from qunyun.effects import DirectMessage, Effect, Reply, Send
from qunyun.events import GroupRef, MessagePosted, NicknameChanged, UserRef
from qunyun.pipeline.runner import Pipeline
from qunyun.services import elimination as elimination_service
from tests.factories import GROUP, user
from tests.policies.test_bot_policies import ADMIN, Bot, camp_plan

DM = GroupRef("matrix", "!dm-u1:localhost", None, "direct")


@pytest.fixture
def bot(engine: Engine) -> Bot:
    return Bot(engine, camp_plan())


def group_posts(effects: list[Effect]) -> list[str]:
    return [e.text for e in effects if isinstance(e, Send | Reply) and e.group == GROUP]


def dms(effects: list[Effect], who: UserRef) -> list[str]:
    return [e.text for e in effects if isinstance(e, DirectMessage) and e.member == who]


def rename(bot: Bot, who: UserRef, new: str, seconds: float) -> list[Effect]:
    bot.n += 1
    return bot(NicknameChanged(source="t", source_event_id=f"n{bot.n}", group=GROUP,
                               at=bot.at(seconds), member=who, old=who.display_name, new=new))


def in_dm(bot: Bot, who: UserRef, text: str, seconds: float) -> list[Effect]:
    bot.n += 1
    return bot(MessagePosted(source="t", source_event_id=f"dm{bot.n}", group=DM,
                             at=bot.at(seconds), actor=who, text=text))


def test_checklist_progress_goes_to_the_dm_not_the_group(bot: Bot) -> None:
    """Findings 8 and 10: every rename and intro was a public 「… ✓ 还差：…」 line."""
    zhang = user(1, "张三")
    bot.join(zhang, 0)
    bot.tick(11)
    intro = bot.say(zhang, "大家好，我是张三，在北京做财务，想用 Python 自动化每月的工作报表。", 30)
    assert not [t for t in group_posts(intro) if "自我介绍" in t]
    (told,) = dms(intro, zhang)
    assert told.startswith("收到你的自我介绍 ✓ 还差：")
    # The rename still missing repeats the format and the example.
    assert "改群昵称（格式：名字-城市-职业，例如“小王-杭州-财务”）" in told
    assert "就在这个私聊里" in told
    renamed = rename(bot, zhang, "张三-北京-财务", 40)
    assert group_posts(renamed) == []
    assert [t.startswith("群昵称已符合格式 ✓") for t in dms(renamed, zhang)] == [True]


def test_checklist_progress_stays_in_the_group_where_no_dm_can_start(engine: Engine) -> None:
    """Telegram: the bot cannot write first to a member who never pressed Start."""
    plan = camp_plan()
    bot = Bot(engine, plan)
    bot.pipeline = Pipeline(engine, community_id=bot.cid, plan=plan, clock=lambda: bot.now,
                            policies=build_policies(plan, capabilities=TELEGRAM))
    li = user(2, "李四")
    bot.join(li, 0)
    bot.tick(11)
    renamed = rename(bot, li, "李四-上海-财务", 20)
    assert dms(renamed, li) == []
    (post,) = [t for t in group_posts(renamed) if "群昵称已符合格式" in t]
    assert "还差：自我介绍" in post


def test_a_nickname_out_of_format_is_told_the_format_and_an_example(bot: Bot) -> None:
    wang = user(3, "王五")
    bot.join(wang, 0)
    bot.tick(11)
    (post,) = group_posts(rename(bot, wang, "王五五", 20))
    assert "格式：名字-城市-职业，例如“小王-杭州-财务”" in post


def test_the_questionnaire_follows_the_welcome_and_echoes_the_answers(bot: Bot) -> None:
    """Findings 6 and 9: the DM came 10 s before the welcome announcing it; the end said
    nothing of what was recorded or what was still to do."""
    zhang = user(1, "张三")
    assert dms(bot.join(zhang, 0), zhang) == []
    batch = bot.tick(11)
    assert [e.kind for e in batch] == ["send", "dm"]  # the welcome, then question 1
    in_dm(bot, zhang, "会一点", 20)
    in_dm(bot, zhang, "每周 5 小时", 21)
    (end,) = [e.text for e in in_dm(bot, zhang, "跳过", 22) if isinstance(e, Reply)]
    assert end.startswith("问卷完成")
    assert "你的 Python 基础：会一点" in end and "每周能学习几个小时：每周 5 小时" in end
    assert "你在哪个城市：（跳过）" in end
    assert "新人任务还差：改群昵称（格式：名字-城市-职业" in end and "自我介绍" in end


def test_help_lists_a_members_commands_and_an_admins_on_top(bot: Bot) -> None:
    """Finding 11: a plain member read the admins' and volunteers' commands too."""
    member = user(1, "张三")
    (text,) = [e.text for e in bot.say(member, "!帮助", 0) if isinstance(e, Reply)]
    for own in ("!积分", "!打卡", "!作业 链接", "!投票 2", "!申诉 说明"):
        assert own in text
    for staff in ("!发起投票", "!结束投票", "!加分", "!警告", "推广大使发"):
        assert staff not in text
    assert text.endswith("管理员和志愿者的命令：!帮助 全部")
    assert len(text.splitlines()) <= 16
    (everything,) = [e.text for e in bot.say(member, "!帮助 全部", 1) if isinstance(e, Reply)]
    assert "!发起投票" in everything and "!警告 @某人" in everything
    (admin,) = [e.text for e in bot.say(ADMIN, "!帮助", 2) if isinstance(e, Reply)]
    assert "管理员：" in admin and "!结束投票" in admin and "!帮助 全部" not in admin


def test_a_vote_is_answered_in_the_voters_dm_and_the_result_is_public(bot: Bot) -> None:
    """Finding 19: every `!投票 N` was a public 「已记录 ✓ 当前：…」 line."""
    bot.say(ADMIN, "!发起投票 下次直播放在哪天？ | 周二 | 周四 | 周六", 0)
    voters = [user(n, f"人{n}") for n in range(1, 6)]
    for n, who in enumerate(voters):
        effects = bot.say(who, "!投票 2", 10 + n)
        assert group_posts(effects) == []
        (told,) = dms(effects, who)
        assert told.startswith("已记录你的投票 ✓「周四」（下次直播放在哪天？）")
    (changed,) = dms(bot.say(voters[0], "!投票 3", 20), voters[0])
    assert changed.startswith("已改票 ✓「周六」") and "3. 周六 1" in changed
    (result,) = group_posts(bot.say(ADMIN, "!结束投票", 30))
    assert "2. 周四 — 4 票" in result and "共 5 人投票" in result


def test_a_vote_stays_a_reply_in_the_group_where_no_dm_can_start(engine: Engine) -> None:
    plan = camp_plan()
    bot = Bot(engine, plan)
    bot.pipeline = Pipeline(engine, community_id=bot.cid, plan=plan, clock=lambda: bot.now,
                            policies=build_policies(plan, capabilities=TELEGRAM))
    bot.say(ADMIN, "!发起投票 哪天？ | 周二 | 周四", 0)
    assert [t.startswith("已记录 ✓") for t in group_posts(bot.say(user(1), "!投票 1", 5))] \
        == [True]


@pytest.mark.parametrize("advert, rule", [
    ("加微信 http://x.cn", "发广告（加好友引流）"),
    ("低价代购，加V：abc123 http://shop.cn", "发广告（加好友引流）"),
    ("加微信 abc123", "发广告（加好友引流）"),
    ("招代理，兼职日结", "发广告"),
    ("看看这个 http://x.cn", "发送未经允许的链接"),
])
def test_an_advert_is_named_as_an_advert_and_the_appeal_says_where(
        bot: Bot, advert: str, rule: str) -> None:
    """Finding 14: 「加微信 …」 was warned as 发送未经允许的链接, and 「有异议可发送 !申诉」
    did not say where."""
    who = user(3, "王五")
    (warning,) = [e.text for e in bot.say(who, advert, 0) if e.kind == "warn"]
    assert f"你的消息因「{rule}」已被撤回" in warning
    assert "有异议可私信机器人发送 !申诉 说明" in warning


def test_how_to_come_back_reads_in_clear_sentences(bot: Bot) -> None:
    """Finding 15: the plan's description was pasted inside the task's line. The sweep's
    notice and removal (E1) say it; a removal for breaking the rules offers the appeal only
    (walk13 finding 11, `test_dm_flow`)."""
    told = elimination_service.how_to_return(bot.plan)
    assert told.startswith("回群方式：补交「批量重命名」作业或续费下一期即可回群。\n")
    assert ("· 补交「批量重命名」作业：私信机器人「!复活 作业链接」（或「!作业 作业链接」），"
            "自动邀请你回群") in told
    assert "）后私信" not in told and "完成任务「批量重命名」（" not in told


def test_the_appeal_acknowledgement_says_what_it_is_about_and_how_the_member_hears(
        bot: Bot) -> None:
    """Finding 17: 「申诉已提交，管理员会尽快处理 ✓」 named neither the removal nor how."""
    who = user(3, "王五")
    bot.say(who, "看看这个 http://x.cn", 0)
    (warned,) = [e.text for e in in_dm(bot, who, "!申诉 那是课程资料", 60)
                 if isinstance(e, Reply)]
    assert warned.startswith("申诉已提交 ✓ 关于：你的 1 次警告（发送未经允许的链接 03-01 17:00）")
    assert "结果会私信告诉你（通过则撤销这些警告" in warned
    for n, advert in enumerate(("加微信领资料 vx123", "代購正品，價格優惠，私聊我")):
        bot.say(who, advert, 120 + n)
    (removed,) = [e.text for e in in_dm(bot, who, "!申诉 我不是打广告", 300)
                  if isinstance(e, Reply)]
    assert removed.startswith("申诉已提交 ✓ 关于：你被移出「测试群」，和移出前的 3 次警告（")
    assert "通过则撤销警告并邀请你回群" in removed


def test_points_say_where_they_came_from(bot: Bot) -> None:
    """Finding 12: 17 points, and only the check-in's +5 was ever explained."""
    zhang = user(1, "张三")
    bot.join(zhang, 0)
    bot.tick(11)
    bot.say(zhang, "大家好，我是张三，在北京做财务，想用 Python 自动化每月的工作报表。", 30)
    bot.say(zhang, "打卡 今天学了 pandas", 40)
    bot.say(zhang, "今天的作业有点难", 50)
    (text,) = [e.text for e in bot.say(zhang, "!积分", 60) if isinstance(e, Reply)]
    # The check-in earns its own +5, not 发言 as well (walk13 finding 26).
    assert "积分 17（" in text
    assert "\n来自：自我介绍 +10 · 打卡 +5 · 发言 +2" in text


def test_a_member_who_mentions_an_admin_is_told_and_the_draft_does_not_pretend(
        bot: Bot) -> None:
    """Finding 18: the member got no word, and the draft answered 「作业怎么交」 to 「the
    link does not open」."""
    zhang = user(1, "张三")
    asked = "@班主任小林 老师，我的作业提交不了，链接一直打不开，怎么办？"
    effects = bot.say(zhang, asked, 0, mentions=(ADMIN.user_id,))
    (alert,) = [e for e in effects if e.kind == "alert"]
    draft = alert.suggested_reply  # type: ignore[attr-defined]
    assert "关于“作业怎么交？”：" not in draft and "请写你自己的回答" in draft
    # The entry near it is offered as related, not as the answer (walk13 #9).
    assert draft.endswith("\n可能相关：“作业怎么交？”——在群里发「!作业 链接」，或提交到学习平台的作业区。")
    assert group_posts(effects) == ["@张三 已转给老师，稍后回复你。"]
    # Asked again within the half hour: no second note.
    again = bot.say(zhang, "@班主任小林 还是打不开", 60, mentions=(ADMIN.user_id,))
    assert group_posts(again) == []
    # A question the FAQ answers is answered at once, not escalated (flow12, finding 63).
    li = user(2, "李四")
    effects = bot.say(li, "@班主任小林 老师，作业怎么交？", 120, mentions=(ADMIN.user_id,))
    assert not [e for e in effects if e.kind == "alert"]
    assert any("!作业 链接" in t for t in group_posts(effects))


def test_the_homework_alias_an_faq_may_name_is_a_hand_in(bot: Bot) -> None:
    """Walk12 finding 39: `plan check` passes 「!交作业 链接」 because the bot takes it."""
    li = user(2, "李四")
    effects = bot.say(li, "!交作业 https://github.com/lisi/hw1", 0)
    assert [e.kind for e in effects] == ["reply"]
    assert "作业链接已收到 ✓" in effects[0].text  # type: ignore[attr-defined]


def test_the_bot_calls_a_member_by_the_name_part_of_the_nickname(bot: Bot) -> None:
    """Finding 13: 「@李四-上海-财务 在群里发…」; the plan's pattern names her 李四."""
    li = user(2, "李四-上海-财务")
    bot.join(li, 0)
    bot.tick(11)
    (faq,) = [e for e in bot.say(li, "请问作业怎么交？", 20) if isinstance(e, Reply)]
    assert faq.text.startswith("@李四 ") and "李四-上海-财务" not in faq.text
    assert faq.author_name == "李四"  # the platform's pill names her as the text does
    (checkin,) = [e for e in bot.say(li, "打卡 今天学了 pandas", 30) if isinstance(e, Reply)]
    assert checkin.text.startswith("@李四 「")
    (warn,) = [e for e in bot.say(li, "福利 https://spam.example.com/x", 40) if e.kind == "warn"]
    assert warn.text.startswith("@李四 ") and warn.member.user_id == li.user_id  # type: ignore[attr-defined]
    assert warn.member.display_name == "李四"  # type: ignore[attr-defined]
    # A nickname out of the format is used as it is.
    other = user(3, "随便起的名")
    (faq,) = [e for e in bot.say(other, "请问作业怎么交？", 50) if isinstance(e, Reply)]
    assert faq.text.startswith("@随便起的名 ") and faq.author_name == ""


def _board_after_two_speak(bot: Bot, first: UserRef, second: UserRef) -> Reply:
    """Both join and are welcomed, each says something, the second asks for `!排行`."""
    for who in (first, second):
        bot.join(who, 0)
    bot.tick(11)
    bot.say(first, "今天学了 pandas 的 groupby", 20)
    bot.say(second, "我也在学 pandas", 25)
    (board,) = [e for e in bot.say(second, "!排行", 30) if isinstance(e, Reply)]
    return board


def test_one_member_one_written_form_in_what_members_read(bot: Bot) -> None:
    """bot13: 「@小王」 in replies but 「小王-杭州-财务」 on !排行 and in the public removal
    line. Members read the name part everywhere; the admins' room the whole nickname."""
    wang, zhou = user(2, "小王-杭州-财务"), user(3, "小周-上海-运营")
    board = _board_after_two_speak(bot, wang, zhou)
    assert "小王 — " in board.text and "小周 — " in board.text, board.text
    assert "小王-杭州-财务" not in board.text and "小周-上海-运营" not in board.text
    bot.say(wang, "看看这个 https://spam.example.com/x", 40)
    bot.say(wang, "加群 https://t.me/joinchat/abc", 50)
    removed = bot.say(wang, "再来 http://spam.example.com", 60)
    (line,) = [t for t in group_posts(removed) if "被移出本群" in t]
    assert line.startswith("小王 因累计 3 次违反群规"), line
    (told,) = dms(removed, wang)
    assert "小王-杭州-财务" not in told
    # The admins' room names the account as the console shows it.
    (alert,) = [e for e in removed if e.kind == "alert"]
    assert alert.text.startswith("【已移出】小王-杭州-财务 被移出")  # type: ignore[attr-defined]


def test_two_members_with_one_name_part_keep_their_whole_nicknames(bot: Bot) -> None:
    """Where the name part would not tell two people on one text apart, both keep the
    whole nickname (two 小王 on a board)."""
    board = _board_after_two_speak(bot, user(2, "小王-杭州-财务"), user(3, "小王-上海-运营"))
    assert "小王-杭州-财务 — " in board.text and "小王-上海-运营 — " in board.text, board.text
    assert board.text.startswith("@") is False and board.named == ()


def test_written_names() -> None:
    from qunyun.pipeline.addressing import written_names

    pattern = camp_plan().onboarding.nickname_pattern
    assert written_names(pattern, ["小王-杭州-财务", "随便起的名", None]) == {
        "小王-杭州-财务": "小王", "随便起的名": "随便起的名"}
    # A name part that is someone else's whole nickname does not tell them apart.
    assert written_names(pattern, ["小王-杭州-财务", "小王"]) == {
        "小王-杭州-财务": "小王-杭州-财务", "小王": "小王"}


def test_a_dm_says_the_name_part_and_its_todo_keeps_the_account_name() -> None:
    """The DM reads 「你好 小王」; its member stays 小王-杭州-财务, the name the console's
    待发私信 to-do shows if the platform refuses it."""
    from qunyun.pipeline.addressing import address

    wang = user(2, "小王-杭州-财务")
    dm = DirectMessage(group=GROUP, member=wang, text="你好 小王-杭州-财务！欢迎", reason="t",
                       named=("小周-上海-运营",))
    out = address(dm, None, camp_plan().onboarding.nickname_pattern)
    assert isinstance(out, DirectMessage)
    assert out.text == "你好 小王！欢迎" and out.member == wang and out.named == ()

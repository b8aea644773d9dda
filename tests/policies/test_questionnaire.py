"""The newcomer questionnaire as a member reads it (O1/O2, issue 11 walk13 findings 3–5).

The welcome says where the questions are (the DM, a DM to open first, or the group); a
question with `choices` takes one of them — its words anywhere in the answer, or its
number — and otherwise is asked again with the choices listed; 「跳过」 on a required
question is refused in words; a question without choices keeps the answer as typed.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from qunyun.bot.wiring import build_policies
from qunyun.capabilities import TELEGRAM
from qunyun.domain.choices import picked
from qunyun.effects import Effect, Reply, Send
from qunyun.events import GroupRef, MessagePosted, UserRef
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.check import check_plan
from qunyun.services import onboarding as onboarding_service
from tests.factories import user
from tests.policies.test_bot_policies import Bot, camp_plan

DM = GroupRef("matrix", "!dm-q:localhost", None, "direct")
LEVELS = ["零基础", "会一点", "能写脚本"]


@pytest.fixture
def bot(engine: Engine) -> Bot:
    return Bot(engine, camp_plan(onboarding__welcome_batch_seconds=0))


def dm(bot: Bot, who: UserRef, text: str, seconds: float) -> str:
    """The bot's answer in the DM."""
    bot.n += 1
    effects = bot(MessagePosted(source="t", source_event_id=f"dm{bot.n}", group=DM,
                                at=bot.at(seconds), actor=who, text=text))
    (reply,) = [e.text for e in effects if isinstance(e, Reply)]
    return reply


def attributes(bot: Bot, who: UserRef) -> dict[str, str]:
    with bot.engine.begin() as conn:
        member_id = int(bot.scalar(
            f"SELECT member_id FROM identities WHERE external_id = '{who.user_id}'"))
        return onboarding_service.form_answers(conn, member_id=member_id)


def welcome(effects: list[Effect]) -> str:
    (text,) = [e.text for e in effects if isinstance(e, Send) and e.reason == "O1 welcome"]
    return text


def test_the_welcome_says_the_questions_are_in_the_dm(bot: Bot) -> None:
    text = welcome(bot.join(user(1, "张三"), 0))
    (step,) = [line for line in text.splitlines() if "3 个小问题" in line]
    assert step.endswith("——问卷已私信发给你，请在私聊里回复")
    assert "解决什么问题）——" not in text  # the introduction step is no questionnaire


def test_the_welcome_says_the_member_must_open_the_dm_first(engine: Engine) -> None:
    plan = camp_plan(onboarding__welcome_batch_seconds=0)
    telegram = Bot(engine, plan)  # a DM waits for the member's Start
    telegram.pipeline = Pipeline(engine, community_id=telegram.cid, plan=plan,
                                 clock=lambda: telegram.now,
                                 policies=build_policies(plan, capabilities=TELEGRAM))
    assert "先打开和我的私聊" in welcome(telegram.join(user(1, "张三"), 0))


def test_the_welcome_says_the_questions_come_in_the_group(engine: Engine) -> None:
    room = Bot(engine, camp_plan(onboarding__welcome_batch_seconds=0,
                                 onboarding__form_channel="room"))
    assert "问卷我会在群里@你提问，回复那条消息即可" in welcome(room.join(user(2, "李四"), 0))


def test_a_choice_question_takes_a_choice_and_asks_again_otherwise(bot: Bot) -> None:
    member = user(3, "王五")
    bot.join(member, 0)
    again = dm(bot, member, "不知道", 10)
    assert again.startswith("没看出你选的是哪一个，请从这几个里选一个："
                            "1. 零基础 / 2. 会一点 / 3. 能写脚本")
    assert "新人问卷 1/3" in again and attributes(bot, member) == {}
    took = dm(bot, member, "我会一点点吧", 20)
    assert took.startswith("记下了：会一点 ✓\n新人问卷 2/3")
    assert attributes(bot, member) == {"level": "会一点"}


def test_a_choice_by_its_number(bot: Bot) -> None:
    member = user(4, "赵六")
    bot.join(member, 0)
    assert dm(bot, member, "3", 10).startswith("记下了：能写脚本 ✓\n新人问卷 2/3")


def test_skipping_a_required_question_is_refused_in_words(bot: Bot) -> None:
    member = user(5, "钱七")
    bot.join(member, 0)
    dm(bot, member, "会一点", 10)
    refused = dm(bot, member, "跳过", 20)
    assert refused.startswith("这道题必答，不能跳过。\n新人问卷 2/3：每周能学习几个小时？")
    # A question without choices keeps what the member typed; the optional one skips.
    assert dm(bot, member, "大概 5 小时", 30).startswith("新人问卷 3/3")
    assert dm(bot, member, "跳过", 40).startswith("问卷完成")
    assert attributes(bot, member) == {"level": "会一点", "hours": "大概 5 小时"}


def test_loose_matching_rules() -> None:
    assert picked("２", LEVELS) == "会一点" and picked("选第一个", LEVELS) == "零基础"
    assert picked("會一點", LEVELS) == "会一点"  # Traditional folded
    assert picked("零基础还是会一点", LEVELS) is None  # two choices: no guess
    assert picked("4", LEVELS) is None and picked("不知道", LEVELS) is None
    assert picked("Python 进阶", ["进阶", "Python 进阶"]) == "Python 进阶"


def test_plan_check_suggests_choices_for_a_question_that_lists_them() -> None:
    plan = camp_plan(onboarding__form=[
        {"key": "level", "question": "你的 Python 基础？（零基础 / 会一点 / 能写脚本）"}])
    (finding,) = [f for f in check_plan(plan) if f.path == "onboarding.form.0.choices"]
    assert finding.severity == "advice"
    assert "choices: [零基础, 会一点, 能写脚本]" in finding.zh
    assert not [f for f in check_plan(camp_plan()) if f.path.startswith("onboarding.form")]

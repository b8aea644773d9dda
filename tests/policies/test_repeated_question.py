"""A question sent again and again with nobody answering (R1 repeat + R5, issue 11 walk13
finding 43): the repeat rule still deletes and warns, and the admins get an alert — the
member needs help. Answered (a reply or an @ of the asker), or not a question, it is only
the repeat rule."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from qunyun.effects import Alert, Effect, Warn
from qunyun.storage.work import queues as queue_repo
from tests.factories import user
from tests.policies.test_bot_policies import Bot, camp_plan

QUESTION = "有人知道第三题的 merge 该怎么写吗？"


@pytest.fixture
def bot(engine: Engine) -> Bot:
    return Bot(engine, camp_plan())


def three_times(bot: Bot, text: str, answer: bool = False) -> list[Effect]:
    asker, other = user(5, "王五-上海-财务"), user(6, "赵六-广州-会计")
    bot.join(asker, 0)
    bot.join(other, 1)
    bot.tick(20)  # the welcome batch
    bot.say(asker, text, 60)
    first = f"m{bot.n}"
    if answer:
        bot.say(other, "用 pd.merge(a, b, on='id') 就行", 62, reply_to=first)
    bot.say(asker, text, 63)
    return bot.say(asker, text, 64)


def escalations(bot: Bot) -> list[dict]:  # type: ignore[type-arg]
    with bot.engine.connect() as conn:
        return queue_repo.list_items(conn, community_id=bot.cid, queue="escalation")


def test_an_unanswered_question_sent_three_times_reaches_the_admins(bot: Bot) -> None:
    effects = three_times(bot, QUESTION)
    assert "delete" in [e.kind for e in effects]
    (warn,) = [e for e in effects if isinstance(e, Warn)]
    assert "重复发送相同内容" in warn.text and "你的问题已转给老师" in warn.text
    (alert,) = [e for e in effects if isinstance(e, Alert)]
    assert alert.text.startswith("【需要人工】王五") and "还没有人回答" in alert.text
    assert QUESTION in alert.text and alert.ping
    (item,) = escalations(bot)
    assert item["detail"]["trigger"] == "repeated_question"


def test_an_answered_question_is_only_a_repeat(bot: Bot) -> None:
    effects = three_times(bot, QUESTION, answer=True)
    assert [e for e in effects if isinstance(e, Warn)]
    assert not [e for e in effects if isinstance(e, Alert)] and escalations(bot) == []


def test_a_repeated_statement_is_only_a_repeat(bot: Bot) -> None:
    effects = three_times(bot, "老师这个作业第三题我不太会做啊")
    (warn,) = [e for e in effects if isinstance(e, Warn)]
    assert "你的问题已转给老师" not in warn.text
    assert not [e for e in effects if isinstance(e, Alert)]

"""Which console page each alert in the admins' room is about (bot13): the adapter links
it when the console's address is known (`AdapterCore.alert_body`)."""

from __future__ import annotations

from sqlalchemy import Engine, text

from qunyun.effects import Alert, Effect
from tests.factories import user
from tests.policies.test_bot_policies import Bot, camp_plan
from tests.policies.test_member_texts import in_dm


def alerts(effects: list[Effect]) -> list[Alert]:
    return [e for e in effects if isinstance(e, Alert)]


def item_id(bot: Bot, queue: str) -> int:
    return int(bot.scalar(f"SELECT max(id) FROM work_items WHERE queue = '{queue}'"))


def test_alerts_name_their_queue_item_or_member_page(engine: Engine) -> None:
    bot = Bot(engine, camp_plan())
    li = user(2, "李四-上海-财务")
    bot.join(li, 0)
    bot.tick(11)
    (asked,) = alerts(bot.say(li, "老师，请问结业证书怎么领取？", 20))
    assert asked.text.startswith("【需要人工】")
    assert asked.page == f"queues/{item_id(bot, 'escalation')}"
    for n, spam in enumerate(("看看 https://spam.example.com/x", "加群 https://t.me/joinchat/a",
                              "再来 http://spam.example.com")):
        effects = bot.say(li, spam, 40 + n * 10)
    (removed,) = alerts(effects)
    with engine.connect() as conn:
        member_id = conn.execute(text(
            "SELECT member_id FROM identities WHERE external_id = :u"),
            {"u": li.user_id}).scalar_one()
    assert removed.page == f"members/{member_id}"
    (appeal,) = alerts(in_dm(bot, li, "!申诉 我发的是课程资料链接", 300))
    assert appeal.text.startswith("【申诉】")
    assert appeal.page == f"queues/{item_id(bot, 'appeal')}"

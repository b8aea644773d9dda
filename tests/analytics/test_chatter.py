"""One rule of what is 发言 (issue 11 walk13 finding 26): 张三 wrote 3 sentences and the
console said 「近30天发言 11 条」 — his `!帮助`, `!积分`, `!排行`, `!投票 2` and check-in
were counted. Commands to the bot and check-ins are not messages for the tiers, the member
list's 近30天消息 / 全部消息 (the report, SQLite and PostgreSQL, and its reference
implementation, which tests every text) or the bot's 发言 points."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from qunyun.analytics import build_report
from qunyun.events import Event, MessagePosted
from qunyun.policies.chatter import Chatter
from qunyun.services import points as points_service
from qunyun.services.importing import import_events
from qunyun.storage.community import communities as community_repo
from qunyun.storage.events import frames
from tests.analytics import reference
from tests.factories import GROUP, user
from tests.policies.test_bot_policies import Bot, camp_plan

ZONE = "Asia/Shanghai"
AS_OF = datetime(2026, 6, 30, 12, 0, tzinfo=ZoneInfo(ZONE))
SAID = ("大家好，我是张三，在北京做学生", "请问作业怎么交？", "！太好了，终于跑通了")
ASKED = ("!帮助", "!积分", "  !排行", "！投票 2", "!作业 https://github.com/zhangsan/hw1",
         "打卡 今天学了 pandas", "今日學習：groupby")  # the last one in Traditional


def zhangsan() -> list[Event]:
    who = user(1, "张三")
    return [MessagePosted(source="t", source_event_id=f"m{n}", group=GROUP,
                          at=AS_OF - timedelta(hours=30 - n), actor=who, text=text)
            for n, text in enumerate(SAID + ASKED)]


def test_commands_and_check_ins_are_not_messages_in_the_report(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    import_events(engine, community_id=cid, events=zhangsan())
    # `qunyun import --report` builds from the frames the import holds (no SQL read back).
    held = frames.events(engine, community_id=cid)
    for build in (build_report, reference.build_report, partial(build_report, held=held)):
        report = build(engine, community_id=cid, plan=camp_plan(), as_of=AS_OF, tz=ZONE,
                       community_name="c")
        member = next(m for m in report["members"] if m["name"] == "张三")
        assert (member["messages"], member["window_messages"]) == (3, 3), build
        assert "近30天发言 3 条" in member["tier_reason"], build


def test_the_rule() -> None:
    chatter = Chatter.of(camp_plan())
    assert all(chatter.counts(t) for t in SAID)
    assert not any(chatter.counts(t) for t in ASKED)
    assert chatter.counts("!福利 加微信 vx123")  # an unknown command is text like any other


def test_commands_and_check_ins_earn_no_message_points(engine: Engine) -> None:
    bot = Bot(engine, camp_plan())
    who = user(2, "李四-上海-教师")
    bot.join(who, 0)
    for n, text in enumerate((*ASKED[:4], "打卡 今天学了 pandas")):
        bot.say(who, text, 60 + n * 60)
    bot.say(who, "老师讲得真清楚，谢谢", 600)
    with engine.connect() as conn:
        member_id = int(bot.scalar(
            f"SELECT member_id FROM identities WHERE external_id = '{who.user_id}'"))
        came = points_service.sources_text(conn, member_id=member_id)
    assert "发言 +1" in came and "打卡 +5" in came, came

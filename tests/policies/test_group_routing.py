"""G4 routing through the real pipeline and database: the plan's `groups` routes a member
by one attribute — their nickname's city (O3) or their form answer (O2) — to their group,
once: told where they wrote and invited where the platform lets the bot (Matrix), else an
operator to-do (QQ, Telegram; or a group the bot is not in yet). Plan check says when the
attribute is one the bot never learns."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, text

from qunyun.bot.wiring import build_policies
from qunyun.capabilities import ONEBOT
from qunyun.effects import Effect, Invite, OpenGroup, Send
from qunyun.events import GroupRef, MemberJoined, MessagePosted, NicknameChanged, UserRef
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.check import check_plan
from qunyun.plan.model import Plan
from tests.factories import GROUP
from tests.policies.test_bot_policies import Bot, camp_plan

HANGZHOU = GroupRef("matrix", "!hz:localhost", "Python 训练营 杭州群")
ROUTES = [{"match": ["杭州"], "group": "Python 训练营 杭州群"},
          {"match": ["上海"], "group": "Python 训练营 上海群"}]


def routed_plan(**groups: Any) -> Plan:
    data = camp_plan().model_dump()
    data["groups"] = {"route_by": "city", "routes": ROUTES, **groups}
    data["onboarding"]["form"] = []  # routed by the nickname here
    return Plan.model_validate(data)


def routing_bot(engine: Engine, plan: Plan, **policy_options: Any) -> Bot:
    bot = Bot(engine, plan)
    if policy_options:
        bot.pipeline = Pipeline(engine, community_id=bot.cid, plan=plan,
                                policies=build_policies(plan, **policy_options),
                                clock=lambda: bot.now)
    with engine.begin() as conn:  # the bot is in the 杭州 group (not in a 上海 one)
        bot.pipeline.recorder.group_id(conn, HANGZHOU, 0)
    return bot


def joins(bot: Bot, n: int, name: str, group: GroupRef = GROUP) -> list[Effect]:
    member = UserRef(group.platform, f"@u{n}:localhost", name)
    return bot(MemberJoined(source="t", source_event_id=f"j{n}:{group.group_id}", group=group,
                            at=bot.at(n), member=member))


def todos(bot: Bot) -> list[str]:
    with bot.engine.connect() as conn:
        return [str(t) for t in conn.execute(text(
            "SELECT title FROM work_items WHERE queue = 'group_todo' ORDER BY id")).scalars()]


def test_a_newcomer_from_hangzhou_is_told_and_invited_to_the_hangzhou_group_once(
        engine: Engine) -> None:
    bot = routing_bot(engine, routed_plan())
    effects = joins(bot, 1, "小王-杭州-财务")
    (told,) = [e for e in effects if isinstance(e, Send) and e.policy == "group_routing"]
    assert told.group == GROUP and [m.user_id for m in told.mentions] == ["@u1:localhost"]
    assert "「杭州」" in told.text and "请加入「Python 训练营 杭州群」" in told.text
    assert "已经邀请你" in told.text
    (invite,) = [e for e in effects if isinstance(e, Invite)]
    assert invite.group == HANGZHOU and invite.member.user_id == "@u1:localhost"
    # The same name again (a rename back and forth, a re-read): not routed twice.
    again = bot(NicknameChanged(source="t", source_event_id="n1", group=GROUP, at=bot.at(5),
                                member=UserRef("matrix", "@u1:localhost", "小王-杭州-财务"),
                                old="小王", new="小王-杭州-财务"))
    assert not [e for e in again if e.policy == "group_routing"]
    assert todos(bot) == []


def test_no_route_or_already_there_or_a_plain_message_changes_nothing(engine: Engine) -> None:
    bot = routing_bot(engine, routed_plan())
    assert not [e for e in joins(bot, 1, "小李-北京-老师") if e.policy == "group_routing"]
    assert not [e for e in joins(bot, 2, "小王-杭州-财务", HANGZHOU)
                if e.policy == "group_routing"]  # joined the 杭州 group itself
    assert not [e for e in joins(bot, 2, "小王-杭州-财务") if e.policy == "group_routing"]
    # A plain group message is not read for attributes (the hot path).
    said = bot(MessagePosted(source="t", source_event_id="m1", group=GROUP, at=bot.at(9),
                             actor=UserRef("matrix", "@u3:localhost", "小赵-杭州-设计"),
                             text="大家好"))
    assert not [e for e in said if e.policy == "group_routing"]


def test_where_the_bot_cannot_invite_or_is_not_in_the_group_the_operator_brings_them(
        engine: Engine) -> None:
    qq = GroupRef("qq", "100200300", "进阶营")
    bot = routing_bot(engine, routed_plan(), capabilities=ONEBOT)
    with engine.begin() as conn:
        bot.pipeline.recorder.group_id(conn, GroupRef("qq", "100200301",
                                                      "Python 训练营 杭州群"), 0)
    effects = joins(bot, 1, "小王-杭州-财务", qq)
    (told,) = [e for e in effects if e.policy == "group_routing"]
    assert isinstance(told, Send) and "管理员会拉你进群" in told.text
    assert not [e for e in effects if isinstance(e, Invite)]
    effects = joins(bot, 2, "小周-上海-运营", qq)  # no 上海 group the bot is in
    assert [e.kind for e in effects if e.policy == "group_routing"] == ["send"]
    first, second = todos(bot)
    assert first == "把 小王-杭州-财务（@u1:localhost） 拉进「Python 训练营 杭州群」（资料：杭州）"
    assert "「Python 训练营 上海群」还没有" in second and "请建群并把机器人拉进去" in second


def test_a_form_answer_in_the_dm_routes_by_level(engine: Engine) -> None:
    data = camp_plan().model_dump()
    data["groups"] = {"route_by": "level", "routes": [
        {"match": ["零基础", "会一点"], "group": "Python 训练营 入门群"},
        {"match": ["能写脚本"], "group": "Python 训练营 进阶群"}]}
    bot = routing_bot(engine, Plan.model_validate(data))
    with engine.begin() as conn:
        bot.pipeline.recorder.group_id(conn, GroupRef("matrix", "!intro:localhost",
                                                      "Python 训练营 入门群"), 0)
    joins(bot, 1, "小王-杭州-财务")
    dm = GroupRef("matrix", "!dm1:localhost", None, "direct")
    effects = bot(MessagePosted(source="t", source_event_id="d1", group=dm, at=bot.at(30),
                                actor=UserRef("matrix", "@u1:localhost", "小王-杭州-财务"),
                                text="会一点，写过几个小脚本"))
    (told,) = [e for e in effects if isinstance(e, Send) and e.policy == "group_routing"]
    assert told.group == dm and "请加入「Python 训练营 入门群」" in told.text
    (invite,) = [e for e in effects if isinstance(e, Invite)]
    assert invite.group.group_id == "!intro:localhost"


def test_plan_check_names_an_attribute_the_bot_never_learns() -> None:
    data = camp_plan().model_dump()
    data["groups"] = {"route_by": "province", "routes": [
        {"match": ["浙江"], "group": "A"}, {"match": ["浙江"], "group": "B"}]}
    found = [f for f in check_plan(Plan.model_validate(data)) if f.code == "G4"]
    assert [f.path for f in found] == ["groups.route_by", "groups.routes.1.match"]
    assert "按「province」分群" in found[0].zh and "city" in found[0].zh
    assert "同时分到「A」和「B」" in found[1].zh
    assert not [f for f in check_plan(routed_plan()) if f.code == "G4"]


def test_a_full_groups_next_group_copies_the_plans_template(engine: Engine) -> None:
    """`groups.template`: the next group copies that group (where the bot is in it); on
    QQ the operator's to-do says which group's settings to copy."""
    template = GroupRef("matrix", "!tpl:localhost", "进阶营 模板")
    data = camp_plan().model_dump()
    data["community"]["size_cap"] = 2
    data["groups"] = {"template": "进阶营 模板"}
    plan = Plan.model_validate(data)
    bot = routing_bot(engine, plan)
    with engine.begin() as conn:
        bot.pipeline.recorder.group_id(conn, template, 0)
    effects = joins(bot, 1, "小王") + joins(bot, 2, "小周")
    (opened,) = [e for e in effects if isinstance(e, OpenGroup)]
    assert opened.template_id == "!tpl:localhost"

    qq = GroupRef("qq", "100200300", "进阶营")
    on_qq = routing_bot(engine, plan, capabilities=ONEBOT)
    with engine.begin() as conn:
        on_qq.pipeline.recorder.group_id(conn, GroupRef("qq", "100200999", "进阶营 模板"), 0)
    joins(on_qq, 3, "小李", qq)
    joins(on_qq, 4, "小赵", qq)
    assert todos(on_qq)[-1] == ("新开群「进阶营 2群」：「进阶营」已满 2/2 人，照「进阶营 模板」"
                                "设置群公告、管理员和入群方式")


def test_routes_without_their_attribute_do_not_load() -> None:
    data = camp_plan().model_dump()
    data["groups"] = {"routes": ROUTES}
    with pytest.raises(ValidationError, match=r"groups\.routes 需要 route_by"):
        Plan.model_validate(data)
    data["groups"] = {"route_by": "city"}
    with pytest.raises(ValidationError, match=r"groups\.route_by 需要 routes"):
        Plan.model_validate(data)

"""Moderation and escalation a lively group can live with (issue 11, walk findings 48, 52,
57, 59, 73): one paste is one warning, a flood earns nothing, a question to other members
is not an admin alert, and a repeated question or a quarrel is one item, not one per line."""

from __future__ import annotations

import json

from sqlalchemy import Engine

from qunyun.effects import Alert, Delete, Effect, Warn
from qunyun.plan.model import Plan
from qunyun.web.labels import evidence_lines
from tests.factories import user
from tests.policies.test_bot_policies import Bot, camp_plan, kinds


def test_one_pasted_block_is_one_warning_and_the_rest_is_deleted_quietly(engine: Engine) -> None:
    bot = Bot(engine, camp_plan())
    zhang = user(4, "张三")
    lines = [bot.say(zhang, f"print(row[{i}])", i * 0.5) for i in range(10)]
    assert all("delete" not in kinds(e) for e in lines[:7])  # 「8 条或更多」: the 8th is caught
    assert [e.count for e in lines[7] if isinstance(e, Warn)] == [1]
    for later in lines[8:]:  # the same paste: deleted, no second warning, nobody removed
        assert kinds(later) == ["delete"]
    assert bot.scalar("SELECT count(*) FROM bot_warnings") == 1
    # A flood earns no participation points: the burst's earlier lines are taken back.
    assert bot.scalar("SELECT coalesce(sum(points), 0) FROM bot_points") == 0
    # A new burst a while later is a new warning.
    again = [bot.say(zhang, f"again {i}", 600 + i * 0.5) for i in range(8)]
    assert [e.count for e in again[7] if isinstance(e, Warn)] == [2]


def test_a_repeat_sent_again_right_away_is_not_a_second_warning(engine: Engine) -> None:
    bot = Bot(engine, camp_plan())
    text = "快来看看我的新课程，限时优惠哦哦哦"
    said = [bot.say(user(5), text, i * 5) for i in range(5)]
    assert sum(1 for e in said for x in e if isinstance(x, Warn)) == 1
    assert all(any(isinstance(x, Delete) for x in e) for e in said[2:])


def test_flood_evidence_reads_as_one_fact() -> None:
    evidence = {"messages": 9, "seconds": 10, "rule": "flood"}
    assert "10 秒内 9 条" in evidence_lines(evidence, "zh")
    assert "9 messages within 10 seconds" in evidence_lines(evidence, "en")
    assert not any("秒：" in line for line in evidence_lines(evidence, "zh"))


def _alerts(effects: list[Effect]) -> list[Alert]:
    return [e for e in effects if isinstance(e, Alert)]


def test_a_question_to_the_members_waits_and_a_repeat_is_one_item(engine: Engine) -> None:
    bot = Bot(engine, camp_plan(bot__question_wait_minutes=10))
    li = user(2, "李四")
    asked = [bot.say(li, "有人一起组队学习吗", i * 30) for i in range(3)]
    assert not any(_alerts(e) for e in asked)  # for the group, not (yet) for the admins
    assert bot.scalar("SELECT count(*) FROM schedule_entries WHERE kind = 'escalation.wait'") == 1
    later = bot.tick(11 * 60)
    alerts = _alerts(later)
    assert len(alerts) == 1 and "有人一起组队学习吗" in alerts[0].text  # three asks, one alert
    assert bot.scalar("SELECT count(*) FROM work_items WHERE queue = 'escalation'") == 1
    assert not _alerts(bot.tick(12 * 60))


def test_a_question_a_member_answered_is_not_escalated(engine: Engine) -> None:
    bot = Bot(engine, camp_plan(bot__question_wait_minutes=10))
    bot.say(user(2, "李四"), "有人一起组队学习吗", 0)
    bot.say(user(2, "李四"), "有人一起组队学习吗", 30)  # asked again: the reply is to this one
    bot.say(user(3, "张三"), "我！周末一起", 60, reply_to=f"m{bot.n}")
    bot.say(user(5, "赵六"), "有人知道 pandas 怎么合并两张表吗", 70)
    bot.say(user(3, "张三"), "@赵六 用 merge", 80)  # answered by @-naming the asker
    assert not _alerts(bot.tick(11 * 60))
    assert bot.scalar("SELECT count(*) FROM work_items WHERE queue = 'escalation'") == 0


def test_a_question_to_the_staff_goes_at_once_once_a_day(engine: Engine) -> None:
    bot = Bot(engine, camp_plan())
    first = bot.say(user(3, "张三"), "老师，结业证书怎么领取？", 0)
    assert len(_alerts(first)) == 1
    assert not _alerts(bot.say(user(3, "张三"), "老师，结业证书怎么领取？", 120))
    assert bot.scalar("SELECT count(*) FROM work_items WHERE queue = 'escalation'") == 1


def test_a_quarrel_between_two_members_is_one_alert(engine: Engine) -> None:
    bot = Bot(engine, camp_plan())
    li, zhang = user(2, "李四"), user(3, "张三")
    bot.say(zhang, "我写了个读取 csv 的脚本", 0)
    lines = [bot.say(li, "你这代码写得跟屎一样，脑子有病吧", 10),
             bot.say(zhang, "你才有病，滚", 20, reply_to=f"m{bot.n}"),
             bot.say(li, "傻逼，闭嘴", 30)]
    assert [len(_alerts(e)) for e in lines] == [1, 0, 0]
    assert bot.scalar("SELECT count(*) FROM work_items WHERE queue = 'escalation'") == 1
    detail = bot.scalar("SELECT detail FROM work_items WHERE queue = 'escalation'")
    lines_kept = json.loads(detail)["lines"] if isinstance(detail, str) else detail["lines"]
    assert [line.split("：")[0] for line in lines_kept] == ["李四", "张三", "李四"]
    # Someone else insulting on another day is another item.
    other = bot.say(user(4, "王五"), "你是不是傻逼", 2 * 86400)
    assert len(_alerts(other)) == 1


def test_a_quarrel_item_reads_as_its_exchange() -> None:
    detail = {"trigger": "insult", "lines": ["李四：傻逼，闭嘴", "张三：你才有病，滚"],
              "suggested_reply": "大家冷静一下"}
    zh = evidence_lines(detail, "zh")
    assert any(line.startswith("争执经过：") and "张三：你才有病" in line for line in zh)
    assert not any("lines" in line or "insult" in line for line in zh)
    assert any(line.startswith("the exchange: ") for line in evidence_lines(detail, "en"))


def test_plan_check_says_when_the_written_flood_rule_is_not_the_enforced_one() -> None:
    from qunyun.plan.check import check_plan

    def flood_findings(plan: Plan) -> list[str]:
        return [f.zh for f in check_plan(plan) if f.path.startswith("rules.forbidden")]

    assert flood_findings(camp_plan()) == []  # the camp's words match moderation.flood
    forbidden = ["刷屏（10 秒内连发 5 条以上）", "人身攻击"]
    said = flood_findings(camp_plan(rules__forbidden=forbidden))
    assert len(said) == 1 and "10 秒内连发 5 条" in said[0] and "10 秒内 8 条" in said[0]

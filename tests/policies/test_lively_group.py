"""Moderation and escalation a lively group can live with (issue 11, walk findings 48, 52,
57, 59, 73): one paste is one warning, a flood earns nothing, a question to other members
is not an admin alert, and a repeated question or a quarrel is one item, not one per line."""

from __future__ import annotations

from sqlalchemy import Engine

from qunyun.effects import Delete, Warn
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

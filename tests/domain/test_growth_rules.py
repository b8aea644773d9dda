"""Growth-system rules (T1, T3): badge rules as operators write them, tier hysteresis, and
level curves."""

from __future__ import annotations

import pytest

from qunyun.analytics.tiers import relaxed
from qunyun.domain.badges import RuleError, parse_rule
from qunyun.domain.tier_moves import DAY_MS, Held, Move, decide
from qunyun.plan.model import Points, Tiers


def counts(**values: int) -> object:
    def measure(name: str, days: int | None) -> int:
        return values.get(f"{name}_{days}" if days else name, 0)
    return measure


@pytest.mark.parametrize(("rule", "member", "met"), [
    ("checkin_streak >= 7", {"checkin_streak": 7}, True),
    ("checkin_streak >= 7", {"checkin_streak": 6}, False),
    ("messages(days=30) >= 100", {"messages_30": 100, "messages": 5}, True),
    ("messages(days=30) >= 100", {"messages": 500}, False),
    ("invited >= 3 and events_attended >= 2", {"invited": 3, "events_attended": 2}, True),
    ("invited >= 3 and events_attended >= 2", {"invited": 3}, False),
    ("invited >= 3 or answered_questions >= 5", {"answered_questions": 5}, True),
    ("first_message", {"first_message": 1}, True),
    ("first_message", {}, False),
    ("not first_message", {}, True),
])
def test_badge_rules_read_as_written(rule: str, member: dict[str, int], met: bool) -> None:
    assert parse_rule(rule).met(counts(**member)) is met  # type: ignore[arg-type]


def test_a_rule_names_what_it_needs_once() -> None:
    rule = parse_rule("messages(days=30) >= 10 and messages(days=30) < 100 and invited >= 1")
    assert [(n.measure, n.days) for n in rule.needs] == [("messages", 30), ("invited", None)]


@pytest.mark.parametrize(("rule", "where"), [
    ("__import__('os').system('x')", "messages"),  # a call of an unknown name
    ("messages.real >= 1", "messages"),
    ("messages >= 'a'", "非负整数"),
    ("messages >= 1 + 1", "非负整数"),
    ("likes >= 3", "不认识的计数「likes」"),
    ("messages(days=0) >= 1", "days"),
    ("messages(days=30, x=1) >= 1", "messages"),
    ("1 <= messages <= 5", "一个"),
    ("messages >=", "写法有误"),
    ("x" * 600, "太长"),
])
def test_bad_rules_are_findings_not_code(rule: str, where: str) -> None:
    with pytest.raises(RuleError) as err:
        parse_rule(rule)
    assert where in err.value.zh
    assert err.value.column >= 1


def test_promotion_at_once_demotion_only_below_ninety_percent_and_after_grace() -> None:
    now = 100 * DAY_MS
    assert decide(None, strict="active", relaxed="active", now_ms=now, grace_days=14) == \
        Move(None, "active", "first")
    held = Held("participant", promoted_at_ms=now - DAY_MS)
    assert decide(held, strict="active", relaxed="active", now_ms=now, grace_days=14) == \
        Move("participant", "active", "promotion")
    active = Held("active", promoted_at_ms=now - 30 * DAY_MS)
    # Slipped under the bar but not under 90% of it: kept.
    assert decide(active, strict="participant", relaxed="active", now_ms=now,
                  grace_days=14) is None
    # Under 90% too: demoted, to what the relaxed bar still grants.
    assert decide(active, strict="participant", relaxed="participant", now_ms=now,
                  grace_days=14) == Move("active", "participant", "demotion")
    # Within the grace period after a promotion: never demoted.
    fresh = Held("active", promoted_at_ms=now - 3 * DAY_MS)
    assert decide(fresh, strict="onlooker", relaxed="onlooker", now_ms=now,
                  grace_days=14) is None
    # Locked by an operator: neither way.
    locked = Held("spreader", promoted_at_ms=now - 90 * DAY_MS, locked=True)
    assert decide(locked, strict="onlooker", relaxed="onlooker", now_ms=now,
                  grace_days=14) is None
    assert decide(locked, strict="opinion_leader", relaxed="opinion_leader", now_ms=now,
                  grace_days=14) is None


def test_relaxed_thresholds_are_ninety_percent() -> None:
    cfg = relaxed(Tiers())
    assert (cfg.active_min_messages, cfg.active_min_days) == (18, 4)  # 18 = 90% of 20
    assert cfg.opinion_leader_share == pytest.approx(0.8 / 0.9)
    assert cfg.co_opinion_leader_share == 1.0  # 0.95 / 0.9 capped at everyone
    assert relaxed(Tiers(active_min_days=10)).active_min_days == 9


def test_levels_on_a_curve() -> None:
    quad = Points.model_validate({"curve": {"kind": "quadratic", "base": 50, "count": 4}})
    assert [(lv.name, lv.min_points) for lv in quad.levels] == [
        ("Lv0", 0), ("Lv1", 50), ("Lv2", 200), ("Lv3", 450)]
    lin = Points.model_validate({"curve": {"kind": "linear", "base": 100, "count": 3,
                                           "name": "{n}级"}})
    assert [(lv.name, lv.min_points) for lv in lin.levels] == [
        ("0级", 0), ("1级", 100), ("2级", 200)]


def test_a_rule_reads_as_words_in_both_languages() -> None:
    from qunyun.domain.badges import MEASURES, MEASURES_EN, words

    assert set(MEASURES_EN) == set(MEASURES)  # every measure has its English words
    assert words("checkin_streak >= 7") == "当前连续打卡天数 ≥ 7"
    assert words("messages(days=30) >= 100", "en") == "messages in the last 30 days ≥ 100"
    assert words("invited >= 3 and events_attended >= 2") == "邀请入群的人数 ≥ 3 且 参加活动的次数 ≥ 2"
    assert words("first_message", "en") == "sent a first message"
    assert words("not a rule (") == "not a rule ("  # as written, never an error page

"""T1/T4 reasons in the English console: the sentences the bot stores (tier reasons, a
demotion's bar, an operator's lock, a volunteer candidate's numbers) read in English, from
the generators' real output; Chinese is shown as stored; text nobody generated is kept."""

from __future__ import annotations

import re

from qunyun.analytics.tiers import TIERS, reason
from qunyun.plan.model import Tiers
from qunyun.services import volunteers
from qunyun.web.growth_labels import direction_label, tier_label
from qunyun.web.growth_labels import reason as growth_reason
from tests.policies.test_bot_policies import camp_plan

CJK = re.compile(r"[\u4e00-\u9fff]")


def row(tier: str) -> dict[str, object]:
    return {"tier": tier, "window_messages": 42, "active_days": 6, "invited": 3, "onion": 0.5}


def test_every_tier_reason_reads_in_english_and_stays_chinese_in_chinese() -> None:
    cfg = Tiers()
    for tier in TIERS:
        zh = reason(row(tier), cfg)
        en = growth_reason(zh, "en")
        assert not CJK.search(en), (tier, en)
        assert en == reason(row(tier), cfg, "en"), tier  # the English report's words
        assert growth_reason(zh, "zh") == zh
    assert growth_reason(reason(row("spreader"), cfg), "en") == (
        "brought 3 members (≥2); 42 messages on 6 days in the last 30 days")
    demoted = reason(row("onlooker"), cfg) + "；低于「意见领袖」标准的 90%"
    assert growth_reason(demoted, "en") == (
        "no messages in the last 30 days; below 90% of the Opinion leader bar")
    assert growth_reason("lin 将等级锁定为「活跃者」", "en") == "lin locked the tier at Active member"
    assert growth_reason("lin 解除了等级锁定", "en") == "lin unlocked the tier"
    assert growth_reason("他帮了很多人", "en") == "他帮了很多人"  # not generated: kept


def test_a_volunteer_candidates_reason_reads_in_english() -> None:
    plan = camp_plan(volunteers={"target": 10})
    rows = [{"member_id": 7, "name": "阿星", "strict": "active", "window_messages": 30,
             "active_days": 5, "invited": 1}]
    (found,) = volunteers.candidates(rows, plan=plan, exclude=set(), limit=10)
    en = growth_reason(found.why, "en")
    assert not CJK.search(en), en
    assert "Active member" in en and "30 messages" in en and "1 member invited" in en
    assert growth_reason("运营 lin 手动邀请", "en") == "invited by hand by lin"
    assert growth_reason("运营 lin 手动邀请；" + found.why, "en") == f"invited by hand by lin; {en}"


def test_tier_and_move_names_per_language() -> None:
    assert tier_label("spreader", "zh") == "传播者"
    assert tier_label("spreader", "en") == "Spreader"
    assert direction_label("demotion", "en") == "Demotion"
    assert direction_label("lock", "zh") == "运营锁定"


def test_growth_and_volunteer_audit_rows_read_in_english() -> None:
    from qunyun.web.labels import action_label, evidence_lines, reason_label

    assert action_label("growth.recompute", "en") == "recomputed every member's tier"
    assert action_label("growth.lock", "zh") == "锁定成长等级"
    assert reason_label("手动重新评定成长等级", "en") == "recomputed every member's tier by hand"
    assert reason_label("邀请成为志愿者（打卡督导）", "en") == "invited to volunteer (打卡督导)"
    assert reason_label("接受了志愿者邀请（未分工）", "en") == (
        "accepted the volunteer invitation (no role)")
    assert reason_label("21 天没有发言，自动卸任", "en") == "retired after 21 days without a message"
    assert reason_label("lin 将等级锁定为「活跃者」", "en") == "lin locked the tier at Active member"
    assert reason_label("手动重新评定成长等级", "zh") == "手动重新评定成长等级"
    assert evidence_lines({"changes": 3}, "en") == ["tier changes: 3"]


def test_a_tier_title_todo_reads_in_english() -> None:
    from qunyun.web.labels import evidence_lines, item_title

    give = {"queue": "todo", "title": "阿星 成为「意见领袖」：请在群里给 ta 加上头衔「领袖」",
            "detail": {"tier": "opinion_leader", "granted_role": "领袖", "give": True,
                       "draft": "恭喜", "members": [{"member_id": 1, "name": "阿星"}]}}
    assert item_title(give, "en") == "阿星: give the title \u201c领袖\u201d (opinion leader)"
    take = {**give, "detail": {**give["detail"], "give": False}}  # type: ignore[dict-item]
    assert "quietly take back" in item_title(take, "en")
    assert item_title(give, "zh") == give["title"]
    assert not [line for line in evidence_lines(give["detail"], "zh")  # type: ignore[arg-type]
                if "True" in line or "give" in line]


def test_a_participants_reason_says_what_was_reached_before_the_next_bar() -> None:
    """A promotion from onlooker to participant reads as reached, not as only "below the
    active bar" (issue 11: the rehearsal said 「…（升级）：…未达活跃标准」)."""
    cfg = Tiers()
    zh = reason(row("participant"), cfg)
    assert zh.startswith("近30天发言 42 条、6 天有发言，达到参与者标准（≥1 条），未达活跃标准")
    assert growth_reason(zh, "en").startswith(
        "42 messages on 6 days in the last 30 days, reached the participant bar (≥1 messages), "
        "below the active bar")


def test_one_day_and_one_message_read_singular_in_english() -> None:
    """Issue 11 walk13 #54: 「4 messages on 1 days」."""
    assert growth_reason("近30天发言 4 条、1 天有发言", "en") == \
        "4 messages on 1 day in the last 30 days"
    assert growth_reason("近30天发言 1 条、1 天有发言", "en") == \
        "1 message on 1 day in the last 30 days"

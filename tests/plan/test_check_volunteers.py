"""`plan check` on the volunteers section (T4) and the tier actions (T2): what an operator
gets wrong is a finding in their words; the volunteers' commands in a FAQ are not."""

from __future__ import annotations

from typing import Any

from qunyun.analytics.tiers import TIER_NAMES
from qunyun.domain.volunteers import TIER_WORDS
from qunyun.plan.check import check_plan
from qunyun.plan.model import Plan
from tests.policies.test_bot_policies import camp_plan


def with_(**sections: Any) -> Plan:
    data = camp_plan().model_dump()
    data.update(sections)
    return Plan.model_validate(data)


def codes(plan: Plan, code: str) -> dict[str, str]:
    return {f.path: f.zh for f in check_plan(plan) if f.code == code}


def test_the_bundled_plan_has_no_t2_or_t4_findings() -> None:
    plan = camp_plan()
    assert plan.volunteers is not None and plan.tier_actions is not None
    assert codes(plan, "T2") == {} and codes(plan, "T4") == {}


def test_volunteer_and_tier_action_mistakes_are_findings() -> None:
    base = camp_plan().model_dump()
    roles = base["volunteers"]["roles"]
    plan = with_(volunteers={**base["volunteers"], "min_tier": "onlooker",
                             "roles": [*roles, roles[0]]})
    found = codes(plan, "T4")
    assert "volunteers.min_tier" in found and "最活跃" in found["volunteers.min_tier"]
    assert f"volunteers.roles.{len(roles)}.name" in found

    plan = with_(volunteers=None, tier_actions={"actions": {
        "active": {"do": "volunteer"}, "onlooker": {"do": "praise"},
        "participant": {"do": "dm", "text": "你好 {nmae}"}}})
    found = codes(plan, "T2")
    assert "志愿者部分" in found["tier_actions.actions.active"]
    assert "不适合公开表扬" in found["tier_actions.actions.onlooker"]
    assert "占位" in found["tier_actions.actions.participant.text"]


def test_the_volunteers_commands_in_a_faq_are_not_flagged() -> None:
    data = camp_plan().model_dump()
    data["rules"]["faq"].append({"q": "怎么做志愿者？", "keywords": ["志愿者"],
                                 "a": "收到邀请后私聊回复 !接受 或 !拒绝；志愿者用 !警告 和 !删除"})
    assert codes(Plan.model_validate(data), "A2") == {}


def test_tier_words_match_the_reports() -> None:
    assert TIER_WORDS == TIER_NAMES


def test_a_tier_role_says_how_each_platform_gives_it() -> None:
    def role_findings(platform: str, role: str, level: int = 10) -> str:
        data = camp_plan().model_dump()
        data["community"]["platform"] = platform
        data["tier_actions"]["actions"]["opinion_leader"] = {"do": "none", "role": role,
                                                             "role_level": level}
        plan = Plan.model_validate(data)
        return " ".join(f.zh for f in check_plan(plan)
                        if f.path == "tier_actions.actions.opinion_leader.role")

    assert "运营待办" in role_findings("telegram", "意见领袖")
    assert "群主" in role_findings("qq", "意见领袖")
    assert "超过 6 个字" in role_findings("qq", "本群最靠谱意见领袖")
    assert role_findings("matrix", "意见领袖") == ""
    assert "管理员" in role_findings("matrix", "意见领袖", level=50)
    # A role alone, with no other action, is a valid tier action.
    assert camp_plan(tier_actions__actions={"spreader": {"role": "拉新达人"}}) \
        .tier_actions.actions["spreader"].do == "none"  # type: ignore[union-attr]


def test_ambassador_programme_mistakes_are_findings() -> None:
    base = camp_plan().model_dump()
    assert base["tier_actions"]["actions"]["spreader"]["do"] == "ambassador"
    found = codes(with_(ambassadors=None), "T2")
    assert "推广大使部分" in found["tier_actions.actions.spreader"]
    plan = with_(ambassadors={**base["ambassadors"], "enabled": False})
    assert "没有启用" in codes(plan, "T2")["tier_actions.actions.spreader"]
    unused = {**base["tier_actions"], "actions": {
        k: v for k, v in base["tier_actions"]["actions"].items() if k != "spreader"}}
    assert "do: ambassador" in codes(with_(tier_actions=unused), "T2")["ambassadors"]
    wrong = with_(ambassadors={**base["ambassadors"], "invite_text": "你好 {nmae}"})
    assert "占位" in codes(wrong, "T2")["ambassadors.invite_text"]

"""`plan check`: a member-facing text that @-names someone nobody can find (issue 11 walk
finding 38), and the bundled examples name only roles and people who exist."""

from __future__ import annotations

from qunyun.plan.check import check_plan
from qunyun.plan.load import load_plan
from qunyun.plan.model import Plan
from qunyun.plan.render import render_rules, render_welcome
from qunyun.plan.texts import plan_texts
from tests.conftest import EXAMPLES


def _camp(**rules: object) -> Plan:
    plan = load_plan(EXAMPLES / "python-camp.yaml").plan
    assert plan is not None and plan.rules is not None
    return plan.model_copy(update={"rules": plan.rules.model_copy(update=rules)})


def _people(plan: Plan) -> list[str]:
    return [f"{f.path}: {f.zh}" for f in check_plan(plan) if "rules.admins" in f.zh]


def test_an_at_name_outside_the_admin_list_is_flagged_with_what_to_do() -> None:
    plan = _camp(feedback="有意见请 @店长阿芳，或发邮件到 shop@example.com")
    (finding,) = _people(plan)
    assert finding.startswith("rules.feedback: 写了「@店长阿芳」，但「店长阿芳」不在群规的管理员名单")
    assert "或改写成角色（如 群主、管理员）" in finding  # what to write instead
    assert "example.com" not in finding  # an e-mail address is no mention
    (found,) = [f for f in check_plan(plan) if "rules.admins" in f.zh]
    assert found.severity == "advice" and "members will look for them" in found.en


def test_a_listed_admin_or_a_role_is_someone_members_can_find() -> None:
    plan = _camp(feedback="请 @小林 或 @群主，急事 @管理员", admins=["小林", "群主（班主任）"])
    assert _people(plan) == []
    assert _people(_camp(feedback="找 @班主任 就行")) == []  # 「群主（班主任）」 names the role


def test_the_examples_name_roles_not_people_the_demo_does_not_have() -> None:
    # The local demo has the operator (「运营者」) and 张三, 李四, 王五: a text that sends a
    # member to 班主任小林 or 店长阿芳 sends them to nobody.
    for name in ("python-camp.yaml", "fruit-shop.yaml", "photo-club.yaml"):
        plan = load_plan(EXAMPLES / name).plan
        assert plan is not None
        read = "\n".join([render_rules(plan), render_welcome(plan, newcomer="张三"),
                          *(t for _, t in plan_texts(plan))])
        for nobody in ("小林", "阿杰", "Mia", "阿芳", "小周", "阿梁", "Kiki"):
            assert nobody not in read, (name, nobody)
        assert _people(plan) == [], name
    camp = load_plan(EXAMPLES / "python-camp.yaml").plan
    assert camp is not None
    assert "六、管理员\n群主（班主任）、群管理员（助教）" in render_rules(camp)

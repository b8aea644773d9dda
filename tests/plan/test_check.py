"""`plan check` (P1–P4): the bundled examples' verdicts and each kind of bad input."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from qunyun.plan.check import check_loaded, check_plan, is_ready
from qunyun.plan.load import load_plan, parse_plan
from tests.conftest import EXAMPLES

TODAY = date(2026, 11, 23)
READY = ["python-camp.yaml", "fruit-shop.yaml", "photo-club.yaml"]


def _codes(text: str) -> dict[str, str]:
    loaded = parse_plan(text, path="t.yaml")
    return {f.path: f.zh for f in check_loaded(loaded, today=TODAY) if f.severity == "error"}


MINIMAL = """
community: {name: 测试群, slug: t, platform: wechat, size_cap: 100}
"""


@pytest.mark.parametrize("name", READY)
def test_each_example_plan_is_ready(name: str) -> None:
    findings = check_loaded(load_plan(EXAMPLES / name), today=TODAY)
    assert is_ready(findings), [f.zh for f in findings]


def test_incomplete_example_names_what_is_missing() -> None:
    findings = check_loaded(load_plan(EXAMPLES / "draft-incomplete.yaml"), today=TODAY)
    errors = {f.path: f for f in findings if f.severity == "error"}
    assert not is_ready(findings)
    assert "超过了微信的上限 500" in errors["community.size_cap"].zh
    assert errors["community.size_cap"].line == 7
    assert "付费门槛没有价格" in errors["threshold.price"].zh
    assert "无法编译" in errors["onboarding.nickname_pattern"].zh
    # RE2's reason in the operator's words, the faulty part kept (walk finding 39)
    reason = errors["onboarding.nickname_pattern"].zh
    assert "少了右括号" in reason and "missing" not in reason, reason
    assert "missing )" in errors["onboarding.nickname_pattern"].en
    assert "提醒期" in errors["elimination.notice_days"].zh
    assert "禁止行为" in errors["rules.forbidden"].zh
    assert {"revenue", "volunteers", "future", "community.positioning"} <= set(errors)


def test_the_eight_questions_are_each_asked() -> None:
    errors = _codes(MINIMAL)
    for section in ("service", "revenue", "rules", "welcome", "elimination", "volunteers",
                    "threshold", "future"):
        assert section in errors, section
    assert errors["rules"].startswith("③")


def test_audience_needs_two_to_four_dimensions() -> None:
    one = _codes(MINIMAL + "service: {audience: {age: 20-30}, offering: x, cycle_days: 30}\n")
    assert "现在只有 1 个" in one["service.audience"]
    two = _codes(MINIMAL + "service: {audience: {age: 20-30, city: 上海}, offering: x, cycle_days: 3}\n")
    assert "service.audience" not in two


def test_cap_above_platform_limit_and_recommended_engagement_cap() -> None:
    qq = parse_plan("community: {name: q, slug: q, platform: qq, size_cap: 2500}\n")
    assert qq.plan is not None
    paths = {f.path: f for f in check_plan(qq.plan, today=TODAY)}
    assert "QQ的上限 2000" in paths["community.size_cap"].zh
    ok = parse_plan("community: {name: q, slug: q, platform: qq, size_cap: 1500}\n")
    assert ok.plan is not None
    advice = {f.path: f for f in check_plan(ok.plan, today=TODAY)}["community.size_cap"]
    assert advice.severity == "advice" and "200" in advice.zh


def test_contradictions_in_threshold() -> None:
    errors = _codes(MINIMAL + "threshold: {type: free, price: 9, trial_days: 7}\n")
    assert "改为 paid" in errors["threshold.price"]
    assert "试用期" in errors["threshold.trial_days"]
    steps = _codes(MINIMAL + """threshold:
  type: paid
  price_steps: [{after_days: 30, price: 9}, {after_days: 0, price: 5}]
""")
    assert "递增" in steps["threshold.price_steps"]


def test_nickname_example_must_match_pattern() -> None:
    errors = _codes(MINIMAL + "onboarding: {nickname_pattern: '(?P<n>\\w+)-(?P<c>\\w+)', "
                    "nickname_example: 只有名字}\n")
    assert "不符合" in errors["onboarding.nickname_example"]


def test_backtracking_patterns_are_rejected_with_the_reason() -> None:
    errors = _codes(MINIMAL + "moderation: {patterns: [{name: 回溯, pattern: '(a)\\1', reason: x}]}\n")
    assert "无法编译" in errors["moderation.patterns.0.pattern"]


def test_quarterly_rules_revision_reminder() -> None:
    stale = parse_plan(MINIMAL + "rules: {revised_on: 2026-01-02}\n")
    assert stale.plan is not None
    advice = [f for f in check_plan(stale.plan, today=TODAY) if f.path == "rules.revised_on"]
    assert advice and advice[0].severity == "advice" and "季度" in advice[0].zh


def test_english_findings() -> None:
    loaded = load_plan(EXAMPLES / "draft-incomplete.yaml")
    texts = [f.format("p.yaml", "en") for f in check_loaded(loaded, today=TODAY)]
    assert any("above WeChat's limit of 500" in t for t in texts)
    assert all("[" in t for t in texts)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("community: [unclosed\n", "不是有效的 YAML"),
        ("- just\n- a list\n", "顶层应为键值映射"),
        ("", "顶层应为键值映射"),
    ],
)
def test_not_yaml_or_wrong_shape_is_a_finding(text: str, expected: str) -> None:
    findings = check_loaded(parse_plan(text))
    assert len(findings) == 1 and expected in findings[0].zh


def test_schema_errors_name_path_and_line() -> None:
    text = """community:
  name: t
  slug: t
  platform: wechat
  size_cap: 很多
rules:
  forbiden: [广告]
threshold:
  type: vip
"""
    findings = {f.path: f for f in check_loaded(parse_plan(text, path="p.yaml"))}
    assert findings["community.size_cap"].line == 5 and "整数" in findings["community.size_cap"].zh
    assert findings["rules.forbiden"].line == 7 and "未知的键" in findings["rules.forbiden"].zh
    assert findings["threshold.type"].line == 9 and "可选" in findings["threshold.type"].zh


def test_duplicate_keys_are_reported() -> None:
    text = MINIMAL + "future: a\nfuture: b\n"
    findings = check_loaded(parse_plan(text), today=TODAY)
    assert any("重复的键" in f.zh and f.line == 4 for f in findings)


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    missing = load_plan(tmp_path / "nope.yaml")
    assert missing.plan is None and "无法读取" in missing.findings[0].zh
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("community: {name: 测试}\n".encode("gbk"))
    assert "UTF-8" in load_plan(gbk).findings[0].zh


def test_schema_errors_and_the_rest_of_the_plan_are_reported_together() -> None:
    # Issue 11: a broken nickname pattern used to show only once the schema errors were gone.
    text = (EXAMPLES / "python-camp.yaml").read_text().replace(
        "  group_type: engagement\n", "  group_type: engagement\n  colour: blue\n").replace(
        "nickname_pattern: '(?P<name>[^-]+)-(?P<city>[^-]+)-(?P<job>[^-]+)'",
        "nickname_pattern: '(?P<name>[^-]+'")
    loaded = parse_plan(text, path="p.yaml")
    assert loaded.plan is None  # still refused: a plan with schema errors never loads
    findings = {f.path: f for f in check_loaded(loaded, today=TODAY)}
    assert "未知的键" in findings["community.colour"].zh
    assert "无法编译" in findings["onboarding.nickname_pattern"].zh
    assert findings["onboarding.nickname_pattern"].line is not None
    # A finding about a key that failed validation is not repeated as "missing".
    wrong_type = MINIMAL.replace("size_cap: 100", "size_cap: 很多")
    paths = [f.path for f in check_loaded(parse_plan(wrong_type), today=TODAY)]
    assert paths.count("community.size_cap") == 1 and "service" in " ".join(paths)


def test_a_text_naming_a_command_the_bot_does_not_have_is_a_finding() -> None:
    # A2 (issue 11): members who do exactly what the FAQ says must get an answer.
    text = MINIMAL + """
rules:
  faq:
    - q: 周报怎么交？
      a: 在群里发「!交周报 链接」，或发 !作业 链接。
  encouraged: [每天发 ！打卡 记录进度, 第一周加油！🎉]
"""
    loaded = parse_plan(text, path="t.yaml")
    found = [f for f in check_loaded(loaded, today=TODAY) if f.code == "A2"]
    assert [(f.path, f.line) for f in found] == [("rules.faq.0.a", 7)]
    assert "!交周报" in found[0].zh and "!交周报" in found[0].en


def _revival_findings(revival: dict[str, object]) -> dict[str, tuple[str, str]]:
    """E2 findings of the camp plan with its `revival:` replaced."""
    from qunyun.plan.check_lifecycle import check_lifecycle
    from qunyun.plan.model import Plan

    loaded = load_plan(EXAMPLES / "python-camp.yaml")
    assert loaded.plan is not None
    data = loaded.plan.model_dump()
    data["revival"] = revival
    return {f.path: (f.severity, f.zh) for f in check_lifecycle(Plan.model_validate(data))
            if f.code == "E2"}


def test_a_revival_task_must_be_a_task_of_the_plan() -> None:
    assert _revival_findings({"ways": ["task"], "task": "批量重命名"}) == {}
    severity, words = _revival_findings({"ways": ["task"], "task": "补交作业"})["revival.task"]
    assert severity == "error" and "「补交作业」不是计划里的任务" in words
    assert "「批量重命名」" in words  # the tasks it could name
    severity, words = _revival_findings({"ways": ["payment"], "task": "批量重命名"})[
        "revival.task"]
    assert severity == "error" and "ways 里没有 task" in words
    severity, words = _revival_findings({"ways": ["task"]})["revival.task"]
    assert severity == "advice" and "只能等管理员审核" in words

"""The rules document (P3) and the welcome (O1) as the bot will post them."""

from __future__ import annotations

from qunyun.plan.load import load_plan
from qunyun.plan.render import render_rules, render_welcome
from tests.conftest import EXAMPLES


def _plan(name: str):  # type: ignore[no-untyped-def]
    plan = load_plan(EXAMPLES / name).plan
    assert plan is not None
    return plan


def test_rules_have_seven_sections_penalties_and_elimination() -> None:
    text = render_rules(_plan("python-camp.yaml"))
    headings = ["一、社群介绍", "二、社群服务", "三、禁止行为", "四、鼓励行为", "五、常见问题",
                "六、管理员", "七、反馈渠道"]
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)
    assert "累计 3 次警告将被移出本群（送机票）" in text
    assert "连续 21 天未发言" in text and "3 天后移出" in text
    assert "复活方式：完成指定任务、付费" in text
    assert "最后修订：2026-10-08" in text


def test_rules_in_english_keep_operator_content() -> None:
    text = render_rules(_plan("photo-club.yaml"), lang="en")
    assert text.startswith("Rules of 城市街拍同好会")
    assert "3. Not allowed" in text and "盗用他人作品" in text


def test_welcome_mentions_newcomer_and_says_what_to_do() -> None:
    text = render_welcome(_plan("python-camp.yaml"), newcomer="小王")
    assert text.startswith("@小王 欢迎加入")
    for part in ("群里有什么", "谁在运营", "当前福利", "现在请你（24 小时内）", "小王-杭州-财务"):
        assert part in text


def test_the_rules_say_which_rules_admins_are_exempt_from() -> None:
    # R3: an exception made for admins is announced, not hidden (fruit-shop: links only).
    loaded = load_plan(EXAMPLES / "fruit-shop.yaml")
    assert loaded.plan is not None
    zh = render_rules(loaded.plan)
    assert "管理员同样遵守本群规，只有这些对管理员放宽：发链接。" in zh
    assert "Admins follow the same rules, except: links." in render_rules(loaded.plan, lang="en")
    camp = load_plan(EXAMPLES / "python-camp.yaml").plan
    assert camp is not None and "管理员同样遵守本群规。" in render_rules(camp)


def test_the_rules_say_what_counts_as_a_repeat() -> None:
    # Issue 11 walk finding 52: the repeat rule's minimum length is in the rules members read.
    plan = _plan("python-camp.yaml")
    assert "重复发送：同一句话（至少 10 个字）5 分钟内发 3 次会被撤回并警告；「收到」「谢谢老师」这类短句" \
        "不算。" in render_rules(plan)
    assert "the same message (at least 10 characters) sent 3 times within 5 minutes" in \
        render_rules(plan, lang="en")
    off = plan.model_copy(update={"moderation": plan.moderation.model_copy(update={
        "repeat": plan.moderation.repeat.model_copy(update={"enabled": False})})})
    assert "重复发送：" not in render_rules(off)

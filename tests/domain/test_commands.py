"""Every command word a policy answers is one the bot knows (`domain.commands.is_known`):
a member typing it is never moderated as an advert, and `plan check` accepts a text that
names it (issue 11 item 4)."""

from __future__ import annotations

from qunyun.domain.commands import is_known, parse
from qunyun.plan.check import check_plan
from qunyun.plan.model import Plan
from qunyun.policies import activities, campaigns, growth_commands, lifecycle


def test_every_policys_own_command_words_are_known() -> None:
    words = {*activities.REGISTER, *activities.CANCEL, *activities.FEEDBACK,
             activities.CHECKIN, *campaigns.DONE_WORDS, *lifecycle.REVIVE_WORDS,
             *growth_commands.LEVEL_WORDS, *growth_commands.BADGE_WORDS}
    assert [w for w in sorted(words) if not is_known(w)] == []
    command = parse("!完成 结营总结")
    assert command is not None and command.known and command.name == "完成"
    unknown = parse("!福利 加微信")
    assert unknown is not None and not unknown.known


def test_plan_check_accepts_a_faq_naming_the_event_and_camp_commands() -> None:
    plan = Plan.model_validate({
        "community": {"name": "测试群", "slug": "test", "platform": "matrix"},
        "rules": {"faq": [
            {"q": "怎么报名直播？", "a": "发 !报名，不去了发 !取消报名，结束后 !反馈 5 很好",
             "keywords": ["报名"]},
            {"q": "任务做完了？", "a": "回复 !完成 任务名；被移出后私聊我 !复活 说明",
             "keywords": ["任务"]},
            {"q": "有没有福利？", "a": "发 !福利 领取", "keywords": ["福利"]},
        ]},
    })
    a2 = [f for f in check_plan(plan) if f.code == "A2"]
    assert [f.path for f in a2] == ["rules.faq.2.a"]


def test_a_link_glued_to_the_command_word_is_its_argument() -> None:
    glued = parse("!作业https://github.com/x/y谢谢")
    assert glued is not None and glued.name == "task" and glued.known
    assert glued.rest == "https://github.com/x/y谢谢"
    spaced = parse("！作业 github.com/a/b")
    assert spaced is not None and spaced.name == "task" and spaced.rest == "github.com/a/b"
    unknown = parse("!福利https://spam.cn")
    assert unknown is not None and unknown.name == "福利" and not unknown.known

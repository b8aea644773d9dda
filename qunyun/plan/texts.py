"""The texts of a plan that members read (rules, FAQ answers, the welcome, the form).

Two readers: the bot, which never treats a command the plan tells members to type as an
advert (R1), and `plan check`, which flags a text naming a command the bot does not have
(a FAQ saying "hand in homework with `!作业 链接`" must be something that works).
"""

from __future__ import annotations

from collections.abc import Iterator

from qunyun.plan.model import Plan


def plan_texts(plan: Plan) -> Iterator[tuple[str, str]]:
    """(YAML path, text) for every member-facing text of the plan."""
    r = plan.rules
    if r is not None:
        if r.intro:
            yield "rules.intro", r.intro
        for section in ("services", "forbidden", "encouraged"):
            for i, text in enumerate(getattr(r, section)):
                yield f"rules.{section}.{i}", text
        for i, item in enumerate(r.faq):
            yield f"rules.faq.{i}.q", item.q
            yield f"rules.faq.{i}.a", item.a
        if r.feedback:
            yield "rules.feedback", r.feedback
    w = plan.welcome
    if w is not None:
        for key in ("greeting", "offer", "hosts", "benefit"):
            text = getattr(w, key)
            if text:
                yield f"welcome.{key}", text
        for i, text in enumerate(w.next_steps):
            yield f"welcome.next_steps.{i}", text
    for i, question in enumerate(plan.onboarding.form):
        yield f"onboarding.form.{i}.question", question.question
    if plan.revival is not None and plan.revival.description:
        yield "revival.description", plan.revival.description
    if plan.threshold is not None and plan.threshold.task:
        yield "threshold.task", plan.threshold.task
    v = plan.volunteers
    if v is not None:
        if v.invite_text:
            yield "volunteers.invite_text", v.invite_text
        for i, role in enumerate(v.roles):
            if role.duties:
                yield f"volunteers.roles.{i}.duties", role.duties
    if plan.tier_actions is not None:
        for tier, action in plan.tier_actions.actions.items():
            if action.text:
                yield f"tier_actions.actions.{tier}.text", action.text

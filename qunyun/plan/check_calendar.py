"""`plan check` findings for the `calendar:` section (A1): rules that do not read, text
variables the bot does not know, campaigns without a start, duplicate ids and days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from qunyun.domain import recurrence
from qunyun.plan.calendar import VARIABLES, post_rule, unknown_variables
from qunyun.plan.findings import Finding
from qunyun.plan.model import Plan

KNOWN = "、".join("{" + v + "}" for v in VARIABLES)


def _err(path: str, zh: str, en: str) -> Finding:
    return Finding("A1", path, zh, en)


def _advice(path: str, zh: str, en: str) -> Finding:
    return Finding("A1", path, zh, en, severity="advice")


def _text(path: str, text: str) -> Iterator[Finding]:
    bad = unknown_variables(text)
    if bad:
        names = "、".join("{" + b + "}" for b in bad)
        yield _err(path, f"文案里有不认识的变量 {names}（可用：{KNOWN}）",
                   f"unknown text variable(s) {', '.join(bad)} (known: {', '.join(VARIABLES)})")


def check_calendar(plan: Plan, today: date) -> Iterator[Finding]:
    cal = plan.calendar
    seen: set[str] = set()
    for i, post in enumerate(cal.posts):
        path = f"calendar.posts.{i}"
        if post.id in seen:
            yield _err(f"{path}.id", f"日历帖 id「{post.id}」重复", f"duplicate post id {post.id!r}")
        seen.add(post.id)
        yield from _text(f"{path}.text", post.text)
        try:
            problem = recurrence.check_rule(post_rule(post))
        except recurrence.RuleError as exc:
            problem = exc
        if problem is not None:
            yield _err(path, f"日历帖「{post.id}」的时间读不懂：{problem.zh}",
                       f"post {post.id!r}: the timing cannot be read: {problem}")
            continue
        if post.every is None and post.rrule is None and post.date and post.date < today:
            yield _advice(f"{path}.date", f"一次性日历帖「{post.id}」的日期 {post.date} 已经过去，不会再发",
                          f"one-off post {post.id!r} is dated {post.date}, in the past")
        if post.until and post.start and post.until < post.start:
            yield _err(f"{path}.until", f"日历帖「{post.id}」的结束日期早于开始日期",
                       f"post {post.id!r} ends before it starts")
    seen.clear()
    for i, campaign in enumerate(cal.campaigns):
        path = f"calendar.campaigns.{i}"
        if campaign.id in seen:
            yield _err(f"{path}.id", f"活动 id「{campaign.id}」重复",
                       f"duplicate campaign id {campaign.id!r}")
        seen.add(campaign.id)
        if campaign.relative_to == "start" and campaign.start is None:
            yield _err(f"{path}.start", f"活动「{campaign.name}」从开始日期算起，但没写 start",
                       f"campaign {campaign.name!r} runs from a start date but has no start")
        days: set[int] = set()
        for j, day in enumerate(campaign.days):
            dpath = f"{path}.days.{j}"
            if day.day in days:
                yield _err(f"{dpath}.day", f"活动「{campaign.name}」的第 {day.day} 天写了两次",
                           f"campaign {campaign.name!r} lists day {day.day} twice")
            days.add(day.day)
            yield from _text(f"{dpath}.text", day.text)
            try:
                recurrence.parse_at(day.at)
            except recurrence.RuleError as exc:
                yield _err(f"{dpath}.at",
                           f"活动「{campaign.name}」第 {day.day} 天的时间读不懂：{exc.zh}",
                           f"campaign {campaign.name!r} day {day.day}: {exc}")

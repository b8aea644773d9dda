"""`plan check` findings for issue 14's E1/E2, A5 and H4 settings: cron expressions the
schedule can run, a revival task that names a task the plan has, events whose numbers
contradict each other, recurring events that end before they start, run for a year
because no end was given, start off their own rule or clash with another event."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from qunyun.domain import event_series
from qunyun.domain.cron import CronError, to_rule
from qunyun.plan.findings import Finding
from qunyun.plan.model import Activity, Plan

MAX_CLASHES = 3  # findings per pair of events: the first ones say enough


def _cron(code: str, path: str, expr: str) -> Iterator[Finding]:
    try:
        to_rule(expr)
    except CronError as exc:
        yield Finding(code, path, exc.zh, str(exc))


def _plan_tasks(plan: Plan) -> set[str]:
    """The names of the tasks the plan's calendar posts and campaign days set."""
    names = {p.task.name for p in plan.calendar.posts if p.task}
    return names | {d.task.name for c in plan.calendar.campaigns for d in c.days if d.task}


def _revival(plan: Plan) -> Iterator[Finding]:
    r = plan.revival
    if r is None:
        return
    tasks = _plan_tasks(plan)
    listed = "、".join(f"「{n}」" for n in sorted(tasks)) or "（计划里还没有任务）"
    if r.task and "task" not in r.ways:
        yield Finding("E2", "revival.task", f"写了复活任务「{r.task}」，但复活方式 ways 里没有 task",
                      f"revival.task {r.task!r} is set but `task` is not among the ways")
    elif r.task and r.task not in tasks:
        yield Finding("E2", "revival.task",
                      f"复活任务「{r.task}」不是计划里的任务；可用的任务：{listed}",
                      f"revival task {r.task!r} is not a task of the plan "
                      f"(calendar posts' and campaign days' task.name)")
    elif "task" in r.ways and not r.task:
        yield Finding("E2", "revival.task",
                      "复活方式有 task，但没写是哪个任务：成员交来的只能等管理员审核；"
                      f"写上 revival.task（{listed}）机器人就能收作业链接"
                      + ("并自动邀请回群" if r.auto_readmit else ""),
                      "`task` is a way back but revival.task names no plan task: every "
                      "hand-in waits for an operator", severity="advice")


def check_lifecycle(plan: Plan) -> Iterator[Finding]:
    e = plan.elimination
    if e is not None and e.enabled:
        yield from _cron("E1", "elimination.sweep_cron", e.sweep_cron)
    yield from _revival(plan)
    if plan.reports.weekly:
        yield from _cron("H4", "reports.weekly_cron", plan.reports.weekly_cron)
    keys: set[str] = set()
    for i, a in enumerate(plan.events):
        if a.key in keys:
            yield Finding("A5", f"events.{i}.key", f"活动标识「{a.key}」重复",
                          f"event key {a.key!r} is used twice")
        keys.add(a.key)
        if not a.place and not a.online_link:
            yield Finding("A5", f"events.{i}", f"活动「{a.name}」没有地点也没有线上链接",
                          f"event {a.name!r} has neither a place nor an online link")
        if a.capacity and a.expected_attendance and a.expected_attendance > a.capacity:
            yield Finding("A5", f"events.{i}.expected_attendance",
                          f"活动「{a.name}」预期人数 {a.expected_attendance} 超过名额 {a.capacity}",
                          "expected attendance is above the capacity", severity="advice")
    yield from _series(plan)
    yield from _clashes(plan)


def _series(plan: Plan) -> Iterator[Finding]:
    occurrences = plan.event_occurrences()
    one_off = {a.key: i for i, a in enumerate(plan.events) if a.repeat is None}
    for i, a in enumerate(plan.events):
        if a.repeat is None:
            continue
        r, path = a.repeat, f"events.{i}.repeat"
        rule = event_series.describe(r.series())
        mine = [o for o in occurrences if o.series_key == a.key]
        local = a.starts if a.starts.tzinfo is None else \
            a.starts.astimezone(ZoneInfo(plan.bot.timezone)).replace(tzinfo=None)
        starts = mine[0].starts if mine else local
        if r.until is not None and r.until < local.date():
            yield Finding("A5", f"{path}.until",
                          f"重复活动「{a.name}」的 until {r.until} 早于开始 "
                          f"{local:%Y-%m-%d}：一场也不会办",
                          f"repeat.until {r.until} is before the event starts "
                          f"({local:%Y-%m-%d}): no occurrence at all")
            continue
        if not mine:
            yield Finding("A5", path, f"重复活动「{a.name}」（{rule}）一场也排不出",
                          "the repeat rule gives no occurrence")
            continue
        if starts != local:
            yield Finding("A5", f"events.{i}.starts",
                          f"重复活动「{a.name}」的开始时间 {local:%Y-%m-%d} 不是「{rule}」"
                          f"中的一天：第一场是 {starts:%Y-%m-%d %H:%M}",
                          f"starts {local:%Y-%m-%d} is not a day of the rule; the first "
                          f"occurrence is {starts:%Y-%m-%d %H:%M}", severity="advice")
        if event_series.unbounded(r.series()):
            yield Finding("A5", path,
                          f"重复活动「{a.name}」（{rule}）没有写结束（until 或 count），按一年"
                          f"排到 {mine[-1].starts:%Y-%m-%d}，共 {len(mine)} 场；"
                          "写上 until 或 count 说清楚办到哪天",
                          f"the series has no until or count: bounded at one year, "
                          f"{len(mine)} occurrences up to {mine[-1].starts:%Y-%m-%d}",
                          severity="advice")
        elif len(mine) >= event_series.MAX_OCCURRENCES:
            yield Finding("A5", path,
                          f"重复活动「{a.name}」超过 {event_series.MAX_OCCURRENCES} 场，"
                          f"只排到 {mine[-1].starts:%Y-%m-%d}",
                          f"the series has more than {event_series.MAX_OCCURRENCES} "
                          "occurrences; the rest are left out")
        for o in mine:
            if o.key in one_off:
                yield Finding("A5", f"events.{one_off[o.key]}.key",
                              f"活动标识「{o.key}」和重复活动「{a.name}」"
                              f"{o.starts:%Y-%m-%d} 那一场的标识相同",
                              f"event key {o.key!r} is also the key of an occurrence of "
                              f"series {a.key!r}")


def _span(a: Activity, tz: str) -> tuple[datetime, datetime]:
    """An event's local start and end (a start with an offset read in the plan's zone)."""
    at = a.starts if a.starts.tzinfo is None else \
        a.starts.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    return at, at + timedelta(minutes=a.duration_minutes)


def _clashes(plan: Plan) -> Iterator[Finding]:
    """Occurrences of two different events that overlap in time (members cannot be at
    both; the reminders of both go out together)."""
    index = {a.key: i for i, a in enumerate(plan.events)}
    tz = plan.bot.timezone
    events = sorted(plan.event_occurrences(), key=lambda o: _span(o, tz)[0])
    said: dict[tuple[str, str], int] = {}
    for n, a in enumerate(events):
        a_start, a_end = _span(a, tz)
        for b in events[n + 1:]:
            b_start, _b_end = _span(b, tz)
            if b_start >= a_end:
                break
            pair = (a.series_key or a.key, b.series_key or b.key)
            if pair[0] == pair[1]:
                continue
            said[pair] = said.get(pair, 0) + 1
            if said[pair] > MAX_CLASHES:
                continue
            yield Finding("A5", f"events.{index.get(pair[1], 0)}.starts",
                          f"活动「{a.name}」（{a_start:%Y-%m-%d %H:%M}）和「{b.name}」"
                          f"（{b_start:%Y-%m-%d %H:%M}）时间重叠",
                          f"events {pair[0]!r} and {pair[1]!r} overlap on "
                          f"{a_start:%Y-%m-%d}", severity="advice")

"""`plan check` findings for issue 14's E1/E2, A5 and H4 settings: cron expressions the
schedule can run, a revival task that names a task the plan has, events whose numbers
contradict each other."""

from __future__ import annotations

from collections.abc import Iterator

from qunyun.domain.cron import CronError, to_rule
from qunyun.plan.findings import Finding
from qunyun.plan.model import Plan


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

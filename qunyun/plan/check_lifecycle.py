"""`plan check` findings for issue 14's E1/E2, A5 and H4 settings: cron expressions the
schedule can run, events whose numbers contradict each other."""

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


def check_lifecycle(plan: Plan) -> Iterator[Finding]:
    e = plan.elimination
    if e is not None and e.enabled:
        yield from _cron("E1", "elimination.sweep_cron", e.sweep_cron)
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

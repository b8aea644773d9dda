"""A1 campaign SOPs on the schedule, and the tasks posts set (T3).

A campaign is a sequence of days. `relative_to: start` campaigns are plan entries (one
one-off entry per day, from the campaign's start date); `relative_to: join` campaigns
are enrolled per member when they join (`enroll`: one `system` entry per day, keyed by
member, so a re-join does not enrol twice): day 1 at its time on the join date — or the
next day if that time has passed (the welcome greets them meanwhile) — and day N at its
time N−1 days after day 1.
A day (or a calendar post) may set a task; a member who answers `!完成 <task>` after it
was posted to them earns its points once (`complete_task`) — once per occurrence for a
recurring post's task (this week's topic night, then next week's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from qunyun.domain import recurrence
from qunyun.plan.calendar import CalendarTask, Campaign, CampaignDay
from qunyun.plan.model import Plan
from qunyun.services import points as points_service
from qunyun.services import schedule
from qunyun.storage.schedule import entries as entry_repo
from qunyun.storage.schedule import tasks as task_repo

KIND = "campaign"
TASK_ACTION = "task"


def _day_key(campaign: Campaign, day: CampaignDay, member_id: int | None) -> str:
    who = f":m{member_id}" if member_id is not None else ""
    return f"{campaign.id}{who}:day{day.day}"


def _title(campaign: Campaign, day: CampaignDay) -> str:
    return f"{campaign.name} 第{day.day}天"


def plan_entries(plan: Plan) -> list[schedule.EntrySpec]:
    """Start-relative campaigns: one one-off entry per day."""
    specs = []
    for campaign in plan.calendar.campaigns:
        if campaign.relative_to != "start" or campaign.start is None:
            continue
        for day in campaign.days:
            when = campaign.start + dt.timedelta(days=day.day - 1)
            try:
                rule = recurrence.rule_text(at=day.at, start=when)
            except recurrence.RuleError:
                continue  # plan check reports it
            specs.append(schedule.EntrySpec(
                kind=KIND, key=_day_key(campaign, day, None), rule=rule,
                title=_title(campaign, day), paused=campaign.paused,
                payload={"campaign": campaign.id, "day": day.day}))
    return specs


def enroll(conn: Connection, *, community_id: int, plan: Plan, member_id: int, group_id: int,
           joined_ms: int) -> int:
    """Schedule every join-relative campaign's days for a newcomer; returns entries added."""
    tz = ZoneInfo(plan.bot.timezone)
    joined = dt.datetime.fromtimestamp(joined_ms / 1000, tz=tz).replace(tzinfo=None)
    added = 0
    for campaign in plan.calendar.campaigns:
        if campaign.relative_to != "join" or campaign.paused:
            continue
        try:
            times = {day.day: recurrence.parse_at(day.at) for day in campaign.days}
        except recurrence.RuleError:
            continue  # plan check reports it
        first = min(campaign.days, key=lambda d: d.day)
        # Day 1 is the join date if its time is still ahead, else the next day.
        start = joined.date() - dt.timedelta(days=first.day - 1)
        if dt.datetime.combine(joined.date(), times[first.day]) <= joined:
            start += dt.timedelta(days=1)
        for day in campaign.days:
            key = _day_key(campaign, day, member_id)
            if entry_repo.by_key(conn, community_id=community_id, kind=KIND, key=key):
                continue
            local = dt.datetime.combine(start + dt.timedelta(days=day.day - 1), times[day.day])
            rule = f"DTSTART:{local:%Y%m%dT%H%M%S}\nRRULE:FREQ=DAILY;COUNT=1"
            schedule.upsert(conn, community_id=community_id, now_ms=joined_ms,
                            default_tz=plan.bot.timezone,
                            default_catch_up=plan.calendar.catch_up_minutes, origin="system",
                            spec=schedule.EntrySpec(
                                kind=KIND, key=key, rule=rule, group_id=group_id,
                                title=_title(campaign, day),
                                payload={"campaign": campaign.id, "day": day.day,
                                         "member": member_id}))
            added += 1
    return added


def find_day(plan: Plan, payload: Mapping[str, object]) -> tuple[Campaign, CampaignDay] | None:
    campaign = next((c for c in plan.calendar.campaigns if c.id == payload.get("campaign")),
                    None)
    if campaign is None:
        return None
    day = next((d for d in campaign.days if str(d.day) == str(payload.get("day"))), None)
    return (campaign, day) if day is not None else None


def still_in_group(conn: Connection, *, member_id: int, group_id: int) -> bool:
    return task_repo.in_group(conn, member_id=member_id, group_id=group_id)


def task_line(task: CalendarTask | None) -> str:
    if task is None:
        return ""
    return f"\n📌 任务「{task.name}」：完成后回复 !完成 {task.name}，可得 {task.points} 积分"


@dataclass(frozen=True)
class TaskResult:
    ok: bool
    text: str
    points: int = 0  # awarded (a level crossed with them is announced by the policy)


def _task_sources(plan: Plan, name: str) -> list[tuple[str, str, CalendarTask]]:
    """(kind, key prefix, task) for every post and campaign day that sets task `name`."""
    found: list[tuple[str, str, CalendarTask]] = []
    for post in plan.calendar.posts:
        if post.task and post.task.name == name:
            found.append(("calendar", post.id, post.task))
    for campaign in plan.calendar.campaigns:
        for day in campaign.days:
            if day.task and day.task.name == name:
                found.append((KIND, f"{campaign.id}:day{day.day}" if campaign.relative_to
                              == "start" else f"{campaign.id}:m{{member}}:day{day.day}",
                              day.task))
    return found


def complete_task(conn: Connection, *, community_id: int, plan: Plan, member_id: int,
                  group_id: int | None, name: str, at: dt.datetime, ref: str) -> TaskResult:
    """`!完成 <task>`: the points once, if the task was posted (to this member) already."""
    name = name.strip()
    if not name:
        return TaskResult(False, "请写上任务名，例如：!完成 自我介绍")
    sources = _task_sources(plan, name)
    if not sources:
        return TaskResult(False, f"没有叫「{name}」的任务")
    at_ms = int(at.timestamp() * 1000)
    for kind, key, task in sources:
        entry = entry_repo.by_key(conn, community_id=community_id, kind=kind,
                                  key=key.replace("{member}", str(member_id)))
        fired = entry_repo.last_fired(conn, entry_id=int(entry["id"])) if entry else None
        if entry is None or fired is None:
            continue
        # A recurring post's task can be done once per occurrence (the latest posted one);
        # a campaign day's once.
        done_key = f"{name}#{fired}" if kind == "calendar" else name
        if not task_repo.mark_done(conn, community_id=community_id, member_id=member_id,
                                   task=done_key, source=f"{kind}:{entry['key']}",
                                   points=task.points, at_ms=at_ms):
            return TaskResult(False, f"任务「{name}」已经完成过了 ✓")
        got = points_service.award(conn, community_id=community_id, member_id=member_id,
                                   group_id=group_id, action=f"{TASK_ACTION}:{name}",
                                   rules=plan.points, at=at, tz=plan.bot.timezone, ref=ref,
                                   points=task.points, ledger="participation")
        return TaskResult(True, f"任务「{name}」完成 ✓ +{task.points} 分",
                          got.points if got else 0)
    return TaskResult(False, f"任务「{name}」还没开始")


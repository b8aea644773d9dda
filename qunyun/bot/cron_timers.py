"""Ticks on the plan's cron expressions — the E1 sweep (`elimination.sweep_cron`), the H4
weekly report (`reports.weekly_cron`) — and the E1/E2 follow-ups and A5 event steps
(announce, reminders, feedback request, summary) that fall due.

A cron tick fires once per slot (croniter, in the community's time zone): its idempotency
key names the slot, so a restart or a second bot on the same database never runs the same
slot twice. A slot missed while the bot was down runs late inside its window (a sweep: a
day, it is still the week's sweep; a weekly report: an hour, like a calendar post's
default `catch_up_minutes`), never a backlog of them. Removals and re-admissions are due
from indexed queries (a notice period ended, an operator approved) and tick by the minute
like the onboarding timers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy import Connection, Engine

from qunyun.events import GroupRef, TimerFired
from qunyun.plan.model import Plan
from qunyun.policies.activities import DUE_TIMER as ACTIVITY_TIMER
from qunyun.policies.lifecycle import DUE_TIMER, REVIVAL_TIMER, SWEEP_TIMER
from qunyun.policies.reports import WEEKLY_TIMER
from qunyun.services import activities as activity_service
from qunyun.services import elimination as elimination_service
from qunyun.services import lookup

SOURCE = "qunyun:timer"
SWEEP_CATCH_UP = timedelta(hours=24)
REPORT_CATCH_UP = timedelta(minutes=60)


def last_slot(cron: str, now: datetime, tz: str) -> datetime | None:
    """The latest time at or before `now` the cron expression names (None if invalid)."""
    if not croniter.is_valid(cron):
        return None
    local = now.astimezone(ZoneInfo(tz))
    # croniter's get_prev is strictly before its start: start a second later so a tick
    # exactly on the slot counts.
    prev: datetime = croniter(cron, local + timedelta(seconds=1)).get_prev(datetime)
    return prev


class CronTimers:
    def __init__(self, engine: Engine, *, community_id: int, plan: Plan,
                 resolution_s: int = 60) -> None:
        self.engine = engine
        self.community_id = community_id
        self.plan = plan
        self.resolution_s = resolution_s

    def _slot_tick(self, conn: Connection, timer: str, cron: str, now: datetime,
                   group: GroupRef, window: timedelta) -> TimerFired | None:
        slot = last_slot(cron, now, self.plan.bot.timezone)
        if slot is None or now - slot >= window:
            return None
        at = slot.isoformat(timespec="minutes")
        key = f"{timer}:{self.community_id}:{at}"
        if lookup.logged(conn, source=SOURCE, source_event_id=key):
            return None
        return TimerFired(source=SOURCE, source_event_id=key, group=group, at=now,
                          timer=timer, payload=(("slot", at),))

    def __call__(self, now: datetime) -> Sequence[TimerFired]:
        e = self.plan.elimination
        rule = e if e is not None and e.enabled else None
        now_ms = int(now.timestamp() * 1000)
        minute = now_ms // (self.resolution_s * 1000)
        ticks: list[TimerFired | None] = []
        with self.engine.connect() as conn:
            groups = lookup.community_groups(conn, community_id=self.community_id)
            if not groups:
                return []
            group = groups[0][1]
            if rule is not None:
                ticks.append(self._slot_tick(conn, SWEEP_TIMER, rule.sweep_cron, now, group,
                                             SWEEP_CATCH_UP))
                if elimination_service.removals_due(conn, community_id=self.community_id,
                                                    plan=self.plan, now_ms=now_ms):
                    ticks.append(TimerFired(
                        source=SOURCE, group=group, at=now, timer=DUE_TIMER,
                        source_event_id=f"{DUE_TIMER}:{self.community_id}:{minute}"))
            if elimination_service.revivals_due(conn, community_id=self.community_id):
                ticks.append(TimerFired(
                    source=SOURCE, group=group, at=now, timer=REVIVAL_TIMER,
                    source_event_id=f"{REVIVAL_TIMER}:{self.community_id}:{minute}"))
            if activity_service.any_due(conn, community_id=self.community_id, plan=self.plan,
                                        now_ms=now_ms):
                ticks.append(TimerFired(
                    source=SOURCE, group=group, at=now, timer=ACTIVITY_TIMER,
                    source_event_id=f"{ACTIVITY_TIMER}:{self.community_id}:{minute}"))
            if self.plan.reports.weekly:
                ticks.append(self._slot_tick(conn, WEEKLY_TIMER, self.plan.reports.weekly_cron,
                                             now, group, REPORT_CATCH_UP))
        return [t for t in ticks if t is not None]

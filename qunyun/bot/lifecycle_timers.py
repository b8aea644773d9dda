"""When E1 sweeps, E1 removals and E2 re-admissions are due (ticks for `policies.lifecycle`).

The sweep runs once per slot of the plan's `elimination.sweep_cron` (croniter, in the
community's time zone): its tick's idempotency key names the slot, so a restart or a
second bot on the same database never sweeps the same slot twice. A slot missed while the
bot was down is swept late if it is less than `SWEEP_CATCH_UP` old, never a backlog of
them. Removals and re-admissions are due from indexed queries (a notice period ended, an
operator approved) and tick by the minute like the onboarding timers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy import Engine

from qunyun.events import TimerFired
from qunyun.plan.model import Plan
from qunyun.policies.lifecycle import DUE_TIMER, REVIVAL_TIMER, SWEEP_TIMER
from qunyun.services import elimination as elimination_service
from qunyun.services import lookup

SOURCE = "qunyun:timer"
SWEEP_CATCH_UP = timedelta(hours=24)


def last_slot(cron: str, now: datetime, tz: str) -> datetime | None:
    """The latest time at or before `now` the cron expression names (None if invalid)."""
    if not croniter.is_valid(cron):
        return None
    local = now.astimezone(ZoneInfo(tz))
    # croniter's get_prev is strictly before its start: start a second later so a tick
    # exactly on the slot counts.
    prev: datetime = croniter(cron, local + timedelta(seconds=1)).get_prev(datetime)
    return prev


class LifecycleTimers:
    def __init__(self, engine: Engine, *, community_id: int, plan: Plan,
                 resolution_s: int = 60) -> None:
        self.engine = engine
        self.community_id = community_id
        self.plan = plan
        self.resolution_s = resolution_s

    def __call__(self, now: datetime) -> Sequence[TimerFired]:
        rule = self.plan.elimination if self.plan.elimination and \
            self.plan.elimination.enabled else None
        now_ms = int(now.timestamp() * 1000)
        minute = now_ms // (self.resolution_s * 1000)
        ticks: list[TimerFired] = []
        with self.engine.connect() as conn:
            groups = lookup.community_groups(conn, community_id=self.community_id)
            if not groups:
                return []
            group = groups[0][1]
            if rule is not None:
                slot = last_slot(rule.sweep_cron, now, self.plan.bot.timezone)
                if slot is not None and now - slot < SWEEP_CATCH_UP:
                    key = f"{SWEEP_TIMER}:{self.community_id}:{slot.isoformat(timespec='minutes')}"
                    if not lookup.logged(conn, source=SOURCE, source_event_id=key):
                        ticks.append(TimerFired(
                            source=SOURCE, source_event_id=key, group=group, at=now,
                            timer=SWEEP_TIMER,
                            payload=(("slot", slot.isoformat(timespec="minutes")),)))
                if elimination_service.removals_due(conn, community_id=self.community_id,
                                                    plan=self.plan, now_ms=now_ms):
                    ticks.append(TimerFired(source=SOURCE, group=group, at=now, timer=DUE_TIMER,
                                            source_event_id=f"{DUE_TIMER}:{self.community_id}:{minute}"))
            if elimination_service.revivals_due(conn, community_id=self.community_id):
                ticks.append(TimerFired(source=SOURCE, group=group, at=now, timer=REVIVAL_TIMER,
                                        source_event_id=f"{REVIVAL_TIMER}:{self.community_id}:{minute}"))
        return ticks

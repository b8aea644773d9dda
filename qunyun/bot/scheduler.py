"""The bot's clock: which timer ticks are due now (onboarding reminders and deadlines,
batched welcomes, warning expiry notices).

The scheduler only decides *that* something is due, from indexed queries on the bot's
state tables; the policies do the work when the tick passes through the pipeline, so a
tick is an ordinary, logged, idempotent event. Ticks are keyed by the minute: a bot that
restarts within the minute does not fire the same tick twice. A welcome tick is keyed by
its batch (the first join it welcomes) instead, so a batch closing seconds after another
one in the same minute is not taken for a repeat.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine

from qunyun.events import GroupRef, TimerFired
from qunyun.plan.model import Plan
from qunyun.services import lookup
from qunyun.services import onboarding as onboarding_service
from qunyun.services import warnings as warning_service

SOURCE = "qunyun:timer"


class Scheduler:
    def __init__(self, engine: Engine, *, community_id: int, plan: Plan,
                 resolution_s: int = 60) -> None:
        self.engine = engine
        self.community_id = community_id
        self.plan = plan
        self.resolution_s = resolution_s

    def next_welcome(self) -> int | None:
        """When the next open welcome batch closes (ms), so the bot's timer can wake then."""
        with self.engine.connect() as conn:
            return onboarding_service.next_welcome_ms(
                conn, community_id=self.community_id,
                batch_seconds=self.plan.onboarding.welcome_batch_seconds)

    def __call__(self, now: datetime) -> Sequence[TimerFired]:
        now_ms = int(now.timestamp() * 1000)
        slot = now_ms // (self.resolution_s * 1000)
        due: list[tuple[str, int | None, int]] = []
        with self.engine.connect() as conn:
            groups = dict(lookup.community_groups(conn, community_id=self.community_id))
            if onboarding_service.due_checks(conn, community_id=self.community_id,
                                             now_ms=now_ms):
                due.append(("onboarding", None, slot))
            for batch_group, first_join in onboarding_service.welcome_batches_due(
                    conn, community_id=self.community_id, now_ms=now_ms,
                    batch_seconds=self.plan.onboarding.welcome_batch_seconds):
                due.append(("welcome", batch_group, first_join))
            if warning_service.expired_unnoticed(conn, community_id=self.community_id,
                                                 now_ms=now_ms):
                due.append(("warnings.expired", None, slot))
        ticks = []
        for timer, wanted, key in due:
            if wanted is not None and wanted not in groups:
                continue  # not a community group (a DM, the admins' room)
            gid = wanted if wanted is not None else next(iter(groups), None)
            if gid is None:
                continue
            group: GroupRef = groups[gid]
            ticks.append(TimerFired(source=SOURCE, source_event_id=f"{timer}:{gid}:{key}",
                                    group=group, at=now, timer=timer))
        return ticks

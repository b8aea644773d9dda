"""Where the bot is wired: the explicit, ordered list of policies and the timer schedule.

Every adapter (Matrix today) builds its pipeline from `build_policies` and asks
`build_scheduler` for the ticks that are due (onboarding reminders, warning expiry,
daily sweeps). Policies are listed here by hand, in order: no registries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Engine

from qunyun.events import GroupRef, TimerFired
from qunyun.pipeline.policy import Policy
from qunyun.plan.model import Plan

DirectCheck = Callable[[GroupRef], bool]
Scheduler = Callable[[datetime], Sequence[TimerFired]]


def build_policies(plan: Plan, *, is_direct: DirectCheck | None = None) -> list[Policy]:
    """The policies the bot runs, in order (moderation first, so an advert earns nothing)."""
    return []


def build_scheduler(engine: Engine, *, community_id: int, plan: Plan) -> Scheduler:
    """A callable the bot loop calls every round with the current time; returns due ticks."""

    def due(now: datetime) -> Sequence[TimerFired]:
        return ()

    return due

"""The bot's clock on the durable schedule (`qunyun.services.schedule`).

Two kinds of timed work reach the pipeline as `TimerFired` ticks:
- schedule entries (calendar posts, campaign days, and the job kinds other features
  register in `qunyun/bot/wiring.py`): rows in `schedule_entries`, keyed by their slot;
- probes for work whose time already lives on its own rows — onboarding reminders and
  deadlines (`next_due_ms`), batched welcomes, warning expiry notices (`expires_ms`).
  A probe only says *that* something is due, from an indexed query; the policy does the
  work when the tick passes through the pipeline. Probe ticks are keyed by the minute:
  a bot that restarts within the minute does not fire the same tick twice, and the
  rows they act on record what was done, so a later tick finds nothing left. A welcome
  tick is keyed by its batch (the first join it welcomes) instead, so a batch closing
  seconds after another one in the same minute is not taken for a repeat.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Engine

from qunyun.plan.model import Plan
from qunyun.policies.base import Serves, serves_all
from qunyun.services import onboarding as onboarding_service
from qunyun.services import warnings as warning_service
from qunyun.services.schedule import JobKind, Probe, Schedule


def _onboarding_due(conn: Connection, community_id: int, now_ms: int) -> list[int | None]:
    return [None] if onboarding_service.due_checks(conn, community_id=community_id,
                                                   now_ms=now_ms) else []


def _warnings_due(conn: Connection, community_id: int, now_ms: int) -> list[int | None]:
    return [None] if warning_service.expired_unnoticed(conn, community_id=community_id,
                                                       now_ms=now_ms) else []


def _welcome_probe(plan: Plan) -> Probe:
    def due(conn: Connection, community_id: int, now_ms: int) -> list[tuple[int | None, str]]:
        return [(group, str(first_join)) for group, first_join in
                onboarding_service.welcome_batches_due(
                    conn, community_id=community_id, now_ms=now_ms,
                    batch_seconds=plan.onboarding.welcome_batch_seconds)]
    return Probe("welcome", keyed=due)


def probes(plan: Plan) -> list[Probe]:
    """Today's timed work that keeps its time on its own rows (O1, O2, R2)."""
    return [Probe("onboarding", _onboarding_due), _welcome_probe(plan),
            Probe("warnings.expired", _warnings_due)]


class Scheduler(Schedule):
    """The schedule with the bot's probes: what `build_scheduler` hands the adapter."""

    def __init__(self, engine: Engine, *, community_id: int, plan: Plan,
                 resolution_s: int = 60, kinds: Sequence[JobKind] = (),
                 more_probes: Sequence[Probe] = (), serves: Serves = serves_all) -> None:
        super().__init__(engine, community_id=community_id, plan=plan, kinds=kinds,
                         probes=[*probes(plan), *more_probes], resolution_s=resolution_s,
                         serves=serves)

    def next_welcome(self) -> int | None:
        """When the next open welcome batch closes (ms), so the bot's timer can wake then."""
        with self.engine.connect() as conn:
            return onboarding_service.next_welcome_ms(
                conn, community_id=self.community_id,
                batch_seconds=self.plan.onboarding.welcome_batch_seconds)

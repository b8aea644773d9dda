"""Running policies in order: stop verdicts, error isolation, and the audit trail.

Each policy runs inside a SAVEPOINT: if it raises, whatever it wrote is rolled back,
the error is logged and audited (`policy_error`), and the next policy still runs.
Every effect is written to the audit log with its reason and evidence before it is
handed on, so nothing the bot does is unaccounted for — even if delivery then fails.
Before that, two passes over the event's effects: its level-ups settled on the points the
event left (`services.level_ups.settle`), then members written as they read them
(`addressing`).
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field

from qunyun.effects import Effect
from qunyun.events import Event
from qunyun.pipeline.addressing import address
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Policy
from qunyun.services import audit, level_ups
from qunyun.storage.savepoints import Savepoint

log = logging.getLogger("qunyun.pipeline")


@dataclass(frozen=True, slots=True)
class PlannedEffect:
    effect: Effect
    audit_id: int


@dataclass
class Outcome:
    """What happened to one event."""

    duplicate: bool = False
    effects: list[PlannedEffect] = field(default_factory=list)
    stopped_by: str | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)  # (policy, error)
    ran: list[str] = field(default_factory=list)


class Dispatcher:
    """Runs `policies` in the order given (the order is the wiring: see `qunyun.app`).

    A policy with a `handles` attribute (event classes) only sees events of those classes:
    most events are messages, and a policy that ignores them costs nothing for them."""

    def __init__(self, policies: Sequence[Policy]) -> None:
        names = [p.name for p in policies]
        if len(set(names)) != len(names):
            raise ValueError(f"policy names must be unique: {names}")
        self.policies = tuple(policies)
        self._for_kind: dict[type[Event], tuple[Policy, ...]] = {}

    def policies_for(self, event: Event) -> tuple[Policy, ...]:
        kind = type(event)
        chosen = self._for_kind.get(kind)
        if chosen is None:
            chosen = self._for_kind[kind] = tuple(
                p for p in self.policies
                if (handles := getattr(p, "handles", None)) is None
                or issubclass(kind, tuple(handles)))
        return chosen

    def dispatch(self, event: Event, ctx: Context) -> Outcome:
        outcome = Outcome()
        collected: list[tuple[str, Effect]] = []
        savepoint = Savepoint(ctx.conn, "qy_policy")
        for policy in self.policies_for(event):
            outcome.ran.append(policy.name)
            savepoint.arm()
            try:
                verdict = policy.handle(event, ctx)
            except Exception as exc:  # isolation is the point: one bad policy must not stop the bot
                savepoint.rollback()
                if ctx.memory is not None:
                    ctx.memory.forget_points()  # it may have counted points now rolled back
                detail = "".join(traceback.format_exception_only(exc)).strip()
                log.exception("policy %s failed on %s %s", policy.name, event.kind,
                              event.source_event_id)
                outcome.errors.append((policy.name, detail))
                audit.record_policy_error(ctx, event, policy=policy.name, detail=detail)
                continue
            savepoint.release()
            if verdict is None:
                continue
            collected.extend((policy.name, effect) for effect in verdict.effects)
            if verdict.stop:
                outcome.stopped_by = policy.name
                break
        pattern = ctx.plan.onboarding.nickname_pattern if ctx.plan is not None else None
        # A level-up shows the points the whole event left the member with: a later policy
        # may credit them again (the introduction's 发言 point after its own points).
        for policy_name, effect in level_ups.settle(ctx.conn, collected):
            effect = address(effect, event, pattern)
            audit_id = audit.record_effect(
                ctx, effect, policy=effect.policy or policy_name, event=event,
                status="dry_run" if ctx.dry_run else "pending",
            )
            outcome.effects.append(PlannedEffect(effect, audit_id))
        return outcome


def now_ms() -> int:
    return int(time.time() * 1000)

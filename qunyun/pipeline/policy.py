"""The Policy protocol and the Verdict a policy returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from qunyun.effects import Effect
from qunyun.events import Event

if TYPE_CHECKING:
    from qunyun.pipeline.context import Context


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a policy decided: effects to carry out, and whether later policies still run.

    `stop=True` is for a decision that makes the rest moot — a deleted advert should not
    also earn participation points or get an FAQ reply.
    """

    effects: tuple[Effect, ...] = ()
    stop: bool = False

    @classmethod
    def act(cls, *effects: Effect) -> Verdict:
        return cls(effects=effects)

    @classmethod
    def halt(cls, *effects: Effect) -> Verdict:
        return cls(effects=effects, stop=True)


class Policy(Protocol):
    """One playbook concern (moderation, onboarding, scoring…). No SQL: call services."""

    name: str
    # Optional class attribute `handles`: the event classes the policy acts on (the
    # dispatcher then skips it for every other event). Without it, it sees every event.

    def handle(self, event: Event, ctx: Context) -> Verdict | None: ...

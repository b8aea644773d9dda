"""`Pipeline`: record an event, then dispatch it to the policies, in one transaction.

A duplicate event (same source and source event id) is recorded nowhere and reaches
no policy: re-delivery after a crash or a re-import is harmless by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from qunyun.events import Event, actor_of
from qunyun.pipeline.context import Context
from qunyun.pipeline.dispatcher import Dispatcher, Outcome
from qunyun.pipeline.policy import Policy
from qunyun.services.ingest import EventRecorder, to_ms

if TYPE_CHECKING:
    from qunyun.plan.model import Plan


def utc_now() -> datetime:
    return datetime.now(UTC)


class Pipeline:
    def __init__(
        self,
        engine: Engine,
        *,
        community_id: int,
        policies: Sequence[Policy],
        plan: Plan | None = None,
        clock: Callable[[], datetime] = utc_now,
        dry_run: bool = False,
    ) -> None:
        self.engine = engine
        self.community_id = community_id
        self.dispatcher = Dispatcher(policies)
        self.plan = plan
        self.clock = clock
        self.dry_run = dry_run
        self.recorder = EventRecorder(community_id=community_id)

    def process(self, event: Event) -> Outcome:
        try:
            with self.engine.begin() as conn:
                if self.recorder.record(conn, event) is None:
                    return Outcome(duplicate=True)
                actor = actor_of(event)
                ctx = Context(
                    conn=conn,
                    community_id=self.community_id,
                    recorder=self.recorder,
                    now=self.clock(),
                    plan=self.plan,
                    group_id=self.recorder.group_id(conn, event.group, to_ms(event)),
                    member_id=self.recorder.member_id(conn, actor) if actor else None,
                    dry_run=self.dry_run,
                )
                return self.dispatcher.dispatch(event, ctx)
        except Exception:
            # The transaction rolled back: ids cached during it may not exist any more.
            self.recorder = EventRecorder(community_id=self.community_id)
            raise

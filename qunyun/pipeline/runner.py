"""`Pipeline`: record an event, then dispatch it to the policies, in one transaction
(or a sync batch of events in one transaction, each policy still in its own savepoint).

A duplicate event (same source and source event id) is recorded nowhere and reaches
no policy: re-delivery after a crash or a re-import is harmless by construction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine

from qunyun.event_batch import to_ms
from qunyun.events import Event, MemberJoined, MessagePosted, actor_of
from qunyun.pipeline.context import Context
from qunyun.pipeline.dispatcher import Dispatcher, Outcome
from qunyun.pipeline.memory import Memory
from qunyun.pipeline.policy import Policy
from qunyun.services.ingest import EventRecorder
from qunyun.storage.engine import writing

if TYPE_CHECKING:
    from qunyun.plan.model import Plan


log = logging.getLogger("qunyun.pipeline")


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
        remember: bool = True,
    ) -> None:
        self.engine = engine
        self.community_id = community_id
        self.dispatcher = Dispatcher(policies)
        self.plan = plan
        self.clock = clock
        self.dry_run = dry_run
        self.recorder = EventRecorder(community_id=community_id)
        # `remember=False` reads every window from the database (tests compare the two).
        self.remember = remember
        self.memory = Memory()

    def process(self, event: Event) -> Outcome:
        """Record one event and run the policies on it, in its own transaction."""
        try:
            with writing(self.engine) as conn:
                outcome = self._process_in(conn, event)
                self.recorder.flush(conn)
                return outcome
        except Exception:
            self._forget()
            raise

    def process_many(self, events: Sequence[Event]) -> list[Outcome]:
        """The events of one sync batch in one transaction: one commit instead of one per
        event, which is what keeps the bot ahead of a burst. If anything in the batch fails,
        it is rolled back whole and the events are processed one by one, so a bad event
        costs only itself (and fails exactly as `process` would)."""
        if len(events) <= 1:
            return [self.process(e) for e in events]
        try:
            with writing(self.engine) as conn:
                outcomes = [self._process_in(conn, e) for e in events]
                self.recorder.flush(conn)
                return outcomes
        except Exception:
            self._forget()
            log.warning("batch of %d events failed; processing them one by one", len(events),
                        exc_info=True)
        return [self.process(e) for e in events]

    def _forget(self) -> None:
        # The transaction rolled back: ids and rows remembered during it may not exist.
        self.recorder = EventRecorder(community_id=self.community_id)
        self.memory = Memory()

    def _process_in(self, conn: Connection, event: Event) -> Outcome:
        if self.recorder.record(conn, event, defer=True) is None:
            return Outcome(duplicate=True)
        actor = actor_of(event)
        at_ms = to_ms(event)
        group_id = self.recorder.group_id(conn, event.group, at_ms)
        member_id = self.recorder.member_id(conn, actor) if actor else None
        if self.remember and isinstance(event, MessagePosted):
            self.memory.note_message(
                group_id=group_id, member_id=member_id, source=event.source,
                source_event_id=event.source_event_id, ts_ms=at_ms, text=event.text)
        elif self.remember and isinstance(event, MemberJoined) and member_id is not None:
            self.memory.note_join(member_id=member_id, group_id=group_id)
        ctx = Context(
            conn=conn,
            community_id=self.community_id,
            recorder=self.recorder,
            now=self.clock(),
            plan=self.plan,
            group_id=group_id,
            member_id=member_id,
            dry_run=self.dry_run,
            memory=self.memory if self.remember else None,
        )
        return self.dispatcher.dispatch(event, ctx)

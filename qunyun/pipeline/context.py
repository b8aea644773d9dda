"""What a policy sees while handling one event: connection, plan, ids, clock, mode."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from qunyun.services.ingest import EventRecorder

if TYPE_CHECKING:
    from qunyun.pipeline.memory import Memory, Recent
    from qunyun.plan.model import Plan


@dataclass
class Context:
    conn: Connection
    community_id: int
    recorder: EventRecorder
    now: datetime
    plan: Plan | None = None
    group_id: int | None = None
    # The acting member (author, joiner…) as a community member id, when there is one.
    member_id: int | None = None
    # True for imports and dry runs: effects are recorded as findings, never sent.
    dry_run: bool = False
    # The live pipeline's working set (recent messages, authors, today's points); None
    # where nothing is remembered between events (tests, one-off runs): read the database.
    memory: Memory | None = None

    def recent_messages(self, *, group_id: int, since_ms: int) -> list[Recent]:
        """A group's messages since `since_ms`, oldest first (flood/repeat/heated windows)."""
        if self.memory is not None:
            return self.memory.recent.since(self.conn, group_id=group_id, since_ms=since_ms)
        from qunyun.services import lookup

        return lookup.recent_messages(self.conn, group_id=group_id, since_ms=since_ms)

    def intro_pending(self, *, member_id: int, group_id: int) -> bool:
        """Is the member's self-introduction still awaited in this group (O2)?"""
        if self.memory is not None:
            return self.memory.intro_pending(self.conn, member_id=member_id, group_id=group_id)
        from qunyun.services import onboarding

        return onboarding.pending_intro(self.conn, member_id=member_id, group_id=group_id)

    def message_author(self, *, source: str, source_event_id: str) -> int | None:
        if self.memory is not None:
            return self.memory.author(self.conn, source=source, source_event_id=source_event_id,
                                      community_id=self.community_id)
        from qunyun.services import lookup

        return lookup.message_author(self.conn, source=source, source_event_id=source_event_id,
                                     community_id=self.community_id)

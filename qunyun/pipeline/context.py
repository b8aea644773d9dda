"""What a policy sees while handling one event: connection, plan, ids, clock, mode."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from qunyun.services.ingest import EventRecorder

if TYPE_CHECKING:
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

"""Schedule tables (issue 14): what is timed (`schedule_entries`) and what each slot did
(`schedule_slots`).

An entry is one timed thing of one job kind (a calendar post, a campaign day, a sweep, a
weekly report): its recurrence rule in local wall-clock time and its zone, a catch-up
window, a pause flag, the kind's own payload, and `next_ms`, the cursor — the next slot
not yet fired, so finding due work is one indexed query. A slot row exists once a slot
was fired (`sent`, `late`), given up (`missed`), skipped ahead of time by an operator
(`skipped`) or failed; `(entry_id, slot_ms)` is unique, which with the event log's
idempotency key is what makes a slot fire once across restarts and bot processes.
Times are integer milliseconds (UTC).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from qunyun.storage.tables import BigId, metadata

schedule_entries = Table(
    "schedule_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    # The job kind (`calendar`, `campaign`, `sweep` …) and the entry's key within it.
    Column("kind", String(60), nullable=False),
    Column("key", String(200), nullable=False),
    Column("title", String(200), nullable=False, default=""),
    # Where it came from: `plan` entries are replaced when the plan changes; `console`
    # and `system` entries are not.
    Column("origin", String(20), nullable=False, default="plan"),
    Column("rule", Text, nullable=False),
    Column("tz", String(64), nullable=False),
    Column("catch_up_minutes", Integer, nullable=False, default=60),
    Column("paused", Boolean, nullable=False, default=False),
    # A plan entry that the plan no longer has: kept (its history is shown), never fired.
    Column("retired", Boolean, nullable=False, default=False),
    Column("group_id", Integer, nullable=True),
    Column("payload", JSON, nullable=False, default=dict),
    Column("next_ms", BigInteger, nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    UniqueConstraint("community_id", "kind", "key", name="uq_schedule_entries_key"),
    Index("ix_schedule_entries_due", "community_id", "next_ms"),
)

schedule_slots = Table(
    "schedule_slots",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("entry_id", ForeignKey("schedule_entries.id", ondelete="CASCADE"), nullable=False),
    Column("community_id", Integer, nullable=False),
    Column("slot_ms", BigInteger, nullable=False),
    # sent (on time) · late (inside the catch-up window) · missed · skipped · failed
    Column("status", String(12), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    # The tick's event id (its effects' audit rows carry it) or who skipped it.
    Column("detail", Text, nullable=True),
    UniqueConstraint("entry_id", "slot_ms", name="uq_schedule_slots_slot"),
    Index("ix_schedule_slots_community", "community_id", "slot_ms"),
)

# T3 tasks set by calendar posts and campaign days: done once per member and task name.
schedule_tasks_done = Table(
    "schedule_tasks_done",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, nullable=False),
    Column("task", String(40), nullable=False),
    Column("source", String(120), nullable=False),  # the post or campaign day that set it
    Column("points", Integer, nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    UniqueConstraint("community_id", "member_id", "task", name="uq_schedule_tasks_done"),
)

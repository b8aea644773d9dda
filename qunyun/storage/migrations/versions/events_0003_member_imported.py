"""A member's imported messages counted from a partial index, not from all their events.

`!积分` and member 360 say how many of a member's messages came from an imported history
(T3: those earned no points). Counted through `ix_events_member` that read every event
of the member from the table (4 ms for the most active member at 200k events, on every
`!积分`); this index holds only imported messages, by member, so the count reads that
member's entries of the index and nothing else (issue 13). `kind` is in the key so the
query matches two of its columns and one of `ix_events_member`: without statistics
SQLite's planner would otherwise pick either.

Revision ID: events_0003_member_imported
Revises: events_0002_dedupe_per_community
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "events_0003_member_imported"
down_revision = "events_0002_dedupe_per_community"
branch_labels = None
depends_on = None


def upgrade() -> None:
    where = sa.text("kind = 'message' AND source LIKE 'import:%'")
    op.create_index(
        "ix_events_member_imported",
        "events",
        ["member_id", "kind"],
        unique=False,
        sqlite_where=where,
        postgresql_where=where,
    )


def downgrade() -> None:
    op.drop_index("ix_events_member_imported", table_name="events")

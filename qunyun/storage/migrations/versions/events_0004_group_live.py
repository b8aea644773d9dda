"""Which groups have live events, from a partial index of the events not imported.

A group is "only imported history" (`storage.community.imported`) when it has imported
events and no live ones; proving "no live ones" walked every event of an imported group
through `ix_events_group_ts` (26 ms for a group of 200k events, on every report, group
list and post form). This index holds only live events, by group, so the question is one
look into it (issue 12). Covering (`source` in the key), so that SQLite's planner prefers
it to `ix_events_group_ts` whichever was created first.

Revision ID: events_0004_group_live
Revises: events_0003_member_imported
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "events_0004_group_live"
down_revision = "events_0003_member_imported"
branch_labels = None
depends_on = None


def upgrade() -> None:
    where = sa.text("source NOT LIKE 'import:%'")
    op.create_index(
        "ix_events_group_live",
        "events",
        ["group_id", "source"],
        unique=False,
        sqlite_where=where,
        postgresql_where=where,
    )


def downgrade() -> None:
    op.drop_index("ix_events_group_live", table_name="events")

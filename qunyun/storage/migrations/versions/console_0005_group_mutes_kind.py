"""The group page's whole-group mutes: the partial index leads with (group_id, kind).

`console_0004` indexed `group_mute` events on (group_id, ts_ms), the same columns as
`ix_events_group_ts`; SQLite's planner (no statistics) saw two equal indexes and walked
every event of the group through `ix_events_group_ts` — 30 ms a group page at 200k
events (issue 13). With `kind` in the key the query matches two columns of this index
and one of the other, so both SQLite and PostgreSQL take the tiny partial index.

Revision ID: console_0005_group_mutes_kind
Revises: console_0004_group_mutes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'console_0005_group_mutes_kind'
down_revision = 'console_0004_group_mutes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    where = sa.text("kind = 'group_mute'")
    op.drop_index('ix_events_group_mutes', table_name='events')
    op.create_index('ix_events_group_mutes', 'events', ['group_id', 'kind', 'ts_ms'],
                    unique=False, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    where = sa.text("kind = 'group_mute'")
    op.drop_index('ix_events_group_mutes', table_name='events')
    op.create_index('ix_events_group_mutes', 'events', ['group_id', 'ts_ms'], unique=False,
                    sqlite_where=where, postgresql_where=where)

"""The member page's inviters: a partial index on join events by member.

`inviters_of` asks for one member's joins; through `ix_events_member` alone that reads
every event of the member to test its kind (1.4M rows, 0.8 s, for the most active member
of a 10M-event log). Joins are a few in a hundred events, so an index of joins only is
small and costs an import next to nothing; it holds the time and the inviter too, so
the query is answered from the index alone (and the planner prefers it).

Revision ID: console_0003_member_joins
Revises: console_0002_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'console_0003_member_joins'
down_revision = 'console_0002_sessions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    where = sa.text("kind = 'join'")
    op.create_index('ix_events_member_joins', 'events',
                    ['member_id', 'ts_ms', 'related_member_id'], unique=False,
                    sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    op.drop_index('ix_events_member_joins', table_name='events')

"""The group page's whole-group mutes (QQ 全员禁言): a partial index on them by group.

`group_mutes` asks for one group's latest `group_mute` events; through
`ix_events_group_ts` alone that walks every event of a busy group that was never muted
to find none. Whole-group mutes are rare, so an index of them only is tiny.

Revision ID: console_0004_group_mutes
Revises: console_0003_member_joins
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'console_0004_group_mutes'
down_revision = 'console_0003_member_joins'
branch_labels = None
depends_on = None


def upgrade() -> None:
    where = sa.text("kind = 'group_mute'")
    op.create_index('ix_events_group_mutes', 'events', ['group_id', 'ts_ms'], unique=False,
                    sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    op.drop_index('ix_events_group_mutes', table_name='events')

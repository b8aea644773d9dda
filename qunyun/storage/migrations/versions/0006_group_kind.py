"""Groups know what they are: a community group, a DM with the bot, or the admins' room.

Revision ID: 0006_group_kind
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006_group_kind'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), nullable=False,
                                      server_default='group'))


def downgrade() -> None:
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_column('kind')

"""Tasks of calendar posts and campaign days done by members (issue 14, A1 + T3).

Revision ID: schedule_0002_tasks
Revises: schedule_0001_entries
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'schedule_0002_tasks'
down_revision = 'schedule_0001_entries'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'schedule_tasks_done',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('task', sa.String(length=40), nullable=False),
        sa.Column('source', sa.String(length=120), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('at_ms', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'],
                                name=op.f('fk_schedule_tasks_done_community_id_communities'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_tasks_done')),
        sa.UniqueConstraint('community_id', 'member_id', 'task', name='uq_schedule_tasks_done'),
    )


def downgrade() -> None:
    op.drop_table('schedule_tasks_done')

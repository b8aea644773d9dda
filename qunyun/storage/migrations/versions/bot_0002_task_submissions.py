"""Task submissions (T3): what members hand in with `!作业 链接`.

Revision ID: bot_0002_task_submissions
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'bot_0002_task_submissions'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'bot_task_submissions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=True),
        sa.Column('link', sa.Text(), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('event_source_id', sa.String(length=255), nullable=True),
        sa.Column('at_ms', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'],
                                name=op.f('fk_bot_task_submissions_community_id_communities'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bot_task_submissions')),
    )
    with op.batch_alter_table('bot_task_submissions', schema=None) as batch_op:
        batch_op.create_index('ix_bot_task_submissions_member', ['member_id', 'at_ms'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bot_task_submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_bot_task_submissions_member')
    op.drop_table('bot_task_submissions')

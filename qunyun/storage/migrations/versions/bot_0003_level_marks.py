"""Level marks (T3): the highest level each member was congratulated on, once per level.

Revision ID: bot_0003_level_marks
Revises: 0003_bot
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'bot_0003_level_marks'
down_revision = '0003_bot'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'bot_level_marks',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('min_points', sa.Integer(), nullable=False),
        sa.Column('level', sa.String(length=100), nullable=False),
        sa.Column('at_ms', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'],
                                name=op.f('fk_bot_level_marks_community_id_communities'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_bot_level_marks')),
    )


def downgrade() -> None:
    op.drop_table('bot_level_marks')

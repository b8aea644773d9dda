"""Period leaderboards, seasons, manual grants (issue 15: T3 boards).

The ledger gets a `note` (the reason an admin gave for a grant or deduction, or how a
decay was computed) and an index by time for the week/month/season boards; seasons whose
end the bot has announced are remembered so the announcement is made once.

It alters `bot_points`, so it also follows `0003_bot` (which creates it): the two
branches meet here, which orders a step-by-step upgrade correctly.

Revision ID: growth_0003_boards
Revises: growth_0002_badges, 0003_bot
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'growth_0003_boards'
down_revision = ('growth_0002_badges', '0003_bot')
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bot_points', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.String(length=200), nullable=True))
        batch_op.create_index('ix_bot_points_period', ['community_id', 'at_ms'], unique=False)
    op.create_table(
        "growth_season_closings",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("season_n", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("closed_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_growth_season_closings_community_id_communities"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("community_id", "season_n",
                                name=op.f("pk_growth_season_closings")),
    )


def downgrade() -> None:
    op.drop_table("growth_season_closings")
    with op.batch_alter_table('bot_points', schema=None) as batch_op:
        batch_op.drop_index('ix_bot_points_period')
        batch_op.drop_column('note')

"""Badges awarded (issue 15: T3 badges by rule).

Revision ID: growth_0002_badges
Revises: growth_0001_tiers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'growth_0002_badges'
down_revision = 'growth_0001_tiers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "growth_badges",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("badge", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("awarded_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_growth_badges_community_id_communities"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("community_id", "member_id", "badge",
                                name=op.f("pk_growth_badges")),
    )


def downgrade() -> None:
    op.drop_table("growth_badges")

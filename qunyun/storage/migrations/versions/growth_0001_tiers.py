"""Held tiers and tier history (issue 15: T1 live tiers).

Revision ID: growth_0001_tiers
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'growth_0001_tiers'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "growth_tiers",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=False),
        sa.Column("since_ms", sa.BigInteger(), nullable=False),
        sa.Column("promoted_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("locked_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_growth_tiers_community_id_communities"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("community_id", "member_id", name=op.f("pk_growth_tiers")),
    )
    op.create_table(
        "growth_tier_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("before", sa.String(length=40), nullable=True),
        sa.Column("after", sa.String(length=40), nullable=False),
        sa.Column("direction", sa.String(length=20), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_growth_tier_changes_community_id_communities"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_growth_tier_changes")),
    )
    with op.batch_alter_table("growth_tier_changes", schema=None) as batch_op:
        batch_op.create_index("ix_growth_tier_changes_member", ["member_id", "at_ms"],
                              unique=False)


def downgrade() -> None:
    op.drop_table("growth_tier_changes")
    op.drop_table("growth_tiers")

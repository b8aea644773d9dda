"""Plan versions (issue 11): where each stored plan text came from, with its hash.

Revision ID: community_0001_plan_versions
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'community_0001_plan_versions'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("origin", sa.String(length=500), nullable=False),
        sa.Column("plan_yaml", sa.Text(), nullable=False),
        sa.Column("saved_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_plan_versions_community_id_communities"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_versions")),
    )
    op.create_index("ix_plan_versions_community", "plan_versions", ["community_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_plan_versions_community", table_name="plan_versions")
    op.drop_table("plan_versions")

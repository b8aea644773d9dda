"""Elimination cases and revivals (issue 14: E1, E2).

Revision ID: lifecycle_0001_cases
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'lifecycle_0001_cases'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lifecycle_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("sweep", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("noticed_ms", sa.BigInteger(), nullable=False),
        sa.Column("remove_after_ms", sa.BigInteger(), nullable=False),
        sa.Column("queue_item_id", sa.Integer(), nullable=True),
        sa.Column("closed_ms", sa.BigInteger(), nullable=True),
        sa.Column("revived_ms", sa.BigInteger(), nullable=True),
        sa.Column("revived_how", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_lifecycle_cases_community_id_communities"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_cases")),
        sa.UniqueConstraint("community_id", "member_id", "group_id", "sweep",
                            name="uq_lifecycle_cases_sweep"),
    )
    with op.batch_alter_table("lifecycle_cases", schema=None) as batch_op:
        batch_op.create_index("ix_lifecycle_cases_status",
                              ["community_id", "status", "remove_after_ms"], unique=False)
        batch_op.create_index("ix_lifecycle_cases_member", ["member_id"], unique=False)


def downgrade() -> None:
    op.drop_table("lifecycle_cases")

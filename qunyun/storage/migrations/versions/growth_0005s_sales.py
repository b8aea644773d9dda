"""Sales an operator attributed to a member (issue 15: T5 core users bring revenue).

Revision ID: growth_0005s_sales
Revises: growth_0004r_roles
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'growth_0005s_sales'
down_revision = 'growth_0004r_roles'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "growth_sales",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("operator", sa.String(length=120), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_growth_sales_community_id_communities"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_growth_sales")),
    )
    op.create_index("ix_growth_sales_member", "growth_sales", ["community_id", "member_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_growth_sales_member", table_name="growth_sales")
    op.drop_table("growth_sales")

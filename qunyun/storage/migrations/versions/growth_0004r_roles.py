"""The role or title the bot gave a member for their tier (issue 15: T2 tier actions).

Revision ID: growth_0004r_roles
Revises: growth_0003v_volunteers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'growth_0004r_roles'
down_revision = 'growth_0003v_volunteers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "growth_roles",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("given_ms", sa.BigInteger(), nullable=False),
        sa.Column("by_operator", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_growth_roles_community_id_communities"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("community_id", "member_id", name=op.f("pk_growth_roles")),
    )


def downgrade() -> None:
    op.drop_table("growth_roles")

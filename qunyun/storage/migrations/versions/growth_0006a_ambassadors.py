"""The ambassador programme and the members it brought (issue 15: T2).

Revision ID: growth_0006a_ambassadors
Revises: growth_0005s_sales
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'growth_0006a_ambassadors'
down_revision = 'growth_0005s_sales'
branch_labels = None
depends_on = None


def _fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                   name=op.f(f"fk_{table}_community_id_communities"),
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "growth_ambassadors",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("invited_ms", sa.BigInteger(), nullable=False),
        sa.Column("invited_by", sa.String(length=120), nullable=False),
        sa.Column("answered_ms", sa.BigInteger(), nullable=True),
        sa.Column("code", sa.String(length=16), nullable=True),
        sa.Column("why", sa.Text(), nullable=False),
        _fk("growth_ambassadors"),
        sa.PrimaryKeyConstraint("community_id", "member_id",
                                name=op.f("pk_growth_ambassadors")),
        sa.UniqueConstraint("community_id", "code", name="uq_growth_ambassadors_code"),
    )
    op.create_table(
        "growth_ambassador_referrals",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("ambassador_member_id", sa.Integer(), nullable=False),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        _fk("growth_ambassador_referrals"),
        sa.PrimaryKeyConstraint("community_id", "member_id",
                                name=op.f("pk_growth_ambassador_referrals")),
    )
    op.create_index("ix_growth_ambassador_referrals_by", "growth_ambassador_referrals",
                    ["community_id", "ambassador_member_id", "at_ms"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_growth_ambassador_referrals_by",
                  table_name="growth_ambassador_referrals")
    op.drop_table("growth_ambassador_referrals")
    op.drop_table("growth_ambassadors")

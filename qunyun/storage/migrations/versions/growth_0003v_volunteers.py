"""Volunteers, their actions and duty pings; the bot's own DMs and buddies (issue 15: T2, T4).

Revision ID: growth_0003v_volunteers
Revises: growth_0001_tiers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'growth_0003v_volunteers'
down_revision = 'growth_0001_tiers'
branch_labels = None
depends_on = None


def _fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                   name=op.f(f"fk_{table}_community_id_communities"),
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "growth_volunteers",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("role", sa.String(length=80), nullable=True),
        sa.Column("invited_ms", sa.BigInteger(), nullable=False),
        sa.Column("invited_by", sa.String(length=120), nullable=False),
        sa.Column("answered_ms", sa.BigInteger(), nullable=True),
        sa.Column("retired_ms", sa.BigInteger(), nullable=True),
        sa.Column("retired_by", sa.String(length=120), nullable=True),
        sa.Column("why", sa.Text(), nullable=False),
        _fk("growth_volunteers"),
        sa.PrimaryKeyConstraint("community_id", "member_id", name=op.f("pk_growth_volunteers")),
    )
    op.create_table(
        "growth_volunteer_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_member_id", sa.Integer(), nullable=True),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        _fk("growth_volunteer_actions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_growth_volunteer_actions")),
    )
    op.create_index("ix_growth_volunteer_actions_member", "growth_volunteer_actions",
                    ["community_id", "member_id", "at_ms"], unique=False)
    op.create_table(
        "growth_duty_pings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=200), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("pinged_ms", sa.BigInteger(), nullable=False),
        sa.Column("answered_ms", sa.BigInteger(), nullable=True),
        _fk("growth_duty_pings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_growth_duty_pings")),
    )
    op.create_index("ix_growth_duty_pings_open", "growth_duty_pings",
                    ["community_id", "member_id", "answered_ms"], unique=False)
    op.create_table(
        "growth_bot_dms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        _fk("growth_bot_dms"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_growth_bot_dms")),
    )
    op.create_index("ix_growth_bot_dms_member", "growth_bot_dms",
                    ["community_id", "member_id", "at_ms"], unique=False)
    op.create_table(
        "growth_buddies",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("buddy_member_id", sa.Integer(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        _fk("growth_buddies"),
        sa.PrimaryKeyConstraint("community_id", "member_id", name=op.f("pk_growth_buddies")),
    )


def downgrade() -> None:
    for table in ("growth_buddies", "growth_bot_dms", "growth_duty_pings",
                  "growth_volunteer_actions", "growth_volunteers"):
        op.drop_table(table)

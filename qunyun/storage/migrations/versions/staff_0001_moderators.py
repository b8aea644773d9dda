"""The moderators the bot saw in each group, so the report and the console know the room's
admins as the bot does (issue 15: admins are staff, off tiers, badges and volunteers).

Revision ID: staff_0001_moderators
Revises: 0006_group_kind
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'staff_0001_moderators'
down_revision = '0006_group_kind'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "group_moderators",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("seen_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"],
                                name=op.f("fk_group_moderators_group_id_groups"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("group_id", "external_id", name=op.f("pk_group_moderators")),
    )


def downgrade() -> None:
    op.drop_table("group_moderators")

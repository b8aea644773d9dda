"""Console sessions and failed sign-ins in the database (issue 13): sessions end
server-side, and every worker process shares them and the sign-in limits.

Revision ID: console_0002_sessions
Revises: console_0001_operators
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'console_0002_sessions'
down_revision = 'console_0001_operators'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("seen_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"],
                                name=op.f("fk_console_sessions_operator_id_operators"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_console_sessions_token_hash")),
    )
    op.create_index("ix_console_sessions_operator_id", "console_sessions", ["operator_id"])
    op.create_table(
        "console_login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_login_failures")),
    )
    op.create_index("ix_console_login_failures_key_at", "console_login_failures",
                    ["key", "at_ms"])
    op.create_index("ix_console_login_failures_at", "console_login_failures", ["at_ms"])


def downgrade() -> None:
    op.drop_table("console_login_failures")
    op.drop_table("console_sessions")

"""Outbox claims: which bot process is delivering a pending effect, and until when.

Revision ID: outbox_0001_claims
Revises: 0005_outbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'outbox_0001_claims'
down_revision = '0005_outbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('claimed_until_ms', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('claimed_until_ms')
        batch_op.drop_column('claimed_by')

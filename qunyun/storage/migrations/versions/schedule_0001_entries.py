"""The durable schedule (issue 14): schedule entries and their slots.

Revision ID: schedule_0001_entries
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'schedule_0001_entries'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'schedule_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=60), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('origin', sa.String(length=20), nullable=False),
        sa.Column('rule', sa.Text(), nullable=False),
        sa.Column('tz', sa.String(length=64), nullable=False),
        sa.Column('catch_up_minutes', sa.Integer(), nullable=False),
        sa.Column('paused', sa.Boolean(), nullable=False),
        sa.Column('retired', sa.Boolean(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=True),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('next_ms', sa.BigInteger(), nullable=True),
        sa.Column('created_ms', sa.BigInteger(), nullable=False),
        sa.Column('updated_ms', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'],
                                name=op.f('fk_schedule_entries_community_id_communities'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_entries')),
        sa.UniqueConstraint('community_id', 'kind', 'key', name='uq_schedule_entries_key'),
    )
    with op.batch_alter_table('schedule_entries', schema=None) as batch_op:
        batch_op.create_index('ix_schedule_entries_due', ['community_id', 'next_ms'],
                              unique=False)

    op.create_table(
        'schedule_slots',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('slot_ms', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('at_ms', sa.BigInteger(), nullable=False),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['entry_id'], ['schedule_entries.id'],
                                name=op.f('fk_schedule_slots_entry_id_schedule_entries'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_slots')),
        sa.UniqueConstraint('entry_id', 'slot_ms', name='uq_schedule_slots_slot'),
    )
    with op.batch_alter_table('schedule_slots', schema=None) as batch_op:
        batch_op.create_index('ix_schedule_slots_community', ['community_id', 'slot_ms'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('schedule_slots')
    op.drop_table('schedule_entries')

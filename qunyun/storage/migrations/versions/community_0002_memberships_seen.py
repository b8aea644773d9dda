"""Members seen acting in a group are in its memberships, in databases made before that rule.

Until 2026-12-02 a membership row was written only for a join or a leave: a member who
spoke in a group without a join on record — the group's creator in a Telegram export, the
people already in a room when the bot arrived, everyone in an export that starts after
they joined — had events there but no membership, so the console's member counts, the
report's "members now" and the live tiers left them out. The code now adds such a row
when it sees them act (`members.add_memberships_seen`); this backfills the same rows for
the events already in the log: one open membership (no join time, not left) per
(community group, member) pair with events and no membership. A pair with a membership,
open or left, is not touched; DMs and the admins' room (`groups.kind`) have no members.

Downgrade leaves the rows: they say what the log says, and nothing marks them as added.

Revision ID: community_0002_memberships_seen
Revises: 0006_group_kind
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'community_0002_memberships_seen'
down_revision = '0006_group_kind'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text(
        # (joined_ms and left_ms are left NULL: no join on record, not left)
        "INSERT INTO memberships (group_id, member_id, active) "
        "SELECT DISTINCT e.group_id, e.member_id, :open FROM events e "
        "JOIN groups g ON g.id = e.group_id "
        "JOIN members m ON m.id = e.member_id "
        "WHERE g.kind = 'group' AND NOT EXISTS (SELECT 1 FROM memberships s "
        "WHERE s.group_id = e.group_id AND s.member_id = e.member_id)"
    ).bindparams(sa.bindparam("open", True, type_=sa.Boolean())))


def downgrade() -> None:
    pass

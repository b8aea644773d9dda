"""Bot state tables (issue 4): warnings, the points ledger, onboarding, check-ins, polls.

All derived from what the pipeline saw, all written by `qunyun.services` only. Times are
integer milliseconds (UTC) like the foundation tables; local calendar days (check-ins,
daily point caps) are stored as 'YYYY-MM-DD' strings in the plan's time zone, because
that is the unit the rules are stated in ("one check-in per day").

The Matrix sync token lives in `adapter_state` (foundation), not here.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from qunyun.storage.tables import BigId, metadata

# R2: one row per warning. A warning is live while `expires_ms` is in the future and it
# was neither settled (the member was removed for it) nor revoked (an appeal succeeded).
bot_warnings = Table(
    "bot_warnings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, nullable=False),
    Column("group_id", Integer, nullable=True),
    Column("rule", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("evidence", JSON, nullable=False, default=dict),
    Column("event_source_id", String(255), nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Column("settled_ms", BigInteger, nullable=True),
    Column("revoked_ms", BigInteger, nullable=True),
    Column("revoked_by", String(120), nullable=True),
    # The member was told the warning expired (scheduler → `warnings.expired` timer).
    Column("expiry_noticed_ms", BigInteger, nullable=True),
    Index("ix_bot_warnings_member", "member_id", "expires_ms"),
    Index("ix_bot_warnings_expiry", "community_id", "expiry_noticed_ms", "expires_ms"),
)

# T3/T5: the points ledger. Participation and contribution are separate ledgers, never
# summed into one column, so core contributors stay visible (T5).
bot_points = Table(
    "bot_points",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, nullable=False),
    Column("group_id", Integer, nullable=True),
    Column("ledger", String(20), nullable=False),
    Column("action", String(40), nullable=False),
    Column("points", Integer, nullable=False),
    Column("day", String(10), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Column("ref", String(255), nullable=True),  # the event that earned it
    # why: an admin's reason for a grant or deduction, how a decay was computed (T3)
    Column("note", String(200), nullable=True),
    Index("ix_bot_points_member", "member_id", "action", "day"),
    Index("ix_bot_points_group", "community_id", "group_id"),
    Index("ix_bot_points_period", "community_id", "at_ms"),  # week/month/season boards
)

# Running totals per member and ledger: `!积分`, level-up checks and the community
# leaderboard read one row instead of summing the ledger on every message.
bot_point_totals = Table(
    "bot_point_totals",
    metadata,
    Column("member_id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("participation", Integer, nullable=False, default=0),
    Column("contribution", Integer, nullable=False, default=0),
    Index("ix_bot_point_totals_community", "community_id"),
)

# T3: the highest level a member was congratulated on (its `min_points` and name), so a
# level is announced once: a member who drops below it (a deduction, decay) and climbs
# back is not congratulated again.
bot_level_marks = Table(
    "bot_level_marks",
    metadata,
    Column("member_id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("min_points", Integer, nullable=False),
    Column("level", String(100), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
)

# O2: the checklist per member and group. A step is done when its *_ms is set; which steps
# are required comes from the plan at the time of checking. `next_due_ms` is when the
# scheduler must look at the row again (next reminder or the deadline): one indexed range
# scan finds everything due, so the scheduler keeps no state of its own.
bot_onboarding = Table(
    "bot_onboarding",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, nullable=False),
    Column("group_id", Integer, nullable=False),
    Column("joined_ms", BigInteger, nullable=False),
    Column("deadline_ms", BigInteger, nullable=False),
    Column("welcomed_ms", BigInteger, nullable=True),
    Column("nickname_ms", BigInteger, nullable=True),
    Column("intro_ms", BigInteger, nullable=True),
    Column("form_ms", BigInteger, nullable=True),
    Column("completed_ms", BigInteger, nullable=True),
    Column("reminders_sent", Integer, nullable=False, default=0),
    Column("overdue_ms", BigInteger, nullable=True),
    Column("left_ms", BigInteger, nullable=True),
    Column("next_due_ms", BigInteger, nullable=True),
    UniqueConstraint("member_id", "group_id", name="uq_bot_onboarding_pair"),
    Index("ix_bot_onboarding_due", "community_id", "next_due_ms"),
    Index("ix_bot_onboarding_welcome", "group_id", "welcomed_ms"),
)

# O2: the member form, per member (answers are member attributes, whichever group asked).
bot_member_forms = Table(
    "bot_member_forms",
    metadata,
    Column("member_id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("step", Integer, nullable=False, default=0),  # index of the question pending
    Column("answers", JSON, nullable=False, default=dict),
    Column("started_ms", BigInteger, nullable=False),
    Column("done_ms", BigInteger, nullable=True),
)

# A3: one row per member, campaign and local day; `streak` is the run ending that day.
bot_checkins = Table(
    "bot_checkins",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, nullable=False),
    Column("group_id", Integer, nullable=True),
    Column("campaign", String(100), nullable=False),
    Column("day", String(10), nullable=False),
    Column("streak", Integer, nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    UniqueConstraint("member_id", "campaign", "day", name="uq_bot_checkins_day"),
    Index("ix_bot_checkins_day", "community_id", "campaign", "day"),
)

# A4: polls started by an admin in a group, and one vote per member (a new vote replaces it).
bot_polls = Table(
    "bot_polls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("group_id", Integer, nullable=False),
    Column("question", Text, nullable=False),
    Column("options", JSON, nullable=False),
    Column("created_by", Integer, nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("closed_ms", BigInteger, nullable=True),
    Index("ix_bot_polls_group", "group_id", "closed_ms"),
)

bot_poll_votes = Table(
    "bot_poll_votes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("poll_id", ForeignKey("bot_polls.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, nullable=False),
    Column("option", Integer, nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    UniqueConstraint("poll_id", "member_id", name="uq_bot_poll_votes_pair"),
)

# T3 tasks: homework and other tasks handed in with `!作业 链接`, one row per submission;
# the points it earned are in the ledger with the same `event_source_id` as `ref`.
bot_task_submissions = Table(
    "bot_task_submissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, nullable=False),
    Column("group_id", Integer, nullable=True),
    Column("link", Text, nullable=True),
    Column("text", Text, nullable=False),
    Column("event_source_id", String(255), nullable=True),
    Column("at_ms", BigInteger, nullable=False),
    Index("ix_bot_task_submissions_member", "member_id", "at_ms"),
)

"""Held tiers (T1) and their history.

`growth_tiers` is one row per member: the tier the bot holds for them now (which, with
hysteresis, is not always the tier the report computes today), when they were last
promoted (the grace period counts from there) and whether an operator locked it.
`growth_tier_changes` keeps every move with the numbers behind it, for the member page;
the same move is also an event in the log (`TierChanged`).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from qunyun.storage.tables import metadata

growth_tiers = Table(
    "growth_tiers",
    metadata,
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", Integer, primary_key=True),
    Column("tier", String(40), nullable=False),
    Column("since_ms", BigInteger, nullable=False),
    Column("promoted_at_ms", BigInteger, nullable=True),
    Column("locked", Boolean, nullable=False, default=False),
    Column("locked_by", String(120), nullable=True),
)

growth_tier_changes = Table(
    "growth_tier_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, nullable=False),
    Column("before", String(40), nullable=True),
    Column("after", String(40), nullable=False),
    # first | promotion | demotion | lock | unlock (an operator's lock is history too)
    Column("direction", String(20), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),  # the numbers, in the operator's words
    Column("by", String(120), nullable=True),  # the operator, for locks
    Index("ix_growth_tier_changes_member", "member_id", "at_ms"),
)

# T3: badges awarded, one row per (member, badge); a badge is never taken back, so a
# plan change that drops a badge leaves what was earned.
growth_badges = Table(
    "growth_badges",
    metadata,
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", Integer, primary_key=True),
    Column("badge", String(40), primary_key=True),
    Column("name", String(40), nullable=False),
    Column("rule", Text, nullable=False),
    Column("awarded_ms", BigInteger, nullable=False),
)

# T3: seasons whose end the daily pass has announced (top N posted once per season).
growth_season_closings = Table(
    "growth_season_closings",
    metadata,
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True),
    Column("season_n", Integer, primary_key=True),
    Column("name", String(60), nullable=False),
    Column("closed_ms", BigInteger, nullable=False),
)

# T2: the role or title the bot gave a member for their tier (one per member): what to take
# back on a demotion, and what member 360 shows. `pending` while an operator still has to
# set it by hand on the platform (where the bot cannot).
growth_roles = Table(
    "growth_roles",
    metadata,
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", Integer, primary_key=True),
    Column("tier", String(40), nullable=False),
    Column("role", String(40), nullable=False),
    Column("level", Integer, nullable=False),
    Column("given_ms", BigInteger, nullable=False),
    Column("by_operator", Boolean, nullable=False, default=False),
)

# T5: sales an operator attributed to a member (the same fact is a `sale` event in the
# log); read per member for the core users page, without scanning the log.
growth_sales = Table(
    "growth_sales",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("currency", String(8), nullable=False),
    Column("note", Text, nullable=False),
    Column("operator", String(120), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Index("ix_growth_sales_member", "community_id", "member_id"),
)

"""A5 tables: one row per event (from the plan) and one per member who registered or came.

The event's own fields (goal, agenda, roles, budget…) stay in the plan; the row holds what
the bot needs to run it exactly once — the times, capacity and expected attendance, and
when it announced, reminded, asked for feedback and summarised (NULL: not yet).
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

from qunyun.storage.tables import metadata

activities = Table(
    "activities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("starts_ms", BigInteger, nullable=False),
    Column("ends_ms", BigInteger, nullable=False),
    Column("capacity", Integer, nullable=True),
    Column("expected", Integer, nullable=True),
    Column("detail", JSON, nullable=False, default=dict),  # place, link, agenda… as shown
    Column("announced_ms", BigInteger, nullable=True),
    Column("reminded_day_ms", BigInteger, nullable=True),
    Column("reminded_hour_ms", BigInteger, nullable=True),
    Column("ended_ms", BigInteger, nullable=True),  # the feedback request went out
    Column("summary_ms", BigInteger, nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    UniqueConstraint("community_id", "key", name="uq_activities_key"),
    Index("ix_activities_starts", "community_id", "starts_ms"),
)

# status: registered | waitlisted | cancelled | walk_in (checked in without registering)
activity_signups = Table(
    "activity_signups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("registered_ms", BigInteger, nullable=False),  # waiting-list order
    Column("updated_ms", BigInteger, nullable=False),
    Column("checked_in_ms", BigInteger, nullable=True),
    Column("rating", Integer, nullable=True),
    Column("feedback", Text, nullable=True),
    Column("feedback_ms", BigInteger, nullable=True),
    UniqueConstraint("activity_id", "member_id", name="uq_activity_signups_member"),
    Index("ix_activity_signups_status", "activity_id", "status", "registered_ms"),
)

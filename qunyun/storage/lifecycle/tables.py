"""Elimination cases (E1) and revivals (E2): one row per member per sweep that found them.

A case is opened when a sweep notices a member (`noticed`), waits out the notice period
in the review queue, and then ends one way: `removed` (and later possibly `revived`),
`cancelled` (the member no longer meets the rule: they spoke again) or `exempted` (the
operator kept them, E3). Rows are never deleted, so the member's history is kept and the
member page can show every removal and every return.
"""

from __future__ import annotations

from sqlalchemy import (
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

CASE_STATUSES = ("noticed", "removed", "cancelled", "exempted", "revived")

lifecycle_cases = Table(
    "lifecycle_cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, nullable=False),
    Column("group_id", Integer, nullable=False),
    # The sweep's slot ("2026-12-07T10:00"): a sweep that runs twice opens nothing twice.
    Column("sweep", String(40), nullable=False),
    Column("rule", String(40), nullable=False),  # silent | below_tier | bottom_percent
    Column("reason", Text, nullable=False),  # in the member's words (Chinese), as told
    Column("status", String(20), nullable=False),
    Column("noticed_ms", BigInteger, nullable=False),
    Column("remove_after_ms", BigInteger, nullable=False),
    Column("queue_item_id", Integer, nullable=True),
    Column("closed_ms", BigInteger, nullable=True),  # removed, cancelled or exempted
    Column("revived_ms", BigInteger, nullable=True),
    Column("revived_how", String(40), nullable=True),  # referrals | task | approved
    UniqueConstraint("community_id", "member_id", "group_id", "sweep",
                     name="uq_lifecycle_cases_sweep"),
    Index("ix_lifecycle_cases_status", "community_id", "status", "remove_after_ms"),
    Index("ix_lifecycle_cases_member", "member_id"),
)

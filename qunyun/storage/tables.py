"""Foundation tables: communities, groups, members and their identities, the
append-only event log (source of truth) and the audit log.

Times are stored as integer milliseconds since the epoch (UTC): the same on SQLite
and PostgreSQL, cheap to index, and what the columnar analytics read directly.
Feature areas (bot state, console accounts…) define their own tables in their own
modules on this same `metadata`, each with its own Alembic migration.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

# An imported message (every importer's source is `import:<platform>:<chat>`): the
# predicate of `ix_events_member_imported`, and the count's WHERE spelled the same.
IMPORTED_MESSAGE = "kind = 'message' AND source LIKE 'import:%'"
# An event that did not come from an import (the bot's, a live adapter's): the predicate
# of `ix_events_group_live`, and `storage.community.imported`'s WHERE spelled the same.
LIVE_EVENT = "source NOT LIKE 'import:%'"

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

def partial_index(name: str, *columns: str, where: str) -> Index:
    """An index over the rows where `where` (SQL, spelled as the queries spell it) holds.
    Declared for SQLite here; `for_postgresql` adds the same predicate for PostgreSQL when
    an engine for it is made: naming `postgresql_where` here would load SQLAlchemy's
    PostgreSQL dialect in every SQLite command (~17 ms at start, issue 12)."""
    return Index(name, *columns, sqlite_where=text(where), info={"where": where})


def for_postgresql() -> None:
    """Give every partial index its PostgreSQL predicate (idempotent)."""
    for table in metadata.tables.values():
        for index in table.indexes:
            where = index.info.get("where")
            if where is not None:
                index.dialect_options["postgresql"]["where"] = text(where)


# BigInteger ids on PostgreSQL, INTEGER PRIMARY KEY (rowid) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")

communities = Table(
    "communities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(80), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("plan_yaml", Text, nullable=True),
    Column("created_ms", BigInteger, nullable=False),
)

groups = Table(
    "groups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("platform", String(20), nullable=False),
    Column("external_id", String(255), nullable=False),
    Column("name", String(255), nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    # "group" (a community group), "direct" (a one-to-one room with the bot) or "admin"
    # (the admins' room): only "group" rows are the community's groups (listed, measured).
    Column("kind", String(10), nullable=False, server_default="group"),
    UniqueConstraint("community_id", "platform", "external_id", name="uq_groups_identity"),
)

members = Table(
    "members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("display_name", String(255), nullable=True),
    # Labels parsed from the nickname (O3) and answers from the member form (O2).
    Column("attributes", JSON, nullable=False, default=dict),
    Column("first_seen_ms", BigInteger, nullable=True),
    Column("last_seen_ms", BigInteger, nullable=True),
    Index("ix_members_community", "community_id"),
)

identities = Table(
    "identities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("platform", String(20), nullable=False),
    Column("external_id", String(255), nullable=False),
    UniqueConstraint("community_id", "platform", "external_id", name="uq_identities_key"),
    Index("ix_identities_member", "member_id"),
)

nicknames = Table(
    "nicknames",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), nullable=True),
    Column("nickname", String(255), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    UniqueConstraint("member_id", "group_id", "nickname", "at_ms", name="uq_nicknames_entry"),
)

memberships = Table(
    "memberships",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("joined_ms", BigInteger, nullable=True),
    Column("left_ms", BigInteger, nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    UniqueConstraint("group_id", "member_id", name="uq_memberships_pair"),
)

events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source", String(255), nullable=False),
    Column("source_event_id", String(255), nullable=False),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, nullable=True),
    Column("kind", String(20), nullable=False),
    Column("ts_ms", BigInteger, nullable=False),
    Column("text", Text, nullable=True),
    # The other member involved (inviter, remover, red-packet sender) and the event
    # referred to (reply target, reacted/recalled message): columns, not JSON, because
    # invite trees and reply counts are computed column-wise over millions of rows.
    Column("related_member_id", Integer, nullable=True),
    Column("ref_id", String(255), nullable=True),
    # Kind-specific fields (inviter, reply_to, media…); small, often null.
    Column("payload", JSON, nullable=True),
    # Per community (events_0002): one bot or one export can feed several communities.
    UniqueConstraint("source", "source_event_id", "community_id",
                     name="uq_events_community_source_key"),
    Index("ix_events_group_ts", "group_id", "ts_ms"),
    Index("ix_events_member", "member_id"),
    # A member's joins (the member page's inviters) without reading all their events:
    # partial (joins are a few in a hundred events) and covering, so that the planner
    # prefers it to ix_events_member; the query spells `kind = 'join'` as a literal.
    partial_index("ix_events_member_joins", "member_id", "ts_ms", "related_member_id",
                  where="kind = 'join'"),
    # A member's imported messages (`!积分`, member 360): counted from this index alone;
    # the query spells both conditions as literals, as here (events_0003).
    partial_index("ix_events_member_imported", "member_id", "kind", where=IMPORTED_MESSAGE),
    # The group page's whole-group mutes (rare): found without walking a group's events.
    # `kind` in the key (console_0005): the planner then prefers it to ix_events_group_ts.
    partial_index("ix_events_group_mutes", "group_id", "kind", "ts_ms",
                  where="kind = 'group_mute'"),
    # Which groups have live events (`storage.community.imported`): one look into this
    # index instead of a walk over every event of an imported group (26 ms for a group of
    # 200k, on every report and group list; events_0004). Covering, so that the planner
    # prefers it to ix_events_group_ts whatever order the indexes were made in.
    partial_index("ix_events_group_live", "group_id", "source", where=LIVE_EVENT),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at_ms", BigInteger, nullable=False),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=True),
    Column("group_id", Integer, nullable=True),
    Column("member_id", Integer, nullable=True),
    # "policy:moderation", "operator:alice", "cli" …
    Column("actor", String(120), nullable=False),
    Column("action", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("evidence", JSON, nullable=False, default=dict),
    # done | dry_run | failed | policy_error
    Column("status", String(20), nullable=False),
    Column("detail", Text, nullable=True),
    Column("event_source", String(255), nullable=True),
    Column("event_source_id", String(255), nullable=True),
    # The effect itself (qunyun.effects.effect_to_dict) while it waits to be delivered:
    # the outbox a restarted bot re-sends from.
    Column("effect", JSON(none_as_null=True), nullable=True),
    # The outbox claim: the bot process delivering this pending effect, and until when its
    # lease holds (ms). Another process takes the effect only after the lease (a process
    # killed while sending); after delivery `claimed_by` says which process sent it.
    Column("claimed_by", String(120), nullable=True),
    Column("claimed_until_ms", BigInteger, nullable=True),
    Index("ix_audit_community_at", "community_id", "at_ms"),
    Index("ix_audit_status", "status"),
)

# Work queues the operator acts on (console) and the bot fills: tier to-dos (T2), fake-account
# suspects (R4), elimination candidates (E1/E3), appeals (R3), escalations (R5).
# `item_key` makes opening an item idempotent (e.g. "suspect:<member id>").
work_items = Table(
    "work_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("queue", String(20), nullable=False),
    Column("item_key", String(255), nullable=False),
    Column("member_id", Integer, nullable=True),
    Column("group_id", Integer, nullable=True),
    Column("title", String(500), nullable=False),
    Column("detail", JSON, nullable=False, default=dict),
    # open | done | dismissed | exempted | approved
    Column("status", String(20), nullable=False, default="open"),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Column("resolved_by", String(120), nullable=True),
    Column("resolution", Text, nullable=True),
    UniqueConstraint("community_id", "queue", "item_key", name="uq_work_items_key"),
    Index("ix_work_items_queue", "community_id", "queue", "status"),
)

# Adapter state that must survive restarts: the Matrix sync token per bot account.
adapter_state = Table(
    "adapter_state",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
)

"""Community area tables beyond the foundation: the history of each community's plan.

`communities.plan_yaml` (foundation) is the plan the bot, the report and the console run;
`plan_versions` says where each stored text came from (a file given to `qunyun up` /
`qunyun demo`, or the console's editor) and when, so a file is imported again only when
its text changed and the console can say where the running plan came from (issue 11).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text

from qunyun.storage.tables import metadata

plan_versions = Table(
    "plan_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    # sha256 of the YAML text, hex: "has this file changed since it was last imported?"
    Column("sha256", String(64), nullable=False),
    # "file" (qunyun up/demo/bot read it from `origin`, a path) or "console" (`origin`
    # is the operator who saved it).
    Column("source", String(20), nullable=False),
    Column("origin", String(500), nullable=False),
    Column("plan_yaml", Text, nullable=False),
    Column("saved_ms", BigInteger, nullable=False),
)
Index("ix_plan_versions_community", plan_versions.c.community_id, plan_versions.c.id)

# Who the platform makes a moderator of each community group (Matrix power ≥ 50, Telegram
# chat administrators, QQ group admins), as the bot last saw them: the report and the
# console have no room to ask, and a moderator is an admin to the bot unless the plan sets
# `bot.moderators_are_admins: false` (`services.staff`).
group_moderators = Table(
    "group_moderators",
    metadata,
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("external_id", String(255), primary_key=True),
    Column("seen_ms", BigInteger, nullable=False),
)

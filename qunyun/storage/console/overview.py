"""Read-only queries for the console's overview pages: communities, groups, headline counts.

Kept to indexed lookups and small aggregates (memberships, work items), never a scan of
the event log: the overview must render in well under 300 ms for a million events. The
heavy numbers (health, activity, tiers) come from the cached analytics report.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, select, text

from qunyun.storage.community.imported import imported_only
from qunyun.storage.prepared import Prepared
from qunyun.storage.tables import (
    communities,
    events,
    groups,
    members,
    memberships,
    work_items,
)


def _counts(conn: Connection, query: Select[Any]) -> dict[int, int]:
    return {int(key): int(n) for key, n in conn.execute(query)}


def communities_with_counts(conn: Connection, *, ids: set[int] | None) -> list[dict[str, Any]]:
    """Communities (all, or those in `ids`) with their group and open-item counts. Their
    people are the report's (`analytics.activity.headcount`): the members table also holds
    accounts that were never in a group (the bot that removed someone, a DM's sender)."""
    query = select(communities.c.id, communities.c.slug, communities.c.name,
                   communities.c.plan_yaml.is_not(None).label("has_plan")) \
        .order_by(communities.c.id)
    if ids is not None:
        query = query.where(communities.c.id.in_(sorted(ids)))
    rows = [dict(r) for r in conn.execute(query).mappings()]
    if not rows:
        return rows
    wanted = [r["id"] for r in rows]
    n_groups = _counts(conn, select(groups.c.community_id, func.count())
                       .where(groups.c.community_id.in_(wanted), groups.c.kind == "group")
                       .group_by(groups.c.community_id))
    n_open = _counts(conn, select(work_items.c.community_id, func.count())
                     .where(work_items.c.community_id.in_(wanted), work_items.c.status == "open")
                     .group_by(work_items.c.community_id))
    for r in rows:
        r["groups"] = int(n_groups.get(r["id"], 0))
        r["open_items"] = int(n_open.get(r["id"], 0))
    return rows


# Every community page starts here: prepared (see storage/prepared.py).
_BY_SLUG = Prepared(select(communities).where(communities.c.slug == bindparam("slug")))


def community_by_slug(conn: Connection, *, slug: str) -> dict[str, Any] | None:
    return _BY_SLUG.first(conn, {"slug": slug})


def groups_with_counts(conn: Connection, *, community_id: int) -> list[dict[str, Any]]:
    """The community's groups with their people now, live: `current` (open memberships),
    `ever` (every membership) and `left` (ever − current) — the report's
    `analytics.activity.headcount` over the same memberships, between two reports — and
    whether each is only imported history (`imported`)."""
    in_now = func.sum(func.cast(memberships.c.active, type_=members.c.id.type))
    counts = (
        select(memberships.c.group_id, func.count().label("ever"), in_now.label("current"))
        .group_by(memberships.c.group_id).subquery()
    )
    query = (
        select(groups.c.id, groups.c.name, groups.c.platform, groups.c.external_id,
               func.coalesce(counts.c.current, 0).label("current"),
               func.coalesce(counts.c.ever, 0).label("ever"),
               imported_only().label("imported"))
        .select_from(groups.outerjoin(counts, counts.c.group_id == groups.c.id))
        .where(groups.c.community_id == community_id, groups.c.kind == "group")
        .order_by(groups.c.id)
    )
    rows = [dict(r) for r in conn.execute(query).mappings()]
    for r in rows:
        r["current"], r["ever"] = int(r["current"]), int(r["ever"])
        r["left"] = r["ever"] - r["current"]
        r["imported"] = bool(r["imported"])
    return rows


def group_of(conn: Connection, *, community_id: int, group_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(groups).where(
        groups.c.id == group_id, groups.c.community_id == community_id)).mappings().first()
    return dict(row) if row else None


def group_mutes_query(group_id: int, limit: int = 10) -> Select[Any]:
    """The group's latest `group_mute` events: `kind` spelled as a literal, so the planner
    can match the partial index `ix_events_group_mutes` (group_id, kind, ts_ms)."""
    return (select(events.c.ts_ms, events.c.payload, members.c.display_name)
            .join(members, members.c.id == events.c.member_id, isouter=True)
            .where(events.c.group_id == group_id, text("events.kind = 'group_mute'"))
            .order_by(events.c.ts_ms.desc()).limit(limit))


def group_mutes(conn: Connection, *, group_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """The group's latest whole-group mutes and lifts (`group_mute` events, through their
    partial index), newest first, with who did it: ts_ms, on, by (a name or None)."""
    rows = conn.execute(group_mutes_query(group_id, limit)).all()
    return [{"ts_ms": int(r[0]), "on": bool((r[1] or {}).get("on", True)), "by": r[2]}
            for r in rows]


def latest_event_id(conn: Connection) -> int:
    """Highest event id (primary-key lookup): changes whenever anything is recorded."""
    return int(conn.execute(select(func.max(events.c.id))).scalar() or 0)

"""Read-only queries for the console's member pages: search, and the member 360 view.

Every query here is by an indexed key (community, member) or over the members table of
one community (10,000 rows is a few milliseconds); none scans the event log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Integer, cast, func, literal_column, or_, select

from qunyun.storage.console.audit import like_escaped
from qunyun.storage.tables import audit_log, events, groups, identities, members, memberships

STANDINGS = ("current", "departed", "all")


def _stays(community_id: int, group_id: int | None = None) -> Any:
    """Per member of the community who was ever in one of its groups: `inside` (1 while any
    membership is open) and `left_ms` (their latest leave). The same people as the report's
    `analytics.activity.people`: a membership is a person in a group, open or closed; the
    bot's own account and accounts seen only in a DM have none. `group_id`: one group's."""
    where = [groups.c.community_id == community_id, groups.c.kind == "group"]
    if group_id is not None:
        where.append(groups.c.id == group_id)
    return (
        select(memberships.c.member_id,
               func.max(cast(memberships.c.active, Integer)).label("inside"),
               func.max(memberships.c.left_ms).label("left_ms"))
        .select_from(memberships.join(groups, groups.c.id == memberships.c.group_id))
        .where(*where)
        .group_by(memberships.c.member_id).subquery()
    )


def standing_counts(conn: Connection, *, community_id: int,
                    group_id: int | None = None) -> dict[str, int]:
    """How many people are in the community (or one group) now (`current`), were and are
    not (`departed`), and ever were (`all` = current + departed)."""
    stays = _stays(community_id, group_id)
    row = conn.execute(select(func.count(), func.coalesce(func.sum(stays.c.inside), 0))
                       .select_from(stays)).one()
    ever, current = int(row[0]), int(row[1])
    return {"current": current, "departed": ever - current, "all": ever}


def search(
    conn: Connection, *, community_id: int, text: str = "", offset: int = 0, limit: int = 50,
    standing: str = "current", group_id: int | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Members whose display name or platform id contains `text`, most recently seen first:
    those in the community now (`standing` "current"), those who left ("departed", each
    with `left_ms`), or both ("all"); of one group with `group_id`. `inside` says which a
    row is."""
    stays = _stays(community_id, group_id)
    where = [members.c.community_id == community_id]
    if standing == "current":
        where.append(stays.c.inside == 1)
    elif standing == "departed":
        where.append(stays.c.inside == 0)
    if text:
        pattern = "%" + like_escaped(text) + "%"
        by_identity = select(identities.c.member_id).where(
            identities.c.community_id == community_id,
            identities.c.external_id.like(pattern, escape="\\"))
        where.append(or_(members.c.display_name.like(pattern, escape="\\"),
                         members.c.id.in_(by_identity)))
    joined = members.join(stays, stays.c.member_id == members.c.id)
    total = int(conn.execute(select(func.count()).select_from(joined).where(*where))
                .scalar_one())
    rows = conn.execute(
        select(members.c.id, members.c.display_name, members.c.first_seen_ms,
               members.c.last_seen_ms, stays.c.inside, stays.c.left_ms)
        .select_from(joined)
        .where(*where)
        .order_by(members.c.last_seen_ms.desc().nulls_last(), members.c.id)
        .offset(offset).limit(limit)
    ).mappings()
    return [dict(r, inside=bool(r["inside"])) for r in rows], total


def member_in(conn: Connection, *, community_id: int, member_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(members).where(
        members.c.id == member_id, members.c.community_id == community_id)).mappings().first()
    return dict(row) if row else None


def identities_of(conn: Connection, *, member_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(select(identities.c.platform, identities.c.external_id)
                        .where(identities.c.member_id == member_id).order_by(identities.c.id))
    return [dict(r) for r in rows.mappings()]


def groups_of(conn: Connection, *, member_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(groups.c.id, groups.c.name, groups.c.platform, memberships.c.joined_ms,
               memberships.c.left_ms, memberships.c.active)
        .select_from(memberships.join(groups, groups.c.id == memberships.c.group_id))
        .where(memberships.c.member_id == member_id, groups.c.kind == "group")
        .order_by(groups.c.id)
    ).mappings()
    return [dict(r) for r in rows]


def stays_of(conn: Connection, *, member_id: int, limit: int = 40) -> list[dict[str, Any]]:
    """The member's joins and leaves in the community's groups, oldest first, each leave
    saying whether the bot (or another account) removed them and why: what an operator
    reads as 入群 → 被移出（原因）→ 回群. The reason is the bot's own removal entry in the
    audit log nearest before the leave (the kick is recorded before the homeserver reports
    the leave); an import's removal by another account has none."""
    rows = [dict(r) for r in conn.execute(
        select(events.c.kind, events.c.ts_ms, events.c.group_id, events.c.related_member_id,
               groups.c.name.label("group_name"))
        .select_from(events.join(groups, groups.c.id == events.c.group_id))
        .where(events.c.member_id == member_id, events.c.kind.in_(("join", "leave")),
               groups.c.kind == "group")
        .order_by(events.c.id.desc()).limit(limit)).mappings()]
    kicks = [dict(r) for r in conn.execute(
        select(audit_log.c.at_ms, audit_log.c.group_id, audit_log.c.reason)
        .where(audit_log.c.member_id == member_id, audit_log.c.action == "kick",
               audit_log.c.status.in_(("done", "pending")))
        .order_by(audit_log.c.at_ms)).mappings()]
    rows.sort(key=lambda r: (r["ts_ms"] or 0, r["kind"] == "leave"))
    seen: set[int] = set()
    out: list[dict[str, Any]] = []
    for row in rows:
        group_id = row["group_id"]
        stay = {**row, "step": row["kind"], "reason": None}
        if row["kind"] == "join":
            stay["step"] = "rejoin" if group_id in seen else "join"
            seen.add(group_id)
        else:
            seen.add(group_id)
            kick = next((k for k in reversed(kicks) if k["group_id"] == group_id
                         and k["at_ms"] <= (row["ts_ms"] or 0) + 60_000), None)
            if kick is not None and (row["ts_ms"] or 0) - kick["at_ms"] < 3_600_000:
                stay["step"], stay["reason"], stay["by"] = "removed", kick["reason"], "bot"
            elif row["related_member_id"] not in (None, member_id):
                stay["step"], stay["by"] = "removed", "admin"
        out.append(stay)
    return out


def recent_events(conn: Connection, *, member_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The member's latest events. The last 200 recorded (by id: a backwards walk of
    `ix_events_member` that stops early) sorted by time: ordering all of an active
    member's events by time would sort tens of thousands of rows on every view, and
    recording order alone puts an import's service lines after its messages."""
    latest = (
        select(events.c.kind, events.c.ts_ms, events.c.text, events.c.group_id,
               events.c.payload)
        .where(events.c.member_id == member_id)
        .order_by(events.c.id.desc()).limit(200).subquery()
    )
    # `group_kind`: "direct" marks what the member wrote to the bot (form answers,
    # commands), which is not speaking in the group.
    rows = conn.execute(
        select(latest, groups.c.kind.label("group_kind"), groups.c.name.label("group_name"))
        .select_from(latest.outerjoin(groups, groups.c.id == latest.c.group_id))
        .order_by(latest.c.ts_ms.desc()).limit(limit)).mappings()
    return [dict(r) for r in rows]


def inviters_of(conn: Connection, *, member_id: int) -> list[dict[str, Any]]:
    """Who brought this member in (join events naming an inviter): the upward invite branch.
    `kind = 'join'` is a literal so that SQLite can use the partial index of joins
    (`ix_events_member_joins`; a bound parameter would not match its WHERE)."""
    rows = conn.execute(
        select(events.c.related_member_id, events.c.ts_ms, members.c.display_name)
        .select_from(events.join(members, members.c.id == events.c.related_member_id))
        .where(events.c.member_id == member_id, events.c.kind == literal_column("'join'"),
               events.c.related_member_id.is_not(None),
               events.c.related_member_id != member_id)
        .order_by(events.c.ts_ms)
    ).mappings()
    return [dict(r) for r in rows]


def names_of(conn: Connection, *, member_ids: list[int]) -> dict[int, str | None]:
    if not member_ids:
        return {}
    rows = conn.execute(select(members.c.id, members.c.display_name)
                        .where(members.c.id.in_(member_ids[:1000])))
    return {int(r.id): r.display_name for r in rows}


def groups_by_id(conn: Connection, *, group_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Platform, kind and name of the given groups (the nickname history's rooms, DMs and
    the admins' room included)."""
    ids = sorted(set(group_ids))
    if not ids:
        return {}
    rows = conn.execute(select(groups.c.id, groups.c.platform, groups.c.kind, groups.c.name)
                        .where(groups.c.id.in_(ids))).mappings()
    return {int(r["id"]): dict(r) for r in rows}

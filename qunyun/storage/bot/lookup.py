"""Repository: read-only look-ups the bot needs over foundation tables.

Who a member is on the platform (timers carry ids, effects need refs), which groups a
community has, recent messages of a group (to warm the flood/repeat windows after a
restart), recent joins (R4 bursts) and members who never spoke (R4 silent accounts).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Connection, and_, bindparam, exists, func, select

from qunyun.storage.prepared import Prepared
from qunyun.storage.tables import events, groups, identities, members, memberships, nicknames

# The look-ups below run for events on the bot's path: compiled once, run on the driver.
_IDENTITY = Prepared(
    select(identities.c.platform, identities.c.external_id, members.c.display_name)
    .join(members, members.c.id == identities.c.member_id)
    .where(identities.c.member_id == bindparam("mid")).order_by(identities.c.id).limit(1))


def member_identity(conn: Connection, *, member_id: int) -> tuple[str, str, str | None] | None:
    """(platform, external id, display name) of the member's first identity."""
    rows = _IDENTITY.rows(conn, {"mid": member_id})
    return (str(rows[0][0]), str(rows[0][1]), rows[0][2]) if rows else None


def member_platforms(conn: Connection, *, member_ids: list[int]) -> dict[int, str]:
    """The platform of each member's first identity (the one `member_identity` gives)."""
    if not member_ids:
        return {}
    rows = conn.execute(select(identities.c.member_id, identities.c.platform)
                        .where(identities.c.member_id.in_(member_ids))
                        .order_by(identities.c.id.desc()))
    # Newest first, so the first identity (lowest id) is the one left in the dict.
    return {int(r[0]): str(r[1]) for r in rows}


def display_names(conn: Connection, *, member_ids: list[int]) -> dict[int, str | None]:
    if not member_ids:
        return {}
    rows = conn.execute(select(members.c.id, members.c.display_name)
                        .where(members.c.id.in_(member_ids)))
    return {int(r[0]): r[1] for r in rows}


def group(conn: Connection, *, group_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(groups).where(groups.c.id == group_id)).mappings().first()
    return dict(row) if row else None


def community_groups(conn: Connection, *, community_id: int) -> list[dict[str, Any]]:
    """The community's groups (not DMs with the bot, not the admins' room)."""
    rows = conn.execute(select(groups).where(groups.c.community_id == community_id,
                                             groups.c.kind == "group")
                        .order_by(groups.c.id)).mappings()
    return [dict(r) for r in rows]


def recent_messages(conn: Connection, *, group_id: int, since_ms: int
                    ) -> list[tuple[int | None, str, int, str]]:
    """(member id, source event id, ts ms, text) of a group's messages since `since_ms`."""
    rows = conn.execute(
        select(events.c.member_id, events.c.source_event_id, events.c.ts_ms, events.c.text)
        .where(events.c.group_id == group_id, events.c.ts_ms >= since_ms,
               events.c.kind == "message")
        .order_by(events.c.ts_ms, events.c.id)
    )
    return [(r[0], str(r[1]), int(r[2]), r[3] or "") for r in rows]


_RECENT_JOINS = Prepared(
    select(events.c.member_id, events.c.ts_ms, events.c.source_event_id)
    .where(events.c.group_id == bindparam("gid"), events.c.kind == "join",
           events.c.ts_ms >= bindparam("since", type_=BigInteger),
           events.c.ts_ms <= bindparam("until", type_=BigInteger),
           events.c.member_id.is_not(None))
    .order_by(events.c.ts_ms))


def recent_joins(conn: Connection, *, group_id: int, since_ms: int, until_ms: int
                 ) -> list[tuple[int, int, str]]:
    """(member id, ts ms, source event id) of joins in a group within [since, until]."""
    rows = _RECENT_JOINS.rows(conn, {"gid": group_id, "since": since_ms, "until": until_ms})
    return [(int(r[0]), int(r[1]), str(r[2])) for r in rows]


_AUTHOR = Prepared(select(events.c.member_id).where(
    events.c.source == bindparam("source"), events.c.source_event_id == bindparam("sid")))
_AUTHOR_IN = Prepared(select(events.c.member_id).where(
    events.c.community_id == bindparam("cid"), events.c.source == bindparam("source"),
    events.c.source_event_id == bindparam("sid")))


def message_author(conn: Connection, *, source: str, source_event_id: str,
                   community_id: int | None = None) -> int | None:
    """Author of a message in the log (reply and reaction targets). With `community_id`,
    that community's copy: one bot serving two communities logs the message in each."""
    if community_id is None:
        value = _AUTHOR.scalar(conn, {"source": source, "sid": source_event_id})
    else:
        value = _AUTHOR_IN.scalar(conn, {"cid": community_id, "source": source,
                                         "sid": source_event_id})
    return int(value) if value is not None else None


def silent_members(conn: Connection, *, group_id: int, joined_before_ms: int
                   ) -> list[tuple[int, int]]:
    """(member id, joined ms) of active members who joined before the cut-off and never
    posted a message in this group."""
    spoke = exists().where(
        and_(events.c.group_id == group_id, events.c.member_id == memberships.c.member_id,
             events.c.kind == "message")
    )
    rows = conn.execute(
        select(memberships.c.member_id, func.coalesce(memberships.c.joined_ms, 0))
        .where(memberships.c.group_id == group_id, memberships.c.active.is_(True),
               memberships.c.joined_ms.is_not(None),
               memberships.c.joined_ms <= joined_before_ms, ~spoke)
        .order_by(memberships.c.joined_ms)
    )
    return [(int(r[0]), int(r[1])) for r in rows]


def membership_active(conn: Connection, *, group_id: int, member_id: int) -> bool | None:
    row = conn.execute(select(memberships.c.active).where(
        memberships.c.group_id == group_id, memberships.c.member_id == member_id)).first()
    return None if row is None else bool(row[0])


def current_groups(conn: Connection, *, member_id: int) -> list[dict[str, Any]]:
    """The community groups the member is in now (not DMs, not the admins' room), the one
    joined last first."""
    rows = conn.execute(
        select(groups.c.id, groups.c.platform, groups.c.external_id, groups.c.name)
        .join(memberships, memberships.c.group_id == groups.c.id)
        .where(memberships.c.member_id == member_id, memberships.c.active.is_(True),
               groups.c.kind == "group")
        .order_by(func.coalesce(memberships.c.joined_ms, 0).desc(), groups.c.id.desc())
    ).mappings()
    return [dict(r) for r in rows]


def in_community(conn: Connection, *, community_id: int, member_id: int) -> bool | None:
    """Whether the member is in one of the community's groups now (not a DM, not the
    admins' room); None: never in any of them on record."""
    rows = conn.execute(select(memberships.c.active)
                        .join(groups, groups.c.id == memberships.c.group_id)
                        .where(groups.c.community_id == community_id, groups.c.kind == "group",
                               memberships.c.member_id == member_id)).all()
    return None if not rows else any(bool(r[0]) for r in rows)


def name_last_seen(conn: Connection, *, community_id: int, platform: str, user_id: str,
                   group_external_id: str, in_group_only: bool = False) -> str | None:
    """The name a member last showed in a group (its nickname history), else (unless
    `in_group_only`) their display name; None for someone never recorded."""
    member = conn.execute(select(identities.c.member_id, members.c.display_name)
                          .join(members, members.c.id == identities.c.member_id)
                          .where(identities.c.community_id == community_id,
                                 identities.c.platform == platform,
                                 identities.c.external_id == user_id)).first()
    if member is None:
        return None
    latest = conn.execute(
        select(nicknames.c.nickname)
        .join(groups, groups.c.id == nicknames.c.group_id)
        .where(nicknames.c.member_id == member[0], groups.c.community_id == community_id,
               groups.c.platform == platform, groups.c.external_id == group_external_id)
        .order_by(nicknames.c.at_ms.desc(), nicknames.c.id.desc()).limit(1)).scalar()
    if latest or in_group_only:
        return str(latest) if latest else None
    return str(member[1]) if member[1] else None


def active_member_count(conn: Connection, *, group_id: int) -> int:
    """How many are in the group now (its open memberships)."""
    return int(conn.execute(select(func.count()).select_from(memberships).where(
        memberships.c.group_id == group_id, memberships.c.active.is_(True))).scalar_one())


def group_names(conn: Connection, *, community_id: int) -> set[str]:
    """Every recorded group name of the community."""
    rows = conn.execute(select(groups.c.name).where(groups.c.community_id == community_id,
                                                    groups.c.name.is_not(None)))
    return {str(r[0]) for r in rows}


def answered(conn: Connection, *, group_id: int, asker_id: int, question_event_id: str,
             since_ms: int, until_ms: int, asker_name: str | None = None) -> bool:
    """Did another member answer a question in the group between `since_ms` and
    `until_ms`: a reply to it (or to the asker's later messages: the question asked
    again), or a message that @-names the asker (R5 wait)?"""
    asked = select(events.c.source_event_id).where(
        events.c.group_id == group_id, events.c.member_id == asker_id,
        events.c.kind == "message", events.c.ts_ms >= since_ms, events.c.ts_ms <= until_ms)
    answer = (events.c.ref_id == question_event_id) | events.c.ref_id.in_(asked)
    if asker_name:
        answer = answer | events.c.text.contains(f"@{asker_name}", autoescape=True)
    found = conn.execute(select(events.c.id).where(
        events.c.group_id == group_id, events.c.kind == "message",
        events.c.ts_ms > since_ms, events.c.ts_ms <= until_ms,
        events.c.member_id.is_not(None), events.c.member_id != asker_id, answer).limit(1))
    return found.first() is not None

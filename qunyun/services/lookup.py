"""Read-only look-ups for the bot: platform refs of members and groups, recent activity.

Timers carry member and group ids, effects need platform refs; the flood/repeat windows
warm up from the event log after a restart; R4 needs recent joins and silent members.
One write: `mark_group_kinds`, the adapter saying which recorded rooms are not groups.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from qunyun.events import GroupRef, UserRef
from qunyun.storage.bot import lookup as bot_lookup
from qunyun.storage.community import communities as community_repo
from qunyun.storage.community import imported as imported_repo
from qunyun.storage.community import members as member_repo


def member_ref(conn: Connection, *, member_id: int) -> UserRef | None:
    found = bot_lookup.member_identity(conn, member_id=member_id)
    if found is None:
        return None
    platform, external_id, name = found
    return UserRef(platform, external_id, name)


def group_ref(conn: Connection, *, group_id: int) -> GroupRef | None:
    row = bot_lookup.group(conn, group_id=group_id)
    if row is None:
        return None
    return GroupRef(str(row["platform"]), str(row["external_id"]), row["name"],
                    str(row.get("kind") or "group"))


def community_groups(conn: Connection, *, community_id: int) -> list[tuple[int, GroupRef]]:
    return [(int(r["id"]), GroupRef(str(r["platform"]), str(r["external_id"]), r["name"]))
            for r in bot_lookup.community_groups(conn, community_id=community_id)]


def postable_groups(conn: Connection, *, community_id: int) -> list[tuple[int, GroupRef]]:
    """The groups a post for "every group" goes to: not a history imported from an export
    that no bot runs (issue 11 walk13 #37: every calendar post failed there each day)."""
    history = imported_repo.imported_groups(conn, community_id=community_id)
    return [(gid, ref) for gid, ref in community_groups(conn, community_id=community_id)
            if gid not in history]


def display_names(conn: Connection, *, member_ids: list[int]) -> dict[int, str | None]:
    return bot_lookup.display_names(conn, member_ids=member_ids)


def recent_messages(conn: Connection, *, group_id: int, since_ms: int
                    ) -> list[tuple[int | None, str, int, str]]:
    return bot_lookup.recent_messages(conn, group_id=group_id, since_ms=since_ms)


def recent_joins(conn: Connection, *, group_id: int, since_ms: int, until_ms: int
                 ) -> list[tuple[int, int, str]]:
    return bot_lookup.recent_joins(conn, group_id=group_id, since_ms=since_ms, until_ms=until_ms)


def message_author(conn: Connection, *, source: str, source_event_id: str,
                   community_id: int | None = None) -> int | None:
    return bot_lookup.message_author(conn, source=source, source_event_id=source_event_id,
                                     community_id=community_id)


def silent_members(conn: Connection, *, group_id: int, joined_before_ms: int
                   ) -> list[tuple[int, int]]:
    return bot_lookup.silent_members(conn, group_id=group_id, joined_before_ms=joined_before_ms)


def member_ids_of(conn: Connection, *, community_id: int, platform: str,
                  user_ids: Iterable[str]) -> set[int]:
    """The members behind platform ids (ids never seen are left out, never created)."""
    found = member_repo.find_member_ids(conn, community_id=community_id,
                                        keys=[(platform, u) for u in user_ids])
    return set(found.values())


def name_last_seen(conn: Connection, *, community_id: int, member: UserRef,
                   group: GroupRef, in_group_only: bool = False) -> str | None:
    """The name the member last showed in the group, as recorded (None: never recorded).
    Without a name recorded in that group it is their display name, which may come from
    another group, unless `in_group_only`."""
    return bot_lookup.name_last_seen(conn, community_id=community_id, platform=member.platform,
                                     user_id=member.user_id, group_external_id=group.group_id,
                                     in_group_only=in_group_only)


def membership_active(conn: Connection, *, group_id: int, member_id: int) -> bool | None:
    """Whether the member is in the group now (None: never was)."""
    return bot_lookup.membership_active(conn, group_id=group_id, member_id=member_id)


def in_community(conn: Connection, *, community_id: int, member_id: int) -> bool | None:
    """Whether the member is in one of the community's groups now (None: never was)."""
    return bot_lookup.in_community(conn, community_id=community_id, member_id=member_id)


def logged(conn: Connection, *, source: str, source_event_id: str,
           community_id: int | None = None) -> bool:
    """Is this event (a timer's slot) in the log already (in that community's log)?"""
    from qunyun.storage.events import log as eventlog

    return eventlog.exists(conn, source=source, source_event_id=source_event_id,
                           community_id=community_id)


def mark_group_kinds(conn: Connection, *, community_id: int, platform: str,
                     kinds: dict[str, str]) -> None:
    """Rooms the adapter knows are DMs or the admins' room: mark them if already recorded."""
    for external_id, kind in kinds.items():
        community_repo.set_group_kind(conn, community_id=community_id, platform=platform,
                                      external_id=external_id, kind=kind)


def answered(conn: Connection, *, group_id: int, asker_id: int, question_event_id: str,
             since_ms: int, until_ms: int, asker_name: str | None = None) -> bool:
    """Did another member answer the question (a reply to it, or @-naming the asker)?"""
    return bot_lookup.answered(conn, group_id=group_id, asker_id=asker_id,
                               question_event_id=question_event_id, since_ms=since_ms,
                               until_ms=until_ms, asker_name=asker_name)

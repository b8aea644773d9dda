"""Who is staff: the one answer to "is this member one of the people running the group?".

Admins are the plan's `bot.admins` (platform ids) and, unless the plan sets
`bot.moderators_are_admins: false`, everyone the platform makes a moderator of a community
group, as the bot last saw them (recorded by `policies.staff.StaffRoster` on every event
in a group). The bot asks the room live (`policies.base.Setup.is_admin`); the report and
the console, which have no room to ask, read what the bot recorded — the same people.

Staff run the group; they do not compete in it. `off_growth` is who is kept off the growth
system — tiers (T1, the report's tier chart and to-do list), badges (T3), the boards
(T3), core users (T5) — unless the plan sets `points.include_admins: true` (the one switch
the boards already had). Volunteer candidates (T4) and elimination (E1) leave `admins`
out whatever the switch says: a volunteer's privileges are a subset of an admin's, and
the people running the group are never swept out of it.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection

from qunyun.plan.model import Plan
from qunyun.storage.community import staff as repo


def admins(conn: Connection, *, community_id: int, plan: Plan | None) -> set[int]:
    """Every admin's member id (the plan's `bot.admins` and the recorded moderators)."""
    listed = plan.bot.admins if plan is not None else []
    with_moderators = plan.bot.moderators_are_admins if plan is not None else True
    return repo.member_ids(conn, community_id=community_id, external_ids=listed,
                           with_moderators=with_moderators)


def off_growth(conn: Connection, *, community_id: int, plan: Plan | None) -> set[int]:
    """The members kept off tiers, badges, boards and core users (`points.include_admins`
    false, the default: every admin)."""
    if plan is not None and plan.points.include_admins:
        return set()
    return admins(conn, community_id=community_id, plan=plan)


def record_moderators(conn: Connection, *, group_id: int, external_ids: Collection[str],
                      now_ms: int) -> None:
    """The platform's moderators of one group as the bot sees them now."""
    repo.replace_moderators(conn, group_id=group_id, external_ids=external_ids, now_ms=now_ms)


def recorded_moderators(conn: Connection, *, group_id: int) -> frozenset[str]:
    return frozenset(repo.moderators_of(conn, group_id=group_id))


def moderators_stamp(conn: Connection, *, community_id: int) -> str:
    """Changes when any group's recorded moderators change (the console's report cache)."""
    return ";".join(f"{g}:{x}" for g, x in repo.community_moderators(
        conn, community_id=community_id))

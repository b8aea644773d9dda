"""Repository: the moderators the bot saw per group, and the members behind staff ids."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, select

from qunyun.storage.community.tables import group_moderators as mods
from qunyun.storage.tables import groups, identities


def moderators_of(conn: Connection, *, group_id: int) -> set[str]:
    rows = conn.execute(select(mods.c.external_id).where(mods.c.group_id == group_id))
    return {str(r[0]) for r in rows}


def community_moderators(conn: Connection, *, community_id: int) -> list[tuple[int, str]]:
    """Every recorded (group id, moderator id) of the community, in order."""
    rows = conn.execute(select(mods.c.group_id, mods.c.external_id)
                        .select_from(mods.join(groups, groups.c.id == mods.c.group_id))
                        .where(groups.c.community_id == community_id)
                        .order_by(mods.c.group_id, mods.c.external_id))
    return [(int(g), str(x)) for g, x in rows]


def replace_moderators(conn: Connection, *, group_id: int, external_ids: Collection[str],
                       now_ms: int) -> None:
    """The group's moderators are now `external_ids` (those gone are dropped)."""
    wanted = set(external_ids)
    have = moderators_of(conn, group_id=group_id)
    if have - wanted:
        conn.execute(mods.delete().where(mods.c.group_id == group_id,
                                         mods.c.external_id.in_(sorted(have - wanted))))
    for external_id in sorted(wanted - have):
        conn.execute(mods.insert().values(group_id=group_id, external_id=external_id,
                                          seen_ms=now_ms))


def member_ids(conn: Connection, *, community_id: int, external_ids: Collection[str],
               with_moderators: bool) -> set[int]:
    """Members behind `external_ids` on any platform (the plan's `bot.admins`), and, with
    `with_moderators`, behind every recorded moderator of the community's groups (on the
    group's own platform)."""
    found: set[int] = set()
    if external_ids:
        found |= {int(r[0]) for r in conn.execute(select(identities.c.member_id).where(
            identities.c.community_id == community_id,
            identities.c.external_id.in_(sorted(set(external_ids)))))}
    if with_moderators:
        found |= {int(r[0]) for r in conn.execute(
            select(identities.c.member_id).select_from(
                mods.join(groups, groups.c.id == mods.c.group_id).join(
                    identities, (identities.c.community_id == groups.c.community_id)
                    & (identities.c.platform == groups.c.platform)
                    & (identities.c.external_id == mods.c.external_id)))
            .where(groups.c.community_id == community_id, groups.c.kind == "group"))}
    return found

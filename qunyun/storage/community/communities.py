"""Repository: communities and groups (lookup and get-or-create)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from qunyun.storage.sql import insert_ignore
from qunyun.storage.tables import communities, groups


def get_or_create_community(conn: Connection, *, slug: str, name: str, now_ms: int) -> int:
    conn.execute(
        insert_ignore(conn, communities, "slug"),
        {"slug": slug, "name": name, "created_ms": now_ms},
    )
    found = conn.execute(select(communities.c.id).where(communities.c.slug == slug))
    return int(found.scalar_one())


def find_community(conn: Connection, *, slug: str) -> int | None:
    row = conn.execute(select(communities.c.id).where(communities.c.slug == slug)).first()
    return int(row[0]) if row else None


def slug_of(conn: Connection, *, community_id: int) -> str | None:
    found = conn.execute(select(communities.c.slug).where(communities.c.id == community_id))
    slug = found.scalar()
    return str(slug) if slug is not None else None


def list_communities(conn: Connection) -> list[dict[str, object]]:
    rows = conn.execute(select(communities).order_by(communities.c.id)).mappings()
    return [dict(r) for r in rows]


def save_plan_yaml(conn: Connection, *, community_id: int, plan_yaml: str) -> None:
    conn.execute(
        communities.update().where(communities.c.id == community_id).values(plan_yaml=plan_yaml)
    )


def get_or_create_group(
    conn: Connection, *, community_id: int, platform: str, external_id: str, name: str | None,
    now_ms: int, kind: str = "group",
) -> int:
    key = (groups.c.community_id == community_id) & (groups.c.platform == platform) & (
        groups.c.external_id == external_id
    )
    found = conn.execute(select(groups.c.id, groups.c.name, groups.c.kind).where(key)).first()
    if found is not None:
        changes: dict[str, str] = {}
        if name and found.name != name:
            changes["name"] = name
        if kind != found.kind:  # e.g. a DM recorded as a group by an older version
            changes["kind"] = kind
        if changes:
            conn.execute(groups.update().where(groups.c.id == found.id).values(**changes))
        return int(found.id)
    conn.execute(
        insert_ignore(conn, groups, "community_id", "platform", "external_id"),
        {"community_id": community_id, "platform": platform, "external_id": external_id,
         "name": name, "created_ms": now_ms, "kind": kind},
    )
    return int(conn.execute(select(groups.c.id).where(key)).scalar_one())


def set_group_kind(conn: Connection, *, community_id: int, platform: str, external_id: str,
                   kind: str) -> None:
    """Mark an already recorded group as a DM or the admins' room (or back)."""
    conn.execute(groups.update().where(
        groups.c.community_id == community_id, groups.c.platform == platform,
        groups.c.external_id == external_id, groups.c.kind != kind).values(kind=kind))


def list_groups(conn: Connection, *, community_id: int) -> list[dict[str, object]]:
    rows = conn.execute(
        select(groups).where(groups.c.community_id == community_id).order_by(groups.c.id)
    ).mappings()
    return [dict(r) for r in rows]

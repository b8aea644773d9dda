"""Repository: members, their platform identities, nickname history and group memberships."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Connection,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    tuple_,
)

from qunyun.storage.sql import insert_ignore
from qunyun.storage.tables import identities, members, memberships, nicknames

IdentityKey = tuple[str, str]  # (platform, external id)


def find_member_ids(
    conn: Connection, *, community_id: int, keys: Iterable[IdentityKey]
) -> dict[IdentityKey, int]:
    wanted = list(dict.fromkeys(keys))
    found: dict[IdentityKey, int] = {}
    for start in range(0, len(wanted), 500):  # stay under every driver's parameter limit
        chunk = wanted[start : start + 500]
        rows = conn.execute(
            select(identities.c.platform, identities.c.external_id, identities.c.member_id).where(
                identities.c.community_id == community_id,
                tuple_(identities.c.platform, identities.c.external_id).in_(chunk),
            )
        )
        found.update({(r.platform, r.external_id): int(r.member_id) for r in rows})
    return found


def create_member(
    conn: Connection, *, community_id: int, key: IdentityKey, display_name: str | None,
) -> int:
    """A new member with one identity. Returns the member id."""
    member_id = int(
        conn.execute(
            members.insert().values(
                community_id=community_id, display_name=display_name, attributes={}
            ).returning(members.c.id)
        ).scalar_one()
    )
    conn.execute(
        identities.insert().values(
            member_id=member_id, community_id=community_id, platform=key[0], external_id=key[1]
        )
    )
    return member_id


def create_members(
    conn: Connection, *, community_id: int, new: Sequence[tuple[IdentityKey, str | None]]
) -> dict[IdentityKey, int]:
    """Bulk `create_member`: one multi-row insert for members, one for identities."""
    if not new:
        return {}
    inserted = conn.execute(
        members.insert().returning(members.c.id, sort_by_parameter_order=True),
        [{"community_id": community_id, "display_name": (name or None) and name[:255],
          "attributes": {}} for _key, name in new],
    ).scalars().all()
    ids = {key: int(mid) for (key, _name), mid in zip(new, inserted, strict=True)}
    conn.execute(
        identities.insert(),
        [{"member_id": mid, "community_id": community_id, "platform": key[0],
          "external_id": key[1]} for key, mid in ids.items()],
    )
    return ids


def get_member(conn: Connection, *, member_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(members).where(members.c.id == member_id)).mappings().first()
    return dict(row) if row else None


def member_identities(conn: Connection, *, member_id: int) -> list[IdentityKey]:
    rows = conn.execute(
        select(identities.c.platform, identities.c.external_id).where(
            identities.c.member_id == member_id
        )
    )
    return [(r.platform, r.external_id) for r in rows]


def update_attributes(conn: Connection, *, member_id: int, attributes: Mapping[str, Any]) -> None:
    """Merge labels into the member's attributes (O3 nickname labels, O2 form answers)."""
    current = conn.execute(select(members.c.attributes).where(members.c.id == member_id)).scalar()
    merged = {**(current or {}), **attributes}
    conn.execute(members.update().where(members.c.id == member_id).values(attributes=merged))


def profile(conn: Connection, *, member_id: int) -> tuple[int | None, int | None, str | None]:
    """(first seen, last seen, display name) of one member."""
    row = conn.execute(
        select(members.c.first_seen_ms, members.c.last_seen_ms, members.c.display_name)
        .where(members.c.id == member_id)
    ).first()
    return (row[0], row[1], row[2]) if row else (None, None, None)


_LO: BindParameter[int] = bindparam("lo", type_=BigInteger)
_HI: BindParameter[int] = bindparam("hi", type_=BigInteger)
# Built once: the live path runs this for nearly every event, and building the CASE
# expressions cost more than executing them.
_WIDEN = members.update().where(members.c.id == bindparam("mid")).values(
    first_seen_ms=case((or_(members.c.first_seen_ms.is_(None), members.c.first_seen_ms > _LO),
                        _LO), else_=members.c.first_seen_ms),
    last_seen_ms=case((or_(members.c.last_seen_ms.is_(None), members.c.last_seen_ms < _HI),
                       _HI), else_=members.c.last_seen_ms),
)
_WIDEN_NAMED = _WIDEN.values(display_name=bindparam("name"))


def widen_seen_each(
    conn: Connection, *, spans: Mapping[int, tuple[int, int, str | None]],
) -> None:
    """Widen each member's first/last seen to include (lo, hi), and set the display name
    where one is given. Min/max happen in SQL, so a writer with an older picture of a
    row cannot narrow it."""
    plain = [{"mid": m, "lo": lo, "hi": hi} for m, (lo, hi, name) in spans.items()
             if name is None]
    named = [{"mid": m, "lo": lo, "hi": hi, "name": name}
             for m, (lo, hi, name) in spans.items() if name is not None]
    if plain:
        conn.execute(_WIDEN, plain)
    if named:
        conn.execute(_WIDEN_NAMED, named)


def nicknames_of(conn: Connection, *, member_id: int) -> set[tuple[int | None, str]]:
    """(group, nickname) pairs already in the member's history."""
    rows = conn.execute(select(nicknames.c.group_id, nicknames.c.nickname)
                        .where(nicknames.c.member_id == member_id))
    return {(r[0], r[1]) for r in rows}


def add_nicknames(conn: Connection, *, entries: Iterable[Mapping[str, Any]]) -> None:
    """Rows of member_id, group_id, nickname, at_ms; a repeated entry is ignored."""
    rows = list(entries)
    if rows:
        conn.execute(
            insert_ignore(conn, nicknames, "member_id", "group_id", "nickname", "at_ms"), rows
        )


def nickname_history(conn: Connection, *, member_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(nicknames).where(nicknames.c.member_id == member_id).order_by(nicknames.c.at_ms)
    ).mappings()
    return [dict(r) for r in rows]


def apply_membership(
    conn: Connection, *, group_id: int, member_id: int, joined_ms: int | None, left_ms: int | None,
) -> None:
    """Record a join and/or leave. The latest of the two decides whether the member is in."""
    row = conn.execute(
        select(memberships).where(
            and_(memberships.c.group_id == group_id, memberships.c.member_id == member_id)
        )
    ).mappings().first()
    if row is None:
        active = left_ms is None or (joined_ms is not None and joined_ms > left_ms)
        conn.execute(
            insert_ignore(conn, memberships, "group_id", "member_id"),
            {"group_id": group_id, "member_id": member_id, "joined_ms": joined_ms,
             "left_ms": left_ms, "active": active},
        )
        return
    joined = max(filter(None, (row["joined_ms"], joined_ms)), default=None)
    left = max(filter(None, (row["left_ms"], left_ms)), default=None)
    active = left is None or (joined is not None and joined > left)
    conn.execute(
        memberships.update()
        .where(memberships.c.id == row["id"])
        .values(joined_ms=joined, left_ms=left, active=active)
    )


def apply_memberships(
    conn: Connection, *, changes: dict[tuple[int, int], tuple[int | None, int | None]],
) -> None:
    """`apply_membership` for many (group, member) pairs at once (imports): one read per
    500 members and two bulk writes, instead of a read and a write per pair."""
    if not changes:
        return
    existing: dict[tuple[int, int], Any] = {}
    member_ids = sorted({m for _, m in changes})
    group_ids = sorted({g for g, _ in changes})
    for start in range(0, len(member_ids), 500):
        rows = conn.execute(select(memberships).where(
            memberships.c.group_id.in_(group_ids),
            memberships.c.member_id.in_(member_ids[start:start + 500]),
        )).mappings()
        existing.update({(r["group_id"], r["member_id"]): r for r in rows})
    inserts, updates = [], []
    for (group_id, member_id), (joined_ms, left_ms) in changes.items():
        row = existing.get((group_id, member_id))
        if row is not None:
            joined_ms = max(filter(None, (row["joined_ms"], joined_ms)), default=None)
            left_ms = max(filter(None, (row["left_ms"], left_ms)), default=None)
        active = left_ms is None or (joined_ms is not None and joined_ms > left_ms)
        values = {"joined_ms": joined_ms, "left_ms": left_ms, "active": active}
        if row is None:
            inserts.append({"group_id": group_id, "member_id": member_id, **values})
        else:
            updates.append({"row_id": row["id"], **values})
    if inserts:
        conn.execute(insert_ignore(conn, memberships, "group_id", "member_id"), inserts)
    if updates:
        conn.execute(
            memberships.update().where(memberships.c.id == bindparam("row_id")).values(
                joined_ms=bindparam("joined_ms"), left_ms=bindparam("left_ms"),
                active=bindparam("active")),
            updates,
        )


def count_members(conn: Connection, *, community_id: int) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(members).where(members.c.community_id == community_id)
        ).scalar_one()
    )



def known_nicknames(
    conn: Connection, *, pairs: Iterable[tuple[int, int | None]]
) -> set[tuple[int, int | None, str]]:
    """(member, group, nickname) triples already in the history for these member/group pairs."""
    member_ids = sorted({m for m, _ in pairs})
    known: set[tuple[int, int | None, str]] = set()
    for start in range(0, len(member_ids), 500):
        rows = conn.execute(
            select(nicknames.c.member_id, nicknames.c.group_id, nicknames.c.nickname).where(
                nicknames.c.member_id.in_(member_ids[start : start + 500])
            )
        )
        known.update((r.member_id, r.group_id, r.nickname) for r in rows)
    return known

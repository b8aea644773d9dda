"""Repository: members, their platform identities, nickname history and group memberships."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Connection,
    bindparam,
    case,
    func,
    or_,
    select,
    text,
    tuple_,
)

from qunyun.storage.prepared import Prepared, update_by_id
from qunyun.storage.sql import insert_ignore, insert_ignore_for
from qunyun.storage.tables import identities, members, memberships, nicknames

IdentityKey = tuple[str, str]  # (platform, external id)


# One identity at a time is the live bot's case (a member seen for the first time):
# compiled once, run on the driver.
_FIND_ONE = Prepared(select(identities.c.member_id).where(
    identities.c.community_id == bindparam("cid"), identities.c.platform == bindparam("platform"),
    identities.c.external_id == bindparam("external_id")))


def find_member_ids(
    conn: Connection, *, community_id: int, keys: Iterable[IdentityKey]
) -> dict[IdentityKey, int]:
    wanted = list(dict.fromkeys(keys))
    found: dict[IdentityKey, int] = {}
    if len(wanted) == 1:
        (platform, external_id), = wanted
        one = _FIND_ONE.scalar(conn, {"cid": community_id, "platform": platform,
                                      "external_id": external_id})
        return {wanted[0]: int(one)} if one is not None else {}
    if conn.dialect.name == "sqlite":
        return _find_sqlite(conn, community_id, wanted)
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


_NEW_MEMBER = Prepared(members.insert().returning(members.c.id),
                      keys=("community_id", "display_name", "attributes"))
_NEW_IDENTITY = Prepared(identities.insert(),
                         keys=("member_id", "community_id", "platform", "external_id"))


def create_members(
    conn: Connection, *, community_id: int, new: Sequence[tuple[IdentityKey, str | None]]
) -> dict[IdentityKey, int]:
    """New members, one identity each: one multi-row insert for members, one for
    identities. Returns their ids."""
    if not new:
        return {}
    if len(new) == 1:  # the live bot meeting someone new: statements prepared once
        (key, name), = new
        member_id = int(_NEW_MEMBER.scalar(conn, {
            "community_id": community_id, "display_name": (name or None) and name[:255],
            "attributes": {}}))
        _NEW_IDENTITY.execute(conn, {"member_id": member_id, "community_id": community_id,
                                     "platform": key[0], "external_id": key[1]})
        return {key: member_id}
    if conn.dialect.name == "sqlite":
        return _create_sqlite(conn, community_id, new)
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


# An import meets thousands of identities per batch, while its reading thread holds the GIL:
# a statement that steps once per row hands the GIL over at every row and waits for it
# back (0.45 s of the 200k-message import's critical path went to finding and creating
# its 2,000 senders, 0.03 s of it SQLite's work; issue 12). On SQLite the keys travel as
# one JSON array and each of these is one statement that steps once.
_FIND_MANY = text(
    "SELECT json_group_array(json_array(i.platform, i.external_id, i.member_id)) "
    "FROM json_each(:keys) AS k CROSS JOIN identities AS i ON i.community_id = :cid "
    "AND i.platform = json_extract(k.value, '$[0]') "
    "AND i.external_id = json_extract(k.value, '$[1]')")
_LAST_MEMBER = text("SELECT coalesce(max(id), 0) FROM members")
_NEW_MEMBERS = text(
    "INSERT INTO members (id, community_id, display_name, attributes) "
    "SELECT :base + k.key + 1, :cid, k.value, '{}' FROM json_each(:names) AS k")
_NEW_IDENTITIES = text(
    "INSERT INTO identities (member_id, community_id, platform, external_id) "
    "SELECT :base + k.key + 1, :cid, json_extract(k.value, '$[0]'), "
    "json_extract(k.value, '$[1]') FROM json_each(:keys) AS k")


def _find_sqlite(conn: Connection, community_id: int, wanted: list[IdentityKey]
                 ) -> dict[IdentityKey, int]:
    found = conn.execute(_FIND_MANY, {"cid": community_id,
                                      "keys": json.dumps(wanted)}).scalar_one()
    return {(platform, external_id): int(member_id)
            for platform, external_id, member_id in json.loads(found)}


def _create_sqlite(conn: Connection, community_id: int,
                   new: Sequence[tuple[IdentityKey, str | None]]) -> dict[IdentityKey, int]:
    """SQLite cannot tie RETURNING rows to their parameter sets (an ordered RETURNING runs
    one INSERT per row), so the ids SQLite would give, max + 1 …, are given here. The
    primary key refuses an id another writer took meanwhile, and a transaction whose read
    is stale cannot write at all: no id is ever shared."""
    base = int(conn.execute(_LAST_MEMBER).scalar_one())
    names = json.dumps([(name or None) and name[:255] for _key, name in new])
    conn.execute(_NEW_MEMBERS, {"base": base, "cid": community_id, "names": names})
    conn.execute(_NEW_IDENTITIES, {"base": base, "cid": community_id,
                                   "keys": json.dumps([key for key, _name in new])})
    return {key: base + n + 1 for n, (key, _name) in enumerate(new)}


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


_ATTRIBUTES = Prepared(select(members.c.attributes).where(members.c.id == bindparam("mid")))
_SET_ATTRIBUTES = update_by_id(members, ("attributes",))


def attributes_of(conn: Connection, *, member_id: int) -> dict[str, Any]:
    """The member's attributes (O3 nickname labels, O2 form answers)."""
    return dict(_ATTRIBUTES.scalar(conn, {"mid": member_id}) or {})


def update_attributes(conn: Connection, *, member_id: int, attributes: Mapping[str, Any]) -> None:
    """Merge labels into the member's attributes (O3 nickname labels, O2 form answers)."""
    current = _ATTRIBUTES.scalar(conn, {"mid": member_id})
    merged = {**(current or {}), **attributes}
    _SET_ATTRIBUTES.execute(conn, {"row_id": member_id, "attributes": merged})


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


_NICKNAME_KEYS = ("member_id", "group_id", "nickname", "at_ms")
_ADD_NICKNAME = Prepared(
    lambda dialect: insert_ignore_for(dialect, nicknames, *_NICKNAME_KEYS), keys=_NICKNAME_KEYS)


def add_nicknames(conn: Connection, *, entries: Iterable[Mapping[str, Any]]) -> None:
    """Rows of member_id, group_id, nickname, at_ms; a repeated entry is ignored."""
    rows = list(entries)
    if len(rows) == 1:
        _ADD_NICKNAME.execute(conn, {key: rows[0][key] for key in _NICKNAME_KEYS})
    elif rows:
        conn.execute(
            insert_ignore(conn, nicknames, "member_id", "group_id", "nickname", "at_ms"), rows
        )


def nickname_history(conn: Connection, *, member_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(nicknames).where(nicknames.c.member_id == member_id).order_by(nicknames.c.at_ms)
    ).mappings()
    return [dict(r) for r in rows]


_MEMBERSHIP = Prepared(select(memberships.c.id, memberships.c.joined_ms, memberships.c.left_ms)
                       .where(memberships.c.group_id == bindparam("gid"),
                              memberships.c.member_id == bindparam("mid")))
_MEMBERSHIP_KEYS = ("group_id", "member_id", "joined_ms", "left_ms", "active")
_ADD_MEMBERSHIP = Prepared(
    lambda dialect: insert_ignore_for(dialect, memberships, "group_id", "member_id"),
    keys=_MEMBERSHIP_KEYS)
_SET_MEMBERSHIP = update_by_id(memberships, ("joined_ms", "left_ms", "active"))


def _apply_one_membership(
    conn: Connection, *, group_id: int, member_id: int, joined_ms: int | None, left_ms: int | None,
) -> None:
    row = _MEMBERSHIP.first(conn, {"gid": group_id, "mid": member_id})
    if row is not None:
        joined_ms = max(filter(None, (row["joined_ms"], joined_ms)), default=None)
        left_ms = max(filter(None, (row["left_ms"], left_ms)), default=None)
    active = left_ms is None or (joined_ms is not None and joined_ms > left_ms)
    if row is None:
        _ADD_MEMBERSHIP.execute(conn, {"group_id": group_id, "member_id": member_id,
                                       "joined_ms": joined_ms, "left_ms": left_ms,
                                       "active": active})
    else:
        _SET_MEMBERSHIP.execute(conn, {"row_id": row["id"], "joined_ms": joined_ms,
                                       "left_ms": left_ms, "active": active})


def add_memberships_seen(conn: Connection, *, pairs: list[tuple[int, int]]) -> None:
    """(group, member) pairs seen acting in a group without a join on record (the group's
    creator in an export, members already in a room when the bot arrived): they are in the
    group. An existing membership, open or left, is never touched (insert-ignore). This is
    what makes the memberships table and the report's "members now" one definition."""
    if pairs:
        conn.execute(insert_ignore(conn, memberships, "group_id", "member_id"), [
            {"group_id": g, "member_id": m, "joined_ms": None, "left_ms": None, "active": True}
            for g, m in pairs])


def stays_in_group(conn: Connection, *, group_id: int, member_ids: Sequence[int]
                   ) -> dict[int, tuple[int | None, int | None]]:
    """(joined ms, left ms) on record per member of one group, for those who have a
    membership row (500 members per read)."""
    ids = sorted(set(member_ids))
    out: dict[int, tuple[int | None, int | None]] = {}
    for start in range(0, len(ids), 500):
        rows = conn.execute(select(memberships.c.member_id, memberships.c.joined_ms,
                                   memberships.c.left_ms).where(
            memberships.c.group_id == group_id,
            memberships.c.member_id.in_(ids[start:start + 500])))
        out.update({int(r[0]): (r[1], r[2]) for r in rows})
    return out


def apply_memberships(
    conn: Connection, *, changes: dict[tuple[int, int], tuple[int | None, int | None]],
) -> None:
    """Record joins and/or leaves per (group, member); the latest of the two decides whether
    the member is in. Many pairs at once (imports): one read per 500 members and two bulk
    writes, instead of a read and a write per pair."""
    if not changes:
        return
    if len(changes) == 1:  # the live bot: one join or leave
        ((group_id, member_id), (joined_ms, left_ms)), = changes.items()
        _apply_one_membership(conn, group_id=group_id, member_id=member_id,
                              joined_ms=joined_ms, left_ms=left_ms)
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

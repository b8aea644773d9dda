"""Operator accounts of the console: who may sign in, with which role, over which communities.

Roles, from most to least power: owner (everything, manages operators), admin (edits the
plan, acts on queues), volunteer (acts on queues), viewer (reads only). An operator sees
every community when `all_communities` is set (owners always do), else only the ones
listed in `operator_communities`. Password hashes are argon2 strings made by
`qunyun.services.operators`; this module only stores them.

`console_settings` keeps console-wide values that must survive restarts and be shared by
every worker: the session-signing secret.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
)

from qunyun.storage.sql import insert_ignore
from qunyun.storage.tables import metadata

ROLES = ("owner", "admin", "volunteer", "viewer")

operators = Table(
    "operators",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(80), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(20), nullable=False),
    Column("all_communities", Boolean, nullable=False, default=False),
    # Bumped by a password or role change and by removal. Sessions are ended server-side
    # now (`console_sessions` rows are deleted); the counter stays as a change count.
    Column("session_epoch", Integer, nullable=False, default=0),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("last_login_ms", BigInteger, nullable=True),
)

operator_communities = Table(
    "operator_communities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("operator_id", ForeignKey("operators.id", ondelete="CASCADE"), nullable=False),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    UniqueConstraint("operator_id", "community_id", name="uq_operator_communities_pair"),
)

console_settings = Table(
    "console_settings",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("value", Text, nullable=False),
)


def count_operators(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(operators)).scalar_one())


def create(
    conn: Connection, *, username: str, password_hash: str, role: str, all_communities: bool,
    now_ms: int,
) -> int:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    inserted = conn.execute(
        operators.insert().values(
            username=username, password_hash=password_hash, role=role,
            all_communities=all_communities or role == "owner", session_epoch=0,
            disabled=False, created_ms=now_ms,
        ).returning(operators.c.id)
    )
    return int(inserted.scalar_one())


def by_username(conn: Connection, *, username: str) -> dict[str, Any] | None:
    row = conn.execute(select(operators).where(operators.c.username == username)).mappings()
    found = row.first()
    return dict(found) if found else None


def by_id(conn: Connection, *, operator_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(operators).where(operators.c.id == operator_id)).mappings().first()
    return dict(row) if row else None


def list_all(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(operators).order_by(operators.c.id)).mappings()
    return [dict(r) for r in rows]


def update(conn: Connection, *, operator_id: int, values: dict[str, Any]) -> None:
    conn.execute(operators.update().where(operators.c.id == operator_id).values(**values))


def grant(conn: Connection, *, operator_id: int, community_id: int) -> None:
    conn.execute(
        insert_ignore(conn, operator_communities, "operator_id", "community_id"),
        {"operator_id": operator_id, "community_id": community_id},
    )


def scope(conn: Connection, *, operator_id: int) -> set[int]:
    rows = conn.execute(
        select(operator_communities.c.community_id).where(
            operator_communities.c.operator_id == operator_id
        )
    )
    return {int(r[0]) for r in rows}


def get_setting(conn: Connection, *, key: str) -> str | None:
    row = conn.execute(select(console_settings.c.value).where(console_settings.c.key == key))
    value = row.scalar()
    return str(value) if value is not None else None


def put_setting_once(conn: Connection, *, key: str, value: str) -> str:
    """Store `value` unless the key exists; returns what is stored (first writer wins)."""
    conn.execute(insert_ignore(conn, console_settings, "key"), {"key": key, "value": value})
    stored = get_setting(conn, key=key)
    assert stored is not None
    return stored

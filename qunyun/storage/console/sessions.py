"""Console sign-in state shared by every worker process: sessions and failed sign-ins.

`console_sessions` is one row per signed-in browser. The cookie carries a random session
id; only its SHA-256 is stored, so a copy of the database does not sign anyone in.
Deleting a row ends that session at once (logout, password change, role change,
removal, or an owner ending it from the operators page).

`console_login_failures` is one row per failed sign-in, keyed by what it counts against
(an account, an address or a device cookie, see `qunyun.services.signin`); rows older
than the counting window are pruned as new failures arrive.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    false,
    func,
    select,
)

from qunyun.storage.console.operators import operator_communities, operators
from qunyun.storage.prepared import Prepared
from qunyun.storage.tables import metadata

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("operator_id", ForeignKey("operators.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("seen_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Column("address", String(64), nullable=False),
    Column("user_agent", String(200), nullable=False),
)

console_login_failures = Table(
    "console_login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(80), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Index("ix_console_login_failures_key_at", "key", "at_ms"),
    Index("ix_console_login_failures_at", "at_ms"),
)


# Every signed-in request runs these two: one prepared statement each (Core's per-call
# bookkeeping was most of their cost), see `storage/prepared.py`.
_SIGNED_IN = Prepared(
    select(console_sessions.c.id.label("session_id"), console_sessions.c.seen_ms,
           operators.c.id, operators.c.username, operators.c.role,
           operators.c.all_communities, operators.c.session_epoch)
    .select_from(console_sessions.join(operators,
                                       operators.c.id == console_sessions.c.operator_id))
    .where(console_sessions.c.token_hash == bindparam("token_hash"),
           console_sessions.c.expires_ms > bindparam("now_ms"),
           operators.c.disabled == false()))
_SCOPE = Prepared(select(operator_communities.c.community_id)
                  .where(operator_communities.c.operator_id == bindparam("operator_id")))


def signed_in(conn: Connection, *, token_hash: str, now_ms: int) -> dict[str, Any] | None:
    """The enabled operator of an unexpired session, with the session's id and seen_ms."""
    return _SIGNED_IN.first(conn, {"token_hash": token_hash, "now_ms": now_ms})


def scope_of(conn: Connection, *, operator_id: int) -> set[int]:
    return {int(r[0]) for r in _SCOPE.rows(conn, {"operator_id": operator_id})}


def create(conn: Connection, *, token_hash: str, operator_id: int, now_ms: int,
           expires_ms: int, address: str, user_agent: str) -> int:
    inserted = conn.execute(console_sessions.insert().values(
        token_hash=token_hash, operator_id=operator_id, created_ms=now_ms, seen_ms=now_ms,
        expires_ms=expires_ms, address=address[:64], user_agent=user_agent[:200],
    ).returning(console_sessions.c.id))
    return int(inserted.scalar_one())


def by_hash(conn: Connection, *, token_hash: str, now_ms: int) -> dict[str, Any] | None:
    row = conn.execute(select(console_sessions).where(and_(
        console_sessions.c.token_hash == token_hash,
        console_sessions.c.expires_ms > now_ms))).mappings().first()
    return dict(row) if row else None


def touch(conn: Connection, *, session_id: int, now_ms: int) -> None:
    conn.execute(console_sessions.update().where(console_sessions.c.id == session_id)
                 .values(seen_ms=now_ms))


def delete_by_hash(conn: Connection, *, token_hash: str) -> None:
    conn.execute(console_sessions.delete().where(console_sessions.c.token_hash == token_hash))


def delete_one(conn: Connection, *, operator_id: int, session_id: int) -> int:
    result = conn.execute(console_sessions.delete().where(and_(
        console_sessions.c.id == session_id, console_sessions.c.operator_id == operator_id)))
    return int(result.rowcount or 0)


def delete_for_operator(conn: Connection, *, operator_id: int) -> int:
    result = conn.execute(
        console_sessions.delete().where(console_sessions.c.operator_id == operator_id))
    return int(result.rowcount or 0)


def delete_expired(conn: Connection, *, now_ms: int) -> None:
    conn.execute(console_sessions.delete().where(console_sessions.c.expires_ms <= now_ms))


def active(conn: Connection, *, now_ms: int) -> list[dict[str, Any]]:
    """Every unexpired session, most recently seen first (without the token hash)."""
    cols = [c for c in console_sessions.c if c.name != "token_hash"]
    rows = conn.execute(select(*cols).where(console_sessions.c.expires_ms > now_ms)
                        .order_by(console_sessions.c.seen_ms.desc())).mappings()
    return [dict(r) for r in rows]


def add_failure(conn: Connection, *, keys: list[str], now_ms: int, prune_before_ms: int) -> None:
    conn.execute(console_login_failures.delete().where(
        console_login_failures.c.at_ms < prune_before_ms))
    conn.execute(console_login_failures.insert(),
                 [{"key": key[:80], "at_ms": now_ms} for key in keys])


def failures_since(
    conn: Connection, *, key: str, since_ms: int,
) -> tuple[int, int | None, int | None]:
    """(count, first, last) of the failures counted against `key` since `since_ms`."""
    row = conn.execute(select(func.count(), func.min(console_login_failures.c.at_ms),
                              func.max(console_login_failures.c.at_ms)).where(and_(
        console_login_failures.c.key == key[:80],
        console_login_failures.c.at_ms >= since_ms))).one()
    return int(row[0]), (int(row[1]) if row[1] is not None else None), (
        int(row[2]) if row[2] is not None else None)


def clear_failures(conn: Connection, *, key: str) -> None:
    conn.execute(console_login_failures.delete().where(console_login_failures.c.key == key[:80]))

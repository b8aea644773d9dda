"""Repository: small durable key/value state for adapters (e.g. the Matrix sync token)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from qunyun.storage.sql import insert_ignore
from qunyun.storage.tables import adapter_state


def load(conn: Connection, *, key: str) -> str | None:
    return conn.execute(select(adapter_state.c.value).where(adapter_state.c.key == key)).scalar()


def save(conn: Connection, *, key: str, value: str, now_ms: int) -> None:
    conn.execute(
        insert_ignore(conn, adapter_state, "key"),
        {"key": key, "value": value, "updated_ms": now_ms},
    )
    conn.execute(
        adapter_state.update()
        .where(adapter_state.c.key == key)
        .values(value=value, updated_ms=now_ms)
    )


def claim(conn: Connection, *, key: str, value: str, now_ms: int) -> str:
    """Store `value` under `key` unless a value is there already; the stored one either
    way. Two processes claiming at once both get the first one's value."""
    conn.execute(
        insert_ignore(conn, adapter_state, "key"),
        {"key": key, "value": value, "updated_ms": now_ms},
    )
    stored = load(conn, key=key)
    return value if stored is None else stored


def forget(conn: Connection, *, key: str, value: str) -> None:
    """Drop `key` if it still holds `value` (a claim given up)."""
    conn.execute(adapter_state.delete().where(adapter_state.c.key == key,
                                              adapter_state.c.value == value))


def entries(conn: Connection, *, prefix: str, limit: int = 100) -> list[tuple[str, str]]:
    """Keys under `prefix` with their values, in key order (an adapter's inbox)."""
    rows = conn.execute(select(adapter_state.c.key, adapter_state.c.value)
                        .where(adapter_state.c.key.startswith(prefix, autoescape=True))
                        .order_by(adapter_state.c.key).limit(limit))
    return [(str(k), str(v)) for k, v in rows]


def add(conn: Connection, *, key: str, value: str, now_ms: int) -> None:
    """Store `value` under `key` unless the key is there already (idempotent)."""
    conn.execute(insert_ignore(conn, adapter_state, "key"),
                 {"key": key, "value": value, "updated_ms": now_ms})


def delete(conn: Connection, *, key: str) -> None:
    conn.execute(adapter_state.delete().where(adapter_state.c.key == key))

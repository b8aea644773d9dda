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

"""Dialect helpers shared by repositories: insert-or-ignore on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignore(conn: Connection, table: Table, *index: str) -> Any:
    """INSERT … ON CONFLICT (index) DO NOTHING for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(index) or None)
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(index) or None)

"""Dialect helpers shared by repositories: insert-or-ignore on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignore(conn: Connection, table: Table, *index: str) -> Any:
    """INSERT … ON CONFLICT (index) DO NOTHING for the connection's dialect."""
    return insert_ignore_for(conn.dialect.name, table, *index)


def insert_ignore_for(dialect: str, table: Table, *index: str) -> Any:
    """`insert_ignore` by dialect name (for statements compiled once per dialect)."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(index) or None)
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(index) or None)

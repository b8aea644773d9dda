"""Dialect helpers shared by repositories: insert-or-ignore and upsert on SQLite and
PostgreSQL. Each dialect's module is imported when a statement for it is built: loading
SQLAlchemy's PostgreSQL dialect costs a SQLite command ~17 ms at start (issue 12)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table


def insert_ignore(conn: Connection, table: Table, *index: str) -> Any:
    """INSERT … ON CONFLICT (index) DO NOTHING for the connection's dialect."""
    return insert_ignore_for(conn.dialect.name, table, *index)


def insert_ignore_for(dialect: str, table: Table, *index: str) -> Any:
    """`insert_ignore` by dialect name (for statements compiled once per dialect)."""
    return upsert_for(dialect)(table).on_conflict_do_nothing(index_elements=list(index) or None)


def upsert_for(dialect: str) -> Any:
    """The dialect's `insert` (the one with `on_conflict_do_…`): PostgreSQL's or SQLite's."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert

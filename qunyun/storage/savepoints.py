"""Savepoints issued straight on the driver connection (SQLite and PostgreSQL alike).

The dispatcher isolates every policy in a savepoint, seven or more per event on the live
path. SQLAlchemy's `begin_nested()` costs ~0.1 ms each in bookkeeping; the statements
themselves cost microseconds. These are plain `SAVEPOINT` / `RELEASE` / `ROLLBACK TO`
inside the transaction SQLAlchemy already opened, so its own state is unaffected.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection


def _raw(conn: Connection) -> Any:
    return conn.connection.driver_connection


class Savepoint:
    __slots__ = ("name", "raw")

    def __init__(self, conn: Connection, name: str) -> None:
        self.raw = _raw(conn)
        self.name = name
        self.raw.execute(f"SAVEPOINT {name}")

    def release(self) -> None:
        self.raw.execute(f"RELEASE SAVEPOINT {self.name}")

    def rollback(self) -> None:
        self.raw.execute(f"ROLLBACK TO SAVEPOINT {self.name}")
        self.raw.execute(f"RELEASE SAVEPOINT {self.name}")

"""Savepoints taken only when needed, issued straight on the driver connection.

The dispatcher isolates every policy in a savepoint: seven per event on the live path.
Most policies only read for most events, and a policy that wrote nothing has nothing to
roll back. So a `Savepoint` is *armed* when the policy starts, and the `SAVEPOINT`
statement goes out just before the policy's first write (an engine hook sees every
statement); release and rollback are no-ops when it never went out. SQLAlchemy's own
`begin_nested()` would cost ~0.1 ms each in bookkeeping even then. These are plain
`SAVEPOINT` / `RELEASE` / `ROLLBACK TO` inside the transaction SQLAlchemy already
opened, on SQLite and PostgreSQL alike, so its own state is unaffected.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakSet

from sqlalchemy import Connection, Engine, event

_ARMED = "qunyun_savepoint_armed"  # keys in the DBAPI connection's `info`
_TAKEN = "qunyun_savepoint_taken"
_hooked: WeakSet[Engine] = WeakSet()


def _before_statement(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
    if statement.lstrip()[:6].upper() != "SELECT":
        before_write(conn)


def before_write(conn: Connection) -> None:
    """Take the armed savepoint, if any, before the first write (statements that bypass
    SQLAlchemy's execution, `qunyun.storage.prepared`, call this themselves)."""
    info = conn.info
    name = info.get(_ARMED)
    if name and not info.get(_TAKEN):
        conn.connection.driver_connection.execute(f"SAVEPOINT {name}")  # type: ignore[union-attr]
        info[_TAKEN] = True


def _hook(engine: Engine) -> None:
    if engine not in _hooked:
        event.listen(engine, "before_cursor_execute", _before_statement)
        _hooked.add(engine)


class Savepoint:
    """One named savepoint, reusable: `arm` it when a unit of work starts, then call exactly
    one of `release` or `rollback` when that work ends (the dispatcher arms one per policy)."""

    __slots__ = ("conn", "info", "name")

    def __init__(self, conn: Connection, name: str) -> None:
        _hook(conn.engine)
        self.conn = conn
        self.info = conn.info
        self.name = name

    def arm(self) -> Savepoint:
        self.info[_ARMED] = self.name
        self.info[_TAKEN] = False
        return self

    def _end(self, *statements: str) -> None:
        info = self.info
        taken = info.get(_TAKEN)
        info[_ARMED] = None
        info[_TAKEN] = False
        if taken:
            raw = self.conn.connection.driver_connection
            for statement in statements:
                raw.execute(statement)  # type: ignore[union-attr]

    def release(self) -> None:
        self._end(f"RELEASE SAVEPOINT {self.name}")

    def rollback(self) -> None:
        self._end(f"ROLLBACK TO SAVEPOINT {self.name}", f"RELEASE SAVEPOINT {self.name}")

"""Hot statements compiled once per dialect and run straight on the driver's cursor.

The live bot runs a few statements per event (append to the event log, read a member's
onboarding state, write an audit entry, a points row). Through SQLAlchemy Core each
`execute` spends ~20 µs in bookkeeping (cache key, parameter processing, result proxy)
around ~10 µs of SQLite work, which made the statements most of the pipeline's cost.
A `Prepared` statement is the same Core construct, written once and portable, compiled
once per dialect; each call passes values straight to the DBAPI cursor. JSON columns are
serialised here (SQLite stores text; the PostgreSQL form carries its own `::JSON` cast).

Writes go through `savepoints.before_write` first, so a policy's lazy savepoint is taken
exactly as for any other statement. Driver errors surface unwrapped (sqlite3/psycopg
exceptions); the pipeline treats any exception alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Connection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from qunyun.storage import savepoints


class _Compiled:
    __slots__ = ("json_names", "names", "positional", "sql", "writes")

    def __init__(self, stmt: ClauseElement, conn: Connection, keys: Sequence[str] | None
                 ) -> None:
        compiled = stmt.compile(dialect=conn.dialect,
                                column_keys=list(keys) if keys is not None else None)
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        names = list(compiled.positiontup or []) if self.positional else list(compiled.binds)
        self.names = tuple(names)
        self.json_names = frozenset(
            name for name, bind in compiled.binds.items() if isinstance(bind.type, JSON))
        self.writes = self.sql.lstrip()[:6].upper() != "SELECT"


class Prepared:
    """One Core statement, or a function of the dialect name building it (for dialect
    constructs such as `ON CONFLICT`); `keys` names the columns an INSERT/UPDATE is given
    values for (every call passes all of them)."""

    def __init__(self, stmt: ClauseElement | Callable[[str], ClauseElement],
                 keys: Sequence[str] | None = None) -> None:
        self.stmt = stmt
        self.keys = tuple(keys) if keys is not None else None
        self._by_dialect: dict[str, _Compiled] = {}

    def _for(self, conn: Connection) -> _Compiled:
        dialect = conn.dialect.name
        compiled = self._by_dialect.get(dialect)
        if compiled is None:
            stmt = self.stmt if isinstance(self.stmt, ClauseElement) else self.stmt(dialect)
            compiled = self._by_dialect[dialect] = _Compiled(stmt, conn, self.keys)
        return compiled

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """Run with `params` (by bind name); returns the DBAPI cursor."""
        c = self._for(conn)
        if c.writes:
            savepoints.before_write(conn)
        if c.json_names:
            params = {k: (json.dumps(v, ensure_ascii=False)
                          if k in c.json_names and v is not None else v)
                      for k, v in params.items()}
        values: Any = tuple(params[n] for n in c.names) if c.positional else params
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(c.sql, values)
        return cursor

    def first(self, conn: Connection, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row as a dict of column name → value, or None."""
        cursor = self.execute(conn, params)
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cursor.description], row, strict=True))

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the first row, or None (e.g. `RETURNING id` on a conflict)."""
        row = self.execute(conn, params).fetchone()
        return row[0] if row is not None else None

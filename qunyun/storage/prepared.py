"""Hot statements compiled once per dialect and run straight on the driver's cursor.

The live bot runs a few statements per event (append to the event log, read a member's
onboarding state, write an audit entry, a points row). Through SQLAlchemy Core each
`execute` spends ~20 µs in bookkeeping (cache key, parameter processing, result proxy)
around ~10 µs of SQLite work, which made the statements most of the pipeline's cost.
A `Prepared` statement is the same Core construct, written once and portable, compiled
once per dialect; each call passes values straight to the DBAPI cursor. JSON columns are
serialised here (SQLite stores text; the PostgreSQL form carries its own `::JSON` cast).

The connection's transaction is begun first if it was not (as SQLAlchemy's autobegin
would), and writes go through `savepoints.before_write`, so a policy's lazy savepoint is
taken exactly as for any other statement. Driver errors surface unwrapped (sqlite3/psycopg
exceptions); the pipeline treats any exception alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Connection, bindparam
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from qunyun.storage import savepoints


class _Compiled:
    __slots__ = ("fixed", "json_columns", "json_names", "names", "positional", "sql", "writes")

    def __init__(self, stmt: ClauseElement, conn: Connection, keys: Sequence[str] | None
                 ) -> None:
        compiled = stmt.compile(dialect=conn.dialect,
                                column_keys=list(keys) if keys is not None else None)
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        names = list(compiled.positiontup or []) if self.positional else list(compiled.binds)
        self.names = tuple(names)
        # Literal values in the statement (`kind == "join"`, `LIMIT 1`) are binds too.
        self.fixed = {name: bind.effective_value for name, bind in compiled.binds.items()
                      if not bind.required}
        self.json_names = frozenset(
            name for name, bind in compiled.binds.items() if isinstance(bind.type, JSON))
        self.writes = self.sql.lstrip()[:6].upper() != "SELECT"
        # JSON columns a SELECT returns: SQLite hands them back as text (PostgreSQL's
        # driver parses them itself).
        selected = getattr(stmt, "selected_columns", None)
        self.json_columns = tuple(
            i for i, column in enumerate(selected if selected is not None else ())
            if isinstance(column.type, JSON)) if conn.dialect.name == "sqlite" else ()


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
        if not conn.in_transaction():
            conn.begin()  # what SQLAlchemy's autobegin would do (and emit BEGIN on SQLite)
        if c.writes:
            savepoints.before_write(conn)
        if c.fixed or c.json_names:
            params = {**c.fixed, **params}
            for key in c.json_names:
                value = params.get(key)
                if value is not None:
                    params[key] = json.dumps(value, ensure_ascii=False)
        values: Any = tuple(map(params.__getitem__, c.names)) if c.positional else params
        # sqlite3 and psycopg connections both have `execute` (a new cursor, returned).
        return conn.connection.driver_connection.execute(c.sql, values)  # type: ignore[union-attr]

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row as a tuple, JSON columns parsed."""
        c = self._for(conn)
        rows = [tuple(row) for row in self.execute(conn, params).fetchall()]
        if c.json_columns:
            rows = [_parsed(row, c.json_columns) for row in rows]
        return rows

    def dicts(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row as a dict of column name → value."""
        c = self._for(conn)
        cursor = self.execute(conn, params)
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        if c.json_columns:
            rows = [_parsed(tuple(row), c.json_columns) for row in rows]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def first(self, conn: Connection, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row as a dict of column name → value, or None."""
        found = self.dicts(conn, params)
        return found[0] if found else None

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the first row, or None (e.g. `RETURNING id` on a conflict)."""
        row = self.execute(conn, params).fetchone()
        if row is None:
            return None
        c = self._for(conn)
        return _parsed(tuple(row), c.json_columns)[0] if 0 in c.json_columns else row[0]


def _parsed(row: tuple[Any, ...], json_columns: tuple[int, ...]) -> tuple[Any, ...]:
    values = list(row)
    for i in json_columns:
        if isinstance(values[i], str):
            values[i] = json.loads(values[i])
    return tuple(values)


_UPDATES: dict[tuple[Any, tuple[str, ...]], Prepared] = {}


def update_by_id(table: Any, keys: Sequence[str]) -> Prepared:
    """`UPDATE table SET <keys> WHERE id = :row_id`, prepared once per set of columns."""
    wanted = (table, tuple(keys))
    found = _UPDATES.get(wanted)
    if found is None:
        stmt = table.update().where(table.c.id == bindparam("row_id")).values(
            {key: bindparam(key) for key in keys})
        found = _UPDATES[wanted] = Prepared(stmt)
    return found

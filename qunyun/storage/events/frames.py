"""Column-wise reads of the event log and member tables into Polars frames (analytics input).

The report reads millions of rows; fetching them as Python tuples costs more than all the
analysis after it. SQLite and PostgreSQL are read through ADBC, which hands Arrow columns
straight to Polars (about 3x faster than row fetching); any other database falls back
to the DB-API cursor. Reads are read-only and see committed data only.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import Engine

EVENT_COLUMNS = (
    "id", "group_id", "member_id", "kind", "ts_ms", "related_member_id", "ref_id",
    "source_event_id", "text",
)


def _adbc_connect(engine: Engine) -> Any | None:
    url = engine.url
    backend = url.get_backend_name()
    if backend == "sqlite" and url.database and url.database != ":memory:":
        import adbc_driver_sqlite.dbapi as sqlite_adbc

        return sqlite_adbc.connect(url.database)
    if backend == "postgresql":
        import adbc_driver_postgresql.dbapi as pg_adbc

        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return pg_adbc.connect(plain)
    return None


def text(engine: Engine, column: str) -> str:
    """A text column as the SELECT should name it.

    SQLite's ADBC driver infers each column's type from its first rows; a text column that
    starts with a thousand NULLs (joins have no text) is typed as an integer and the read
    fails when the first string arrives. Reading NULL as '' keeps the type, and
    `read_frame` turns '' back into null.
    """
    if engine.url.get_backend_name() == "sqlite":
        return f"COALESCE({column}, '')"
    return column


def read_frame(engine: Engine, sql: str, schema: dict[str, Any]) -> pl.DataFrame:
    """Run one SELECT and return its result as a frame with `schema`'s names and types.

    `sql` must only interpolate integers (callers pass ids through `int()`): ADBC drivers
    differ in parameter syntax, and these queries have no user text in them. Empty strings
    in text columns come back as null (see `text`).
    """
    strings = [name for name, kind in schema.items() if kind == pl.String]
    frame = _read(engine, sql, schema)
    return frame.with_columns(
        pl.when(pl.col(name) == "").then(None).otherwise(pl.col(name)).alias(name)
        for name in strings
    )


def _read(engine: Engine, sql: str, schema: dict[str, Any]) -> pl.DataFrame:
    conn = _adbc_connect(engine)
    if conn is not None:
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                frame = pl.DataFrame(cur.fetch_arrow())
        finally:
            conn.close()
        if frame.width == 0:
            return pl.DataFrame(schema=schema)
        frame.columns = list(schema)
        return frame.cast(schema)  # type: ignore[arg-type]
    with engine.connect() as sa_conn:
        rows = sa_conn.exec_driver_sql(sql).fetchall()
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def events(engine: Engine, *, community_id: int, with_text: bool = True) -> pl.DataFrame:
    """Every event of a community: ids, kind, time, the related member and reference."""
    text_col = text(engine, "text") if with_text else "''"
    sql = (
        f"SELECT id, group_id, member_id, kind, ts_ms, related_member_id, "
        f"{text(engine, 'ref_id')}, source_event_id, {text_col} "
        f"FROM events WHERE community_id = {int(community_id)} AND group_id NOT IN "
        # DMs with the bot and the admins' room are not community activity.
        f"(SELECT id FROM groups WHERE community_id = {int(community_id)} AND kind <> 'group')"
    )
    return read_frame(engine, sql, {
        "id": pl.Int64, "group_id": pl.Int32, "member_id": pl.Int32, "kind": pl.String,
        "ts_ms": pl.Int64, "related_member_id": pl.Int32, "ref_id": pl.String,
        "source_event_id": pl.String, "text": pl.String,
    })


def members(engine: Engine, *, community_id: int) -> pl.DataFrame:
    sql = (
        f"SELECT id, {text(engine, 'display_name')}, first_seen_ms, last_seen_ms FROM members "
        f"WHERE community_id = {int(community_id)}"
    )
    return read_frame(engine, sql, {
        "member_id": pl.Int32, "name": pl.String, "first_seen_ms": pl.Int64,
        "last_seen_ms": pl.Int64,
    })


def memberships(engine: Engine, *, community_id: int) -> pl.DataFrame:
    sql = (
        "SELECT m.group_id, m.member_id, m.joined_ms, m.left_ms, "
        "CASE WHEN m.active THEN 1 ELSE 0 END FROM memberships m "
        f"JOIN groups g ON g.id = m.group_id WHERE g.community_id = {int(community_id)} "
        "AND g.kind = 'group'"
    )
    return read_frame(engine, sql, {
        "group_id": pl.Int32, "member_id": pl.Int32, "joined_ms": pl.Int64,
        "left_ms": pl.Int64, "active": pl.Int8,
    })


def groups(engine: Engine, *, community_id: int) -> pl.DataFrame:
    sql = (
        f"SELECT id, platform, external_id, {text(engine, 'name')} FROM groups "
        f"WHERE community_id = {int(community_id)} AND kind = 'group' ORDER BY id"
    )
    return read_frame(engine, sql, {
        "group_id": pl.Int32, "platform": pl.String, "external_id": pl.String,
        "name": pl.String,
    })


def identities(engine: Engine, *, community_id: int) -> pl.DataFrame:
    sql = (
        "SELECT member_id, platform, external_id FROM identities "
        f"WHERE community_id = {int(community_id)}"
    )
    return read_frame(engine, sql, {
        "member_id": pl.Int32, "platform": pl.String, "external_id": pl.String,
    })

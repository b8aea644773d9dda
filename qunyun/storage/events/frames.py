"""Column-wise reads of the event log and member tables into Polars frames (analytics input).

The report reads millions of rows; fetching them as Python tuples costs more than all the
analysis after it. SQLite and PostgreSQL are read through ADBC, which hands Arrow columns
straight to Polars (about 3x faster than row fetching); any other database falls back
to the DB-API cursor. Reads are read-only and see committed data only.

A report reads through one `Reader`: one connection and one snapshot for all its queries,
so a log read in chunks (`event_chunks`, `messages_between`) is as consistent as one read
in a single query while an import is running. Chunks keep the report's memory bounded:
the log's texts are never all in memory at once (see `qunyun.analytics.log`).
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine

EVENT_COLUMNS = (
    "id", "group_id", "member_id", "kind", "ts_ms", "related_member_id", "ref_id",
    "source_event_id", "text",
)
EVENT_SCHEMA: dict[str, Any] = {
    "id": pl.Int64, "group_id": pl.Int32, "member_id": pl.Int32, "kind": pl.String,
    "ts_ms": pl.Int64, "related_member_id": pl.Int32, "ref_id": pl.String,
    "source_event_id": pl.String, "text": pl.String,
}


SQLITE_BATCH_ROWS = "adbc.sqlite.query.batch_rows"


# ADBC's SQLite connections are handed back here after a read, never closed. ADBC links
# its own copy of SQLite, which does not know about the Python driver's connections to
# the same file in this process (POSIX locks are per process): when the last of *its*
# connections closed, it checkpointed and deleted the -wal and -shm files under the
# Python driver's open connections, whose later commits went to an unlinked file (one
# process running several commands on one file ended in "database disk image is
# malformed"; a console building reports beside its writes is such a process).
_IDLE_SQLITE: dict[tuple[str, int, int], list[Any]] = {}
_IDLE_LOCK = threading.Lock()
IDLE_FILES = 8


def _close_idle() -> None:
    """At exit, while the driver can still close them (after, their finalizers ran with
    the modules half torn down and printed errors)."""
    with _IDLE_LOCK:
        kept = [c for connections in _IDLE_SQLITE.values() for c in connections]
        _IDLE_SQLITE.clear()
    for connection in kept:
        connection.close()


atexit.register(_close_idle)


def _file_key(database: str) -> tuple[str, int, int]:
    """The file, by path and inode: a database deleted and made anew at the same path is
    another file, and connections to the old one must not be handed out for it."""
    path = os.path.realpath(database)
    try:
        info = os.stat(path)
    except OSError:
        return path, 0, 0
    return path, info.st_dev, info.st_ino


def _adbc_connect(engine: Engine) -> Any | None:
    url = engine.url
    backend = url.get_backend_name()
    if backend == "sqlite" and url.database and url.database != ":memory:":
        import adbc_driver_sqlite.dbapi as sqlite_adbc

        with _IDLE_LOCK:
            idle = _IDLE_SQLITE.get(_file_key(url.database))
            if idle:
                return idle.pop()
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


class Reader:
    """One read-only connection and snapshot for every query of one report.

    On SQLite the ADBC connection's open transaction pins one WAL snapshot; on PostgreSQL
    the transaction is REPEATABLE READ, so each statement sees the same data.
    """

    def __init__(self, engine: Engine, *, held: pl.DataFrame | None = None) -> None:
        self.engine = engine
        self._adbc: Any | None = None
        self._sa: Connection | None = None
        # The community's whole log, as an import in this process just wrote it: the
        # event reads below answer from it instead of the database (see `HeldLog`).
        self.held = held

    def __enter__(self) -> Reader:
        # With a held log the few reads left go through the engine's own driver: ADBC
        # links a second copy of SQLite, blind to the locks of this process's other
        # connections to the file (POSIX locks are per process), and `qunyun import
        # --report` builds the log's indexes on one of those while the report reads
        # (`storage.events.indexes`): a reader the writer cannot see may find the WAL
        # checkpointed under it.
        sqlite_held = self.held is not None and self.engine.url.get_backend_name() == "sqlite"
        self._adbc = None if sqlite_held else _adbc_connect(self.engine)
        if self._adbc is None:
            self._sa = self.engine.connect()
        elif self.engine.url.get_backend_name() == "postgresql":
            with self._adbc.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._adbc is not None:
            connection, self._adbc = self._adbc, None
            sqlite = self.engine.url.get_backend_name() == "sqlite"
            try:
                connection.rollback()
            except BaseException:
                connection.close()  # not known to be clean: never handed out again
                raise
            if sqlite:  # kept for the next read (see _IDLE_SQLITE)
                with _IDLE_LOCK:
                    key = _file_key(str(self.engine.url.database))
                    _IDLE_SQLITE.setdefault(key, []).append(connection)
                    _IDLE_SQLITE[key] = _IDLE_SQLITE.pop(key)  # the most recent last
                    while len(_IDLE_SQLITE) > IDLE_FILES:  # a process that read many
                        # files (a test run): the one read longest ago is let go
                        for stale in _IDLE_SQLITE.pop(next(iter(_IDLE_SQLITE))):
                            stale.close()
            else:
                connection.close()
        if self._sa is not None:
            self._sa.close()
            self._sa = None

    def text(self, column: str) -> str:
        return text(self.engine, column)

    def frame(self, sql: str, schema: dict[str, Any]) -> pl.DataFrame:
        """Run one SELECT; its result as a frame with `schema`'s names and types.

        `sql` must only interpolate integers (callers pass ids through `int()`): ADBC
        drivers differ in parameter syntax, and these queries have no user text in them.
        Empty strings in text columns come back as null (see `text`).
        """
        frame = self._raw(sql, schema)
        strings = [name for name, kind in schema.items() if kind == pl.String]
        if not strings:
            return frame
        return frame.with_columns(
            pl.when(pl.col(name) == "").then(None).otherwise(pl.col(name)).alias(name)
            for name in strings
        )

    def _raw(self, sql: str, schema: dict[str, Any]) -> pl.DataFrame:
        if self._adbc is not None:
            with self._adbc.cursor() as cur:
                if self.engine.url.get_backend_name() == "sqlite":
                    # 64k rows per Arrow batch (the driver's default is 1,024): a log of
                    # ten million events is then ~150 chunks per column, not ~10,000,
                    # and every column operation after the read walks fewer of them.
                    cur.adbc_statement.set_options(**{SQLITE_BATCH_ROWS: "65536"})
                cur.execute(sql)
                frame = pl.DataFrame(cur.fetch_arrow())
            if frame.width == 0 or frame.height == 0:
                return pl.DataFrame(schema=schema)
            frame.columns = list(schema)
            # Polars adopts the driver's Arrow batch without copying, and any one column
            # kept alive keeps the whole batch (texts included) alive. Columns the cast
            # leaves as they are get a buffer of their own, so dropping a chunk frees it.
            same = [name for name, kind in schema.items() if frame.schema[name] == kind
                    and kind.is_numeric()]
            return frame.cast(schema).with_columns(  # type: ignore[arg-type]
                (pl.col(name) + 0).alias(name) for name in same)
        assert self._sa is not None
        rows = self._sa.exec_driver_sql(sql).fetchall()
        return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


HELD_COLUMNS = ("group_id", "member_id", "kind", "ts_ms", "related_member_id", "ref_id",
                "source_event_id", "text")
HOLD_AT_MOST = 2_000_000  # events: past this the import keeps nothing (texts are held)


class HeldLog:
    """The frames one import wrote, kept in this process so `qunyun import --report` need
    not read them back (issue 12: ~10% of the command). `log` answers only when the
    whole event log is exactly those rows: the import inserted every one (no duplicate
    ignored) into a log that held no other events, so the ids are a contiguous run in
    frame order. Otherwise (None, e.g. beside other communities' events) the report reads
    the database as usual."""

    def __init__(self) -> None:
        self.parts: list[pl.DataFrame] = []
        self.rows = 0
        self.complete = True  # False once past HOLD_AT_MOST: nothing is kept

    def add(self, frame: pl.DataFrame) -> None:
        if not self.complete:
            return
        self.rows += frame.height
        if self.rows > HOLD_AT_MOST:
            self.parts, self.complete = [], False
            return
        self.parts.append(frame.select(HELD_COLUMNS))

    def log(self, engine: Engine, *, community_id: int, inserted: int) -> pl.DataFrame | None:
        """The rows with their ids, as the database now holds them, or None."""
        if not self.complete or inserted != self.rows or not self.rows:
            return None
        # The ids are unique, and this import's rows are among them: when the log's ids
        # span just as many, they are all it holds. MIN and MAX(id) read the two ends of
        # the table, where a COUNT of the community's rows would read all of it while its
        # member indexes are still being built (~40 ms at 200k events). Through the
        # engine's own driver, as the held report reads (see `Reader`).
        with engine.connect() as conn:
            low, high = conn.exec_driver_sql("SELECT MIN(id), MAX(id) FROM events").one()
            if low is None or high - low + 1 != self.rows or conn.exec_driver_sql(
                    f"SELECT community_id FROM events WHERE id = {int(low)}").scalar() \
                    != community_id:
                return None
        strings = [name for name in HELD_COLUMNS if EVENT_SCHEMA[name] == pl.String]
        return pl.concat(self.parts).with_columns(
            # What a read gives: empty strings as null (see `Reader.frame`).
            pl.when(pl.col(name) == "").then(None).otherwise(pl.col(name)).alias(name)
            for name in strings
        ).with_row_index("id", offset=low).with_columns(pl.col("id").cast(pl.Int64))


def _held(reader: Reader, community_id: int, until_ms: int | None) -> pl.DataFrame | None:
    """The held log restricted as the SQL reads restrict it (community groups, as_of)."""
    if reader.held is None:
        return None
    other = reader.frame(f"SELECT id FROM groups WHERE community_id = {int(community_id)} "
                         "AND kind <> 'group'", {"id": pl.Int32})["id"]
    log = reader.held
    keep = pl.col("group_id").is_null() | ~pl.col("group_id").is_in(other.implode())
    if until_ms is not None:
        keep &= pl.col("ts_ms") <= until_ms
    return log.filter(keep)


def read_frame(engine: Engine, sql: str, schema: dict[str, Any]) -> pl.DataFrame:
    """One SELECT on a connection of its own (see `Reader.frame`)."""
    with Reader(engine) as reader:
        return reader.frame(sql, schema)


def _one(source: Engine | Reader, sql_of: Any, schema: dict[str, Any]) -> pl.DataFrame:
    if isinstance(source, Reader):
        return source.frame(sql_of(source), schema)
    with Reader(source) as reader:
        return reader.frame(sql_of(reader), schema)


def events(engine: Engine, *, community_id: int, with_text: bool = True) -> pl.DataFrame:
    """Every event of a community, every column the analytics know, in one frame.

    The whole log in memory, texts included: for tools and tests on small logs. The report
    reads `event_chunks`, `references` and `messages_between` instead.
    """
    text_col = text(engine, "text") if with_text else "''"
    sql = (
        f"SELECT id, group_id, member_id, kind, ts_ms, related_member_id, "
        f"{text(engine, 'ref_id')}, source_event_id, {text_col} "
        f"FROM events WHERE community_id = {int(community_id)}{_in_groups(community_id)} "
        "ORDER BY id"
    )
    return read_frame(engine, sql, EVENT_SCHEMA)


def _until(until_ms: int | None) -> str:
    return f" AND ts_ms <= {int(until_ms)}" if until_ms is not None else ""


def _in_groups(community_id: int) -> str:
    """Only events of community groups: DMs with the bot and the admins' room are not
    community activity (events without a group stay)."""
    return (" AND (group_id IS NULL OR group_id NOT IN (SELECT id FROM groups "
            f"WHERE community_id = {int(community_id)} AND kind <> 'group'))")


def event_chunks(reader: Reader, *, community_id: int, until_ms: int | None = None,
                 chunk_ids: int = 1_000_000) -> Iterator[pl.DataFrame]:
    """The community's events without their texts or reply ids, in id order, one frame per
    `chunk_ids` ids: group_id, member_id, kind, ts_ms, related_member_id, source_event_id.

    Chunks are primary-key ranges (a range scan on both backends), so at most one chunk of
    raw rows is in memory while the caller compacts the previous ones.
    """
    held = _held(reader, community_id, until_ms)
    if held is not None:
        if held.height:
            yield held.select("group_id", "member_id", "kind", "ts_ms", "related_member_id",
                              "source_event_id")
        return
    bounds = reader.frame("SELECT MIN(id), MAX(id) FROM events",
                          {"low": pl.Int64, "high": pl.Int64})
    if bounds.height == 0 or bounds["low"][0] is None:
        return
    low, high = int(bounds["low"][0]), int(bounds["high"][0])
    schema = {name: EVENT_SCHEMA[name] for name in (
        "group_id", "member_id", "kind", "ts_ms", "related_member_id", "source_event_id")}
    for start in range(low, high + 1, chunk_ids):
        sql = (
            "SELECT group_id, member_id, kind, ts_ms, related_member_id, source_event_id "
            f"FROM events WHERE id >= {int(start)} AND id < {int(start + chunk_ids)} "
            f"AND community_id = {int(community_id)}{_until(until_ms)}"
            f"{_in_groups(community_id)}"
        )
        chunk = reader.frame(sql, schema)
        if chunk.height:
            yield chunk


def references(reader: Reader, *, community_id: int,
               until_ms: int | None = None) -> pl.DataFrame:
    """Events that refer to another (replies, reactions, recalls, red-packet grabs), in id
    order: group_id, member_id, kind, ts_ms, ref_id. A fraction of the log."""
    held = _held(reader, community_id, until_ms)
    if held is not None:
        return held.filter(pl.col("ref_id").is_not_null()).select(
            "group_id", "member_id", "kind", "ts_ms", "ref_id")
    sql = (
        f"SELECT group_id, member_id, kind, ts_ms, {reader.text('ref_id')} FROM events "
        f"WHERE community_id = {int(community_id)} AND ref_id IS NOT NULL{_until(until_ms)}"
        f"{_in_groups(community_id)} ORDER BY id"
    )
    return reader.frame(sql, {
        "group_id": pl.Int32, "member_id": pl.Int32, "kind": pl.String, "ts_ms": pl.Int64,
        "ref_id": pl.String,
    })


def _like(word: str, *, leading: bool) -> str:
    """`text LIKE …` for `word` at the start (`leading`) or anywhere, with quotes doubled
    and the LIKE wildcards escaped."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = ("" if leading else "%") + escaped.replace("'", "''") + "%"
    column = "LTRIM(text)" if leading else "text"
    return f"{column} LIKE '{pattern}' ESCAPE '\\'"


def led_or_holding(reader: Reader, *, community_id: int, prefixes: Sequence[str],
                   words: Sequence[str], until_ms: int | None = None) -> pl.DataFrame:
    """Authored messages that start with one of `prefixes` (after spaces) or hold one of
    `words`, with their texts: group_id, member_id, ts_ms, text. A prefilter that passes at
    least every such message (the caller applies the exact rule); few messages pass."""
    schema: dict[str, Any] = {"group_id": pl.Int32, "member_id": pl.Int32,
                              "ts_ms": pl.Int64, "text": pl.String}
    tests = [_like(p, leading=True) for p in prefixes if p] + [
        _like(w, leading=False) for w in words if w]
    if not tests:
        return pl.DataFrame(schema=schema)
    held = _held(reader, community_id, until_ms)
    if held is not None:
        text = pl.col("text").fill_null("")
        hit = pl.any_horizontal(
            *[text.str.strip_chars_start().str.starts_with(p) for p in prefixes if p],
            *[text.str.contains(w, literal=True) for w in words if w])
        return held.filter(pl.col("kind") == "message", pl.col("member_id").is_not_null(),
                           hit).select(list(schema))
    sql = (
        f"SELECT group_id, member_id, ts_ms, {reader.text('text')} FROM events "
        f"WHERE community_id = {int(community_id)} AND kind = 'message' "
        f"AND member_id IS NOT NULL{_until(until_ms)}{_in_groups(community_id)} "
        f"AND ({' OR '.join(tests)})"
    )
    return reader.frame(sql, schema)


def messages_between(reader: Reader, *, community_id: int, group_ids: Sequence[int],
                     start_ms: int, end_ms: int, with_refs: bool = False) -> pl.DataFrame:
    """Authored messages with start_ms <= ts_ms <= end_ms, with their texts:
    id, group_id, member_id, ts_ms, text (and ref_id, source_event_id with `with_refs`).

    Served by the (group_id, ts_ms) index, so reading a few days of a long log is cheap;
    rows come in index order (sort by id where the order matters).
    """
    schema: dict[str, Any] = {"id": pl.Int64, "group_id": pl.Int32, "member_id": pl.Int32,
                              "ts_ms": pl.Int64, "text": pl.String}
    cols = f"id, group_id, member_id, ts_ms, {reader.text('text')}"
    if with_refs:
        schema |= {"ref_id": pl.String, "source_event_id": pl.String}
        cols += f", {reader.text('ref_id')}, source_event_id"
    if not group_ids:
        return pl.DataFrame(schema=schema)
    if reader.held is not None:
        # In the order SQLite's (group_id, ts_ms) index gives them.
        return reader.held.filter(
            pl.col("group_id").is_in(list(group_ids)), pl.col("ts_ms") >= start_ms,
            pl.col("ts_ms") <= end_ms, pl.col("kind") == "message",
            pl.col("member_id").is_not_null(),
        ).sort("group_id", "ts_ms", "id").select(list(schema))
    groups = ", ".join(str(int(g)) for g in group_ids)
    sql = (
        f"SELECT {cols} FROM events WHERE community_id = {int(community_id)} "
        f"AND group_id IN ({groups}) AND ts_ms >= {int(start_ms)} AND ts_ms <= {int(end_ms)} "
        "AND kind = 'message' AND member_id IS NOT NULL"
    )
    return reader.frame(sql, schema)


def members(source: Engine | Reader, *, community_id: int) -> pl.DataFrame:
    return _one(source, lambda r: (
        f"SELECT id, {r.text('display_name')}, first_seen_ms, last_seen_ms FROM members "
        f"WHERE community_id = {int(community_id)}"
    ), {
        "member_id": pl.Int32, "name": pl.String, "first_seen_ms": pl.Int64,
        "last_seen_ms": pl.Int64,
    })


def memberships(source: Engine | Reader, *, community_id: int) -> pl.DataFrame:
    return _one(source, lambda r: (
        "SELECT m.group_id, m.member_id, m.joined_ms, m.left_ms, "
        "CASE WHEN m.active THEN 1 ELSE 0 END FROM memberships m "
        f"JOIN groups g ON g.id = m.group_id WHERE g.community_id = {int(community_id)} "
        "AND g.kind = 'group'"
    ), {
        "group_id": pl.Int32, "member_id": pl.Int32, "joined_ms": pl.Int64,
        "left_ms": pl.Int64, "active": pl.Int8,
    })


def groups(source: Engine | Reader, *, community_id: int) -> pl.DataFrame:
    return _one(source, lambda r: (
        f"SELECT id, platform, external_id, {r.text('name')} FROM groups "
        f"WHERE community_id = {int(community_id)} AND kind = 'group' ORDER BY id"
    ), {
        "group_id": pl.Int32, "platform": pl.String, "external_id": pl.String,
        "name": pl.String,
    })


def identities(source: Engine | Reader, *, community_id: int) -> pl.DataFrame:
    return _one(source, lambda r: (
        "SELECT member_id, platform, external_id FROM identities "
        f"WHERE community_id = {int(community_id)}"
    ), {
        "member_id": pl.Int32, "platform": pl.String, "external_id": pl.String,
    })

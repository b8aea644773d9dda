"""Engine factory: which database, how it is tuned, and one clear line when it is unreachable.

The URL comes from the caller, else `QUNYUN_DB`, else a SQLite file in the working
directory. SQLite runs in WAL mode so the console can read while the bot writes.

`writing(engine)` is a transaction that will write: on SQLite it starts with
`BEGIN IMMEDIATE`, taking the one write lock first (waiting up to the busy timeout for
it). A plain `BEGIN` that reads, then writes, fails at once with "database is locked"
whenever another connection (the bot, another console worker) committed in between —
SQLite cannot move a reader's snapshot forward — so the console's writes and the bot's
(the pipeline, the adapters' claims and deliveries, plan reloads) use `writing`.
On PostgreSQL it is an ordinary transaction.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

DEFAULT_URL = "sqlite:///qunyun.db"


class DatabaseUnavailable(RuntimeError):
    """The database URL is malformed or the server cannot be reached. str() is one line."""


def database_url(url: str | None = None) -> str:
    chosen = url or os.environ.get("QUNYUN_DB") or DEFAULT_URL
    # Accept the URLs people paste (postgres://, postgresql://) and use psycopg 3 for them.
    for prefix in ("postgres://", "postgresql://"):
        if chosen.startswith(prefix):
            return "postgresql+psycopg://" + chosen[len(prefix):]
    return chosen


def _tune_sqlite(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite opens transactions on its own schedule, which breaks SAVEPOINT (used to
    # isolate each policy's writes); take that over and emit BEGIN ourselves.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # A new database gets 16 KiB pages instead of 4 KiB (an existing file keeps the size it
    # was created with: SQLite fixes it then, so this must come before journal_mode). The
    # event log's rows and index entries are small and many: a 200k-message import's merge
    # and commit took ~20% less CPU (issue 12, BENCHMARKS.md).
    cur.execute("PRAGMA page_size=16384")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    # 256 MB page cache (default 2 MB): the event log's indexes outgrow the default at
    # ~100k events and every insert then re-reads index pages.
    cur.execute("PRAGMA cache_size=-262144")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


_IMMEDIATE = "qunyun_begin_immediate"


def _begin_sqlite(conn: Any) -> None:
    immediate = conn.get_execution_options().get(_IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """`engine.begin()` for a transaction that writes (see the module docstring)."""
    with engine.connect() as conn:
        conn.execution_options(**{_IMMEDIATE: True})
        with conn.begin():
            yield conn


def make_engine(url: str | None = None, *, check: bool = True) -> Engine:
    """Create the engine; with `check`, connect once so a bad URL fails here, in one line."""
    raw = database_url(url)
    try:
        parsed = make_url(raw)
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"数据库地址无效 / invalid database URL {raw!r}: {exc}") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseUnavailable(
            f"不支持的数据库 / unsupported database {backend!r}: qunyun 只支持 SQLite 和 "
            "PostgreSQL（sqlite:///文件 或 postgresql://用户@主机/库名）/ only SQLite and "
            "PostgreSQL are supported")
    if backend == "postgresql" and not parsed.database:
        # psycopg would silently connect to the user's default database (often `postgres`)
        # and the schema would be created there.
        raise DatabaseUnavailable(
            "PostgreSQL 地址缺少数据库名 / the PostgreSQL URL names no database: "
            f"{parsed.render_as_string(hide_password=True)} — 例如 e.g. "
            "postgresql://postgres@127.0.0.1:5432/qunyun")
    kwargs: dict[str, Any] = {}
    if backend == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": 5}
        kwargs["pool_pre_ping"] = True
        from qunyun.storage.tables import for_postgresql

        for_postgresql()  # the partial indexes' predicates (see `tables.partial_index`)
    try:
        engine = create_engine(parsed, **kwargs)
    except (ImportError, NoSuchModuleError) as exc:  # e.g. postgresql+psycopg2:// (not installed)
        raise DatabaseUnavailable(
            f"不支持的数据库驱动 / unsupported database driver {parsed.drivername!r}: {exc}; "
            "请用 use sqlite:/// 或 or postgresql://") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _tune_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
    if check:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except (OperationalError, DBAPIError) as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            shown = parsed.render_as_string(hide_password=True)
            raise DatabaseUnavailable(
                f"无法连接数据库 / cannot reach database {shown}: {reason}"
            ) from None
    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def write_errors() -> tuple[type[BaseException], ...]:
    """What a write can fail with for reasons outside qunyun (a full disk, a locked file, a
    lost server): commands show these as one line, not a traceback."""
    import sqlite3

    import adbc_driver_manager
    import psycopg

    return (OSError, sqlite3.Error, DBAPIError, adbc_driver_manager.Error, psycopg.Error)

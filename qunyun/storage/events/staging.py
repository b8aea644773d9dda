"""Bulk loading of event-log rows: an import's frames into `events`, inside the import's
transaction, idempotent on (source, source_event_id, community_id).

Rows go first into a staging table the database fills at its own speed, then into the
event log with one `INSERT … SELECT` that skips what is already there:
- SQLite: an ADBC connection writes the frames (Arrow, no Python per row) into scratch
  database files beside nothing else; the import's connection ATTACHes each and merges it
  as soon as it is complete (so the merges overlap the reading of the next batches).
  The scratch file is not the event log: if the import dies, only the scratch file is
  left (in the temp directory), and the event log saw nothing.
- PostgreSQL: a TEMP table on the import's own connection, filled with COPY from the
  frame's CSV (Polars writes it natively); it is dropped at the end of the transaction.
- Otherwise (an in-memory SQLite, or a caller who already holds a transaction the
  scratch file could not be detached after): the driver's executemany, row by row.
Either way every row reaches `events` inside the caller's transaction (SQLite's early
merges and `merge` alike), so a failed or interrupted import leaves the event log as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection

from qunyun.storage.events import log as eventlog
from qunyun.storage.events.indexes import DEFERRED_INDEXES

COLUMNS = eventlog.BULK_COLUMNS
_NAMES = ", ".join(COLUMNS)


class Staging:
    """Where an import's rows wait for `merge`. `close` after the transaction ended."""

    def append(self, frame: pl.DataFrame) -> None:
        raise NotImplementedError

    def merge(self) -> int:
        """Move the staged rows into `events`; the number that were new."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what staging holds (after the caller's commit or rollback)."""

    @property
    def unbuilt(self) -> list[str]:
        """CREATE INDEX statements `merge` left for after the commit (`indexes_after_commit`):
        the caller runs them (`storage.events.indexes.IndexBuild`) once it committed."""
        return []


class _DirectRows(Staging):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sources: set[str] = set()
        self.before = 0

    def append(self, frame: pl.DataFrame) -> None:
        new_sources = set(frame["source"].unique().to_list()) - self.sources
        if new_sources:
            # What was there before this run, per source, so `merge` returns the true count.
            self.before += eventlog.count_by_source(self.conn, sources=sorted(new_sources))
            self.sources |= new_sources
        eventlog.append_many(self.conn, rows=list(frame.select(COLUMNS).iter_rows()))

    def merge(self) -> int:
        return eventlog.count_by_source(self.conn, sources=sorted(self.sources)) - self.before


class _SqliteScratch(Staging):
    """Batches go into scratch files, written by ADBC in a thread of its own, and each file
    is merged as soon as it is complete, while the next one is written: ADBC and SQLite
    release the GIL, so on two cores the writing of one batch, the merge of the one before
    (SQLite maintaining the log's indexes) and the caller's reading of the next overlap
    (issue 12). A file, once read by the import's transaction, cannot be detached before
    the commit, and SQLite attaches at most 10 databases: the first files take one batch
    each, later ones 2, 4, 8 …, and the last takes every batch left."""

    ALIAS = "qunyun_staging"
    FILES = 8  # scratch files attached at most (SQLITE_MAX_ATTACHED is 10)

    def __init__(self, conn: Connection, *, indexes_after_commit: bool = False) -> None:
        self.conn = conn
        self.indexes_after_commit = indexes_after_commit
        _remove_leftovers()
        self.dir = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-"))
        self.adbc: Any = None  # the current file's ADBC connection, used by the writer only
        self.writer: ThreadPoolExecutor | None = None
        self.files = 0  # scratch files begun
        self.batches = 0  # in the current file
        self.writes: list[Future[None]] = []  # the current file's, in order
        self.queued: list[Future[None]] = []  # writes not known to be done
        self.complete: list[tuple[Path, list[Future[None]]]] = []  # written, not merged
        self.attached: list[str] = []  # aliases, in order
        self.inserted = 0
        # The log's member indexes, taken off while an empty log is filled and built
        # again before the commit (`_defer_indexes`); None until the first merge decides.
        self.deferred: list[str] | None = None
        self.checkpoint_off = False  # wal_autocheckpoint turned off on `conn` (see `close`)

    def _quota(self) -> int:
        """How many batches the current file takes before it is merged."""
        k = self.files - 1
        if k == self.FILES - 1:
            return 1 << 62  # the last file: everything left
        return 1 << max(0, k - 3)

    def _path(self, k: int) -> Path:
        return self.dir / f"staging{k}.db"

    def _write(self, k: int, frame: pl.DataFrame) -> None:  # in the writer thread
        if self.adbc is None:
            import adbc_driver_sqlite.dbapi as sqlite_adbc

            self.adbc = sqlite_adbc.connect(str(self._path(k)), autocommit=True)
            with self.adbc.cursor() as cur:  # scratch: nothing to recover if we die
                cur.execute("PRAGMA page_size=16384")
                cur.execute("PRAGMA journal_mode=OFF")
                cur.execute("PRAGMA synchronous=OFF")
        with self.adbc.cursor() as cur:
            cur.adbc_ingest("staging", frame, mode="create_append")

    def _close_file(self) -> None:  # in the writer thread
        if self.adbc is not None:
            self.adbc.close()
            self.adbc = None

    def append(self, frame: pl.DataFrame) -> None:
        if self.writer is None:
            self.writer = ThreadPoolExecutor(1, thread_name_prefix="qunyun-staging")
        if not self.batches:
            self.files += 1
        # At most one batch waits for the writer: its frames are not piled up in memory
        # when SQLite writes more slowly than the batches come.
        self.queued = [w for w in self.queued if not w.done()]
        while len(self.queued) > 1:
            self.queued.pop(0).result()
        write = self.writer.submit(self._write, self.files - 1, frame.select(COLUMNS))
        self.writes.append(write)
        self.queued.append(write)
        self.batches += 1
        ended = self.batches >= self._quota()
        if ended:
            self._end_file()
        # Every complete file but one this batch ended (still being written: merged at the
        # next append or at `merge`) is merged now.
        while len(self.complete) > int(ended):
            self._merge_next()

    def _end_file(self) -> None:
        assert self.writer is not None
        self.writes.append(self.writer.submit(self._close_file))
        self.complete.append((self._path(self.files - 1), self.writes))
        self.writes, self.batches = [], 0

    def _merge_next(self) -> None:
        """The oldest complete scratch file into `events`, in the caller's transaction."""
        path, writes = self.complete.pop(0)
        for write in writes:
            write.result()  # what the writer raised is raised here
        alias = f"{self.ALIAS}{len(self.attached)}"
        driver = self.conn.connection.driver_connection
        assert driver is not None
        if self.deferred is None:
            self.deferred = _defer_indexes(driver)
            if self.deferred and self.indexes_after_commit:
                # The commit then leaves the WAL as it is, and the index build's commit,
                # in its own thread beside the caller's next work, checkpoints it (~0.08 s
                # of the 200k-message import's commit, off the command's path; issue 12).
                driver.execute("PRAGMA wal_autocheckpoint=0")
                self.checkpoint_off = True
        driver.execute(f"ATTACH DATABASE ? AS {alias}", (str(path),))
        self.attached.append(alias)
        cur = driver.execute(f"INSERT OR IGNORE INTO events ({_NAMES}) "
                             f"SELECT {_NAMES} FROM {alias}.staging ORDER BY rowid")
        self.inserted += int(cur.rowcount)

    def merge(self) -> int:
        if self.batches:
            self._end_file()
        while self.complete:
            self._merge_next()
        if self.deferred and not self.indexes_after_commit:
            driver = self.conn.connection.driver_connection
            assert driver is not None
            for create in self.deferred:  # in the import's transaction, as it was
                driver.execute(create)
            self.deferred = []
        return self.inserted

    @property
    def unbuilt(self) -> list[str]:
        return list(self.deferred or [])

    def close(self) -> None:
        try:
            if self.writer is not None:
                self.writer.shutdown(wait=True, cancel_futures=True)
            self._close_file()
            if self.attached:
                driver = self.conn.connection.driver_connection
                assert driver is not None
                for alias in self.attached:
                    driver.execute(f"DETACH DATABASE {alias}")
                if self.checkpoint_off:  # the pool hands the connection out again
                    driver.execute("PRAGMA wal_autocheckpoint=1000")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def _defer_indexes(driver: Any) -> list[str]:
    """When the event log is empty (a new database's first import), its indexes keyed by
    member are dropped here and built again by `merge` from the same SQL, all in the
    import's transaction (a failed import rolls the drop back with the rest), or, with
    `indexes_after_commit`, by the caller after its commit: building an
    index from the filled table sorts once, where keeping it while the rows go in inserts
    into it at a random place for each row. The 200k-message import's merges took 1.17
    CPU-seconds with every index kept, 0.51 + 0.38 to build these two after (SQLite
    alone; issue 12, BENCHMARKS.md), and the 0.51 overlap the reading. A log that holds
    events keeps its indexes (rebuilding them would cost more than the import). These are
    the indexes keyed by member: an import's rows reach them in file order, that is at
    random places in member order, where the other indexes take them nearly in key order."""
    if driver.execute("SELECT EXISTS (SELECT 1 FROM events)").fetchone()[0]:
        return []
    marks = ", ".join("?" * len(DEFERRED_INDEXES))
    found = driver.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' "
        f"AND name IN ({marks}) ORDER BY name", DEFERRED_INDEXES).fetchall()
    for name, _ in found:
        driver.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


_PREFIX = "qunyun-import-"


def _remove_leftovers() -> None:
    """Scratch directories of imports whose process is gone (killed with SIGKILL, so its
    `close` never ran): the directory name carries the owner's pid."""
    for leftover in Path(tempfile.gettempdir()).glob(f"{_PREFIX}*"):
        pid = leftover.name[len(_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(leftover, ignore_errors=True)
        except (PermissionError, OverflowError):
            continue  # alive, someone else's


class _PostgresCopy(Staging):
    TABLE = "qunyun_staging"

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.created = False

    def append(self, frame: pl.DataFrame) -> None:
        driver: Any = self.conn.connection.driver_connection
        with driver.cursor() as cur:
            if not self.created:
                cur.execute(
                    f"CREATE TEMP TABLE {self.TABLE} (seq BIGSERIAL, source TEXT, "
                    "source_event_id TEXT, community_id INTEGER, group_id INTEGER, "
                    "member_id INTEGER, kind TEXT, ts_ms BIGINT, text TEXT, "
                    "related_member_id INTEGER, ref_id TEXT, payload TEXT) ON COMMIT DROP")
                self.created = True
            # CSV as Polars writes it: a null is an empty field, an empty string is "".
            data = frame.select(COLUMNS).write_csv(include_header=False)
            with cur.copy(f"COPY {self.TABLE} ({_NAMES}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(data)

    def merge(self) -> int:
        if not self.created:
            return 0
        driver: Any = self.conn.connection.driver_connection
        picked = _NAMES.replace("payload", "payload::json")
        with driver.cursor() as cur:
            cur.execute(f"INSERT INTO events ({_NAMES}) SELECT {picked} FROM {self.TABLE} "
                        f"ORDER BY seq ON CONFLICT ({', '.join(eventlog.DEDUPE_KEY)}) DO NOTHING")
            inserted = int(cur.rowcount)
            cur.execute(f"DROP TABLE {self.TABLE}")
        self.created = False
        return inserted


def open_staging(conn: Connection, *, owns_transaction: bool,
                 indexes_after_commit: bool = False) -> Staging:
    """Staging for rows written on `conn`. `owns_transaction`: the caller commits right after
    `merge` and then calls `close` (what lets SQLite use its scratch file).
    `indexes_after_commit`: indexes a first import dropped are not built again by `merge`
    but left in `unbuilt`, for the caller to build once it committed."""
    if conn.dialect.name == "postgresql":
        return _PostgresCopy(conn)
    database = conn.engine.url.database
    if conn.dialect.name == "sqlite" and owns_transaction and database not in (None, "",
                                                                              ":memory:"):
        return _SqliteScratch(conn, indexes_after_commit=indexes_after_commit)
    return _DirectRows(conn)

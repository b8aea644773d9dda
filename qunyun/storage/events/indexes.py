"""The event log's member indexes when a first import built them after its commit (issue 12).

A new database's first import fills `events` without its indexes keyed by member (see
`staging.DEFERRED_INDEXES`: building them from the filled table sorts once). `qunyun
import --report` commits the events first and builds those indexes in a transaction of
their own, in a thread, while the report is computed beside it: the build is SQLite's own
work with the GIL released, so on two cores the two overlap (the 200k-message import's
builds took ~0.2 s, the report ~0.4 s). The events are committed either way; until the
build commits, the indexes are missing, which makes some lookups slower, never wrong.
If the process dies before that (a kill, a power cut), `restore_missing` builds them at
the next start (`app.open_database`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import Engine

from qunyun.storage.engine import writing

# Indexes of `events` an import may leave for later; their SQL comes from the schema.
DEFERRED_INDEXES = ("ix_events_member", "ix_events_member_imported")


def if_not_exists(create: str) -> str:
    """A `CREATE INDEX …` statement (as sqlite_master keeps it) that is a no-op when the
    index is already there: two processes restoring at once, or a build after a restore."""
    head = "CREATE INDEX "
    if create.upper().startswith(head) and "IF NOT EXISTS" not in create.upper():
        return f"CREATE INDEX IF NOT EXISTS {create[len(head):]}"
    return create


class IndexBuild:
    """`statements` (CREATE INDEX …) run in one transaction, in a thread, on a connection
    of their own. `wait` returns when they are committed and raises what they raised."""

    def __init__(self, engine: Engine, statements: list[str]) -> None:
        self.engine = engine
        self.statements = [if_not_exists(s) for s in statements]
        self.error: BaseException | None = None
        self._driver: object | None = None
        self._lock = threading.Lock()
        self._cancelled = False
        self._thread = threading.Thread(target=self._run, name="qunyun-indexes", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with writing(self.engine) as conn:
                with self._lock:
                    self._driver = conn.connection.driver_connection
                    cancelled = self._cancelled
                if cancelled:
                    raise KeyboardInterrupt
                for create in self.statements:
                    conn.exec_driver_sql(create)
        except BaseException as exc:  # handed to `wait`, in the caller's thread
            self.error = exc
        finally:
            with self._lock:
                self._driver = None

    def done(self) -> bool:
        return not self._thread.is_alive()

    def cancel(self) -> None:
        """Stop the build (its transaction rolls back; `restore_missing` builds it later)."""
        with self._lock:
            self._cancelled = True
            driver = self._driver
        interrupt = getattr(driver, "interrupt", None)
        if callable(interrupt):
            interrupt()

    def wait(self, stop: Callable[[], bool] | None = None) -> None:
        """Until the build is committed. `stop` (a Ctrl-C noted by the caller) cancels it
        and raises KeyboardInterrupt; so does a Ctrl-C that reaches this thread."""
        try:
            while self._thread.is_alive():
                self._thread.join(0.05)
                if stop is not None and stop():
                    raise KeyboardInterrupt
        except KeyboardInterrupt:
            self.cancel()
            self._thread.join()
            raise
        if self.error is not None:
            raise self.error


def missing(engine: Engine) -> list[str]:
    """The deferred indexes a SQLite event log lacks (none on other databases)."""
    if engine.dialect.name != "sqlite":
        return []
    marks = ", ".join("?" * len(DEFERRED_INDEXES))
    with engine.connect() as conn:
        if not conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").first():
            return []
        found = {row[0] for row in conn.exec_driver_sql(
            f"SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ({marks})",
            DEFERRED_INDEXES)}
    return [name for name in DEFERRED_INDEXES if name not in found]


def restore_missing(engine: Engine) -> list[str]:
    """Build the deferred indexes an interrupted import left unbuilt; their names."""
    names = missing(engine)
    if not names:
        return []
    from sqlalchemy.schema import CreateIndex

    from qunyun.storage.tables import events

    declared = {str(index.name): index for index in events.indexes}
    IndexBuild(engine, [str(CreateIndex(declared[name], if_not_exists=True).compile(
        dialect=engine.dialect)) for name in names]).wait()
    return names

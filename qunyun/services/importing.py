"""Importing a chat export: events from a parser into the event log, all or nothing.

One file is one transaction: a truncated export, a parse error half-way, a database
error or Ctrl-C rolls everything back, so the database is never half-written; since
recording is idempotent, re-running the same import (or a later, overlapping export)
adds only what is new — that is how an interrupted import resumes.

`import_into` (the CLI's path) reads the export in a thread of its own, a couple of batches
ahead of the writes (`event_batch.prefetched`): the reading is Python, the writing mostly
SQLite's and ADBC's own work with the GIL released, so on two cores they overlap. (A
writer thread for the per-event path of an earlier design was measured and dropped: its
GIL hand-offs made a million-event import slower.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from sqlalchemy import Connection, Engine

from qunyun.event_batch import BATCH, EventBatch, batched, prefetched
from qunyun.events import Event
from qunyun.services import audit
from qunyun.services.ingest import EventRecorder, RecordCounts
from qunyun.storage.community import communities as community_repo
from qunyun.storage.events.frames import HeldLog
from qunyun.storage.events.indexes import IndexBuild
from qunyun.storage.events.staging import open_staging


def import_batches(
    engine: Engine,
    *,
    community_id: int,
    batches: Iterable[EventBatch],
    on_progress: Callable[[int], None] | None = None,
) -> RecordCounts:
    """Record an export's batches in one transaction. Raises whatever the parser or the
    database raised, and then nothing of the file is in the database."""
    with engine.connect() as conn:
        staging = open_staging(conn, owns_transaction=True)
        try:
            with conn.begin():
                return EventRecorder(community_id=community_id).record_batches(
                    conn, batches, staging=staging, on_batch=on_progress)
        finally:
            staging.close()


class Imported(NamedTuple):
    """What `import_into` did: the community, the counts, and the index build it left
    running (`index_beside`), or None."""

    community_id: int
    counts: RecordCounts
    indexing: IndexBuild | None


Trace = Callable[[Connection, int, RecordCounts], None]


def import_into(
    engine: Engine,
    *,
    community: int | str,
    batches: Iterable[EventBatch],
    on_progress: Callable[[int], None] | None = None,
    stop: Callable[[], bool] | None = None,
    hold: HeldLog | None = None,
    name: str | None = None,
    trace: Trace | None = None,
    index_beside: bool = False,
) -> Imported:
    """`import_batches` into a community given by id, or by the slug of one to create: then
    it is created in the import's own transaction, so a failed import into an empty
    database leaves no community behind. A created community is called `name` (the chat's
    name in the export) where there is one; the slug stays its command-line id. `stop` is
    asked between batches and before the commit (a Ctrl-C the caller noted): when it says
    so, KeyboardInterrupt is raised there, in Python, and the transaction rolls back
    cleanly. `trace(conn, community_id, counts)` writes the import's record (the audit
    log's) in the same transaction, so there is one exactly when the events are there.

    A new database's first import on SQLite builds the event log's member indexes after
    the events (`staging`); by default before its commit. With `index_beside` it commits
    first and leaves the build running in a thread (`Imported.indexing`: the caller
    `wait`s for it), so the caller's next work overlaps it (`qunyun import --report`,
    issue 12; `storage.events.indexes`)."""
    with engine.connect() as conn:
        staging = open_staging(conn, owns_transaction=True, indexes_after_commit=index_beside)
        try:
            with conn.begin():
                if isinstance(community, str):
                    community_id = community_repo.get_or_create_community(
                        conn, slug=community, name=_name(name) or community, now_ms=0)
                else:
                    community_id = community
                # The export is read in a thread of its own, ahead of the writes (which
                # stay here, on this connection): on two cores they overlap (issue 12).
                counts = EventRecorder(community_id=community_id).record_batches(
                    conn, _checked(prefetched(batches), stop), staging=staging,
                    on_batch=on_progress, hold=hold)
                if trace is not None:
                    trace(conn, community_id, counts)
                if stop is not None and stop():
                    raise KeyboardInterrupt
            unbuilt = staging.unbuilt
        finally:
            staging.close()
    return Imported(community_id, counts, IndexBuild(engine, unbuilt) if unbuilt else None)


def _name(name: str | None) -> str | None:
    """The export's chat name as a community's name: trimmed, None when it says nothing."""
    if name is None:
        return None
    name = " ".join(name.split())[:255]
    return name or None


def _checked(batches: Iterable[EventBatch], stop: Callable[[], bool] | None
             ) -> Iterator[EventBatch]:
    for batch in batches:
        if stop is not None and stop():
            raise KeyboardInterrupt
        yield batch


def import_events(
    engine: Engine,
    *,
    community_id: int,
    events: Iterable[Event],
    on_progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH,
) -> RecordCounts:
    """`import_batches` for a stream of event objects."""
    return import_batches(engine, community_id=community_id,
                          batches=batched(events, size=batch_size), on_progress=on_progress)


def record_import_run(
    conn: Connection, *, community_id: int, file: str, fmt: str, counts: RecordCounts,
    skipped: int, operator: str = "cli",
) -> None:
    """Leave a trace of the import in the audit log (what was read, from where), on `conn`
    (the import's own transaction: `import_into`'s `trace`)."""
    audit.record_operator_action(
        conn, community_id=community_id, operator=operator, action="import",
        reason=f"导入聊天记录 {file}",  # the console reads it back in English
        evidence={"file": file, "format": fmt, "read": counts.seen,
                  "new": counts.inserted, "already_known": counts.duplicates,
                  "by_kind": counts.by_kind, "skipped_lines": skipped},
    )

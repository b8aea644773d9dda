"""An export is read in a thread of its own, a batch ahead of the writer: what the reader
raises still fails the file (nothing written), and a writer that stops early stops it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from qunyun.event_batch import EventBatch
from qunyun.importers.detect import open_export
from qunyun.services.importing import import_batches, read_ahead
from tests.importers import generators
from tests.importers.helpers import community


def _events(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())


def test_an_error_while_reading_fails_the_file_and_writes_nothing(
        engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_bytes(generators.telegram("current", n=200)[0])
    parsed = open_export(path)

    def broken_after_the_first() -> Iterator[EventBatch]:
        for batch in parsed.batches:
            yield batch
            raise ValueError("the reader broke")

    cid = community(engine)
    with pytest.raises(ValueError, match="the reader broke"):
        import_batches(engine, community_id=cid, batches=broken_after_the_first())
    assert _events(engine) == 0


def test_a_writer_that_stops_early_stops_the_reader() -> None:
    made: list[int] = []

    def endless() -> Iterator[int]:
        n = 0
        while True:
            made.append(n)
            yield n
            n += 1

    before = {t.ident for t in threading.enumerate()}
    items = read_ahead(endless())
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    items.close()
    assert len(made) <= 5  # at most one ahead, plus the one it was making
    assert all(t.ident in before for t in threading.enumerate())  # the reader has ended

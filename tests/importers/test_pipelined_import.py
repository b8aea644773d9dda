"""`qunyun import` reads the export in a thread of its own while the database merges the
batches already read (issue 12: the import + report of a big export in less wall time on
two cores). What an operator relies on stays as it was: the same rows as a one-merge,
one-thread import, each file all or nothing, a re-import adds nothing."""

from __future__ import annotations

import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qunyun.cli import app
from qunyun.event_batch import EventBatch, Refs, prefetched
from qunyun.samples import write_telegram_export

ENV = {"QUNYUN_PROGRESS": "0"}
# Tables an import writes, with the columns compared row by row (ids included where the
# import assigns them in a fixed order; memberships and nicknames by content).
BY_ID = {
    "events": "*", "members": "*", "identities": "*", "groups": "*", "communities": "*",
}
BY_CONTENT = {
    "memberships": "group_id, member_id, joined_ms, left_ms, active",
    "nicknames": "member_id, group_id, nickname, at_ms",
}


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Joins, leaves, reactions and service messages among 700 messages of 60 senders.
    return write_telegram_export(tmp_path_factory.mktemp("tg") / "result.json", messages=700,
                                 senders=60, days=40, seed=5)


def _import(db: Path, *args: str) -> Any:
    result = CliRunner().invoke(app, ["import", *args, "--db", f"sqlite:///{db}",
                                      "--community", "c"], env=ENV)
    return result


def _rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(db) as conn:
        out = {t: conn.execute(f"SELECT {cols} FROM {t} ORDER BY 1").fetchall()
               for t, cols in BY_ID.items()}
        out |= {t: sorted(conn.execute(f"SELECT {cols} FROM {t}").fetchall(), key=repr)
                for t, cols in BY_CONTENT.items()}
    return out


def _summary(output: str) -> list[str]:
    """What the import printed for the file, without its title (path, time taken)."""
    return [line for line in output.splitlines() if "→" not in line]


COLUMNS = ("source", "source_event_id", "kind", "ts_ms", "group", "actor", "name", "related",
           "text", "ref_id", "payload")


def _small_batches(monkeypatch: pytest.MonkeyPatch, size: int = 16) -> None:
    """The Telegram reader's batches cut into batches of `size` events (it yields one per
    50,000): a small export then goes through many scratch files."""
    from qunyun.importers import telegram

    real = telegram._batches

    def small(*args: Any, **kwargs: Any) -> Iterator[EventBatch]:
        for batch in real(*args, **kwargs):
            for start in range(0, len(batch), size):
                part = EventBatch(batch.refs)
                for name in COLUMNS:
                    getattr(part, name).extend(getattr(batch, name)[start:start + size])
                yield part

    monkeypatch.setattr(telegram, "_batches", small)


def _one_merge_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """The import as it was before: read in the caller's thread, merged once at the end."""
    from qunyun.services import importing
    from qunyun.storage.events import staging

    monkeypatch.setattr(importing, "prefetched", lambda batches: batches)
    monkeypatch.setattr(staging._SqliteScratch, "FILES", 1)


def test_the_pipelined_import_writes_the_rows_a_one_merge_import_writes(
        tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Batches of 16 events: ~50 batches, so the scratch files take 1, 1, 1, 1, 2, 4, 8
    # batches and the last one the rest, each merged while the next batches are read.
    from qunyun.storage.events import staging

    _small_batches(monkeypatch)
    merged: list[int] = []  # batches in each scratch file, as it is merged
    real_merge = staging._SqliteScratch._merge_next

    def counted(self: Any) -> None:
        merged.append(len(self.complete[0][1]) - 1)  # its writes, and closing it
        real_merge(self)

    monkeypatch.setattr(staging._SqliteScratch, "_merge_next", counted)
    piped = _import(tmp_path / "piped.db", str(export))
    assert piped.exit_code == 0, piped.output
    assert merged[:7] == [1, 1, 1, 1, 2, 4, 8] and len(merged) == 8  # the last: the rest
    with monkeypatch.context() as m:
        _one_merge_one_thread(m)
        single = _import(tmp_path / "single.db", str(export))
    assert single.exit_code == 0, single.output
    rows = _rows(tmp_path / "piped.db")
    assert len(rows["events"]) > 700 and {r[6] for r in rows["events"]} >= {
        "message", "join", "leave", "reaction"}
    assert rows == _rows(tmp_path / "single.db")
    assert _summary(piped.output) == _summary(single.output)

    again = _import(tmp_path / "piped.db", str(export))
    assert again.exit_code == 0, again.output
    with sqlite3.connect(tmp_path / "piped.db") as conn:
        (evidence,) = conn.execute("SELECT evidence FROM audit_log ORDER BY id DESC").fetchone()
    assert '"new": 0' in evidence and f'"already_known": {len(rows["events"])}' in evidence
    assert _rows(tmp_path / "piped.db") == rows


def test_a_failure_after_early_merges_leaves_nothing_of_the_file(
        tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches merged into the log before the failure are rolled back with the rest: no
    events, no members, no community, no scratch directory."""
    from qunyun.importers import telegram

    _small_batches(monkeypatch)
    real = telegram._batches

    def failing(*args: Any, **kwargs: Any) -> Iterator[EventBatch]:
        for n, batch in enumerate(real(*args, **kwargs)):
            if n == 12:  # six scratch files merged by now
                raise RuntimeError("the parser broke here")
            yield batch

    monkeypatch.setattr(telegram, "_batches", failing)
    db = tmp_path / "q.db"
    before = set(Path(tempfile.gettempdir()).glob("qunyun-import-*"))
    result = _import(db, str(export))
    assert result.exit_code == 1
    assert "the parser broke here" in result.output and "没有写入任何数据" in result.output
    with sqlite3.connect(db) as conn:
        for table in ("events", "members", "communities", "memberships", "nicknames"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
    assert set(Path(tempfile.gettempdir()).glob("qunyun-import-*")) <= before


def _batches(n: int, fail_at: int | None = None) -> Iterator[EventBatch]:
    refs = Refs()
    for i in range(n):
        if i == fail_at:
            raise ValueError(f"bad batch {i}")
        batch = EventBatch(refs)
        batch.add_message("test", f"k{i}", i, 0, 0, None, "hi", None, None)
        yield batch


def test_prefetched_gives_every_batch_in_order_and_raises_where_the_reader_failed() -> None:
    assert [b.source_event_id for b in prefetched(_batches(7))] == [[f"k{i}"] for i in range(7)]
    seen: list[str] = []
    with pytest.raises(ValueError, match="bad batch 3"):
        for batch in prefetched(_batches(7, fail_at=3)):
            seen.extend(batch.source_event_id)
    assert seen == ["k0", "k1", "k2"]


def test_prefetched_stops_its_reader_when_the_caller_stops() -> None:
    read: list[int] = []

    def endless() -> Iterator[EventBatch]:
        refs = Refs()
        i = 0
        while True:
            read.append(i)
            yield EventBatch(refs)
            i += 1

    threads = threading.active_count()
    batches = prefetched(endless(), ahead=2)
    for n, _batch in enumerate(batches):
        if n == 3:
            break
    batches.close()
    assert threading.active_count() == threads  # the reader thread has ended
    assert len(read) <= 3 + 1 + 2 + 1  # never more than `ahead` past the caller

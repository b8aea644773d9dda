"""New SQLite databases get 16 KiB pages (issue 12: the import's merge and commit cost ~20%
less CPU); a database made before keeps the page size it was created with and opens and
imports as before."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from qunyun.app import open_database
from qunyun.importers.detect import open_export
from qunyun.samples import write_telegram_export
from qunyun.services.importing import import_into


def _page_size(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA page_size").fetchone()[0])


def test_a_new_database_has_16_kib_pages_in_wal_mode(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    open_database(f"sqlite:///{db}").dispose()
    assert _page_size(db) == 16384
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_database_with_4_kib_pages_keeps_them_and_imports(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:  # as qunyun created it before: 4 KiB, WAL
        conn.execute("PRAGMA page_size=4096")
        conn.execute("PRAGMA journal_mode=WAL")
    engine = open_database(f"sqlite:///{db}")
    export = write_telegram_export(tmp_path / "result.json", messages=300, senders=20, days=10)
    counts = import_into(engine, community="c", batches=open_export(export).batches).counts
    engine.dispose()
    assert counts.inserted == counts.seen > 300
    assert _page_size(db) == 4096
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == counts.inserted

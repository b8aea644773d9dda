"""ADBC's SQLite and Python's sqlite3 on one database file in one process: the report's
reads (ADBC) must never delete the WAL under the writers' open connections (that made
"database disk image is malformed" of a file that several commands used in one process,
as a console does when it builds reports beside its writes)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy import text
from typer.testing import CliRunner

from qunyun.cli import app
from qunyun.storage.engine import make_engine
from qunyun.storage.events import frames
from qunyun.storage.migrate import upgrade


def test_a_read_leaves_the_wal_of_open_writers_in_place(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    engine = make_engine(url)
    upgrade(engine)
    try:
        with engine.begin() as conn:  # the pool keeps this connection open
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        wal = tmp_path / "q.db-wal"
        assert wal.exists()
        frames.read_frame(engine, "SELECT COUNT(*) FROM events", {"n": pl.Int64})
        assert wal.exists()
        for i in range(50):
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (:i)"), {"i": i})
    finally:
        engine.dispose()
    again = make_engine(url)
    try:
        with again.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM t")).scalar_one() == 50
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    finally:
        again.dispose()


def test_several_commands_in_one_process_keep_the_file_whole(tmp_path: Path) -> None:
    from qunyun.samples import write_telegram_export

    url = f"sqlite:///{tmp_path / 'q.db'}"
    first = write_telegram_export(tmp_path / "a.json", messages=600, senders=30, days=10)
    second = write_telegram_export(tmp_path / "b.json", messages=300, senders=20, days=5,
                                   seed=9)
    runner = CliRunner()
    env = {"QUNYUN_PROGRESS": "0"}
    for args in (["import", str(first), "--report", str(tmp_path / "r1")],
                 ["report", "--out", str(tmp_path / "r2")],
                 ["import", str(first), "--report", str(tmp_path / "r3")],
                 ["report", "--out", str(tmp_path / "r4")],
                 ["import", str(second), "--report", str(tmp_path / "r5")],
                 ["report", "--out", str(tmp_path / "r6")]):
        result = runner.invoke(app, [*args, "--db", url, "--community", "c"], env=env)
        assert result.exit_code == 0, (args[0], result.output, result.exception)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
            messages = conn.execute(text(
                "SELECT COUNT(*) FROM events WHERE kind = 'message'")).scalar_one()
    finally:
        engine.dispose()
    # Every command saw the same log (the sample exports share a chat and message ids,
    # so the second adds nothing new): nothing was lost between them.
    import orjson

    for out in ("r1", "r2", "r3", "r4", "r5", "r6"):
        report = orjson.loads((tmp_path / out / "report.json").read_bytes())
        assert report["community"]["messages"] == messages == 600

"""A new database's first import builds the event log's member indexes after its rows are
in, inside the import's transaction (issue 12: the merge into an empty log in less CPU),
or, with `--report`, after its commit, beside the report. What an operator relies on:
the log ends with every index a new schema has, holding every row (the console's member
pages and `!积分` read them), the same rows as an import that kept the indexes, one record
of the import in the audit log exactly when its events are there, and a failed import
leaves the schema as it was; indexes a killed or failed build left out are built again
at the next start."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qunyun.app import open_database
from qunyun.cli import app
from qunyun.samples import write_telegram_export
from qunyun.storage.events import indexes, staging

ENV = {"QUNYUN_PROGRESS": "0"}


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_telegram_export(tmp_path_factory.mktemp("tg") / "result.json", messages=500,
                                 senders=40, days=20, seed=3)


def _import(db: Path, export: Path) -> Any:
    return CliRunner().invoke(app, ["import", str(export), "--db", f"sqlite:///{db}",
                                    "--community", "c"], env=ENV)


def _indexes(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                            "AND tbl_name = 'events' ORDER BY name").fetchall()


def _events(db: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT * FROM events ORDER BY id").fetchall()


def test_the_first_import_ends_with_every_index_holding_every_row(
        tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = tmp_path / "fresh.db"
    open_database(f"sqlite:///{fresh}").dispose()
    deferred = tmp_path / "deferred.db"
    assert _import(deferred, export).exit_code == 0
    with monkeypatch.context() as m:
        m.setattr(staging, "DEFERRED_INDEXES", ())  # every index kept while the rows go in
        kept = tmp_path / "kept.db"
        assert _import(kept, export).exit_code == 0
    assert {name for name, _ in _indexes(fresh)} >= set(staging.DEFERRED_INDEXES)
    assert _indexes(deferred) == _indexes(kept) == _indexes(fresh)
    assert len(_events(deferred)) > 500 and _events(deferred) == _events(kept)
    with sqlite3.connect(deferred) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        member = conn.execute("SELECT member_id FROM events WHERE kind = 'message' "
                              "LIMIT 1").fetchone()[0]
        for index in staging.DEFERRED_INDEXES:  # every row is in the rebuilt index
            (n,) = conn.execute(f"SELECT count(*) FROM events INDEXED BY {index} "
                                "WHERE member_id = ? AND kind = 'message' "
                                "AND source LIKE 'import:%'", (member,)).fetchone()
            (all_rows,) = conn.execute("SELECT count(*) FROM events NOT INDEXED WHERE "
                                       "member_id = ? AND kind = 'message' AND source "
                                       "LIKE 'import:%'", (member,)).fetchone()
            assert n == all_rows > 0


def test_a_second_import_keeps_the_indexes_and_adds_nothing(
        tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "q.db"
    assert _import(db, export).exit_code == 0
    before, indexes = _events(db), _indexes(db)
    dropped: list[str] = []
    real = staging._defer_indexes
    monkeypatch.setattr(staging, "_defer_indexes",
                        lambda driver: dropped.extend(real(driver)) or [])
    again = _import(db, export)
    assert again.exit_code == 0, again.output
    assert dropped == [] and _indexes(db) == indexes and _events(db) == before


def test_a_failed_first_import_leaves_the_schema_and_writes_nothing(
        tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "q.db"
    open_database(f"sqlite:///{db}").dispose()
    schema = _indexes(db)
    real = staging._SqliteScratch._merge_next
    merges: list[int] = []

    def merge_then_fail(self: Any) -> None:
        real(self)
        merges.append(1)
        if len(merges) == 2:  # the member indexes are dropped by now
            raise RuntimeError("the disk broke here")

    monkeypatch.setattr(staging._SqliteScratch, "_merge_next", merge_then_fail)
    result = _import(db, export)
    assert result.exit_code == 1 and "the disk broke here" in result.output
    assert _indexes(db) == schema and _events(db) == []


def _audit(db: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT action, community_id FROM audit_log").fetchall()


def test_import_with_report_builds_the_indexes_beside_the_report(
        tmp_path: Path, export: Path) -> None:
    fresh = tmp_path / "fresh.db"
    open_database(f"sqlite:///{fresh}").dispose()
    db, out = tmp_path / "q.db", tmp_path / "report"
    result = CliRunner().invoke(app, ["import", str(export), "--db", f"sqlite:///{db}",
                                      "--community", "c", "--report", str(out)], env=ENV)
    assert result.exit_code == 0, result.output
    assert (out / "report.html").exists() and (out / "report.json").exists()
    assert _indexes(db) == _indexes(fresh)
    assert _audit(db) == [("import", 1)]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_indexes_a_killed_build_left_out_are_built_at_the_next_start(
        tmp_path: Path, export: Path) -> None:
    db = tmp_path / "q.db"
    assert _import(db, export).exit_code == 0
    built = _indexes(db)
    with sqlite3.connect(db) as conn:  # as a process killed between commit and build
        for name in indexes.DEFERRED_INDEXES:
            conn.execute(f"DROP INDEX {name}")
    assert indexes.missing(open_database(f"sqlite:///{db}")) == []
    assert _indexes(db) == built


def test_a_failed_build_beside_the_report_is_said_and_heals(
        tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db, out = tmp_path / "q.db", tmp_path / "report"
    real_run = indexes.IndexBuild._run

    def broken(self: Any) -> None:
        self.statements = ["CREATE INDEX ix_broken ON no_such_table (x)"]
        real_run(self)

    with monkeypatch.context() as m:
        m.setattr(indexes.IndexBuild, "_run", broken)
        result = CliRunner().invoke(app, ["import", str(export), "--db", f"sqlite:///{db}",
                                          "--community", "c", "--report", str(out)], env=ENV)
    assert result.exit_code == 0, result.output
    assert "the events are all written" in result.output and "Traceback" not in result.output
    assert (out / "report.html").exists() and len(_events(db)) > 500
    assert {name for name, _ in _indexes(db)}.isdisjoint(indexes.DEFERRED_INDEXES)
    open_database(f"sqlite:///{db}").dispose()  # the next start
    assert {name for name, _ in _indexes(db)} >= set(indexes.DEFERRED_INDEXES)


def test_a_failed_import_leaves_no_record_of_itself(
        tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "q.db"
    real = staging._SqliteScratch.merge

    def fail(self: Any) -> int:
        real(self)
        raise RuntimeError("the disk broke at the end")

    monkeypatch.setattr(staging._SqliteScratch, "merge", fail)
    result = _import(db, export)
    assert result.exit_code == 1 and "the disk broke at the end" in result.output
    assert _events(db) == [] and _audit(db) == []


def test_ctrl_c_during_the_report_keeps_the_events_and_says_what_to_run(
        tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first Ctrl-C after the events are committed stops the report at once (it is not
    noted and ignored as during the import's batches): exit 130, the events and their audit
    record kept, the command that writes the report named, the indexes whole by the next
    start."""
    from qunyun.cli import report as report_cmd

    db, out = tmp_path / "q.db", tmp_path / "report"
    whole = tmp_path / "whole.db"
    assert _import(whole, export).exit_code == 0

    def pressed(*_args: Any, **_kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(report_cmd, "full_report", pressed)
    result = CliRunner().invoke(app, ["import", str(export), "--db", f"sqlite:///{db}",
                                      "--community", "c", "--report", str(out)], env=ENV)
    assert result.exit_code == 130, result.output
    assert "the events are all written" in result.output
    assert "qunyun report" in result.output and str(out) in result.output
    assert "Traceback" not in result.output
    assert _events(db) == _events(whole) and _audit(db) == [("import", 1)]
    open_database(f"sqlite:///{db}").dispose()  # the next start
    assert _indexes(db) == _indexes(whole)

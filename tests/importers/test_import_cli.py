"""`qunyun import` as an operator meets it (issue 12): per-file reports with skipped lines
grouped by reason, --strict, one file's failure never stopping the others, Ctrl-C, and
nothing left behind by a failed import (no community row, no scratch directory)."""

from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from qunyun.cli import app
from qunyun.storage.engine import DatabaseUnavailable, make_engine
from tests.importers import generators

ENV = {"QUNYUN_PROGRESS": "0"}


def _import(db: str, *args: str) -> Any:
    return CliRunner().invoke(app, ["import", *args, "--db", db], env=ENV)


def _count(db: str, sql: str) -> int:
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    qq = tmp_path / "qq.txt"
    qq.write_bytes(generators.qq()[0])  # 3 header-like lines skipped
    tg = tmp_path / "result.json"
    tg.write_bytes(generators.telegram("current")[0])
    broken = tmp_path / "broken.json"
    broken.write_bytes(tg.read_bytes()[:100])
    return {"qq": qq, "telegram": tg, "broken": broken}


def test_skipped_lines_are_grouped_by_reason(tmp_path: Path, files: dict[str, Path]) -> None:
    db = f"sqlite:///{tmp_path / 'q.db'}"
    result = _import(db, str(files["qq"]))
    assert result.exit_code == 0, result.output
    grouped = [line for line in result.output.splitlines() if line.startswith("  跳过 skipped")]
    assert len(grouped) == 2 and all("3 行" in line for line in grouped)
    assert "no known layout" in grouped[0] + grouped[1]


def test_a_qq_header_with_a_bad_date_is_reported_as_a_bad_date_with_file_and_line(
        tmp_path: Path) -> None:
    body = ("消息对象:群\n\n2024-03-01 9:00:01 老张(10001)\n你好\n\n"
            "2024-02-30 9:05:00 小明(20002)\n日期坏了\n\n"
            "2024-03-01 9:06:00 老张(10001)\n再见\n")
    path = tmp_path / "qq.txt"
    path.write_text(body, encoding="utf-8")
    result = _import(f"sqlite:///{tmp_path / 'q.db'}", str(path))
    assert result.exit_code == 0, result.output
    grouped = [line for line in result.output.splitlines() if line.startswith("  跳过 skipped")]
    assert any("日期或时间无效" in line and f"{path} 第 line 6" in line for line in grouped), grouped
    assert not any("发送者格式" in line for line in grouped)
    assert _count(f"sqlite:///{tmp_path / 'q.db'}",
                  "SELECT count(*) FROM events WHERE kind = 'message'") == 2


def test_strict_fails_a_file_with_skipped_lines_and_writes_nothing(
        tmp_path: Path, files: dict[str, Path]) -> None:
    db = f"sqlite:///{tmp_path / 'q.db'}"
    result = _import(db, "--strict", str(files["qq"]), str(files["telegram"]))
    assert result.exit_code == 1
    assert "--strict" in result.output and "没有写入任何数据" in result.output
    assert "Traceback" not in result.output
    # The QQ file wrote nothing; the clean Telegram file after it imported.
    assert _count(db, "SELECT count(*) FROM events WHERE source LIKE 'import:qq:%'") == 0
    assert _count(db, "SELECT count(*) FROM events WHERE source LIKE 'import:telegram:%'") == 40


def test_one_failing_file_does_not_stop_the_files_after_it(
        tmp_path: Path, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from qunyun.importers import qq

    def explode(*_a: object, **_k: object) -> None:
        raise RuntimeError("a parser bug")

    monkeypatch.setattr(qq, "open_qq", explode)
    db = f"sqlite:///{tmp_path / 'q.db'}"
    result = _import(db, str(files["broken"]), str(files["qq"]), str(files["telegram"]))
    assert result.exit_code == 1
    assert "broken.json" in result.output and "a parser bug" in result.output
    assert "Traceback" not in result.output
    assert _count(db, "SELECT count(*) FROM events") == 40


def test_a_failed_import_into_an_empty_database_creates_no_community(
        tmp_path: Path, files: dict[str, Path]) -> None:
    db = f"sqlite:///{tmp_path / 'q.db'}"
    assert _import(db, str(files["broken"])).exit_code == 1
    assert _count(db, "SELECT count(*) FROM communities") == 0
    assert _import(db, "--community", "fruit", str(files["broken"])).exit_code == 1
    assert _count(db, "SELECT count(*) FROM communities") == 0
    assert _import(db, "--community", "fruit", str(files["telegram"])).exit_code == 0
    assert _count(db, "SELECT count(*) FROM communities") == 1


def test_ctrl_c_is_reported_as_interrupted_and_writes_nothing(
        tmp_path: Path, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
        db_url: str) -> None:
    from qunyun.importers import detect

    real = detect.open_export

    def interrupted_midway(path: Path, **kw: Any) -> Any:
        parsed = real(path, **kw)
        batches = parsed.batches

        def then_ctrl_c() -> Iterator[Any]:
            for n, batch in enumerate(batches):
                if n == 0:
                    os.kill(os.getpid(), signal.SIGINT)  # as the terminal sends it
                yield batch
        parsed.batches = then_ctrl_c()
        return parsed

    monkeypatch.setattr(detect, "open_export", interrupted_midway)
    big = tmp_path / "big.json"
    big.write_bytes(generators.telegram("current", n=40_000)[0])
    result = _import(db_url, str(big), str(files["telegram"]))
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.output and "NOT_IMPLEMENTED" not in result.output
    assert "Traceback" not in result.output and "QueuePool" not in result.output
    assert _count(db_url, "SELECT count(*) FROM events") == 0
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_a_killed_imports_scratch_directory_is_removed_at_the_next_import(
        tmp_path: Path, files: dict[str, Path]) -> None:
    dead = Path(tempfile.gettempdir()) / "qunyun-import-999999999-leftover"  # no such pid
    dead.mkdir(exist_ok=True)
    (dead / "staging.db").write_bytes(b"x")
    mine = Path(tempfile.mkdtemp(prefix=f"qunyun-import-{os.getpid()}-"))  # a live owner
    try:
        db = f"sqlite:///{tmp_path / 'q.db'}"
        assert _import(db, str(files["telegram"])).exit_code == 0
        assert not dead.exists() and mine.exists()
    finally:
        mine.rmdir()


@pytest.mark.parametrize("url", ["mysql://root@127.0.0.1/qunyun",
                                 "postgresql+psycopg2://postgres@127.0.0.1:5432/q",
                                 "oracle://scott@127.0.0.1/q",
                                 "postgresql://postgres@127.0.0.1:5432",
                                 "postgresql://postgres@127.0.0.1:5432/"])
def test_unsupported_or_incomplete_database_urls_are_one_line(url: str, tmp_path: Path,
                                                              files: dict[str, Path]) -> None:
    with pytest.raises(DatabaseUnavailable) as err:
        make_engine(url)
    assert "\n" not in str(err.value)
    result = _import(url, str(files["telegram"]))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "错误" in result.output


def test_skipped_telegram_messages_are_numbered_as_messages(tmp_path: Path) -> None:
    import orjson

    messages = [{"id": 1, "type": "message", "date_unixtime": "1e20", "from_id": "user1",
                 "text": "x"},
                {"id": 2, "type": "message", "date_unixtime": "1709280000", "from_id": "user1",
                 "text": "ok"}]
    path = tmp_path / "result.json"
    path.write_bytes(orjson.dumps({"name": "g", "id": 1, "messages": messages}))
    db = f"sqlite:///{tmp_path / 'q.db'}"
    read = _import(db, str(path))
    assert read.exit_code == 0 and "第 1 条消息（按导出中的顺序）/ message #1 (position in the export)" \
        in read.output and "1 条消息" in read.output
    strict = _import(db, "--strict", str(path))
    assert strict.exit_code == 1 and "message #1" in strict.output


def test_ctrl_c_inside_the_sqlite_bulk_load_is_reported_as_interrupted(
        tmp_path: Path, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """ADBC swaps in its own SIGINT handler while it loads rows on the main thread and
    answers Ctrl-C by cancelling, which its SQLite driver cannot: NotSupportedError
    ("NOT_IMPLEMENTED"), and the import's own handler never heard of it (1 Ctrl-C in 4 was
    reported as a database failure). The rows are now loaded in a thread of their own,
    where ADBC leaves SIGINT alone; here the Ctrl-C arrives while that thread is inside a
    real ADBC call."""
    import time

    from adbc_driver_manager import _lib

    from qunyun.storage.events import staging

    real = staging._SqliteScratch._write

    def write_with_ctrl_c(self: Any, k: int, frame: Any) -> None:
        def work() -> None:  # what a long adbc_ingest is, when the terminal sends Ctrl-C
            real(self, k, frame)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)

        _lib._blocking_call(work, (), {}, lambda: self.adbc.adbc_connection.cancel())

    monkeypatch.setattr(staging._SqliteScratch, "_write", write_with_ctrl_c)
    db = f"sqlite:///{tmp_path / 'q.db'}"
    result = _import(db, str(files["telegram"]))
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.output and "NOT_IMPLEMENTED" not in result.output
    assert _count(db, "SELECT count(*) FROM events") == 0


def test_a_community_made_by_an_import_is_named_after_the_chat(tmp_path: Path,
                                                                files: dict[str, Path]) -> None:
    """Issue 11 walk finding 66: the console called it `camp` (its slug); it is called
    what the export calls the chat (Telegram's `name`), and the slug stays its id."""
    import json

    export = json.loads(files["telegram"].read_bytes())
    db = f"sqlite:///{tmp_path / 'q.db'}"
    result = _import(db, str(files["telegram"]), "--community", "camp")
    assert result.exit_code == 0, result.output
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT slug, name FROM communities")).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [("camp", export["name"])]
    assert export["name"] != "camp"
    # A second export into the same community keeps its name (the first chat's).
    again = _import(db, str(files["qq"]), "--community", "camp")
    assert again.exit_code == 0, again.output
    assert _count(db, "SELECT count(*) FROM communities") == 1

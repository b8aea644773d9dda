"""Bad files get one clear, located error and write nothing; odd lines are skipped with
their line number and reason; the CLI says what it read (I2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from qunyun.cli import app
from qunyun.importers.base import ImportFormatError
from qunyun.importers.detect import open_export
from tests.importers.helpers import load, write
from tests.importers.test_qq import QQ
from tests.importers.test_telegram import single


def _events(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,  # a picture
    "随便写的一些文字\n不是任何聊天记录的格式\n".encode(),  # text in no known format
    b"",  # empty
])
def test_files_in_no_known_format(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes(content)
    with pytest.raises(ImportFormatError) as err:
        parsed = open_export(path)
        list(parsed.batches)
    assert str(err.value).startswith(str(path))


def test_a_qq_export_in_the_wrong_encoding_is_read_by_sniffing(engine: Engine,
                                                               tmp_path: Path) -> None:
    # GB18030 bytes that are not valid UTF-8: detected, not mis-decoded into mojibake.
    got = load(engine, write(tmp_path / "qq.txt", QQ.lstrip("\ufeff"), encoding="gb18030"))
    assert "群主老张" in got.names()


def test_a_junk_line_before_the_first_message_is_skipped_with_its_number(
        engine: Engine, tmp_path: Path) -> None:
    body = "导出工具 v1.2 生成\n12/03/2024, 14:25 - Alice: Hello\n"
    got = load(engine, write(tmp_path / "WhatsApp Chat with X.txt", body))
    assert got.kinds()["message"] == 1
    assert got.parsed.stats.skipped_examples[0][0] == 1


def test_a_failed_file_leaves_nothing_behind(engine: Engine, tmp_path: Path) -> None:
    full = single(tmp_path / "ok.json").read_bytes()
    broken = tmp_path / "broken.json"
    broken.write_bytes(full[:-40])
    with pytest.raises(ImportFormatError):
        load(engine, broken)
    assert _events(engine) == 0


def test_cli_summary_and_one_line_errors(tmp_path: Path) -> None:
    good = single(tmp_path / "result.json")
    bad = tmp_path / "bad.json"
    bad.write_bytes(good.read_bytes()[:200])
    db = f"sqlite:///{tmp_path / 'q.db'}"
    runner = CliRunner()
    ok = runner.invoke(app, ["import", str(good), "--db", db], env={"QUNYUN_PROGRESS": "0"})
    assert ok.exit_code == 0, ok.output
    assert "6" in ok.output and "telegram" in ok.output.lower()
    failed = runner.invoke(app, ["import", str(bad), "--db", db], env={"QUNYUN_PROGRESS": "0"})
    assert failed.exit_code == 1
    assert "bad.json" in failed.output and "Traceback" not in failed.output
    assert "没有写入任何数据" in failed.output


def test_a_storage_failure_is_one_line_and_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    good = single(tmp_path / "result.json")
    db = f"sqlite:///{tmp_path / 'q.db'}"
    # The import's scratch space cannot be created (a full or missing temp directory).
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no" / "such" / "dir"))
    failed = CliRunner().invoke(app, ["import", str(good), "--db", db],
                                env={"QUNYUN_PROGRESS": "0"})
    assert failed.exit_code == 1
    assert "could not write to the database" in failed.output
    assert "Traceback" not in failed.output and "没有写入任何数据" in failed.output
    monkeypatch.undo()
    ok = CliRunner().invoke(app, ["import", str(good), "--db", db], env={"QUNYUN_PROGRESS": "0"})
    assert ok.exit_code == 0, ok.output

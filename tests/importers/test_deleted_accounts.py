"""Deleted accounts are unknown authors, never one person called "Deleted Account" (issue
12, I2): keyed by the export's own id where it has one (Telegram `from_id`, the QQ number),
else one per message naming them (WhatsApp); counted and named in `qunyun import`'s
summary; shown as 「已注销账号」 in the report, each its own member."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from qunyun.cli import app
from qunyun.storage.engine import make_engine
from tests.importers import generators

SUFFIX = {"telegram": "result.json", "qq": "qq.txt", "whatsapp": "WhatsApp Chat.txt"}


@pytest.mark.parametrize("fmt", ["telegram", "qq", "whatsapp"])
def test_deleted_accounts_stay_apart_and_are_named_in_the_summary(tmp_path: Path, fmt: str) -> None:
    data, deleted = generators.deleted_accounts(fmt)
    export = tmp_path / SUFFIX[fmt]
    export.write_bytes(data)
    db, out = f"sqlite:///{tmp_path / 'q.db'}", tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["import", str(export), "--db", db, "--community", "c", "--report", str(out)],
        env={"QUNYUN_PROGRESS": "0"},
    )
    assert result.exit_code == 0, result.output
    written = generators.DELETED_WRITTEN[fmt]
    assert f"已注销账号 deleted accounts {deleted} 个" in result.output
    assert f"“{written}”" in result.output

    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            names = [r[0] for r in conn.execute(text("SELECT display_name FROM members"))]
    finally:
        engine.dispose()
    assert names.count("已注销账号") == deleted and written not in names
    assert {"Alice", "Bob"} <= set(names)

    report = orjson.loads((out / "report.json").read_bytes())
    gone = [m for m in report["members"] if m["name"] == "已注销账号"]
    spoke = [m for m in gone if m["messages"]]
    assert len(spoke) == 3 and all(m["placeholder_author"] for m in gone)
    # Each deleted account keeps its own messages: two each where the export has ids.
    each = 1 if fmt == "whatsapp" else 2
    assert sorted(m["messages"] for m in spoke) == [each] * 3
    assert report["community"]["placeholder_senders"] == 3
    html = (out / "report.html").read_text(encoding="utf-8")
    cells = re.findall(r"<td[^>]*>([^<]*)", html)
    assert "已注销账号" in cells and written not in cells

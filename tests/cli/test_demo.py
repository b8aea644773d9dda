"""The README's run command (`qunyun demo`) works on an empty directory and ends in a report."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from qunyun.cli import app


def test_demo_checks_plans_imports_the_sample_and_writes_a_report(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--db", f"sqlite:///{tmp_path / 'q.db'}",
                                      "--out", str(out)], env={"QUNYUN_PROGRESS": "0"})
    assert result.exit_code == 0, result.output
    assert "可以上线" in result.output and "健康分" in result.output
    assert (out / "report" / "report.html").stat().st_size > 100_000
    again = CliRunner().invoke(app, ["demo", "--db", f"sqlite:///{tmp_path / 'q.db'}",
                                     "--out", str(out)])
    assert again.exit_code == 0 and "新增 new 0" in again.output  # idempotent re-import

"""Where the bot writes weekly reports (H4): the plan's `reports.out_dir`, else
$QUNYUN_REPORTS_DIR, else `qunyun-reports/` beside the SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest

from qunyun.services.reports import REPORTS_DIR_ENV, reports_dir
from qunyun.storage.engine import make_engine
from tests.policies.test_bot_policies import camp_plan


def test_the_plan_then_the_environment_then_beside_the_database(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REPORTS_DIR_ENV, raising=False)
    (tmp_path / "data").mkdir()
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'qunyun.db'}")
    try:
        assert reports_dir(camp_plan(), engine) == (tmp_path / "data" / "qunyun-reports")
        monkeypatch.setenv(REPORTS_DIR_ENV, str(tmp_path / "env"))
        assert reports_dir(camp_plan(), engine) == tmp_path / "env"
        chosen = camp_plan(reports__out_dir=str(tmp_path / "plan"))
        assert reports_dir(chosen, engine) == tmp_path / "plan"
    finally:
        engine.dispose()
    pg = make_engine("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        monkeypatch.delenv(REPORTS_DIR_ENV)
        monkeypatch.chdir(tmp_path)
        assert reports_dir(camp_plan(), pg) == tmp_path / "qunyun-reports"
    finally:
        pg.dispose()

"""H4 the weekly report: `qunyun report --weekly --pdf`, and the Monday report the bot posts
to the admin room — numbers of the week against the week before, a PDF printed by
Chromium in which the Chinese text is real text (not boxes) and the page is drawn."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest
from PIL import Image
from sqlalchemy import Engine
from typer.testing import CliRunner

from qunyun.cli import app
from qunyun.effects import Alert, SendFile
from qunyun.policies.reports import week_end
from qunyun.storage.community import communities as community_repo
from tests.analytics.test_report import AS_OF, history, import_events
from tests.factories import T0, user
from tests.policies.test_bot_policies import Bot, camp_plan

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
    reason="Chromium not installed (./dev.sh setup installs it)")


def _look_at(pdf: Path, tmp: Path) -> str:
    """The PDF's text (pdftotext) after checking its first page renders (pdftoppm → PNG)."""
    if not shutil.which("pdftoppm"):
        pytest.skip("poppler-utils not installed (./dev.sh setup installs it)")
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf),
                    str(tmp / "page")], check=True, timeout=60)
    [png] = list(tmp.glob("page*.png"))
    gray = Image.open(png).convert("L")
    dark = sum(gray.histogram()[:128])
    assert dark > 2000, "the page is blank"
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, timeout=60,
                          capture_output=True, text=True).stdout


@needs_chromium
def test_cli_weekly_pdf_has_the_weeks_numbers_in_chinese(engine: Engine, db_url: str,
                                                         tmp_path: Path) -> None:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    import_events(engine, community_id=cid, events=history())
    out = tmp_path / "weekly"
    result = CliRunner().invoke(app, ["report", "--weekly", "--pdf", "--out", str(out),
                                      "--db", db_url, "--community", "c",
                                      "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert "【周报】" in result.output and "活跃成员" in result.output
    w = orjson.loads((out / "weekly.json").read_bytes())
    # Joins and leaves are times, the members people, each with its window (issue 11 #24).
    said = (f"近7天活跃成员 {w['active_members']:,} 人 / 当前成员 {w['member_count']:,} 人，"
            f"入群 {w['joins']} 次，退群 {w['leaves']} 次")
    assert "".join(said.split()) in "".join(result.output.split())  # the terminal may wrap
    assert len(w["daily"]) == 7 and w["to"] == w["daily"][-1]["date"]
    assert w["messages"] == sum(d["messages"] for d in w["daily"])
    assert set(w["lifecycle"]) == {"noticed", "removed", "removed_for_rules", "revived"}
    text = _look_at(out / "weekly.pdf", tmp_path)
    for words in ("社群周报", "每日消息", "成员分层", "淘汰与复活", "本周摘要"):
        assert words in text


def test_the_week_ends_before_the_slots_day() -> None:
    slot = datetime.fromisoformat("2026-03-09T09:00+08:00")  # a Monday
    end = week_end(slot, "Asia/Shanghai")
    assert end.isoformat(timespec="seconds") == "2026-03-08T23:59:59+08:00"


@needs_chromium
def test_the_bot_posts_the_monday_report_once_with_its_pdf(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    bot = Bot(engine, camp_plan(reports__out_dir=str(tmp_path / "reports")))
    member = user(1, "小王")
    bot.join(member, 0)
    bot.say(member, "大家好，今天开始学习 Python 啦", 3600)
    # T0 is Sunday 17:00 in Shanghai: the report is due Monday 09:00 (16 hours later).
    assert not [e for e in bot.tick(15 * 3600) if isinstance(e, Alert) and "周报" in e.text]
    effects = bot.tick(16 * 3600 + 120)
    [summary] = [e for e in effects if isinstance(e, Alert) and "【周报】" in e.text]
    assert "消息 1 条" in summary.text and "2026-02-23 至 2026-03-01" in summary.text
    [pdf] = [e for e in effects if isinstance(e, SendFile)]
    assert pdf.filename.endswith(".pdf") and Path(pdf.path).exists()
    assert "社群周报" in _look_at(Path(pdf.path), tmp_path)
    later = bot.tick(16 * 3600 + 600)  # the same slot again: nothing twice
    assert not [e for e in later if isinstance(e, SendFile)]
    assert T0 + timedelta(hours=16) > T0


def test_the_weekly_report_is_titled_with_the_plans_community_name(
        engine: Engine, db_url: str, tmp_path: Path) -> None:
    """An operator reads 「Python 数据分析进阶营」 in the title, not the slug."""
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="python-camp",
                                                     name="python-camp", now_ms=0)
    import_events(engine, community_id=cid, events=history())
    out = tmp_path / "weekly"
    plan = Path(__file__).resolve().parents[2] / "examples" / "python-camp.yaml"
    result = CliRunner().invoke(app, ["report", "--weekly", "--out", str(out), "--db", db_url,
                                      "--community", "python-camp", "--plan", str(plan),
                                      "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert "【周报】Python 数据分析进阶营" in result.output
    assert orjson.loads((out / "weekly.json").read_bytes())["community"] == "Python 数据分析进阶营"
    html = (out / "weekly.html").read_text(encoding="utf-8")
    assert "Python 数据分析进阶营" in html
    # An imported history has no bot posts to compare: H3's section says so, not nothing.
    assert "本周最带动活跃的内容" in html and 'id="no-top-content"' in html

"""`qunyun up` / `qunyun bot` run the stored plan (issue 11, item 13): the file is imported
only when it changed, a plan saved in the console survives a restart, and a stored draft
that is not ready is not run (the file's plan is, until the draft is fixed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from qunyun.cli.bot import running_plan
from qunyun.plan.load import load_plan
from qunyun.services import plans as plan_service
from qunyun.storage.community import communities as community_repo
from tests.conftest import EXAMPLES


def test_a_restart_runs_what_the_console_saved(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "camp.yaml"
    path.write_text((EXAMPLES / "python-camp.yaml").read_text(encoding="utf-8"),
                    encoding="utf-8")
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="python-camp", name="营",
                                                     now_ms=0)
    plan, text = running_plan(engine, cid, path, load_plan(path))
    assert text == path.read_text(encoding="utf-8")
    edited = text.replace("name: Python 数据分析进阶营", "name: 进阶营（控制台改过）")
    with engine.begin() as conn:
        assert plan_service.save_plan(conn, community_id=cid, text=edited, operator="lin").saved
    plan, text = running_plan(engine, cid, path, load_plan(path))  # the next start
    assert plan.community.name == "进阶营（控制台改过）" and text == edited
    draft = "version: 1\ncommunity:\n  name: 草稿\n  slug: python-camp\n  platform: wechat\n"
    with engine.begin() as conn:
        assert plan_service.save_plan(conn, community_id=cid, text=draft, operator="lin").saved
    plan, _text = running_plan(engine, cid, path, load_plan(path))
    assert plan.community.name == "Python 数据分析进阶营"  # the draft is not run
    path.write_text(edited.replace("进阶营（控制台改过）", "进阶营（文件改过）"), encoding="utf-8")
    plan, _text = running_plan(engine, cid, path, load_plan(path))
    assert plan.community.name == "进阶营（文件改过）"


def test_the_plan_line_says_first_import_on_the_first_start(
        engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Walk finding 5: right after the tour imported the plan, the first `qunyun up` said
    # 文件未改动 (unchanged), as if it had run before.
    path = tmp_path / "camp.yaml"
    text = (EXAMPLES / "python-camp.yaml").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="python-camp", name="营",
                                                     now_ms=0)
        plan_service.import_file(conn, community_id=cid, path=str(path.resolve()), text=text)
    running_plan(engine, cid, path, load_plan(path))  # the tour imported it a moment ago
    first = capsys.readouterr().out
    assert "首次导入" in first and "未改动" not in first
    with engine.begin() as conn:  # the bot started with it
        plan_service.record_bot_plan(conn, community_id=cid, action="plan:running",
                                     sha256=plan_service.sha256_of(text), reason="start")
    running_plan(engine, cid, path, load_plan(path))
    assert "文件未改动" in capsys.readouterr().out
    path.write_text(text.replace("Python 数据分析进阶营", "进阶营（文件改过）"), encoding="utf-8")
    running_plan(engine, cid, path, load_plan(path))
    assert "文件有改动，已重新导入" in capsys.readouterr().out


def test_a_busy_homeserver_port_is_said_in_words(tmp_path: Path) -> None:
    import socket

    from qunyun.adapters.matrix.homeserver import HomeserverError, LocalHomeserver, installed

    if not installed():
        pytest.skip("Synapse not installed (./dev.sh setup)")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = int(busy.getsockname()[1])
        with pytest.raises(HomeserverError, match=f"端口 {port} 已被占用.*--homeserver-port"):
            LocalHomeserver(tmp_path, port=port).start()

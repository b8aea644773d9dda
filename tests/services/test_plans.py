"""The database holds the running plan (issue 11, item 13): a file is imported only when it
changed since it was last imported, a plan saved in the console survives the next start,
the console can say where the plan came from, and a running bot follows the stored plan."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from qunyun.bot.plan_reload import PlanReload
from qunyun.plan.model import Plan
from qunyun.services import plans as plan_service
from qunyun.storage.community import communities as community_repo
from qunyun.storage.work import audit as audit_repo

EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "python-camp.yaml").read_text()


def _community(engine: Engine) -> int:
    with engine.begin() as conn:
        return community_repo.get_or_create_community(conn, slug="python-camp", name="营",
                                                      now_ms=0)


def test_a_file_is_imported_only_when_it_changed(engine: Engine) -> None:
    cid = _community(engine)
    with engine.begin() as conn:
        assert plan_service.import_file(conn, community_id=cid, path="/p/camp.yaml", text=EXAMPLE)
        assert not plan_service.import_file(conn, community_id=cid, path="/p/camp.yaml",
                                            text=EXAMPLE)
        source = plan_service.source_of(conn, community_id=cid)
        assert source is not None and source["source"] == "file"
        assert source["origin"] == "/p/camp.yaml"
        # The operator edits the plan in the console; the unchanged file does not undo it.
        edited = EXAMPLE.replace("每期结营时 60%", "每期结营时 70%")
        saved = plan_service.save_plan(conn, community_id=cid, text=edited, operator="lin",
                                       expected_slug="python-camp")
        assert saved.saved
        assert not plan_service.import_file(conn, community_id=cid, path="/p/camp.yaml",
                                            text=EXAMPLE)
        assert plan_service.stored_text(conn, community_id=cid) == edited
        source = plan_service.source_of(conn, community_id=cid)
        assert source is not None and (source["source"], source["origin"]) == ("console", "lin")
        # A changed file is imported again, audited.
        changed = EXAMPLE.replace("每期结营时 60%", "每期结营时 65%")
        assert plan_service.import_file(conn, community_id=cid, path="/p/camp.yaml",
                                        text=changed)
        assert plan_service.stored_text(conn, community_id=cid) == changed
        actions = [e["action"] for e in audit_repo.entries(conn, community_id=cid)]
    assert actions.count("plan:import") == 2 and "plan:save" in actions


def test_the_running_bot_picks_up_a_saved_plan_and_refuses_a_broken_one(engine: Engine) -> None:
    cid = _community(engine)
    with engine.begin() as conn:
        plan_service.import_file(conn, community_id=cid, path="/p/camp.yaml", text=EXAMPLE)
    applied: list[Plan] = []
    follow = PlanReload(engine, community_id=cid, running_text=EXAMPLE, apply=applied.append)
    follow.started()
    assert not follow.check() and applied == []
    with engine.begin() as conn:
        plan_service.save_plan(conn, community_id=cid, operator="lin",
                               text=EXAMPLE.replace("name: Python 数据分析进阶营",
                                                    "name: Python 进阶营二期"))
    assert follow.check()
    assert [p.community.name for p in applied] == ["Python 进阶营二期"]
    # A draft that loads but is not ready (no rules) is stored, but the bot keeps its plan.
    draft = "version: 1\ncommunity:\n  name: 草稿\n  slug: python-camp\n  platform: wechat\n"
    with engine.begin() as conn:
        assert plan_service.save_plan(conn, community_id=cid, text=draft, operator="lin").saved
    assert not follow.check() and len(applied) == 1
    assert not follow.check()  # reported once
    with engine.connect() as conn:
        state = plan_service.bot_plan_state(conn, community_id=cid)
        actions = [e["action"] for e in audit_repo.entries(conn, community_id=cid)
                   if e["actor"] == "bot"]
    assert actions == ["plan:refused", "plan:reloaded", "plan:running"]
    assert state is not None and state["action"] == "plan:refused"
    assert "问题" in state["reason"]

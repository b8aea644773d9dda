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
    # Issue 11 #2-#4: the rest of a plan's findings are pointed at, and each headline
    # number carries its reason.
    assert "条 more: qunyun plan check" in result.output and "draft-incomplete.yaml" in result.output
    assert "健康分是六项的加权" in result.output
    assert "副意见领袖是其后到 95% 的那一层" in result.output
    assert "移除前都要运营者在工作队列逐个确认" in result.output
    assert (out / "report" / "report.html").stat().st_size > 100_000
    again = CliRunner().invoke(app, ["demo", "--db", f"sqlite:///{tmp_path / 'q.db'}",
                                     "--out", str(out)], env={"QUNYUN_DEMO_TOUR": "1"})
    assert again.exit_code == 0, again.output
    assert "新增 new 0" in again.output  # idempotent re-import


def test_a_later_run_skips_the_tour_unless_something_it_made_is_gone(tmp_path: Path) -> None:
    # Walk finding 31: every `./dev.sh run` re-ran the whole tour (~30 lines, ~20 s)
    # before the lines that matter.
    out = tmp_path / "demo"
    args = ["demo", "--db", f"sqlite:///{tmp_path / 'q.db'}", "--out", str(out)]
    first = CliRunner().invoke(app, args, env={"QUNYUN_PROGRESS": "0"})
    assert first.exit_code == 0, first.output
    later = CliRunner().invoke(app, args)
    assert later.exit_code == 0, later.output
    assert later.output.splitlines() == [later.output.strip()]  # one line
    assert "演示数据已就绪，跳过导览" in later.output and "QUNYUN_DEMO_TOUR=1" in later.output
    # Walk13 #69: the printed report is the tour's, as of its time; the current numbers
    # are in the console or a new `qunyun report`.
    assert "导览时生成" in later.output and "不再更新" in later.output
    assert "qunyun report --community python-camp" in later.output
    (out / "report" / "report.html").unlink()  # gone: the tour runs again
    rebuilt = CliRunner().invoke(app, args, env={"QUNYUN_PROGRESS": "0"})
    assert "跳过导览" not in rebuilt.output and "打开报告 open" in rebuilt.output
    assert (out / "report" / "report.html").exists()
    other_db = CliRunner().invoke(app, ["demo", "--db", f"sqlite:///{tmp_path / 'new.db'}",
                                        "--out", str(out)], env={"QUNYUN_PROGRESS": "0"})
    assert "跳过导览" not in other_db.output and "新增 new 21" in other_db.output


def test_demo_makes_one_community_whose_queues_hold_the_reports_candidates(tmp_path: Path) -> None:
    import json

    from qunyun.storage.community import communities as community_repo
    from qunyun.storage.engine import make_engine
    from qunyun.storage.work import queues as queue_repo

    out = tmp_path / "demo"
    db = f"sqlite:///{tmp_path / 'q.db'}"
    result = CliRunner().invoke(app, ["demo", "--db", db, "--out", str(out)],
                                env={"QUNYUN_PROGRESS": "0"})
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report" / "report.json").read_text())
    engine = make_engine(db)
    with engine.connect() as conn:
        rows = community_repo.list_communities(conn)
        names = [str(r["name"]) for r in rows]
        camp = next(r for r in rows if r["slug"] == "python-camp")
        counts = queue_repo.count_open(conn, community_id=int(str(camp["id"])))
    engine.dispose()
    assert len(names) == len(set(names)), names  # no two communities with one name
    assert "demo-camp" not in [r["slug"] for r in rows]
    assert camp["plan_yaml"]  # the report's plan is the one the database holds
    assert report["community"]["name"] == "Python 数据分析进阶营"
    assert counts.get("elimination", 0) == len(report["elimination"]["members"]) > 0
    assert counts.get("suspect", 0) == len(report["suspects"]) > 0

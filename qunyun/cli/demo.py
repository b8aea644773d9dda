"""`qunyun demo`: the README's run command — show qunyun working on embedded defaults.

It checks the bundled example plans and shows what the bot would post. Later stages
(import, report, bot, console) join here as they land, so one command always shows
the whole product on a fresh machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qunyun.cli.common import DbUrl, Lang, check_lang, database, out_console
from qunyun.plan.check import check_loaded, is_ready
from qunyun.plan.load import load_plan
from qunyun.plan.render import render_welcome
from qunyun.storage import communities as community_repo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def demo(
    db: DbUrl = None,
    lang: Lang = "zh",
    examples: Annotated[Path, typer.Option(help="示例计划目录")] = EXAMPLES,
) -> None:
    """一条命令体验群运：检查示例计划、建库、展示机器人会发的新人公告。"""
    check_lang(lang)
    engine = database(db)
    out_console.rule("① 社群计划检查 plan check (P1–P4)")
    ready_plans = []
    for path in sorted(examples.glob("*.yaml")):
        loaded = load_plan(path)
        findings = check_loaded(loaded)
        errors = [f for f in findings if f.severity == "error"]
        verdict = "[green]可以上线 ready[/]" if is_ready(findings) else (
            f"[red]{len(errors)} 个问题 findings[/]")
        out_console.print(f"{path.name:28} {verdict}")
        for f in errors[:3]:
            out_console.print(f"    {f.format(path.name, lang)}", highlight=False, markup=False)
        if loaded.plan is not None and is_ready(findings):
            ready_plans.append((path, loaded))
    out_console.rule("② 保存计划到数据库 store plans")
    with engine.begin() as conn:
        for _path, loaded in ready_plans:
            assert loaded.plan is not None
            cid = community_repo.get_or_create_community(
                conn, slug=loaded.plan.community.slug, name=loaded.plan.community.name, now_ms=0
            )
            community_repo.save_plan_yaml(conn, community_id=cid, plan_yaml=loaded.raw)
            out_console.print(f"{loaded.plan.community.slug:16} → {engine.url.render_as_string()}")
    if ready_plans:
        out_console.rule("③ 机器人发的新人公告 welcome (O1)")
        plan = ready_plans[-1][1].plan
        assert plan is not None
        out_console.print(render_welcome(plan, newcomer="新朋友", lang=lang), markup=False)

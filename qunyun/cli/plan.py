"""`qunyun plan …`: check a community plan (P2), render its rules (P3) and welcome (O1)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qunyun.cli.common import Lang, check_lang, err_console

if TYPE_CHECKING:
    from qunyun.plan.load import LoadedPlan

app = typer.Typer(help="社群计划：检查、群规、新人公告 / community plan", no_args_is_help=True)

PlanFile = Annotated[Path, typer.Argument(help="社群计划 YAML 文件 / plan file")]


def _emit(line: str) -> None:
    # Plain print, not rich: operators paste these lines and tools parse them.
    sys.stdout.write(line + "\n")


@app.command("check")
def check_cmd(plan: PlanFile, lang: Lang = "zh") -> None:
    """检查计划缺什么、哪里矛盾；可上线时退出码 0，否则 1，每行一条问题。"""
    from qunyun.plan.check import check_loaded, is_ready
    from qunyun.plan.load import load_plan

    check_lang(lang)
    loaded = load_plan(plan)
    findings = check_loaded(loaded)
    errors = [f for f in findings if f.severity == "error"]
    for finding in errors + [f for f in findings if f.severity == "advice"]:
        _emit(finding.format(str(plan), lang))
    if is_ready(findings):
        msg = "计划完整，可以上线" if lang == "zh" else "plan is ready to launch"
        err_console.print(f"[green]✓[/] {plan}: {msg}", highlight=False)
        raise typer.Exit(0)
    msg = (f"{len(errors)} 个问题需要解决后才能上线" if lang == "zh"
           else f"{len(errors)} finding(s) to fix before launch")
    err_console.print(f"[red]✗[/] {plan}: {msg}", highlight=False)
    raise typer.Exit(1)


def _loaded_or_exit(plan: Path, lang: str) -> LoadedPlan:
    from qunyun.plan.load import load_plan

    loaded = load_plan(plan)
    if loaded.plan is None:
        for finding in loaded.findings:
            _emit(finding.format(str(plan), lang))
        raise typer.Exit(1)
    return loaded


@app.command("rules")
def rules_cmd(plan: PlanFile, lang: Lang = "zh") -> None:
    """按机器人发布的样子输出群规（七部分 + 违规处理与淘汰规则）。"""
    check_lang(lang)
    loaded = _loaded_or_exit(plan, lang)
    assert loaded.plan is not None
    from qunyun.plan.render import render_rules

    _emit(render_rules(loaded.plan, lang=lang))


@app.command("welcome")
def welcome_cmd(
    plan: PlanFile,
    lang: Lang = "zh",
    newcomer: Annotated[str, typer.Option(help="示例新人昵称")] = "新朋友",
) -> None:
    """按机器人发布的样子输出新人公告（@新人 + 欢迎语、服务、运营者、福利、下一步）。"""
    check_lang(lang)
    loaded = _loaded_or_exit(plan, lang)
    assert loaded.plan is not None
    from qunyun.plan.render import render_welcome

    _emit(render_welcome(loaded.plan, newcomer=newcomer, lang=lang))

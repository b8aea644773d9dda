"""`qunyun rehearse PLAN --days N`: what the plan's bot would do over N simulated days
with a synthetic community (`qunyun.bot.rehearse`), per day, and as JSON."""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qunyun.cli.common import err_console

if TYPE_CHECKING:
    from qunyun.bot.rehearse import Rehearsal
    from qunyun.plan.model import Plan


def rehearse_cmd(
    plan: Annotated[Path, typer.Argument(help="社群计划 YAML 文件 / plan file")],
    days: Annotated[int, typer.Option(min=1, max=3660, help="模拟天数 / simulated days")] = 30,
    members: Annotated[int, typer.Option(min=0, max=5000, help="模拟成员数 / members")] = 50,
    seed: Annotated[int, typer.Option(help="随机种子：同一种子，同一结果 / seed")] = 1,
    start: Annotated[str, typer.Option(help="第一天 YYYY-MM-DD（默认明天）/ first day")] = "",
    json_out: Annotated[Path | None, typer.Option("--json", help="JSON 输出文件 / JSON file")
                        ] = None,
    quiet: Annotated[bool, typer.Option(help="只打印汇总 / totals only")] = False,
    approve: Annotated[bool, typer.Option(
        "--approve", help="模拟运营者每天批准所有移除与复活申请 / a stand-in operator approves "
                          "every removal and revival application")] = False,
) -> None:
    """预演计划：合成社群 + 模拟时钟，跑真实的机器人，逐日打印它会做什么。"""
    from zoneinfo import ZoneInfo

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from qunyun.app import open_database
    from qunyun.bot.rehearse import KIND_ZH, TOTALS, rehearse
    from qunyun.plan.check import check_loaded, is_ready
    from qunyun.plan.load import load_plan

    loaded = load_plan(plan)
    findings = check_loaded(loaded)
    if loaded.plan is None or not is_ready(findings):
        for f in findings:
            if f.severity == "error":
                sys.stdout.write(f.format(str(plan), "zh") + "\n")
        err_console.print(f"[red]✗[/] {plan}: 计划还不能上线，先用 qunyun plan check 修好",
                          highlight=False)
        raise typer.Exit(1)
    the_plan = loaded.plan
    try:
        first = (dt.date.fromisoformat(start) if start else
                 dt.datetime.now(ZoneInfo(the_plan.bot.timezone)).date() + dt.timedelta(days=1))
    except ValueError:
        err_console.print(f"[red]✗[/] --start {start!r}: 日期要写成 YYYY-MM-DD", highlight=False)
        raise typer.Exit(2) from None
    # A scratch database in memory-backed storage when there is one: nothing of it is kept.
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(prefix="qunyun-rehearse-",
                                     dir=shm if shm.is_dir() else None) as scratch:
        engine = open_database(f"sqlite:///{Path(scratch) / 'rehearsal.db'}")
        # 90 days take a while of real time: a bar on stderr (gone when done) says how far
        # the simulated clock is; Ctrl-C stops cleanly, with nothing written.
        bar = Progress(TextColumn("预演中 rehearsing"), BarColumn(),
                       TextColumn("第 {task.completed:.0f}/{task.total:.0f} 天"),
                       TimeElapsedColumn(), console=err_console, transient=True,
                       disable=quiet)
        try:
            with bar:
                task = bar.add_task("days", total=days)
                result = rehearse(engine, the_plan, days=days, members=members, seed=seed,
                                  start=first, approve=approve,
                                  progress=lambda done: bar.update(task, completed=done))
        except KeyboardInterrupt:
            err_console.print("[yellow]已中断预演[/]：没有写任何文件 / interrupted, "
                              "nothing written", highlight=False)
            raise typer.Exit(130) from None
        finally:
            engine.dispose()
    if not quiet:
        for line in result.day_lines():
            sys.stdout.write(line + "\n")
    totals = result.totals
    names = {"posts": "发帖", "reminders": "提醒", "warnings": "警告", "removals": "移除",
             "revivals": "复活", "event_checkins": "活动签到", "tier_changes": "分层变化"}
    shown = " · ".join(f"{names.get(k) or KIND_ZH.get(TOTALS[k][0], k)} {v}"
                       for k, v in totals.items())
    sys.stdout.write(f"合计（{days} 天，{members} 名成员，种子 {seed}）：{shown}\n")
    for line in notes(the_plan, result, first=first, days=days, approve=approve):
        sys.stdout.write(f"注意：{line}\n")
    if json_out is not None:
        json_out.write_text(json.dumps(result.to_json(), ensure_ascii=False, indent=1),
                            encoding="utf-8")
        err_console.print(f"JSON → {json_out}", highlight=False)


def notes(plan: Plan, result: Rehearsal, *, first: dt.date, days: int,
          approve: bool) -> list[str]:
    """What an operator would otherwise misread in the totals: the plan's events that fall
    outside the rehearsed days (none rehearsed, not none working), and removals that
    waited for an operator who never came (without `--approve`)."""
    from qunyun.domain import event_series

    out = []
    last = first + dt.timedelta(days=days)
    span = f"{first} 至 {last - dt.timedelta(days=1)}"
    occurrences = plan.event_occurrences()
    for event in plan.events:
        if event.repeat is None:
            day = event.starts.date()
            if not first <= day < last:
                out.append(f"活动「{event.name}」在 {event.starts:%Y-%m-%d %H:%M}，不在预演的 "
                           f"{span} 里（加 --start {day - dt.timedelta(days=7)} 可以预演它）")
            continue
        mine = [o for o in occurrences if o.series_key == event.key]
        if any(first <= o.starts.date() < last for o in mine):
            continue
        rule = event_series.describe(event.repeat.series())
        near = next((o for o in mine if o.starts.date() >= last), mine[-1] if mine else None)
        where = (f"：最近一场在 {near.starts:%Y-%m-%d %H:%M}（加 --start "
                 f"{near.starts.date() - dt.timedelta(days=7)} 可以预演它）") if near else ""
        out.append(f"重复活动「{event.name}」（{rule}）在预演的 {span} 里没有一场{where}")
    noticed = sum(1 for i in result.timeline if i.kind == "elimination_notice")
    auto = plan.elimination is not None and plan.elimination.auto_remove
    if not approve and not auto and noticed and not result.totals["removals"]:
        out.append(f"{noticed} 次淘汰提醒后没有人被移出：计划要求运营在控制台确认"
                   f"（elimination.auto_remove: false）；加 --approve 模拟运营每天批准")
    return out

"""`qunyun report --out DIR`: the community report (report.html, report.json, members.csv).

Read-only over the event log; the plan supplies the tier thresholds, the elimination rule,
the health floors and the suspect patterns: `--plan FILE` when given, else the plan the
database holds for the community (the one the bot and the console use, so the numbers
agree), else the documented defaults.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from qunyun.cli.common import DbUrl, database, err_console, fail, out_console, resolve_community

if TYPE_CHECKING:
    import polars as pl
    from sqlalchemy import Engine

    from qunyun.plan.model import Plan


def report_cmd(
    out: Annotated[Path, typer.Option("--out", help="输出目录 / output directory")],
    db: DbUrl = None,
    community: Annotated[str | None, typer.Option(help="社群标识（slug）")] = None,
    plan: Annotated[Path | None, typer.Option(help="社群计划 YAML（分层阈值、淘汰规则等）")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="报告日期（ISO，如 2026-01-31）；默认为最后一条记录的时间")] = None,
    tz: Annotated[str | None, typer.Option(help="按此时区划分日期；默认取计划的 bot.timezone")] = None,
    weekly: Annotated[bool, typer.Option(
        "--weekly", help="周报（最近 7 天对比前 7 天）：weekly.html / weekly.json")] = False,
    pdf: Annotated[bool, typer.Option(
        "--pdf", help="同时用 Chromium 打印 PDF（weekly.pdf 或 report.pdf）")] = False,
) -> None:
    """生成社群报告：健康度、分层、待办、淘汰候选、可疑账号、邀请关系；--weekly 生成周报（H4）。"""
    from qunyun.plan.load import load_plan

    chosen_plan: Plan | None = None
    if plan is not None:
        loaded = load_plan(plan)
        if loaded.plan is None:
            for finding in loaded.findings:
                err_console.print(finding.format(str(plan), "zh"), highlight=False)
            fail(f"计划无法读取 / plan cannot be loaded: {plan}", 1)
        chosen_plan = loaded.plan
    if tz is not None:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            fail(f"未知时区 / unknown time zone {tz!r}")
    moment: datetime | None = None
    if as_of is not None:
        try:
            moment = datetime.fromisoformat(as_of)
        except ValueError:
            fail(f"--as-of 需要 ISO 日期，如 2026-01-31 / not an ISO date: {as_of!r}")
        if moment.tzinfo is None:
            zone = ZoneInfo(tz or (chosen_plan.bot.timezone if chosen_plan else "Asia/Shanghai"))
            # A bare date means the end of that day, local time.
            if len(as_of) <= 10:
                moment = moment.replace(hour=23, minute=59, second=59)
            moment = moment.replace(tzinfo=zone)
    engine = database(db)
    community_id, slug = resolve_community(engine, _community_of(engine, community, chosen_plan),
                                           create=False)
    try:
        if weekly:
            chosen_plan = chosen_plan or _stored_plan(engine, community_id)
            started = time.perf_counter()
            _weekly(engine, community_id, slug, chosen_plan, moment, tz, out, pdf)
            took = time.perf_counter() - started
            err_console.print(f"周报用时 the weekly report took {took:.2f} s", highlight=False)
            return
        full_report(engine, community_id, slug, out, plan=chosen_plan, as_of=moment, tz=tz,
                    pdf=pdf)
    except KeyboardInterrupt:
        # The four files are replaced together (`write_report`); the database is only read.
        err_console.print(f"\n[yellow]中断 interrupted[/]: 报告没有生成（{out} 里原有的报告原样保留），"
                          f"数据库没有改动；再运行同一命令即可 / the report was not written (a "
                          f"report already in {out} is left as it was) and the database is "
                          "unchanged: run the same command again", highlight=False)
        raise typer.Exit(130) from None


def _community_of(engine: Engine, community: str | None, plan: Plan | None) -> str | None:
    """`--community`, else the community the `--plan` file names (`community.slug`) when the
    database has it: with several communities a plan given on its own still says which."""
    if community or plan is None:
        return community
    from qunyun.storage.community import communities as community_repo

    with engine.connect() as conn:
        known = community_repo.find_community(conn, slug=plan.community.slug) is not None
    return plan.community.slug if known else None


def _stored_plan(engine: Engine, community_id: int) -> Plan | None:
    from qunyun.storage.community import communities as community_repo

    with engine.connect() as conn:
        rows = community_repo.list_communities(conn)
    yaml = next((row["plan_yaml"] for row in rows if row["id"] == community_id), None)
    if not (isinstance(yaml, str) and yaml.strip()):
        # No stored plan (a community an import just made): the plan service and its
        # checks are not loaded at all (~50 ms of `import --report`'s start).
        return None
    from qunyun.services import plans as plan_service

    with engine.connect() as conn:
        _text, stored = plan_service.stored_plan(conn, community_id=community_id)
    if stored is not None:
        out_console.print("计划 plan: 数据库中该社群的计划 the community's stored plan",
                          highlight=False)
    return stored


def preload() -> None:
    """Import what `full_report` uses and compile the HTML template (for a caller with time
    to spare before the report, `qunyun import --report`)."""
    import qunyun.analytics
    import qunyun.report.write
    from qunyun.report.html import warm

    del qunyun.analytics, qunyun.report.write
    warm()


def full_report(engine: Engine, community_id: int, slug: str, out: Path, *,
                plan: Plan | None = None, as_of: datetime | None = None, tz: str | None = None,
                pdf: bool = False, held: pl.DataFrame | None = None) -> None:
    """Build the community report and write its files into `out` (report.json, .html,
    members.csv, .xlsx), printing the headline; `plan` None means the community's stored
    plan, else the defaults. Also run by `qunyun import --report`, in the same process."""
    from qunyun.analytics import build_report
    from qunyun.report.write import write_report
    from qunyun.services.report_queues import mark_decided

    chosen_plan = plan if plan is not None else _stored_plan(engine, community_id)
    moment = as_of
    started = time.perf_counter()
    with err_console.status("正在分析 / analysing…"):
        report = build_report(engine, community_id=community_id, plan=chosen_plan, as_of=moment,
                              tz=tz, community_name=chosen_plan.community.name if chosen_plan
                              else _name_of(engine, community_id, slug), held=held)
        with engine.connect() as conn:  # the console's decisions, as the console shows them
            mark_decided(conn, community_id=community_id, report=report)
        paths = write_report(report, out)
    elapsed = time.perf_counter() - started
    c = report["community"]
    out_console.print(
        f"[bold]{slug}[/]: {c['messages']:,} 条消息 messages · {c['senders']:,} 人发言 senders · "
        f"当前成员 members {c['member_count']:,}（已离开 left {c['members_left']:,}，累计 ever "
        f"{c['members_ever']:,}）· 健康分 health "
        f"{'—' if c['health']['score'] is None else c['health']['score']}"
        f"（{_stage(c['health'])}）", highlight=False)
    if c["health"]["dying"]["warning"]:
        out_console.print(f"[red]⚠ {dying_line(c['health']['dying'])}[/]", highlight=False)
    if pdf:
        paths["pdf"] = _print_pdf(paths["html"], out / "report.pdf", settle_ms=1500)
    for kind, path in paths.items():
        out_console.print(f"  {kind:4} {path}", highlight=False)
    err_console.print(f"报告用时 the report took {elapsed:.2f} s", highlight=False)


def dying_line(dying: dict[str, Any]) -> str:
    """The dying warning in both languages (the report words it in Chinese; the English is
    rebuilt from its numbers, as the console shows it)."""
    from qunyun.report.words import dying_reason

    chinese, english = dying_reason(dying, "zh"), dying_reason(dying, "en")
    return f"{chinese} / {english}" if english and english != chinese else chinese


def _stage(health: dict[str, Any]) -> str:
    """The health stage in both languages (its id is the English word: 热寂 declining)."""
    name, stage = health.get("stage_name"), health.get("stage")
    if not name:
        return "—"
    return f"{name} {str(stage).replace('_', ' ')}" if stage else str(name)


def _name_of(engine: Engine, community_id: int, slug: str) -> str:
    """The community's name for the report's title (the slug only if it has none)."""
    from qunyun.storage.community import communities as community_repo

    with engine.connect() as conn:
        for row in community_repo.list_communities(conn):
            if row["id"] == community_id and row["name"] and row["name"] != slug:
                return str(row["name"])
    return slug


def _print_pdf(html: Path, pdf: Path, *, settle_ms: int = 0) -> Path:
    from qunyun.report.pdf import PdfUnavailable, html_to_pdf

    try:
        return html_to_pdf(html, pdf, settle_ms=settle_ms)
    except PdfUnavailable as exc:
        fail(str(exc))


def _weekly(engine: Engine, community_id: int, slug: str, plan: Plan | None,
            moment: datetime | None, tz: str | None, out: Path, pdf: bool) -> None:
    from qunyun.report.weekly import summary_text, write_weekly
    from qunyun.services.reports import weekly_numbers

    with err_console.status("正在生成周报 / building the weekly report…"):
        # The title names the community as people know it: the plan's name, else the
        # stored name; the slug only when there is neither.
        name = plan.community.name if plan else _name_of(engine, community_id, slug)
        w = weekly_numbers(engine, community_id=community_id, plan=plan, as_of=moment, tz=tz,
                           community_name=name)
        paths = write_weekly(w, out, pdf=False)
    if pdf:
        paths["pdf"] = _print_pdf(paths["html"], out / "weekly.pdf")
    out_console.print(summary_text(w), highlight=False)
    for kind, path in paths.items():
        out_console.print(f"  {kind:4} {path}", highlight=False)

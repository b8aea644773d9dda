"""`qunyun demo`: the README's run command — show qunyun working on embedded defaults.

It checks the bundled example plans, stores the ready ones (a file is imported only when
it changed since it was last imported, so plans edited in the console survive), shows what
the bot would post, imports a seeded synthetic Telegram export (never real people's chats)
as the history of the Python camp — the same community the live bot of `qunyun up` runs,
so there is one community, one plan and one set of numbers — and writes its report with
the plan stored for it. The report's work items open in the console's queues.

A later run whose tour is done already (the same example plans and database, and what the
tour made still there: `tour.json` in `--out`) says so in one line and stops, so that
`./dev.sh run` gets to `qunyun up`'s lines at once; `QUNYUN_DEMO_TOUR=1` walks it again.

`qunyun demo-member NAME` adds a member account to the local demo's Matrix homeserver
(the one `qunyun up` starts; `qunyun.bot.demo_members`) and says how to sign in as them.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qunyun.cli.common import DbUrl, Lang, check_lang, database, fail, out_console

if TYPE_CHECKING:
    from sqlalchemy import Engine

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def demo(
    db: DbUrl = None,
    lang: Lang = "zh",
    examples: Annotated[Path, typer.Option(help="示例计划目录")] = EXAMPLES,
    out: Annotated[Path, typer.Option(help="示例导出与报告的目录")] = Path("qunyun-demo"),
) -> None:
    """一条命令体验群运：检查示例计划、建库、展示机器人会发的新人公告。"""
    from qunyun.plan.check import check_loaded, is_ready
    from qunyun.plan.load import load_plan
    from qunyun.plan.render import render_welcome
    from qunyun.services import plans as plan_service
    from qunyun.storage.community import communities as community_repo

    check_lang(lang)
    engine = database(db)
    stamp = _tour_stamp(examples, engine)
    if os.environ.get("QUNYUN_DEMO_TOUR", "") in ("", "0") and _tour_done(
            engine, examples, out, stamp):
        # A later `./dev.sh run`: the plans, the sample's import and the report are there
        # already; the lines that matter are `qunyun up`'s (walk finding 31).
        out_console.print(
            f"演示数据已就绪，跳过导览 demo data ready, tour skipped（示例计划、导入和报告都在"
            f"数据库里；QUNYUN_DEMO_TOUR=1 重新走一遍 re-runs it）· {_tour_report_line(out)}",
            highlight=False, markup=False)
        return
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
        if len(errors) > 3:
            # The rest exist and one command shows them all (issue 11 #2).
            out_console.print(f"    …还有 {len(errors) - 3} 条 more: qunyun plan check "
                              f"{_shown_path(path)}", highlight=False, markup=False)
        if loaded.plan is not None and is_ready(findings):
            ready_plans.append((path, loaded))
    out_console.rule("② 保存计划到数据库 store plans")
    with engine.begin() as conn:
        for path, loaded in ready_plans:
            assert loaded.plan is not None
            cid = community_repo.get_or_create_community(
                conn, slug=loaded.plan.community.slug, name=loaded.plan.community.name, now_ms=0
            )
            stored = plan_service.import_file(conn, community_id=cid, path=str(path.resolve()),
                                              text=loaded.raw)
            what = "已导入 imported" if stored else "未改动，保留数据库中的计划 unchanged"
            out_console.print(f"{loaded.plan.community.slug:16} {what} → "
                              f"{engine.url.render_as_string()}", highlight=False)
    if ready_plans:
        out_console.rule("③ 机器人发的新人公告 welcome (O1)")
        plan = ready_plans[-1][1].plan
        assert plan is not None
        out_console.print(render_welcome(plan, newcomer="新朋友", lang=lang), markup=False)
    _import_and_report(engine, out, examples / "python-camp.yaml")
    (out / TOUR_STAMP).write_text(json.dumps(stamp), encoding="utf-8")


def _tour_report_line(out: Path) -> str:
    """The tour's report is a file written once, before any member joined: a later start
    says it is as of the tour and where the current numbers are (walk13 #69: an operator
    opened it and found none of the live bot's members)."""
    report = out / "report" / "report.html"
    try:
        built = datetime.fromtimestamp(report.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    except OSError:
        built = "?"
    return (f"导览的报告 the tour's report: {report}（导览时生成 built by the tour {built}，"
            f"之后不再更新 not updated since）· 最新的数字 current numbers: 控制台 the console，"
            f"或 or: qunyun report --community python-camp --out {out / 'report'}")


# Written when a tour ended: what it was run on (the example plans' texts, the database).
TOUR_STAMP = "tour.json"


def _tour_stamp(examples: Path, engine: Engine) -> dict[str, str]:
    digest = hashlib.sha256()
    for path in sorted(examples.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return {"examples": digest.hexdigest(), "db": engine.url.render_as_string()}


def _tour_done(engine: Engine, examples: Path, out: Path, stamp: dict[str, str]) -> bool:
    """The tour ran on these example plans and this database, and what it made is still
    there: the sample export, the report, the Python camp's plan and history."""
    from sqlalchemy import select

    from qunyun.plan.load import load_plan
    from qunyun.storage.community import communities as community_repo
    from qunyun.storage.tables import events

    try:
        if json.loads((out / TOUR_STAMP).read_text(encoding="utf-8")) != stamp:
            return False
    except (OSError, ValueError):
        return False
    if not ((out / "telegram-sample.json").exists()
            and (out / "report" / "report.html").exists()):
        return False
    loaded = load_plan(examples / "python-camp.yaml")
    if loaded.plan is None:
        return False
    with engine.connect() as conn:
        cid = community_repo.find_community(conn, slug=loaded.plan.community.slug)
        if cid is None:
            return False
        stored = any(c["id"] == cid and c["plan_yaml"]
                     for c in community_repo.list_communities(conn))
        history = conn.execute(select(events.c.id).where(events.c.community_id == cid)
                               .limit(1)).first()
    return stored and history is not None


def _shown_path(path: Path) -> str:
    """The plan's path as the reader would type it: relative to here when it is below."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _import_and_report(engine: Engine, out: Path, plan_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from qunyun.analytics import build_report
    from qunyun.importers.detect import open_export
    from qunyun.plan.load import load_plan
    from qunyun.report import tour
    from qunyun.report.write import write_report
    from qunyun.samples import write_telegram_export
    from qunyun.services import plans as plan_service
    from qunyun.services.importing import import_batches
    from qunyun.services.report_queues import mark_decided, open_from_report
    from qunyun.storage.community import communities as community_repo

    out_console.rule("④ 导入聊天记录 import a (synthetic) Telegram export (I2)")
    export = out / "telegram-sample.json"
    if not export.exists():
        # The history ends today, so the live group the bot adds continues it.
        start = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0) \
            - timedelta(days=120)
        write_telegram_export(export, messages=20_000, senders=400, days=120, start=start)
    loaded = load_plan(plan_path)
    assert loaded.plan is not None
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(
            conn, slug=loaded.plan.community.slug, name=loaded.plan.community.name, now_ms=0)
    parsed = open_export(export)
    counts = import_batches(engine, community_id=cid, batches=parsed.batches)
    out_console.print(f"{export} → {loaded.plan.community.slug}: {counts.seen:,} 条记录 events，"
                      f"新增 new {counts.inserted:,}", highlight=False)
    out_console.rule("⑤ 社群报告 community report (H1 H2 T1 T2 E1 R4 G2)")
    with engine.connect() as conn:
        _text, plan = plan_service.stored_plan(conn, community_id=cid)
    # The analytics read SQLite through ADBC, whose closing drops this process's locks
    # under any pooled connection still open (see qunyun/web/reports.py): none stay open.
    engine.dispose()
    report = build_report(engine, community_id=cid, plan=plan,
                          community_name=loaded.plan.community.name)
    with engine.connect() as conn:  # suspects already cleared in the console (a re-run)
        mark_decided(conn, community_id=cid, report=report)
    paths = write_report(report, out / "report")
    with engine.begin() as conn:
        opened = open_from_report(conn, community_id=cid, report=report, operator=None)
    engine.dispose()
    c = report["community"]
    health = c["health"]
    score = "—" if health.get("score") is None else health["score"]
    out_console.print(f"健康分 health {score}（{health.get('stage_name') or '—'}）· "
                      f"当前成员 {c['member_count']}（已离开 {c['members_left']}，累计 {c['members_ever']}）"
                      f" · 30天活跃率 {c['active_ratio']:.0%}",
                      highlight=False)
    if health["dying"]["warning"]:
        from qunyun.cli.report import dying_line

        out_console.print(f"[red]⚠ {dying_line(health['dying'])}[/]", highlight=False)
    # Each headline number with its reason in one line (issue 11 #3, #4).
    why_health = tour.health_line(report)
    if why_health:
        out_console.print(why_health, highlight=False, markup=False)
    for t in report["todo"][:3]:
        out_console.print(f"{t['tier_name']} {t['count']} 人 → {t['action']}", highlight=False)
    out_console.print(tour.tier_line(report), highlight=False, markup=False)
    out_console.print(f"可疑账号 suspects: {len(report['suspects'])} · "
                      f"淘汰候选 elimination: {len(report['elimination']['members'])} · "
                      f"控制台工作队列新开 new queue items: {opened}", highlight=False)
    why_elimination = tour.elimination_line(report)
    if why_elimination:
        out_console.print(why_elimination, highlight=False, markup=False)
    out_console.print(f"打开报告 open: {paths['html']}", highlight=False)


def demo_member(
    name: Annotated[str, typer.Argument(help="成员显示名，如 赵六 / display name")],
    user: Annotated[str | None, typer.Option(
        "--user", help="登录用户名（小写字母数字），默认取 NAME 或 memberN / login name")] = None,
    local_dir: Annotated[Path, typer.Option(help="本地 Matrix 服务器数据目录")] = Path(
        ".qunyun-matrix"),
    plan: Annotated[Path, typer.Option(help="演示群所属的社群计划（取群名）")] = (
        EXAMPLES / "python-camp.yaml"),
) -> None:
    """在本机演示用的 Matrix 服务器上再建一个成员账号，并打印怎样以成员身份登录、加入演示群。"""
    from qunyun.bot.demo_members import ELEMENT_SIGN_IN, DemoMemberError, sign_in_lines
    from qunyun.bot.demo_members import demo_member as add_demo_member
    from qunyun.plan.load import load_plan

    loaded = load_plan(plan)
    room_name = loaded.plan.community.name if loaded.plan is not None else "演示群"
    try:
        signed = add_demo_member(local_dir.resolve(), name, localpart=user, room_name=room_name)
    except DemoMemberError as exc:
        fail(str(exc), 1)
    member = signed.member
    if signed.created:
        out_console.print(f"已建好演示成员 created「{member.name}」，机器人已邀请 ta 进演示群。",
                          highlight=False)
    else:
        out_console.print(f"「{member.name}」已经有了 exists already：登录信息如下。",
                          highlight=False)
    for line in sign_in_lines(signed.homeserver, member, signed.room_name):
        out_console.print(line, highlight=False, markup=False)
    out_console.print(
        f"用 Element（网页版或桌面版）登录：{ELEMENT_SIGN_IN}，"
        "再填用户名和密码；接受邀请后机器人会欢迎你，试试 !帮助、!打卡、!积分。"
        f"（演示群 ID {signed.room_id}）", highlight=False, markup=False)

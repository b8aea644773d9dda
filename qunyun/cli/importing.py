"""`qunyun import FILE…`: read chat exports into the event log (I2).

The format comes from the content. Each file is imported whole or not at all; a file
that fails is reported with its line or byte offset and the others still import.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from qunyun.cli.common import DbUrl, database, err_console, fail, out_console, resolve_community

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from qunyun.importers.base import ParsedExport
    from qunyun.services.ingest import RecordCounts


def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="导出文件：Telegram JSON、WhatsApp txt、QQ txt、微信 CSV")],
    db: DbUrl = None,
    community: Annotated[str | None, typer.Option(help="社群标识（slug），不存在则创建")] = None,
    chat: Annotated[str | None, typer.Option(help="完整账号导出里要导入的聊天（名字或 id）")] = None,
    tz: Annotated[str, typer.Option(help="没有时区的导出按此时区理解")] = "Asia/Shanghai",
) -> None:
    """导入聊天记录（格式按内容识别）；同一文件重复导入不会重复记录。"""
    from qunyun.importers.base import ImportFormatError
    from qunyun.importers.detect import open_export
    from qunyun.services.importing import record_import_run
    from qunyun.storage.engine import write_errors

    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"未知时区 / unknown time zone {tz!r}")
    engine = database(db)
    community_id, slug = resolve_community(engine, community, create=True)
    failures = 0
    for file in files:
        try:
            parsed = open_export(file, chat=chat, tz=zone)
            started = time.perf_counter()
            counts = _run(engine, community_id, parsed)
            elapsed = time.perf_counter() - started
        except ImportFormatError as exc:
            failures += 1
            err_console.print(f"[red]✗[/] {exc}\n  本文件没有写入任何数据 / nothing from this file "
                              "was written", highlight=False)
            continue
        except write_errors() as exc:
            failures += 1
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            err_console.print(f"[red]✗[/] {file}: 写入数据库失败 / could not write to the database: "
                              f"{reason}\n  本文件没有写入任何数据 / nothing from this file was "
                              "written", highlight=False)
            continue
        except KeyboardInterrupt:
            err_console.print(f"\n[yellow]中断 interrupted[/]: {file} 没有写入任何数据；重新运行即可"
                              " / nothing was written, run again to resume", highlight=False)
            raise typer.Exit(130) from None
        record_import_run(engine, community_id=community_id, file=str(file), fmt=parsed.format,
                          counts=counts, skipped=parsed.stats.skipped)
        _summary(parsed, counts, slug, elapsed)
    if failures:
        raise typer.Exit(1)


def _run(engine: Engine, community_id: int, parsed: ParsedExport) -> RecordCounts:
    from qunyun.services.importing import import_batches

    show = os.environ.get("QUNYUN_PROGRESS", "1") != "0"
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), console=err_console, disable=not show,
                  transient=True) as progress:
        task = progress.add_task(f"导入 {Path(parsed.path).name}", total=parsed.size or None)

        def advance(_n: int) -> None:
            progress.update(task, completed=parsed.position[0])

        return import_batches(engine, community_id=community_id, batches=parsed.batches,
                              on_progress=advance)


def _summary(parsed: ParsedExport, counts: RecordCounts, slug: str, elapsed: float) -> None:
    s = parsed.stats
    table = Table(title=f"{parsed.path} → {slug}（{parsed.format}，{elapsed:.1f} s）",
                  show_header=False, title_justify="left")
    for label, value in (
        ("消息 messages", s.messages), ("成员 members", len(s.members)), ("入群 joins", s.joins),
        ("退群 leaves", s.leaves), ("改昵称 nickname changes", s.nickname_changes),
        ("撤回 recalls", s.recalls), ("表情回应 reactions", s.reactions),
        ("抢红包 red packets", s.red_packets), ("其他系统消息 other service lines", s.service),
        ("跳过的行 skipped lines", s.skipped),
        ("新记录 new events", counts.inserted), ("已存在 already imported", counts.duplicates),
    ):
        table.add_row(label, f"{value:,}")
    out_console.print(table)
    for line, reason in s.skipped_examples[:5]:
        out_console.print(f"  跳过 skipped {parsed.path}:{line}: {reason}", highlight=False)
    if s.skipped > 5:
        out_console.print(f"  … 另有 {s.skipped - 5} 行 / {s.skipped - 5} more", highlight=False)
    for name, ids in list(s.ambiguous_names.items())[:5]:
        out_console.print(f"  名字有歧义 ambiguous name {name!r}: {', '.join(ids)}",
                          highlight=False)

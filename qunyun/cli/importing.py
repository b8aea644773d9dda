"""`qunyun import FILE…`: read chat exports into the event log (I2).

The format comes from the content. Each file is imported whole or not at all; a file
that fails is reported with its line or byte offset and the others still import.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from qunyun.cli.common import DbUrl, database, err_console, fail, out_console

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from qunyun.event_batch import EventBatch
    from qunyun.importers.base import ParsedExport
    from qunyun.services.importing import Imported, Trace
    from qunyun.services.ingest import RecordCounts
    from qunyun.storage.events.frames import HeldLog
    from qunyun.storage.events.indexes import IndexBuild


def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="导出文件：Telegram JSON、WhatsApp txt、QQ txt、微信 CSV")],
    db: DbUrl = None,
    community: Annotated[str | None, typer.Option(help="社群标识（slug），不存在则创建")] = None,
    chat: Annotated[str | None, typer.Option(help="完整账号导出里要导入的聊天（名字或 id）")] = None,
    tz: Annotated[str, typer.Option(help="没有时区的导出按此时区理解")] = "Asia/Shanghai",
    strict: Annotated[bool, typer.Option(
        "--strict", help="有任何一行被跳过，这个文件就不导入（什么都不写）")] = False,
    report: Annotated[Path | None, typer.Option(
        "--report", help="导入后接着生成社群报告到此目录（同 qunyun report --out，省去再启动一次）")
    ] = None,
) -> None:
    """导入聊天记录（格式按内容识别）；同一文件重复导入不会重复记录。"""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"未知时区 / unknown time zone {tz!r}")
    engine = database(db)
    target, slug = _target(engine, community)
    failures = 0
    interrupt = _Interrupt()
    held: tuple[HeldLog, int] | None = None  # the last imported file's frames, for --report
    indexing: IndexBuild | None = None
    with interrupt.installed():
        for number, file in enumerate(files, 1):
            hold = _new_hold() if report is not None else None
            held = None  # a file's frames are dropped when the next one starts
            # With --report, the last file's member indexes (a new database's first
            # import) are built after its commit, beside the report (issue 12).
            beside = report is not None and number == len(files)
            outcome = _import_one(engine, file, target, slug, chat=chat, tz=zone, strict=strict,
                                  interrupt=interrupt, hold=hold, index_beside=beside,
                                  then=_preload_report if report is not None else None,
                                  done=files[:number - 1], left=files[number:])
            if outcome is None:
                failures += 1
            else:
                target, inserted, indexing = outcome
                held = (hold, inserted) if hold is not None else None
    if report is not None and isinstance(target, int):
        # The report of everything the community now holds, as `qunyun report` writes it;
        # in this process, so the interpreter, libraries and database are opened once, and
        # when the community holds just what the last file wrote, from its frames. Outside
        # the import's Ctrl-C handler: a Ctrl-C here stops the report at once.
        from qunyun.cli.report import full_report

        try:
            if interrupt.hit():  # after the last commit, before the report
                raise KeyboardInterrupt
            log = held[0].log(engine, community_id=target, inserted=held[1]) if held else None
            held = None
            full_report(engine, target, slug, report, held=log)
        except KeyboardInterrupt:
            _report_interrupted(indexing, slug, report)
    _indexes_done(indexing)
    if failures:
        if len(files) > 1:  # the ✗ lines may be far up, between the other files' tables
            err_console.print(f"[red]✗[/] {len(files)} 个文件中有 {failures} 个没有导入（见上面的 ✗ 行）"
                              f" / {failures} of {len(files)} files were not imported (see the ✗ "
                              "lines above)", highlight=False)
        raise typer.Exit(1)


def _report_interrupted(indexing: IndexBuild | None, slug: str, out: Path) -> NoReturn:
    """Ctrl-C during `--report`: the events are committed; the report is not finished, and
    an index build beside it is cancelled (the next start builds it)."""
    unbuilt = False
    if indexing is not None:
        indexing.cancel()
        try:
            indexing.wait()
        except BaseException:  # cancelled (or failed): built at the next start
            unbuilt = True
    later = ("；成员索引由下一个打开该数据库的命令自动建好 / the member indexes are built by the "
             "next command that opens the database" if unbuilt else "")
    err_console.print(
        f"\n[yellow]中断 interrupted[/]: 聊天记录已全部写入，报告没有生成（{out} 里原有的报告原样保留）；"
        f"再运行 qunyun report（同样的 --db，--community {slug} --out {out}）即可生成 / the events "
        f"are all written; the report was not written (a report already in {out} is left as it "
        f"was): run qunyun report with the same --db, --community {slug} --out {out}{later}",
        highlight=False)
    raise typer.Exit(130)


def _indexes_done(indexing: IndexBuild | None) -> None:
    """Wait for the member indexes built beside the report. The events are committed
    whatever happens here: a failed or interrupted build is said, and the next start
    builds the indexes (`storage.events.indexes.restore_missing`)."""
    if indexing is None:
        return
    try:
        indexing.wait()
    except KeyboardInterrupt:
        err_console.print("\n[yellow]中断 interrupted[/]: 聊天记录已全部写入；成员索引由下一个打开该数据库"
                          "的命令自动建好 / the events are all written; the member indexes are "
                          "built by the next command that opens the database", highlight=False)
        raise typer.Exit(130) from None
    except Exception as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        err_console.print(f"[yellow]⚠[/] 聊天记录已全部写入，但成员索引没能建好（{reason}）；下一个打开"
                          f"该数据库的命令会自动重建 / the events are all written, but the member "
                          f"indexes could not be built ({reason}); the next command that opens "
                          f"the database builds them", highlight=False)


_NOTHING = "\n  本文件没有写入任何数据 / nothing from this file was written"


def _preload_report() -> None:
    """What `--report` will need (the analytics and report modules, the HTML template),
    loaded by the import's reading thread once it has read the file, while the database
    merges the last batches: ~0.2 s of the report's start, off its path (issue 12)."""
    from qunyun.cli.report import preload

    preload()


def _new_hold() -> HeldLog:
    from qunyun.storage.events.frames import HeldLog

    return HeldLog()


def _import_one(engine: Engine, file: Path, target: int | str, slug: str, *, chat: str | None,
                tz: ZoneInfo, strict: bool, interrupt: _Interrupt, hold: HeldLog | None = None,
                index_beside: bool = False, then: Callable[[], None] | None = None,
                done: Sequence[Path] = (), left: Sequence[Path] = (),
                ) -> tuple[int, int, IndexBuild | None] | None:
    """Import one file, its own all-or-nothing unit: (community id, events inserted, the
    index build left running with `index_beside`), or None when the file failed (reported
    in one line). Ctrl-C ends the command, naming the files `done` before and `left`."""
    from qunyun.importers.base import ImportFormatError
    from qunyun.importers.detect import open_export
    from qunyun.services.importing import record_import_run
    from qunyun.storage.engine import write_errors

    try:
        parsed = open_export(file, chat=chat, tz=tz)
        started = time.perf_counter()

        def trace(conn: Connection, community_id: int, counts: RecordCounts) -> None:
            record_import_run(conn, community_id=community_id, file=str(file),
                              fmt=parsed.format, counts=counts, skipped=parsed.stats.skipped)

        with _collector_paused():
            community_id, counts, indexing = _run(
                engine, target, parsed, strict=strict, stop=interrupt.hit, hold=hold,
                then=then, trace=trace, index_beside=index_beside)
        elapsed = time.perf_counter() - started
    except KeyboardInterrupt:
        _interrupted(file, done, left)
    except ImportFormatError as exc:
        err_console.print(f"[red]✗[/] {exc}{_NOTHING}", highlight=False)
        return None
    except write_errors() as exc:
        if interrupt.hit() or _ctrl_c_in(exc):  # the driver saw the Ctrl-C first
            _interrupted(file, done, left)
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        err_console.print(f"[red]✗[/] {file}: 写入数据库失败 / could not write to the database: "
                          f"{reason}{_NOTHING}", highlight=False)
        return None
    except Exception as exc:  # a parser's bug in one file never stops the files after it
        if interrupt.hit() or _ctrl_c_in(exc):
            _interrupted(file, done, left)
        reason = (str(exc).strip().splitlines() or [""])[0][:200]
        err_console.print(f"[red]✗[/] {file}: 无法读取这个文件 / could not read this file "
                          f"({type(exc).__name__}: {reason}){_NOTHING}", highlight=False)
        return None
    _summary(parsed, counts, slug, elapsed)
    return community_id, counts.inserted, indexing


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while one file is read and written: the import makes
    millions of short-lived objects and no reference cycles (decoded messages are structs
    the collector does not track), so its passes over the growing column lists are pure
    cost (~0.2 s of a 200k-message import). Back on after the file, with what is alive
    then (the libraries' modules, classes and functions, ~0.05 s for a full pass) frozen
    out of its passes rather than walked once more: there is nothing among it to free."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.freeze()
            gc.enable()


def _ctrl_c_in(exc: BaseException) -> bool:
    """Whether a Ctrl-C caused `exc`. ADBC (the SQLite bulk load) swaps in its own SIGINT
    handler while it works and answers Ctrl-C by cancelling, which the SQLite driver cannot:
    it raises NotSupportedError("NOT_IMPLEMENTED") from KeyboardInterrupt, and our handler
    never hears of it (about 1 Ctrl-C in 4 landed there)."""
    seen: set[int] = set()
    chain: list[BaseException | None] = [exc]
    while chain:
        current = chain.pop()
        if current is None or id(current) in seen:
            continue
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        chain += [current.__cause__, current.__context__]
    return False


def _interrupted(file: Path, done: Sequence[Path] = (), left: Sequence[Path] = ()) -> NoReturn:
    """Ctrl-C: which file was rolled back, which were imported before it (they stay), which
    never started. Running the same command again imports what is missing: what is already
    in the log is recognised and not recorded twice."""
    lines = [f"\n[yellow]中断 interrupted[/]: {file} 没有写入任何数据 / nothing of it was written"]
    if done:
        lines.append(f"  已导入 imported (kept): {', '.join(str(f) for f in done)}")
    if left:
        lines.append(f"  未开始 not started: {', '.join(str(f) for f in left)}")
    lines.append("  再运行同一命令即可补上，已导入的不会重复 / run the same command again to import "
                 "the rest: nothing is recorded twice")
    err_console.print("\n".join(lines), highlight=False)
    raise typer.Exit(130)


class _Interrupt:
    """The first Ctrl-C is noted, and the import stops at its next batch (or before its
    commit) by raising KeyboardInterrupt there: raised inside a database driver, it
    surfaced as driver errors ("NOT_IMPLEMENTED") or as a pool-reset traceback. A second
    Ctrl-C stops at once."""

    def __init__(self) -> None:
        self._hit = False

    def hit(self) -> bool:
        return self._hit

    def _handle(self, _signum: int, _frame: object) -> None:
        if self._hit:
            raise KeyboardInterrupt
        self._hit = True

    @contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(signal.SIGINT, self._handle)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


def _target(engine: Engine, slug: str | None) -> tuple[int | str, str]:
    """The community to import into: its id, or its slug when it does not exist yet (the
    first file that imports creates it, in its own transaction)."""
    from qunyun.storage.community import communities as community_repo

    with engine.connect() as conn:
        if slug:
            found = community_repo.find_community(conn, slug=slug)
            return (found if found is not None else slug), slug
        existing = community_repo.list_communities(conn)
    if len(existing) == 1:
        only = existing[0]
        assert isinstance(only["id"], int)
        return only["id"], str(only["slug"])
    if not existing:
        return "default", "default"
    names = ", ".join(str(c["slug"]) for c in existing)
    fail(f"请用 --community 指定社群 / pick one with --community: {names}")


def _then(batches: Iterable[EventBatch], action: Callable[[], None]) -> Iterator[EventBatch]:
    """`batches`, then `action` once the last one is read: in the import's reading thread,
    while the database still merges the last batches (see `services.importing`)."""
    yield from batches
    with suppress(Exception):  # a head start only: the report does it itself if need be
        action()


def _run(engine: Engine, target: int | str, parsed: ParsedExport, *, strict: bool,
         stop: Callable[[], bool], hold: HeldLog | None = None,
         then: Callable[[], None] | None = None, trace: Trace | None = None,
         index_beside: bool = False) -> Imported:
    from qunyun.services.importing import import_into

    show = os.environ.get("QUNYUN_PROGRESS", "1") != "0"
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), console=err_console, disable=not show,
                  transient=True) as progress:
        task = progress.add_task(f"导入 {Path(parsed.path).name}", total=parsed.size or None)

        def advance(_n: int) -> None:
            progress.update(task, completed=parsed.position[0])

        batches = _strict(parsed) if strict else parsed.batches
        if then is not None:
            batches = _then(batches, then)
        return import_into(engine, community=target, batches=batches, on_progress=advance,
                           stop=stop, hold=hold, name=parsed.group.name, trace=trace,
                           index_beside=index_beside)


_UNIT = {"line": "行 lines", "message": "条消息 messages"}


def _strict(parsed: ParsedExport) -> Iterator[EventBatch]:
    """The file's batches; after the last one, a file with skipped lines fails (and the
    transaction, so nothing of it is written)."""
    from qunyun.importers.base import ImportFormatError

    yield from parsed.batches
    s = parsed.stats
    if s.skipped:
        first = min(lines[0] for lines in s.skipped_by_reason.values() if lines)
        groups = "；".join(f"{reason} × {n}" for reason, n in s.skipped_counts.items())
        message = f"--strict：跳过了 {s.skipped:,} {_UNIT[parsed.unit]} ({groups})"
        if parsed.unit == "line":
            raise ImportFormatError(parsed.path, message, line=first)
        raise ImportFormatError(parsed.path, f"{message}；第一条 first: message #{first}")


def _summary(parsed: ParsedExport, counts: RecordCounts, slug: str, elapsed: float) -> None:
    s = parsed.stats
    table = Table(title=f"{parsed.path} → {slug}（{parsed.format}，{elapsed:.1f} s）",
                  show_header=False, title_justify="left")
    for label, value in (
        ("消息 messages", s.messages), ("成员 members", len(s.members)), ("入群 joins", s.joins),
        ("退群 leaves", s.leaves), ("改昵称 nickname changes", s.nickname_changes),
        ("撤回 recalls", s.recalls), ("表情回应 reactions", s.reactions),
        ("抢红包 red packets", s.red_packets), ("其他系统消息 other service lines", s.service),
        ("跳过 skipped", s.skipped),
        ("新记录 new events", counts.inserted), ("已存在 already imported", counts.duplicates),
    ):
        table.add_row(label, f"{value:,}")
    out_console.print(table)
    for reason, n in sorted(s.skipped_counts.items(), key=lambda item: -item[1]):
        lines = s.skipped_by_reason.get(reason, [])
        shown = ", ".join(str(line) for line in lines[:10])
        more = " …" if n > len(lines[:10]) else ""
        # A JSON export's skipped items are numbered by their place in its `messages` list
        # (from 1), not by their ids (issue 12 walk14: 「第几条消息」 read as a question).
        where = (f"第 line {shown}{more}" if parsed.unit == "line" else
                 f"第 {shown}{more} 条消息（按导出中的顺序）/ message #{shown}{more} "
                 "(position in the export)")
        out_console.print(f"  跳过 skipped {n:,} {_UNIT[parsed.unit]} — {reason}："
                          f"{parsed.path} {where}", highlight=False)
    if s.deleted_accounts:
        written = "、".join(f"“{n}”" for n in sorted(s.deleted_names)[:5])
        out_console.print(f"  已注销账号 deleted accounts {len(s.deleted_accounts):,} 个：导出里写作"
                          f" written as {written}，各算一位成员、不合并为一人，报告里显示为"
                          "“已注销账号” / each its own member, never merged", highlight=False)
    if s.ambiguous_authors:
        shown = ", ".join(f"{line}（{read!r}，也可能是 or {other!r}）"
                          for line, read, other in s.ambiguous_author_examples[:5])
        more = " …" if s.ambiguous_authors > 5 else ""
        out_console.print(f"  发送者有歧义 ambiguous sender {s.ambiguous_authors:,} 行 lines, "
                          f"按第一段读 read as the first segment：第 line {shown}{more}",
                          highlight=False)
    if s.ambiguous_names:
        # A system line ("A invited B") names B by display name; when several accounts
        # used that name it cannot say which, and B is kept as a member of its own.
        named = list(s.ambiguous_names.items())
        shown = "；".join(f"{name!r}（{', '.join(ids)}）" for name, ids in named[:5])
        more = (f" …（还有 {len(named) - 5:,} 个 and {len(named) - 5:,} more）"
                if len(named) > 5 else "")
        out_console.print(f"  名字有歧义 ambiguous names {len(named):,} 个：系统消息按名字提到的人有多个"
                          f"账号同名，无法确定是谁，各单独记为一位成员 / a service line names "
                          f"someone whose name several accounts used, so each such name is kept "
                          f"as a member of its own：{shown}{more}", highlight=False)

"""Write a built report to a directory: report.json, members.csv, members.xlsx, report.html.

Each file is written to a temporary name and renamed into place, so an interrupted run
never leaves a half-written report where the previous one was; the four are made in
memory first and replaced together, a Ctrl-C in between waiting for the last rename, so
the directory never holds a mix of this report's files and the previous one's.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from qunyun.report.html import render_html
from qunyun.report.xlsx import workbook

MEMBER_COLUMNS = (
    "id", "name", "in_community", "tier", "tier_name", "tier_reason", "messages",
    "window_messages", "active_days", "first_seen", "last_seen", "last_message", "invited",
    "replies_received", "reactions_received", "red_packets", "placeholder_author",
)


def atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# OWASP's CSV-injection list: a cell starting with one of these is a formula in some
# spreadsheet program (a tab or carriage return before `=` still is in LibreOffice and
# older Excel, which strip leading whitespace before deciding).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet evaluates: formula starts get a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def members_csv(report: dict[str, Any]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(MEMBER_COLUMNS)
    for m in report["members"]:
        writer.writerow([inert_cell(m.get(c)) for c in MEMBER_COLUMNS])
    # UTF-8 with BOM: Excel on Windows (what most operators open it with) needs it for 中文.
    return buf.getvalue().encode("utf-8-sig")


def members_xlsx(report: dict[str, Any]) -> bytes:
    """H4: the member list and the tier to-do list as an Excel workbook. Cells hold text as
    text (inline strings), so a nickname starting with `=` is shown, never evaluated."""
    members = ([m.get(c) for c in MEMBER_COLUMNS] for m in report["members"])
    todo = ([t["tier"], t["tier_name"], t["action"], t["count"],
             "、".join(str(m["name"] or "（无名账号）") for m in t["members"])]
            for t in report["todo"])
    return workbook([
        ("成员 members", MEMBER_COLUMNS, members),
        ("分层待办 todo", ("tier", "tier_name", "action", "count", "members"), todo),
    ])


def write_report(report: dict[str, Any], out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "json": (out / "report.json", orjson.dumps(report, option=orjson.OPT_INDENT_2)),
        "csv": (out / "members.csv", members_csv(report)),
        "xlsx": (out / "members.xlsx", members_xlsx(report)),
        "html": (out / "report.html", render_html(report).encode("utf-8")),
    }
    with _ctrl_c_after():
        for path, data in files.values():
            atomic_write(path, data)
    return {kind: path for kind, (path, _) in files.items()}


@contextmanager
def _ctrl_c_after() -> Iterator[None]:
    """A Ctrl-C (SIGINT) while the block runs is raised when it ends (milliseconds: four
    writes and renames). Only where Python lets a handler be set (the main thread) and
    SIGINT is not ignored."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is signal.SIG_IGN):
        yield
        return
    pressed: list[bool] = []
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: pressed.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt

"""Shared CLI helpers: options, the language switch, clear one-line failures."""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer
from rich.console import Console
from sqlalchemy import Engine

from qunyun.storage.engine import DatabaseUnavailable

err_console = Console(stderr=True, soft_wrap=True)
out_console = Console(soft_wrap=True)

Lang = Annotated[str, typer.Option("--lang", help="zh（默认）或 en")]
DbUrl = Annotated[
    str | None,
    typer.Option("--db", help="数据库地址，默认 QUNYUN_DB 或 ./qunyun.db", envvar="QUNYUN_DB"),
]


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]错误 / error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def check_lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        fail(f"--lang 只能是 zh 或 en / --lang must be zh or en, got {lang!r}")
    return lang


def database(url: str | None) -> Engine:
    from qunyun.app import open_database

    try:
        return open_database(url)
    except DatabaseUnavailable as exc:
        fail(str(exc))

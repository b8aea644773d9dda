"""Shared CLI helpers: options, the language switch, clear one-line failures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:  # each command imports what it needs when it runs: a fast start
    from sqlalchemy import Engine

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
    from qunyun.storage.engine import DatabaseUnavailable

    try:
        return open_database(url)
    except DatabaseUnavailable as exc:
        fail(str(exc))


def resolve_community(engine: Engine, slug: str | None, *, create: bool) -> tuple[int, str]:
    """The community a command works on: `--community` (created if `create`), else the only
    one in the database, else `default` when the database is empty (and `create`)."""
    from qunyun.storage.community import communities as community_repo

    with engine.begin() as conn:
        if slug:
            found = community_repo.find_community(conn, slug=slug)
            if found is not None:
                return found, slug
            if create:
                return community_repo.get_or_create_community(
                    conn, slug=slug, name=slug, now_ms=0), slug
            existing = [str(c["slug"]) for c in community_repo.list_communities(conn)]
            fail(f"没有社群 {slug!r} / no community {slug!r}; 现有 existing: "
                 f"{', '.join(existing) or '（无 none）'}")
        existing_rows = community_repo.list_communities(conn)
        if len(existing_rows) == 1:
            only = existing_rows[0]
            assert isinstance(only["id"], int)
            return only["id"], str(only["slug"])
        if not existing_rows and create:
            return community_repo.get_or_create_community(
                conn, slug="default", name="default", now_ms=0), "default"
        names = ", ".join(str(c["slug"]) for c in existing_rows) or "（无 none）"
        fail(f"请用 --community 指定社群 / pick one with --community: {names}")

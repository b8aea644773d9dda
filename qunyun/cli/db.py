"""`qunyun db …`: create or upgrade the schema, show where the data lives."""

from __future__ import annotations

import typer

from qunyun.cli.common import DbUrl, database, out_console

app = typer.Typer(help="数据库：建表与升级 / database schema", no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(db: DbUrl = None) -> None:
    """把数据库升级到最新结构（幂等） / bring the schema up to date (idempotent)."""
    engine = database(db)
    out_console.print(f"数据库已是最新 / schema up to date: {engine.url.render_as_string()}")

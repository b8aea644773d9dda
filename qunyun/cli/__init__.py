"""The `qunyun` command: one typer app, each command group in its own module."""

from __future__ import annotations

import logging

import typer

from qunyun.cli import bot as bot_cmd
from qunyun.cli import db as db_cmd
from qunyun.cli import demo as demo_cmd
from qunyun.cli import importing as import_cmd
from qunyun.cli import plan as plan_cmd
from qunyun.cli import rehearse as rehearse_cmd
from qunyun.cli import report as report_cmd
from qunyun.cli import serve as serve_cmd
from qunyun.cli import up as up_cmd

app = typer.Typer(
    name="qunyun",
    help="群运 qunyun — 按运营手册运行社群：计划、机器人、导入、报告、控制台。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(plan_cmd.app, name="plan")
app.add_typer(db_cmd.app, name="db")
app.command("demo")(demo_cmd.demo)
app.command("demo-member")(demo_cmd.demo_member)
app.command("import")(import_cmd.import_cmd)
app.command("bot")(bot_cmd.bot_cmd)
app.command("account-add")(bot_cmd.account_add)
app.command("up")(up_cmd.up_cmd)
app.command("report")(report_cmd.report_cmd)
app.command("rehearse")(rehearse_cmd.rehearse_cmd)
serve_cmd.register(app)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()

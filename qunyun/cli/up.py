"""`qunyun up`: everything at once — the console and the bot (on a local homeserver unless
one is given), for a plan — until Ctrl-C. It is the tail of `./dev.sh run`.

The database holds the plan the bot runs: `--plan FILE` is imported only when its text
changed since that file was last imported (a plan saved in the console survives a
restart), and the bot then follows the stored plan, picking up a newly saved one within
seconds (`qunyun.bot.plan_reload`).

One process, one asyncio loop: uvicorn serves the console while the bot syncs. A stop
signal ends both in order: the console stops taking requests, the bot finishes the events
it holds, then the local homeserver is stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qunyun.cli.bot import ready_plan, running_plan, start_local
from qunyun.cli.common import DbUrl, database, out_console, resolve_community

if TYPE_CHECKING:
    import uvicorn
    from sqlalchemy import Engine

    from qunyun.plan.model import Plan

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python-camp.yaml"


def up_cmd(
    plan: Annotated[Path, typer.Option(help="社群计划 YAML")] = EXAMPLE,
    db: DbUrl = None,
    port: Annotated[int, typer.Option(envvar="QUNYUN_PORT",
                                      help="控制台端口 / console port")] = 8080,
    homeserver: Annotated[str | None, typer.Option(envvar="QUNYUN_MATRIX_HOMESERVER")] = None,
    token: Annotated[str | None, typer.Option(envvar="QUNYUN_MATRIX_TOKEN")] = None,
    local_dir: Annotated[Path, typer.Option(help="本地 Matrix 服务器数据目录")] = Path(
        ".qunyun-matrix"),
) -> None:
    """同时运行控制台与群机器人（默认在本机 Matrix 服务器上）。"""
    loaded = ready_plan(plan)
    assert loaded.plan is not None
    engine = database(db)
    community_id, slug = resolve_community(engine, loaded.plan.community.slug, create=True)
    running, running_text = running_plan(engine, community_id, plan, loaded)
    local = None
    if homeserver is None or token is None:
        local = start_local(local_dir, loaded.plan)
        homeserver, token = local.homeserver.url, local.bot_token
    try:
        server = _console(engine, port)
        if local is not None:
            out_console.print(
                f"Matrix（本机 local）: [bold]{homeserver}[/] · 用户 user [bold]{local.operator}[/]"
                f" · 密码 password [bold]{local.operator_password}[/] · 演示群 room "
                f"{local.room_id}", highlight=False)
        out_console.print(f"机器人 bot: 社群 {slug} · Ctrl-C 全部停止 / stops everything",
                          highlight=False)
        asyncio.run(_both(engine, server, community_id, running, running_text, homeserver,
                          token))
    finally:
        if local is not None:
            local.homeserver.stop()


def _console(engine: Engine, port: int) -> uvicorn.Server:
    import uvicorn

    from qunyun.services import operators as operator_service
    from qunyun.storage.community import communities as community_repo
    from qunyun.web.app import create_app

    with engine.connect() as conn:
        first_run = operator_service.needs_first_owner(conn)
        ids = [int(str(c["id"])) for c in community_repo.list_communities(conn)]
    setup = secrets.token_urlsafe(24) if first_run else None
    app = create_app(engine, secure_cookies=False, setup_token=setup)
    app.state.reports.warm(ids)
    base = f"http://127.0.0.1:{port}"
    out_console.print(f"群运控制台 console: [bold]{base}/[/]", highlight=False)
    if setup:
        out_console.print(f"  第一个所有者账号 first owner: {base}/setup?token={setup}",
                          highlight=False, markup=False)
    # No proxy in front of `up`: X-Forwarded-For from anything on this machine is ignored.
    return _quiet_server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                        proxy_headers=False))


def _quiet_server(config: uvicorn.Config) -> uvicorn.Server:
    """A uvicorn server that leaves signal handling to `qunyun up` (it stops two things)."""
    import uvicorn

    class QuietServer(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return QuietServer(config)


async def _both(engine: Engine, server: uvicorn.Server, community_id: int, plan: Plan,
                plan_text: str, homeserver: str, token: str) -> None:
    from qunyun.bot.app import run_matrix_bot

    stop = asyncio.Event()

    def shutdown() -> None:
        stop.set()
        server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, shutdown)
    bot = asyncio.create_task(run_matrix_bot(engine, community_id=community_id, plan=plan,
                                             homeserver=homeserver, token=token, stop=stop,
                                             plan_text=plan_text))
    await server.serve()
    shutdown()
    await bot

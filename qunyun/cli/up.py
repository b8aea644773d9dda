"""`qunyun up`: everything at once — the console and the bot (on a local homeserver unless
one is given), for a plan — until Ctrl-C. It is the tail of `./dev.sh run`.

Many communities (I1): beside the plan's community on Matrix, `up` runs every account
stored with `qunyun account-add` (Telegram, QQ/OneBot, Matrix; any community), each with
its community's stored plan, in the same process, as `qunyun bot` without `--plan` does
(`qunyun.bot.fleet`). `--accounts-only` runs just those (no plan file, no homeserver).

The database holds the plan the bot runs: `--plan FILE` is imported only when its text
changed since that file was last imported (a plan saved in the console survives a
restart), and the bot then follows the stored plan, picking up a newly saved one within
seconds (`qunyun.bot.plan_reload`).

One process, one asyncio loop: uvicorn serves the console while the bot syncs. A stop
signal ends both in order: the console stops taking requests, the bot finishes the events
it holds, then the local homeserver is stopped. The terminal is told each step: that it is
stopping (a second Ctrl-C cancels what is still running), then what stopped, where the
data stays and how to start again.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qunyun.cli.bot import (
    HomeserverPort,
    print_demo_members,
    ready_plan,
    room_line,
    running_plan,
    start_local,
)
from qunyun.cli.common import DbUrl, database, fail, out_console, resolve_community

if TYPE_CHECKING:
    import uvicorn
    from sqlalchemy import Engine

    from qunyun.bot.accounts import Account
    from qunyun.plan.model import Plan

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python-camp.yaml"


DEFAULT_PORT = 8080


def up_cmd(
    plan: Annotated[Path, typer.Option(help="社群计划 YAML")] = EXAMPLE,
    db: DbUrl = None,
    port: Annotated[int, typer.Option(envvar="QUNYUN_PORT",
                                      help="控制台端口 / console port")] = DEFAULT_PORT,
    homeserver: Annotated[str | None, typer.Option(envvar="QUNYUN_MATRIX_HOMESERVER")] = None,
    token: Annotated[str | None, typer.Option(envvar="QUNYUN_MATRIX_TOKEN")] = None,
    local_dir: Annotated[Path, typer.Option(help="本地 Matrix 服务器数据目录")] = Path(
        ".qunyun-matrix"),
    homeserver_port: HomeserverPort = None,
    accounts_only: Annotated[bool, typer.Option(
        "--accounts-only",
        help="只运行数据库里保存的账号（qunyun account-add），不用计划文件、不启动 Matrix"
             " / run only the stored accounts: no plan file, no homeserver")] = False,
    quiet: Annotated[bool, typer.Option(
        "--quiet", envvar="QUNYUN_QUIET",
        help="运行时不在终端逐条显示机器人做了什么（新人入群、移出、申诉…）"
             " / do not print a line per thing the bot does")] = False,
) -> None:
    """同时运行控制台与群机器人：计划的社群（默认在本机 Matrix 服务器上），以及数据库里
    每个社群保存的账号（Telegram、QQ、Matrix）。

    管理员群里的提醒附控制台页面的链接，地址是本次控制台的 http://127.0.0.1:端口；
    控制台在反向代理后面时，设环境变量 QUNYUN_CONSOLE_URL（如 https://qunyun.example.org）。
    / Alerts in the admins' room link to the console page they are about, at this console's
    http://127.0.0.1:PORT, or QUNYUN_CONSOLE_URL (e.g. https://qunyun.example.org) when the
    console is behind a proxy.
    """
    from qunyun.bot.fleet import runnable

    engine = database(db)
    stopping = _Stopping()
    main: _MatrixRun | None = None
    local = None
    if not accounts_only:
        loaded = ready_plan(plan)
        assert loaded.plan is not None
        community_id, slug = resolve_community(engine, loaded.plan.community.slug, create=True)
        running, running_text = running_plan(engine, community_id, plan, loaded)
        if homeserver is None or token is None:
            out_console.print("正在启动本机 Matrix 服务器 starting the local homeserver…",
                              highlight=False)
            local = start_local(local_dir, loaded.plan, homeserver_port)
            homeserver, token = local.homeserver.url, local.bot_token
        main = _MatrixRun(community_id, slug, running, running_text, homeserver, token)
    try:
        stored = _stored_accounts(runnable(engine), main)
        if main is None and not stored:
            fail("数据库里没有可运行的账号：先 qunyun account-add，并确保社群的计划已保存且可上线"
                 " / no stored accounts with a ready plan: qunyun account-add first", 1)
        server, setup = _console(engine, port)
        # What a person needs from here on, last and together (walk finding 31): the
        # console (and its one-time set-up link), the homeserver and the accounts.
        out_console.rule("现在可以用了 ready", style="green")
        base = f"http://127.0.0.1:{port}"
        out_console.print(f"群运控制台 console: [bold]{base}/[/]", highlight=False)
        linked = _record_console(engine, base)
        if linked != base:
            out_console.print(f"  机器人告警里的链接 links in the bot's alerts: {linked}/",
                              highlight=False)
        if setup:
            out_console.print(f"  第一个所有者账号 first owner: {base}/setup?token={setup}",
                              highlight=False, markup=False)
        if local is not None:
            out_console.print(
                f"Matrix（本机 local）: [bold]{homeserver}[/] · 用户 user [bold]{local.operator}[/]"
                f" · 密码 password [bold]{local.operator_password}[/]", highlight=False)
            out_console.print(f"  演示群 room: {room_line(local)}", highlight=False,
                              markup=False)
            print_demo_members(local)
        for account, _plan, _text in stored:
            out_console.print(f"账号 account: 社群 community {account.community_id} · "
                              f"{account.platform} {account.label}", highlight=False)
        if main is not None:
            out_console.print(f"机器人 bot: 社群 {main.slug} · Ctrl-C 全部停止 / stops "
                              "everything", highlight=False)
        else:
            out_console.print(f"机器人 bot: {len(stored)} 个账号 accounts · Ctrl-C 全部停止 / "
                              "stops everything", highlight=False)
        if not quiet:
            _print_activity(main.plan.bot.timezone if main is not None
                            else stored[0][1].bot.timezone)
        try:
            asyncio.run(_both(engine, server, main, stored, stopping))
        except asyncio.CancelledError:
            if not stopping.forced:
                raise
    finally:
        if local is not None:
            local.homeserver.stop()
    if stopping.asked:
        _say_stopped(engine, main, stored, local_dir if local is not None else None,
                     forced=stopping.forced, port=port)


def _print_activity(zone: str) -> None:
    """One line per notable thing the bot does while it runs (issue 11 walk finding 71),
    its time in the community's zone, said once here (walk13 #48: the terminal read UTC
    beside the bot's and the console's 北京时间)."""
    from qunyun import activity

    out_console.print("运行中：机器人做的事会逐条显示在下面（每分钟最多 "
                      f"{activity.BURST} 条；--quiet 不显示；{activity.zone_heading(zone)}）"
                      " / what the bot does shows below", highlight=False)
    activity.print_lines(lambda line: out_console.print(line, highlight=False, markup=False),
                         zone=zone)


@dataclass(frozen=True)
class _MatrixRun:
    """The plan's community on the given (or the local) homeserver."""

    community_id: int
    slug: str
    plan: Plan
    plan_text: str
    homeserver: str
    token: str


def _stored_accounts(chosen: list[tuple[Account, Plan, str]], main: _MatrixRun | None
                     ) -> list[tuple[Account, Plan, str]]:
    """The stored accounts `up` runs beside `main`: not `main`'s own homeserver account
    again, and the plan's community on the plan `main` runs (the file's, while the stored
    one is a draft that is not ready)."""
    if main is None:
        return chosen
    out = []
    for account, plan, text in chosen:
        if account.community_id == main.community_id:
            if account.platform == "matrix" and account.label == main.homeserver:
                continue  # the same bot as `main`: run once
            plan, text = main.plan, main.plan_text
        out.append((account, plan, text))
    return out


def _record_console(engine: Engine, base: str) -> str:
    """Where the bot's alerts link to: this console, or `QUNYUN_CONSOLE_URL` when set."""
    from qunyun.services import console_link

    with engine.begin() as conn:
        return console_link.record(conn, served_at=base)


def _console(engine: Engine, port: int) -> tuple[uvicorn.Server, str | None]:
    """The console's server, and its one-time set-up token while no owner exists."""
    import uvicorn

    from qunyun.services import operators as operator_service
    from qunyun.storage.community import communities as community_repo
    from qunyun.web.app import create_app
    from qunyun.web.render import warm_templates

    with engine.connect() as conn:
        first_run = operator_service.needs_first_owner(conn)
        ids = [int(str(c["id"])) for c in community_repo.list_communities(conn)]
    setup = secrets.token_urlsafe(24) if first_run else None
    app = create_app(engine, secure_cookies=False, setup_token=setup)
    app.state.reports.warm(ids)
    app.state.reports.watch()  # the live bot's events reach the report within seconds
    warm_templates()
    # No proxy in front of `up`: X-Forwarded-For from anything on this machine is ignored.
    return _quiet_server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                        proxy_headers=False)), setup


def _quiet_server(config: uvicorn.Config) -> uvicorn.Server:
    """A uvicorn server that leaves signal handling to `qunyun up` (it stops two things)."""
    import uvicorn

    class QuietServer(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return QuietServer(config)


@dataclass
class _Stopping:
    """Whether a stop was asked for (Ctrl-C or SIGTERM), and whether a second Ctrl-C forced
    it (the bots' tasks cancelled instead of finishing the events they hold)."""

    asked: bool = False
    forced: bool = False


def _say_stopped(engine: Engine, main: _MatrixRun | None,
                 stored: list[tuple[Account, Plan, str]], local_dir: Path | None, *,
                 forced: bool, port: int = DEFAULT_PORT) -> None:
    """What Ctrl-C stopped, where the data stays and how to start again (issue 11 #21: the
    terminal said nothing, and a newcomer could not tell whether anything was lost)."""
    stopped = ["控制台 console"]
    if main is not None:
        stopped.append(f"机器人 bot（社群 {main.slug}）")
    if stored:
        stopped.append(f"{len(stored)} 个已保存的账号 stored accounts")
    if local_dir is not None:
        stopped.append("本机 Matrix 服务器 local homeserver")
    how = "强制停止 forced" if forced else "已停止 stopped"
    out_console.print(f"{how}: {'、'.join(stopped)}", highlight=False, markup=False)
    url = engine.url
    where = (str(Path(url.database).resolve()) if url.get_backend_name() == "sqlite"
             and url.database and url.database != ":memory:"
             else url.render_as_string(hide_password=True))
    out_console.print(f"数据都在 data stays in: 数据库 database {where}", highlight=False,
                      markup=False)
    if local_dir is not None:
        out_console.print(f"  本机 Matrix 的账号、房间和聊天记录 local Matrix accounts, rooms and "
                          f"messages: {local_dir.resolve()}", highlight=False, markup=False)
    # The console's port as it was started (walk13 #15: the hint put it back on 8080, the
    # port the walker had to avoid); the local homeserver keeps its own port by itself.
    options = f" --port {port}" if port != DEFAULT_PORT else ""
    out_console.print(f"再次启动 start again: ./dev.sh run{options}（或 or qunyun up{options}）；"
                      "什么都不会丢，机器人从停下的地方接着处理 nothing is lost, the bot resumes "
                      "where it stopped", highlight=False, markup=False)


async def _both(engine: Engine, server: uvicorn.Server, main: _MatrixRun | None,
                stored: list[tuple[Account, Plan, str]], stopping: _Stopping) -> None:
    from qunyun.bot import accounts
    from qunyun.bot.app import run_matrix_bot
    from qunyun.bot.fleet import run_fleet

    stop = asyncio.Event()
    this = asyncio.current_task()

    def shutdown() -> None:
        if stopping.asked:
            # A second Ctrl-C: do not wait for the bots to finish what they hold.
            stopping.forced = True
            out_console.print("再次收到 Ctrl-C：强制停止 / Ctrl-C again: forcing the stop",
                              highlight=False, markup=False)
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)  # a third one is Python's own interrupt
            if this is not None:
                this.cancel()
            return
        stopping.asked = True
        out_console.print("正在停止 stopping: 控制台不再接受请求，机器人处理完手头的消息后退出"
                          "（再按一次 Ctrl-C 强制停止 / Ctrl-C again forces it）…",
                          highlight=False, markup=False)
        stop.set()
        server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, shutdown)
    bots: list[asyncio.Task[object]] = []
    if main is not None:
        key = accounts.status_key(main.community_id, "matrix", main.homeserver)
        bots.append(asyncio.create_task(run_matrix_bot(
            engine, community_id=main.community_id, plan=main.plan, homeserver=main.homeserver,
            token=main.token, stop=stop, plan_text=main.plan_text, status_key=key)))
    if stored:
        bots.append(asyncio.create_task(run_fleet(engine, stop, stored)))
    await server.serve()
    stop.set()  # the console is down (asked to stop, or it could not serve): the bots too
    await asyncio.gather(*bots)

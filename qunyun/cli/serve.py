"""`qunyun serve` (the console) and `qunyun operator …` (console accounts).

There is no default password: while no operator exists, `serve` prints a one-time setup
link for the first owner; `qunyun operator add` creates accounts from the shell.

`serve` runs several uvicorn worker processes (`--workers`, default: one per CPU core, at
most 4), each building the app in `qunyun.web.worker`. X-Forwarded-For / -Proto are
believed only from the proxies given with `--forwarded-allow-ips`; by default no one's
(uvicorn itself would trust 127.0.0.1, which lets anything on the machine pick its
address for the sign-in limits).
"""

from __future__ import annotations

import os
import secrets
import sys
from typing import Annotated

import typer

from qunyun.cli.common import DbUrl, database, fail, out_console, resolve_community

# Pages are CPU work under one GIL: a few threads per worker keep a page's database
# waits overlapped without interleaving dozens of pages (anyio's default pool is 40).
DEFAULT_THREADS = 8

operator_app = typer.Typer(help="控制台操作员账号 / console operator accounts",
                           no_args_is_help=True)


def serve(
    db: DbUrl = None,
    host: Annotated[str, typer.Option(help="监听地址 / address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口 / port")] = 8080,
    secure_cookies: Annotated[
        bool | None,
        typer.Option("--secure-cookies/--no-secure-cookies",
                     help="Cookie 仅经 HTTPS 发送；默认：非本机地址时开启"),
    ] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, max=64, help="工作进程数 / worker processes (default: CPU cores, at most 4)",
    )] = None,
    threads: Annotated[int, typer.Option(
        min=1, max=64, help="每个工作进程同时处理的请求数 / requests each worker runs at once "
                            "(its thread pool; the rest wait in arrival order)",
    )] = DEFAULT_THREADS,
    forwarded_allow_ips: Annotated[str | None, typer.Option(
        "--forwarded-allow-ips",
        help="信任其 X-Forwarded-For 的反向代理地址（逗号分隔）；默认不信任任何人 / proxies "
             "whose X-Forwarded-For is believed (comma-separated); default: none",
    )] = None,
) -> None:
    """运行网页控制台 / run the web console."""
    import uvicorn

    from qunyun.services import console_link
    from qunyun.services import operators as operator_service
    from qunyun.web import worker
    from qunyun.web.security import is_local_host

    engine = database(db)
    with engine.connect() as conn:
        first_run = operator_service.needs_first_owner(conn)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{port}"
    with engine.begin() as conn:
        # Where the bot's alerts link to (QUNYUN_CONSOLE_URL behind a proxy).
        linked = console_link.record(conn, served_at=base)
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    token = secrets.token_urlsafe(24) if first_run else None
    secure = secure_cookies if secure_cookies is not None else not is_local_host(host)
    processes = workers if workers is not None else max(1, min(4, os.cpu_count() or 1))
    os.environ[worker.ENV_DB] = url
    os.environ[worker.ENV_SECURE] = "1" if secure else "0"
    os.environ[worker.ENV_SETUP] = token or ""
    os.environ[worker.ENV_THREADS] = str(threads)
    out_console.print(f"群运控制台 qunyun console: {base}/", highlight=False)
    if linked != base:
        out_console.print(f"  机器人告警里的链接 links in the bot's alerts: {linked}/",
                          highlight=False)
    if secure:
        out_console.print(
            "登录 Cookie 只经 HTTPS 发送（请在前面放 TLS 反向代理）；纯 HTTP 请加 --no-secure-cookies"
            " / session cookies are HTTPS-only (put a TLS proxy in front); plain HTTP needs "
            "--no-secure-cookies", highlight=False, markup=False)
    if token:
        out_console.print(
            "还没有操作员：用这个一次性链接创建第一个所有者账号 / no operator yet — create the "
            f"first owner with this one-time link:\n  {base}/setup?token={token}\n"
            "或 or: qunyun operator add NAME --role owner", highlight=False, markup=False)
    trusted = (forwarded_allow_ips or "").strip()
    uvicorn.run("qunyun.web.worker:app", factory=True, host=host, port=port,
                workers=processes, log_level="warning", proxy_headers=bool(trusted),
                forwarded_allow_ips=trusted or None, server_header=False)


@operator_app.command("add")
def operator_add(
    username: Annotated[str, typer.Argument(help="用户名 / username")],
    role: Annotated[str, typer.Option(help="owner | admin | volunteer | viewer")] = "viewer",
    community: Annotated[list[str] | None, typer.Option(
        "--community", help="可访问的社群（可多次）/ community slug (repeatable)")] = None,
    all_communities: Annotated[bool, typer.Option(
        "--all-communities", help="可访问全部社群 / every community")] = False,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="从标准输入读取密码 / read the password from stdin")] = False,
    db: DbUrl = None,
) -> None:
    """添加控制台操作员 / add a console operator."""
    from qunyun.services import operators as operator_service

    engine = database(db)
    scope: set[int] = set()
    for slug in community or []:
        scope.add(resolve_community(engine, slug, create=False)[0])
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True)
    try:
        with engine.begin() as conn:
            op = operator_service.create_operator(
                conn, username=username, password=password, role=role, communities=scope,
                all_communities=all_communities, by="cli")
    except operator_service.OperatorError as exc:
        fail(str(exc), code=1)
    where = "全部社群 all communities" if op.all_communities else (
        ", ".join(community or []) or "（无 none）")
    out_console.print(f"已添加 added {op.username} ({op.role}) · {where}", highlight=False)


@operator_app.command("list")
def operator_list(db: DbUrl = None) -> None:
    """列出操作员 / list operators."""
    from qunyun.services import operators as operator_service

    engine = database(db)
    with engine.connect() as conn:
        for row in operator_service.list_operators(conn):
            scope = "all" if row["all_communities"] else "scoped"
            state = " disabled" if row["disabled"] else ""
            out_console.print(f"{row['username']:20} {row['role']:10} {scope}{state}",
                              highlight=False, markup=False)


@operator_app.command("password")
def operator_password(
    username: Annotated[str, typer.Argument(help="用户名 / username")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    db: DbUrl = None,
) -> None:
    """重设密码（旧会话失效） / reset a password (ends existing sessions)."""
    from qunyun.services import operators as operator_service

    engine = database(db)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("新密码 / new password", hide_input=True,
                                confirmation_prompt=True)
    try:
        with engine.begin() as conn:
            operator_service.set_password(conn, username=username, password=password)
    except operator_service.OperatorError as exc:
        fail(str(exc), code=1)
    out_console.print(f"已更新 updated {username}", highlight=False)


@operator_app.command("role")
def operator_role(
    username: Annotated[str, typer.Argument(help="用户名 / username")],
    role: Annotated[str, typer.Argument(help="owner | admin | volunteer | viewer")],
    db: DbUrl = None,
) -> None:
    """修改角色（该账号的会话全部结束） / change a role (ends that operator's sessions)."""
    from qunyun.services import operators as operator_service

    engine = database(db)
    try:
        with engine.begin() as conn:
            operator_service.set_role(conn, username=username, role=role)
    except operator_service.OperatorError as exc:
        fail(str(exc), code=1)
    out_console.print(f"已更新 updated {username} → {role}", highlight=False)


@operator_app.command("remove")
def operator_remove(
    username: Annotated[str, typer.Argument(help="用户名 / username")],
    db: DbUrl = None,
) -> None:
    """停用账号并结束其全部会话 / disable an account and end all its sessions."""
    from qunyun.services import operators as operator_service

    engine = database(db)
    try:
        with engine.begin() as conn:
            operator_service.remove_operator(conn, username=username)
    except operator_service.OperatorError as exc:
        fail(str(exc), code=1)
    out_console.print(f"已停用 removed {username}", highlight=False)


def register(app: typer.Typer) -> None:
    """The console's commands on the `qunyun` app."""
    app.command("serve")(serve)
    app.add_typer(operator_app, name="operator")

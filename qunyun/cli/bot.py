"""`qunyun bot`: the live bot on a Matrix homeserver (or, with `--platform onebot|telegram`,
on QQ through OneBot 11 or on Telegram), driven by a community plan (I1).

With `--homeserver URL --token TOKEN` (or QUNYUN_MATRIX_HOMESERVER / QUNYUN_MATRIX_TOKEN)
it joins that homeserver as the token's user. Without them it starts a local Synapse in
`--local-dir` (default ./.qunyun-matrix) with a demo room and prints how to log in, so
the bot can be tried at once. Stops cleanly on Ctrl-C or SIGTERM; a killed bot resumes
from its saved sync token without missing or repeating events.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qunyun.cli.common import DbUrl, database, err_console, fail, out_console, resolve_community

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from qunyun.bot.app import LocalSetup
    from qunyun.plan.load import LoadedPlan
    from qunyun.plan.model import Plan


def ready_plan(plan: Path) -> LoadedPlan:
    """The plan, or exit 1 with its findings: the bot only runs a plan ready to launch."""
    from qunyun.plan.check import check_loaded, is_ready
    from qunyun.plan.load import load_plan

    loaded = load_plan(plan)
    if loaded.plan is None or not is_ready(check_loaded(loaded)):
        for finding in check_loaded(loaded):
            err_console.print(finding.format(str(plan), "zh"), highlight=False, markup=False)
        fail(f"计划还不能上线，先修正上面的问题 / plan not ready: {plan}", 1)
    return loaded


def running_plan(engine: Engine, community_id: int, path: Path, loaded: LoadedPlan
                 ) -> tuple[Plan, str]:
    """Import the file if it changed, then the stored plan (with its text) the bot runs.

    A stored plan that is not ready (a draft saved in the console) is not run: the file's
    plan is, until the stored one is fixed (the bot then picks it up by itself)."""
    from qunyun.plan.check import check_loaded, is_ready
    from qunyun.plan.load import parse_plan
    from qunyun.services import plans as plan_service

    assert loaded.plan is not None
    with engine.begin() as conn:
        # No bot ran a plan of this community yet: this is its first start.
        first = plan_service.bot_plan_state(conn, community_id=community_id) is None
        imported = plan_service.import_file(conn, community_id=community_id,
                                            path=str(path.resolve()), text=loaded.raw)
        text = plan_service.stored_text(conn, community_id=community_id) or loaded.raw
        source = plan_service.source_of(conn, community_id=community_id) or {}
    from_file = source.get("source") == "file" and source.get("origin") == str(path.resolve())
    if first and (imported or from_file):
        # Imported now, or a moment ago by the tour (`qunyun demo`): either way the file's
        # plan is new to the bot, and "unchanged" would be wrong (walk finding 5).
        out_console.print(f"计划 plan: 首次导入 {path} imported (first run)", highlight=False)
    elif imported:
        out_console.print(f"计划 plan: 文件有改动，已重新导入 {path} re-imported (the file "
                          "changed)", highlight=False)
    else:
        where = (f"控制台 console（{source.get('origin')}）" if source.get("source") == "console"
                 else str(source.get("origin") or path))
        out_console.print(f"计划 plan: 文件未改动，运行数据库中的计划 running the stored plan"
                          f"（来自 from {where}）", highlight=False)
    stored = parse_plan(text)
    findings = check_loaded(stored)
    if stored.plan is None or not is_ready(findings):
        errors = sum(1 for f in findings if f.severity == "error")
        out_console.print(f"[yellow]数据库中的计划还有 {errors} 个问题，机器人先按 {path} 运行；"
                          "在控制台修正并保存后会自动载入[/]", highlight=False)
        return loaded.plan, loaded.raw
    return stored.plan, text


# `qunyun up` / `qunyun bot` (and `./dev.sh run --homeserver-port N`): the local
# homeserver's port, kept in the data directory for the next start (walk finding 2).
HomeserverPort = Annotated[int | None, typer.Option(
    "--homeserver-port", envvar="QUNYUN_HOMESERVER_PORT", min=1, max=65535,
    help="本机 Matrix 服务器的端口（不填：上次的端口，第一次随机选一个空闲端口；选定后保留）"
         " / the local homeserver's port (default: the last one, first time a free one; "
         "kept for the next start)")]


def start_local(local_dir: Path, plan: Plan, port: int | None = None) -> LocalSetup:
    """The local homeserver with the bot, an operator and a demo room (exit 2 if it fails)."""
    from qunyun.adapters.matrix.homeserver import HomeserverError
    from qunyun.bot.app import prepare_local

    try:
        return prepare_local(local_dir.resolve(), room_name=plan.community.name, port=port)
    except HomeserverError as exc:
        fail(str(exc))


def room_line(local: LocalSetup) -> str:
    """The demo room as a person looks for it in a client: its name, the id after it
    (walk finding 4: the id alone said nothing; the README names the room)."""
    return f"「{local.room_name}」（{local.room_id}）" if local.room_name else local.room_id


def print_demo_members(local: LocalSetup) -> None:
    """The demo's member accounts and how to sign in as one (README: "Try it as a member")."""
    from qunyun.bot.demo_members import sign_in_lines

    if local.members:
        out_console.print("以成员身份试试 try it as a member（Element 等任意 Matrix 客户端；"
                          "qunyun demo-member 名字 再建一个）:", highlight=False)
    for member in local.members:
        line = " · ".join(part.strip() for part in sign_in_lines(
            local.homeserver.url, member, local.room_name)[2:4])
        out_console.print(f"  {member.name}: {line}", highlight=False, markup=False)
    for problem in local.problems:
        out_console.print(f"  [yellow]{problem}[/]", highlight=False)


def bot_cmd(
    plan: Annotated[Path | None, typer.Option(
        help="社群计划 YAML；不填则运行数据库里每个社群已保存的账号和计划（qunyun account-add）"
             " / community plan; without it every community's stored accounts and plan")
    ] = None,
    db: DbUrl = None,
    community: Annotated[str | None, typer.Option(help="社群标识（默认取计划的 slug）")] = None,
    homeserver: Annotated[str | None, typer.Option(
        envvar="QUNYUN_MATRIX_HOMESERVER", help="Matrix 服务器地址，如 https://matrix.example.org")
    ] = None,
    token: Annotated[str | None, typer.Option(
        envvar="QUNYUN_MATRIX_TOKEN", help="机器人账号的 access token")] = None,
    local_dir: Annotated[Path, typer.Option(help="本地试用服务器的数据目录")] = Path(
        ".qunyun-matrix"),
    homeserver_port: HomeserverPort = None,
    timeout_ms: Annotated[int, typer.Option(help="长轮询时长（毫秒）")] = 30_000,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    platform: Annotated[str, typer.Option(
        help="平台 platform: matrix（默认）、onebot（QQ，经 NapCat / Lagrange.OneBot / LLOneBot）"
             "或 telegram")] = "matrix",
    onebot_url: Annotated[str | None, typer.Option(
        envvar="QUNYUN_ONEBOT_URL", help="OneBot 11 正向 WebSocket 地址，如 ws://127.0.0.1:3001")
    ] = None,
    onebot_token: Annotated[str | None, typer.Option(
        envvar="QUNYUN_ONEBOT_TOKEN", help="OneBot 的 access token")] = None,
    onebot_listen: Annotated[str | None, typer.Option(
        envvar="QUNYUN_ONEBOT_LISTEN",
        help="反向 WebSocket：在 HOST:PORT 等 OneBot 实现连进来，如 0.0.0.0:8081 "
             "(reverse WebSocket: the implementation dials ws://HOST:PORT/onebot/v11/ws)")
    ] = None,
    telegram_token: Annotated[str | None, typer.Option(
        envvar="QUNYUN_TELEGRAM_TOKEN", help="BotFather 给的机器人 token")] = None,
    telegram_webhook: Annotated[str | None, typer.Option(
        envvar="QUNYUN_TELEGRAM_WEBHOOK",
        help="Webhook 模式：控制台的公网 HTTPS 地址，如 https://qy.example.com（不填则长轮询）"
             " (webhook mode: the console's public base URL)")] = None,
    telegram_api: Annotated[str | None, typer.Option(
        envvar="QUNYUN_TELEGRAM_API", help="Bot API 服务器（默认 https://api.telegram.org）")
    ] = None,
) -> None:
    """运行群机器人（Matrix、QQ 或 Telegram）：欢迎、新人任务、群规执行、打卡积分、预警。

    管理员群里的提醒附控制台页面的链接：地址是 qunyun up / qunyun serve 启动时记在数据库里的；
    控制台在反向代理后面时，设环境变量 QUNYUN_CONSOLE_URL（如 https://qunyun.example.org）。
    两者都没有就不附链接。
    / Alerts in the admins' room link to the console page they are about, at the address
    qunyun up / qunyun serve recorded on start, or QUNYUN_CONSOLE_URL (e.g.
    https://qunyun.example.org) when the console is behind a proxy; no link without either.
    """
    logging.getLogger("qunyun").setLevel(logging.DEBUG if verbose else logging.INFO)
    if plan is None:
        _fleet(database(db))
        return
    if platform not in ("matrix", "onebot", "telegram"):
        fail(f"未知平台 {platform!r}：可选 matrix、onebot、telegram / unknown platform")
    if platform == "onebot" and not (onebot_url or onebot_listen):
        fail("QQ 需要 --onebot-url（正向 WebSocket 地址）或 --onebot-listen（反向 WebSocket 监听"
             "地址）/ give --onebot-url or --onebot-listen")
    if onebot_listen and not onebot_listen.rpartition(":")[2].isdigit():
        fail("--onebot-listen 写成 HOST:PORT，如 0.0.0.0:8081 / HOST:PORT")
    if platform == "telegram" and not telegram_token:
        fail("Telegram 需要 --telegram-token（BotFather 给的 token）/ give --telegram-token")
    loaded = ready_plan(plan)
    assert loaded.plan is not None
    engine = database(db)
    community_id, slug = resolve_community(engine, community or loaded.plan.community.slug,
                                           create=True)
    running, running_text = running_plan(engine, community_id, plan, loaded)
    if platform != "matrix":
        out_console.print(f"机器人运行中 bot running for [bold]{slug}[/] on {platform}；"
                          "Ctrl-C 停止 to stop", highlight=False)
        asyncio.run(_run_adapter(engine, community_id, running, running_text, platform,
                                 onebot_url, onebot_token, telegram_token, telegram_api,
                                 onebot_listen, telegram_webhook))
        return
    if (homeserver is None) != (token is None):
        fail("--homeserver 和 --token 需要同时给出 / give both --homeserver and --token")
    local = None
    if homeserver is None or token is None:
        local = start_local(local_dir, loaded.plan, homeserver_port)
        homeserver, token = local.homeserver.url, local.bot_token
        out_console.print(
            f"本地 Matrix 服务器 local homeserver: [bold]{homeserver}[/]\n"
            f"用任意 Matrix 客户端登录 log in with any Matrix client (e.g. Element):\n"
            f"  用户 user: [bold]{local.operator}[/]  密码 password: [bold]"
            f"{local.operator_password}[/]\n"
            f"  演示群 demo room: {room_line(local)}（已邀请你 / you are in it）",
            highlight=False)
        print_demo_members(local)
    out_console.print(f"机器人运行中 bot running for [bold]{slug}[/]；Ctrl-C 停止 to stop",
                      highlight=False)
    try:
        asyncio.run(_run(engine, community_id, running, running_text, homeserver, token,
                         timeout_ms))
    finally:
        if local is not None:
            local.homeserver.stop()


async def _run(engine: Engine, community_id: int, plan: Plan, plan_text: str, homeserver: str,
               token: str, timeout_ms: int) -> None:
    from qunyun.bot import accounts
    from qunyun.bot.app import run_matrix_bot

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Listed on the console's home page like a stored account (connected, last sync).
    key = accounts.status_key(community_id, "matrix", homeserver)
    await run_matrix_bot(engine, community_id=community_id, plan=plan, homeserver=homeserver,
                         token=token, stop=stop, timeout_ms=timeout_ms, plan_text=plan_text,
                         status_key=key)


async def _run_adapter(engine: Engine, community_id: int, plan: Plan, plan_text: str,
                       platform: str, onebot_url: str | None, onebot_token: str | None,
                       telegram_token: str | None, telegram_api: str | None,
                       onebot_listen: str | None = None,
                       telegram_webhook: str | None = None) -> None:
    from qunyun.bot import accounts
    from qunyun.bot.platforms import run_adapter_bot

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    label = accounts.label_of(platform, {"telegram_token": telegram_token,
                                         "onebot_url": onebot_url,
                                         "onebot_listen": onebot_listen})
    await run_adapter_bot(engine, community_id=community_id, plan=plan, platform=platform,
                          stop=stop, onebot_url=onebot_url, onebot_token=onebot_token,
                          telegram_token=telegram_token, telegram_api=telegram_api,
                          plan_text=plan_text, onebot_listen=onebot_listen,
                          telegram_webhook=telegram_webhook,
                          status_key=accounts.status_key(community_id, platform, label))


def _fleet(engine: Engine) -> None:
    """Every community's stored accounts, each with its community's stored plan."""
    from qunyun.bot.fleet import run_fleet, runnable

    chosen = runnable(engine)
    if not chosen:
        fail("数据库里没有可运行的账号：先 qunyun account-add，并确保社群的计划已保存且可上线"
             " / no stored accounts with a ready plan: qunyun account-add first", 1)
    for account, _plan, _text in chosen:
        out_console.print(f"  社群 community {account.community_id}: {account.platform} "
                          f"{account.label}", highlight=False)
    out_console.print(f"机器人运行中 bot running {len(chosen)} 个账号 accounts；Ctrl-C 停止 to stop",
                      highlight=False)

    async def go() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_fleet(engine, stop, chosen)

    asyncio.run(go())


def account_add(
    community: Annotated[str, typer.Argument(help="社群标识 community slug")],
    platform: Annotated[str, typer.Option(help="telegram、onebot 或 matrix")],
    db: DbUrl = None,
    telegram_token: Annotated[str | None, typer.Option(envvar="QUNYUN_TELEGRAM_TOKEN")] = None,
    telegram_webhook: Annotated[str | None, typer.Option(
        help="控制台的公网地址（webhook 模式） / console base URL for webhook mode")] = None,
    telegram_api: Annotated[str | None, typer.Option()] = None,
    onebot_url: Annotated[str | None, typer.Option(help="正向 WebSocket 地址")] = None,
    onebot_listen: Annotated[str | None, typer.Option(help="反向 WebSocket 监听 HOST:PORT")] = None,
    onebot_token: Annotated[str | None, typer.Option(envvar="QUNYUN_ONEBOT_TOKEN")] = None,
    homeserver: Annotated[str | None, typer.Option()] = None,
    token: Annotated[str | None, typer.Option(envvar="QUNYUN_MATRIX_TOKEN")] = None,
) -> None:
    """给社群添加一个平台账号（qunyun bot 不带 --plan 时运行） / store a platform account."""
    from qunyun.bot import accounts

    settings = {k: v for k, v in {
        "telegram_token": telegram_token, "telegram_webhook": telegram_webhook,
        "telegram_api": telegram_api, "onebot_url": onebot_url, "onebot_listen": onebot_listen,
        "onebot_token": onebot_token, "homeserver": homeserver, "token": token}.items() if v}
    needed = {"telegram": ("telegram_token",), "onebot": (), "matrix": ("homeserver", "token")}
    if platform not in needed:
        fail(f"未知平台 {platform!r}：可选 telegram、onebot、matrix / unknown platform")
    missing = [n for n in needed[platform] if n not in settings]
    if platform == "onebot" and not (onebot_url or onebot_listen):
        missing.append("onebot_url / onebot_listen")
    if missing:
        fail("缺少 missing: " + ", ".join("--" + m.replace("_", "-") for m in missing))
    engine = database(db)
    community_id, slug = resolve_community(engine, community, create=False)
    with engine.begin() as conn:
        label = accounts.add(conn, community_id=community_id, platform=platform,
                             settings=settings)
    out_console.print(f"已保存 saved: {slug} → {platform} {label}", highlight=False)

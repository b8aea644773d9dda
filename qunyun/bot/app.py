"""Run the bot on Matrix: plan → policies → pipeline → `MatrixBot`, until told to stop (I1).

`run_matrix_bot` is what `qunyun bot` calls; tests call it too (in a subprocess when they
kill it). `prepare_local` sets up the local homeserver a new user can try the bot on:
a bot account, an operator account, a demo room and three member accounts invited to it
(`qunyun.bot.demo_members`), remembered in the data directory so a second start finds the
same ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from qunyun.adapters.matrix.client import HttpMatrixApi, MatrixError
from qunyun.adapters.matrix.homeserver import HomeserverError, LocalHomeserver
from qunyun.adapters.matrix.runner import CAPABILITIES, MatrixBot
from qunyun.bot.demo_members import STATE_FILE, DemoMember, add_demo_members, members_of
from qunyun.bot.plan_reload import PlanReload
from qunyun.bot.wiring import build_policies, build_scheduler
from qunyun.events import GroupRef
from qunyun.pipeline.dispatcher import Dispatcher
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.model import Plan
from qunyun.policies.base import serving

log = logging.getLogger("qunyun.bot")


async def run_matrix_bot(engine: Engine, *, community_id: int, plan: Plan, homeserver: str,
                         token: str, stop: asyncio.Event, timeout_ms: int = 30_000,
                         plan_text: str | None = None, plan_interval: float = 2.0,
                         status_key: str | None = None) -> None:
    """Run until `stop`. With `plan_text` (the stored text `plan` was parsed from), the bot
    follows the community's stored plan: a newly saved one is applied within
    `plan_interval` seconds (`qunyun.bot.plan_reload`). With `status_key`, the account
    reports whether it is connected and when it last synced (the console's accounts)."""
    client = HttpMatrixApi(homeserver, token)
    try:
        bot_user_id = await _whoami(client, stop, engine, status_key)
        if bot_user_id is None:
            return
        def room_admins(group: GroupRef) -> frozenset[str]:
            # The room's moderators (power ≥ 50), as the bot last saw them: admins to the
            # policies unless the plan says otherwise. DMs arrive as `kind="direct"`.
            return bot.moderators(group.group_id)

        # Its own rooms only: a Telegram or QQ account of the community beside it in the
        # process sends to its groups (issue 16).
        serves = serving(MatrixBot.platform)
        pipeline = Pipeline(engine, community_id=community_id,
                            policies=build_policies(plan, room_admins=room_admins,
                                                    capabilities=CAPABILITIES, serves=serves),
                            plan=plan)
        bot = MatrixBot(client, pipeline, bot_user_id=bot_user_id, homeserver=homeserver,
                        admin_room=plan.bot.admin_room,
                        admin_room_name=f"{plan.community.name} 管理组",
                        admin_invites=plan.bot.admins,
                        scheduler=build_scheduler(engine, community_id=community_id, plan=plan,
                                                  serves=serves))
        bot.status_key = status_key
        bot.account = bot_user_id

        def apply(new: Plan) -> None:
            # Between two awaits of the bot loop: no event is half-way through a policy.
            pipeline.dispatcher = Dispatcher(build_policies(new, room_admins=room_admins,
                                                            capabilities=CAPABILITIES,
                                                            serves=serves))
            pipeline.plan = new
            bot.admin_room = new.bot.admin_room
            bot.scheduler = build_scheduler(engine, community_id=community_id, plan=new,
                                            serves=serves)

        follow = PlanReload(engine, community_id=community_id, running_text=plan_text,
                            apply=apply, interval=plan_interval)
        follow.started()
        watcher = asyncio.create_task(follow.run(stop))
        log.info("bot %s on %s for community %d", bot_user_id, homeserver, community_id)
        try:
            await bot.run(stop, timeout_ms=timeout_ms)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
    finally:
        await client.close()


async def _whoami(client: HttpMatrixApi, stop: asyncio.Event, engine: Engine,
                  status_key: str | None) -> str | None:
    """Who the token belongs to; a homeserver that is down is waited for, not a crash
    (and the console's accounts list says why it is not connected)."""
    from qunyun.bot import accounts

    delay = 1.0
    while not stop.is_set():
        try:
            return await client.whoami()
        except Exception as exc:
            log.warning("homeserver %s unreachable (%s: %s); retrying in %.0f s",
                        client.homeserver, type(exc).__name__, exc, delay)
            if status_key is not None:
                with contextlib.suppress(Exception), engine.begin() as conn:
                    accounts.report(conn, key=status_key, connected=False, synced=False,
                                    error=f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, 30.0)
    return None


@dataclass(frozen=True)
class LocalSetup:
    homeserver: LocalHomeserver
    bot_token: str
    operator: str
    operator_password: str
    room_id: str
    # The demo's member accounts (invited to the room), and what went wrong making them.
    members: tuple[DemoMember, ...] = ()
    problems: tuple[str, ...] = ()
    room_name: str = ""


def prepare_local(data_dir: Path, *, room_name: str, port: int | None = None) -> LocalSetup:
    """Start (or restart) the local homeserver with a bot, an operator, a demo room and
    the demo's members (张三, 李四, 王五, invited to the room).

    Its port is `port` when given (`qunyun up --homeserver-port`), else the one it had
    before, else a free one; whichever it is, it is kept for the next start."""
    state_file = data_dir / STATE_FILE
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    hs = LocalHomeserver(data_dir, port=port or state.get("port")).start()
    state["port"] = hs.port
    try:
        if "bot_token" not in state:
            bot = hs.register("qunyun-bot", admin=True, displayname="群运助手")
            password = secrets.token_urlsafe(9)
            operator = hs.register("operator", password, displayname="运营者")
            state.update(bot_token=bot.access_token, operator=operator.user_id,
                         operator_password=password, operator_token=operator.access_token)
        if "room_id" not in state:
            state["room_id"] = asyncio.run(_demo_room(hs, state, room_name))
            state["room_name"] = room_name
        problems = add_demo_members(hs, state)
    except MatrixError as exc:
        hs.stop()
        raise HomeserverError(f"local homeserver set-up failed: {exc}") from None
    except Exception:
        hs.stop()
        raise
    state_file.write_text(json.dumps(state, indent=1))
    state_file.chmod(0o600)
    return LocalSetup(hs, state["bot_token"], state["operator"], state["operator_password"],
                      state["room_id"], tuple(members_of(state)), tuple(problems),
                      state.get("room_name") or room_name)


async def _demo_room(hs: LocalHomeserver, state: dict[str, str], name: str) -> str:
    bot = HttpMatrixApi(hs.url, state["bot_token"])
    operator = HttpMatrixApi(hs.url, state["operator_token"])
    try:
        # The creator (the bot) is the room's owner already; newer room versions refuse
        # to list it in the power levels again.
        room = await bot.create_room(name=name, invite=[state["operator"]],
                                     power_users={state["operator"]: 100})
        await operator.join(room)
        return room
    finally:
        await bot.close()
        await operator.close()

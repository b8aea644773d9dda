"""Run the bot on QQ (OneBot 11) or Telegram: plan → policies → pipeline → adapter, until
told to stop (I1). The Matrix bot is `qunyun.bot.app.run_matrix_bot`; these two follow
the same steps through the adapter contract (`qunyun.adapters.contract`): the adapter's
capabilities go to the policies, its moderators are the rooms' admins, a plan saved in
the console is applied within `plan_interval` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import Engine

from qunyun.adapters.contract import AdapterCore
from qunyun.adapters.onebot.client import OneBotClient
from qunyun.adapters.onebot.reverse import OneBotReverseClient
from qunyun.adapters.onebot.runner import OneBotBot
from qunyun.adapters.telegram.runner import TelegramBot, make_bot
from qunyun.bot.plan_reload import PlanReload
from qunyun.bot.wiring import build_policies, build_scheduler
from qunyun.events import GroupRef
from qunyun.pipeline.dispatcher import Dispatcher
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.model import Plan
from qunyun.policies.base import serving

log = logging.getLogger("qunyun.bot")


async def run_adapter_bot(engine: Engine, *, community_id: int, plan: Plan, platform: str,
                          stop: asyncio.Event, onebot_url: str | None = None,
                          onebot_token: str | None = None, telegram_token: str | None = None,
                          telegram_api: str | None = None, plan_text: str | None = None,
                          plan_interval: float = 2.0, onebot_listen: str | None = None,
                          telegram_webhook: str | None = None,
                          status_key: str | None = None) -> None:
    holder: dict[str, OneBotBot | TelegramBot] = {}

    def room_admins(group: GroupRef) -> frozenset[str]:
        return holder["bot"].moderators(group.group_id)

    # What the policies may ask for is what the adapter declares (never the platform name).
    kind = OneBotBot if platform == "onebot" else TelegramBot
    capabilities = kind.capabilities
    # Its own platform's groups only: the community's other accounts in this process (a
    # Matrix room, another platform's group) are served by their own adapters (issue 16).
    serves = serving(kind.platform)
    pipeline = Pipeline(engine, community_id=community_id, plan=plan,
                        policies=build_policies(plan, room_admins=room_admins,
                                                capabilities=capabilities, serves=serves))
    scheduler = build_scheduler(engine, community_id=community_id, plan=plan, serves=serves)
    bot: OneBotBot | TelegramBot
    if platform == "onebot":
        client: OneBotClient
        if onebot_listen:  # reverse WebSocket: the implementation dials qunyun
            host, _, port = onebot_listen.rpartition(":")
            client = OneBotReverseClient(host or "0.0.0.0", int(port), onebot_token)
        else:
            assert onebot_url is not None
            client = OneBotClient(onebot_url, onebot_token)
        bot = OneBotBot(client, pipeline,
                        admin_group=plan.bot.admin_room, scheduler=scheduler)
    else:
        assert telegram_token is not None
        api = (make_bot(telegram_token, base_url=f"{telegram_api.rstrip('/')}/bot",
                        base_file_url=f"{telegram_api.rstrip('/')}/file/bot")
               if telegram_api else make_bot(telegram_token))
        # Webhook mode: the console's base URL; Telegram POSTs to its /telegram/<id>/webhook.
        hook = (f"{telegram_webhook.rstrip('/')}/telegram/{telegram_token.split(':')[0]}/webhook"
                if telegram_webhook else None)
        bot = TelegramBot(api, pipeline, admin_chat=plan.bot.admin_room, scheduler=scheduler,
                          webhook_url=hook)
    holder["bot"] = bot
    bot.status_key = status_key

    def apply(new: Plan) -> None:
        # Between two awaits of the bot loop: no event is half-way through a policy.
        pipeline.dispatcher = Dispatcher(build_policies(new, room_admins=room_admins,
                                                        capabilities=capabilities,
                                                        serves=serves))
        pipeline.plan = new
        _set_admin_chat(bot, new.bot.admin_room)
        bot.scheduler = build_scheduler(engine, community_id=community_id, plan=new,
                                        serves=serves)

    follow = PlanReload(engine, community_id=community_id, running_text=plan_text,
                        apply=apply, interval=plan_interval)
    follow.started()
    watcher = asyncio.create_task(follow.run(stop))
    log.info("bot on %s for community %d", platform, community_id)
    try:
        await bot.run(stop)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


def _set_admin_chat(bot: AdapterCore, chat: str | None) -> None:
    if isinstance(bot, OneBotBot):
        bot.admin_group = chat
    elif isinstance(bot, TelegramBot):
        bot.admin_chat = chat

"""Many communities per bot (I1): `qunyun bot` without `--plan` runs every stored account
(`qunyun.bot.accounts`) of every community with that community's stored plan, in one
process and one event loop — each account its own adapter, pipeline and plan follower,
as `qunyun bot --plan FILE` runs one. A community whose stored plan is missing or not
ready is left out (said once); an account that fails is retried by its adapter's backoff
and never stops the others.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import Engine

from qunyun.bot import accounts
from qunyun.plan.check import check_loaded, is_ready
from qunyun.plan.load import parse_plan
from qunyun.plan.model import Plan
from qunyun.services import plans as plan_service
from qunyun.storage.community import communities as community_repo

log = logging.getLogger("qunyun.bot")


def runnable(engine: Engine) -> list[tuple[accounts.Account, Plan, str]]:
    """Each stored account with its community's stored plan (ready to launch) and text."""
    out: list[tuple[accounts.Account, Plan, str]] = []
    with engine.connect() as conn:
        for community in community_repo.list_communities(conn):
            cid = int(str(community["id"]))
            found = accounts.list_accounts(conn, community_id=cid)
            if not found:
                continue
            text = plan_service.stored_text(conn, community_id=cid)
            loaded = parse_plan(text) if text else None
            if loaded is None or loaded.plan is None or not is_ready(check_loaded(loaded)):
                log.warning("community %s has accounts but no plan ready to run: left out",
                            community["slug"])
                continue
            assert text is not None
            out.extend((account, loaded.plan, text) for account in found)
    return out


async def run_fleet(engine: Engine, stop: asyncio.Event,
                    chosen: list[tuple[accounts.Account, Plan, str]] | None = None) -> int:
    """Run the accounts until `stop`; the number of accounts run."""
    from qunyun.bot.app import run_matrix_bot
    from qunyun.bot.platforms import run_adapter_bot

    chosen = runnable(engine) if chosen is None else chosen
    tasks = []
    for account, plan, text in chosen:
        s = account.settings
        key = accounts.status_key(account.community_id, account.platform, account.label)
        if account.platform == "matrix":
            tasks.append(run_matrix_bot(engine, community_id=account.community_id, plan=plan,
                                        homeserver=s["homeserver"], token=s["token"],
                                        stop=stop, plan_text=text, status_key=key))
        else:
            tasks.append(run_adapter_bot(
                engine, community_id=account.community_id, plan=plan,
                platform=account.platform, stop=stop, onebot_url=s.get("onebot_url"),
                onebot_token=s.get("onebot_token"), onebot_listen=s.get("onebot_listen"),
                telegram_token=s.get("telegram_token"), telegram_api=s.get("telegram_api"),
                telegram_webhook=s.get("telegram_webhook"), plan_text=text, status_key=key))
        log.info("community %d: %s %s", account.community_id, account.platform, account.label)
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for (account, _plan, _text), result in zip(chosen, results, strict=True):
        if isinstance(result, BaseException):
            log.error("%s %s stopped: %s", account.platform, account.label, result)
    return len(tasks)

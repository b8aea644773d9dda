"""Telegram webhook mode (I1): Telegram POSTs updates to the console's server, the bot
process handles them.

The console (`qunyun serve`, several worker processes) and the bot are separate
processes, so the webhook route does not run the pipeline: it checks the secret token
Telegram sends in `X-Telegram-Bot-Api-Secret-Token` (set by the bot's `setWebhook`; only
its hash is stored) and puts the update in the bot's inbox in the database, keyed by its
`update_id` — a re-sent update is stored once. The bot drains the inbox in update_id
order, saves the offset (next update id) after each handled update and only then removes
it, exactly as long polling does; an update below the offset was handled already.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import orjson
from sqlalchemy import Engine

from qunyun.storage.bot import adapter_state

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def bot_key(token: str) -> str:
    """The bot's id as its token starts (`123456:ABC…` → `123456`): the adapter's keys."""
    return token.split(":")[0]


def inbox_prefix(bot: str) -> str:
    return f"telegram:{bot}:inbox:"


def inbox_key(bot: str, update_id: int) -> str:
    return f"{inbox_prefix(bot)}{update_id:020d}"  # zero-padded: key order is id order


def secret_key(bot: str) -> str:
    return f"telegram:{bot}:webhook_secret"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def accept(engine: Engine, bot: str, secret: str | None, body: bytes) -> tuple[int, str]:
    """One webhook POST → (HTTP status, why). 200 also for a repeat (Telegram stops)."""
    with engine.connect() as conn:
        stored = adapter_state.load(conn, key=secret_key(bot))
    if stored is None:
        return 404, "no webhook for this bot"
    if not secret:
        return 401, "secret token missing"
    if not hmac.compare_digest(digest(secret), stored):
        return 403, "wrong secret token"
    try:
        update: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return 400, "not JSON"
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return 400, "no update_id"
    with engine.begin() as conn:
        offset = adapter_state.load(conn, key=f"telegram:{bot}:offset")
        if offset is not None and update["update_id"] < int(offset):
            return 200, "handled already"
        adapter_state.add(conn, key=inbox_key(bot, update["update_id"]),
                          value=body.decode(), now_ms=int(time.time() * 1000))
    return 200, "queued"

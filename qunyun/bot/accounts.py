"""Platform accounts per community, and each running account's connection status (I1).

`qunyun account-add` stores an account (its platform and connection settings: a
Telegram token, a OneBot URL or listen address and token, a Matrix homeserver and
token) for a community; `qunyun bot` without `--plan` runs every stored account of every
community with its stored plan (`qunyun.bot.fleet`). A running adapter reports whether
it is connected and when it last synced (`status`); the console's home page shows it.
Both live in `adapter_state` (small, durable, no new table); the settings hold secrets,
so the console shows only the platform and a label, never the settings.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from qunyun.storage.bot import adapter_state

PLATFORMS = ("telegram", "onebot", "matrix")
ACCOUNT_PREFIX = "account:"
STATUS_PREFIX = "status:"


@dataclass(frozen=True, slots=True)
class Account:
    community_id: int
    platform: str
    label: str  # what the console shows: the bot id, the OneBot address, the homeserver
    settings: dict[str, Any]


def label_of(platform: str, settings: dict[str, Any]) -> str:
    if platform == "telegram":
        return "bot " + str(settings.get("telegram_token", "")).split(":")[0]
    if platform == "onebot":
        return str(settings.get("onebot_url") or f"listen {settings.get('onebot_listen')}")
    return str(settings.get("homeserver", ""))


def add(conn: Connection, *, community_id: int, platform: str, settings: dict[str, Any]) -> str:
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}")
    label = label_of(platform, settings)
    adapter_state.save(conn, key=f"{ACCOUNT_PREFIX}{community_id}:{platform}:{label}",
                       value=json.dumps(settings), now_ms=int(time.time() * 1000))
    return label


def remove(conn: Connection, *, community_id: int, platform: str, label: str) -> None:
    adapter_state.delete(conn, key=f"{ACCOUNT_PREFIX}{community_id}:{platform}:{label}")


def list_accounts(conn: Connection, *, community_id: int | None = None) -> list[Account]:
    prefix = ACCOUNT_PREFIX + (f"{community_id}:" if community_id is not None else "")
    out = []
    for key, value in adapter_state.entries(conn, prefix=prefix, limit=10_000):
        cid, platform, label = key[len(ACCOUNT_PREFIX):].split(":", 2)
        out.append(Account(int(cid), platform, label, json.loads(value)))
    return out


# An account's platform → the platform its groups carry (`GroupRef.platform`).
GROUP_PLATFORM = {"telegram": "telegram", "onebot": "qq", "matrix": "matrix"}


def bot_platforms(conn: Connection, *, community_id: int) -> set[str]:
    """The platforms (as groups name them) on which the community has a bot: a stored
    account, or one that ran (`qunyun up`'s Matrix bot is not stored). An effect for a
    group on any other platform has no bot to send it (`AdapterCore.flush_outbox`)."""
    stored = {a.platform for a in list_accounts(conn, community_id=community_id)}
    prefix = f"{STATUS_PREFIX}{community_id}:"
    ran = {key[len(prefix):].split(":", 1)[0]
           for key, _value in adapter_state.entries(conn, prefix=prefix, limit=10_000)}
    return {GROUP_PLATFORM.get(p, p) for p in stored | ran}


def status_key(community_id: int, platform: str, label: str) -> str:
    return f"{STATUS_PREFIX}{community_id}:{platform}:{label}"


def report(conn: Connection, *, key: str, connected: bool, synced: bool,
           error: str | None = None, account: str | None = None) -> None:
    """The adapter's state: connected or not, (when it just saved its cursor or connected)
    the time of its last sync, and the last connection error (kept until it connects)."""
    now = int(time.time() * 1000)
    old = json.loads(adapter_state.load(conn, key=key) or "{}")
    value = {"connected": connected, "since_ms": now if connected != old.get("connected")
             else old.get("since_ms", now),
             "last_sync_ms": now if synced else old.get("last_sync_ms"),
             "error": None if connected else (error[:300] if error else old.get("error")),
             # The bot's own account (the label may be the homeserver's address).
             "account": account or old.get("account")}
    adapter_state.save(conn, key=key, value=json.dumps(value), now_ms=now)


def statuses(conn: Connection) -> list[dict[str, Any]]:
    """Every account that ever ran: community id, platform, label, connected, last sync."""
    out = []
    for key, value in adapter_state.entries(conn, prefix=STATUS_PREFIX, limit=10_000):
        cid, platform, label = key[len(STATUS_PREFIX):].split(":", 2)
        out.append({"community_id": int(cid), "platform": platform, "label": label,
                    **json.loads(value)})
    return out

"""Telegram's side of the shared translation cases (tests/adapters/conformance.py): each
case's Bot API update, a fixture named after the API's section, through `translate`. The
Bot API sends no rename: the rename case is the runner's (a message under another name
than the one the log holds for that member), the two updates handed to two bot processes
in turn through `TelegramBot.handle_update` on a real bot database, and the events read as
the pipeline's policies see them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from telegram import Bot, Update

from qunyun.adapters.telegram.runner import TelegramBot, make_bot
from qunyun.adapters.telegram.translate import translate
from qunyun.app import open_database
from qunyun.events import Event
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.pipeline.runner import Pipeline
from qunyun.storage.community import communities as community_repo
from tests.adapters.conformance import NEW_NAME, OLD_NAME, Roles
from tests.adapters.telegram.server import TOKEN, fixture

SOURCE, BOT_ID = "telegram:10001", 10001

CASES = {  # case → fixture (its "doc" line names the section of the Bot API)
    "message": "Update-message",
    "reply": "Update-message-reply-forward",
    "mention": "Update-message",
    "join": "Update-chat_member-join-invite_link",
    "leave": "Update-chat_member-left",
    "kick": "Update-chat_member-kicked",
    "reaction": "Update-message_reaction",
    "mute": "Update-chat_member-restricted",  # restrictChatMember: can_send_messages false
}


def update(payload: dict[str, Any]) -> Update:
    parsed = Update.de_json(payload, Bot(TOKEN))
    assert parsed is not None
    return parsed


def message_as(name: str, message_id: int) -> Update:
    """Update-message from the member, showing `name`."""
    payload = fixture("Update-message")
    payload["update_id"] = message_id
    payload["message"].update(message_id=message_id,
                              **{"from": {"id": 20001, "is_bot": False, "first_name": name}})
    return update(payload)


class TelegramTranslator:
    platform = "telegram"
    roles = Roles(group="-1001002003", member="20001", admin="30001",
                  replied_to="-1001002003:1", reacted_to="-1001002003:1")

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp

    def events(self, case: str) -> Sequence[Event]:
        if case == "rename":
            return self._renamed()
        event = translate(update(fixture(CASES[case])), source=SOURCE, bot_id=BOT_ID)
        return [event] if event is not None else []

    def _renamed(self) -> list[Event]:
        engine = open_database(f"sqlite:///{self.tmp / 'telegram.db'}")
        with engine.begin() as conn:
            cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
        seen = SeenEvents()

        def new_bot() -> TelegramBot:  # a bot process: nothing in memory but the log
            bot = TelegramBot(make_bot(TOKEN, base_url="http://127.0.0.1:9/bot"),
                              Pipeline(engine, community_id=cid, policies=[seen]))
            bot.source, bot.bot_id = SOURCE, BOT_ID
            return bot

        try:
            asyncio.run(new_bot().handle_update(message_as(OLD_NAME, 1)))
            seen.events.clear()
            asyncio.run(new_bot().handle_update(message_as(NEW_NAME, 2)))
            return list(seen.events)
        finally:
            engine.dispose()


class SeenEvents:
    """A policy that only keeps what the pipeline hands the policies."""

    name = "seen"

    def __init__(self) -> None:
        self.events: list[Event] = []

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        self.events.append(event)
        return None

"""Telegram webhook mode: the bot registers the console's route with a secret
(`setWebhook` on the local Bot API stub); Telegram's POSTs reach the console app's route,
which checks the secret token header and stores each update once by update_id; the bot
handles the inbox in order and saves the offset, so a re-sent update changes nothing."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx

from qunyun.adapters.telegram.runner import TelegramBot, make_bot
from qunyun.adapters.telegram.webhook import SECRET_HEADER
from qunyun.app import open_database
from qunyun.pipeline.runner import Pipeline
from qunyun.storage.community import communities as community_repo
from qunyun.web.app import create_app
from tests.adapters.telegram.server import TOKEN, BotApiServer, fixture

GROUP = -1001002003


def message(update_id: int, mid: int) -> dict[str, Any]:
    update = fixture("Update-message")
    update["update_id"] = update_id
    update["message"].update(message_id=mid, date=int(time.time()))
    update["message"]["chat"]["id"] = GROUP
    return update


def test_webhook_updates_through_the_console(tmp_path: Path) -> None:
    async def go() -> None:
        engine = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
        with engine.begin() as conn:
            cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
        server = BotApiServer().start()
        api = make_bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url)
        bot = TelegramBot(api, Pipeline(engine, community_id=cid, policies=[]),
                          webhook_url="https://qy.example.com/telegram/10001/webhook",
                          webhook_secret="s3cret-token", timer_interval_s=0.2)
        stop = asyncio.Event()
        task = asyncio.create_task(bot.run(stop))
        console = httpx.AsyncClient(transport=httpx.ASGITransport(
            app=create_app(engine, secure_cookies=False)), base_url="http://127.0.0.1")
        route = f"/telegram/{TOKEN.split(':')[0]}/webhook"
        try:
            for _ in range(200):
                if server.sent("setWebhook"):
                    break
                await asyncio.sleep(0.05)
            hook = server.sent("setWebhook")[0]
            assert hook["url"] == "https://qy.example.com/telegram/10001/webhook"
            assert hook["secret_token"] == "s3cret-token"
            assert "chat_member" in hook["allowed_updates"]
            assert not server.sent("getUpdates")  # no polling beside the webhook

            body = json.dumps(message(500, 1)).encode()
            missing = await console.post(route, content=body)
            wrong = await console.post(route, content=body, headers={SECRET_HEADER: "x"})
            assert (missing.status_code, wrong.status_code) == (401, 403)
            assert bot.handled == 0
            right = {SECRET_HEADER: "s3cret-token", "content-type": "application/json"}
            assert (await console.post(route, content=body, headers=right)).status_code == 200
            for _ in range(200):
                if bot.handled == 1:
                    break
                await asyncio.sleep(0.05)
            assert bot.handled == 1 and bot.load_cursor() == "501"
            # Telegram sends it again (no 200 seen in time), then the next one.
            again = await console.post(route, content=body, headers=right)
            assert again.status_code == 200 and again.json()["description"] == "handled already"
            nxt = json.dumps(message(501, 2)).encode()
            assert (await console.post(route, content=nxt, headers=right)).status_code == 200
            for _ in range(200):
                if bot.handled == 2:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            assert bot.handled == 2 and bot.load_cursor() == "502"
            assert (await console.post("/telegram/999/webhook", content=nxt,
                                       headers=right)).status_code == 404
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)
            await console.aclose()
            server.stop()
            engine.dispose()

    asyncio.run(go())

"""OneBot 11 reverse WebSocket: a local implementation (a websockets client that speaks
the standard's frames, answering actions from the api-*.json fixtures) dials the bot;
the access token is checked as header or query; events and actions share the socket; a
restarted implementation that dials again is served again."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from qunyun.adapters.onebot.reverse import OneBotReverseClient
from qunyun.adapters.onebot.runner import OneBotBot
from qunyun.app import open_database
from qunyun.effects import Send
from qunyun.events import GroupRef
from qunyun.pipeline.runner import Pipeline
from qunyun.storage.community import communities as community_repo
from tests.adapters.onebot.server import FIXTURES, TOKEN, fixture

GROUP = GroupRef("qq", "100200300", "进阶营")


class Implementation:
    """What NapCat's "WebSocket 客户端" does: dial, then answer actions and push events."""

    def __init__(self) -> None:
        self.actions: list[dict[str, Any]] = []
        self.ws: ClientConnection | None = None
        self.task: asyncio.Task[None] | None = None

    async def dial(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.ws = await connect(url, additional_headers={
            "X-Self-ID": "10001", "X-Client-Role": "Universal", **(headers or {})})
        self.task = asyncio.create_task(self._serve(self.ws))

    async def _serve(self, ws: ClientConnection) -> None:
        try:
            async for frame in ws:
                call = json.loads(frame)
                self.actions.append(call)
                action = call["action"]
                data: Any = None
                if action in ("send_group_msg", "send_private_msg"):
                    data = {"message_id": 7000 + len(self.actions)}
                elif (FIXTURES / f"api-{action}.json").exists():
                    data = fixture(f"api-{action}")
                await ws.send(json.dumps({"status": "ok", "retcode": 0, "data": data,
                                          "echo": call["echo"]}))
        except Exception:
            pass

    async def push(self, event: dict[str, Any]) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps(event, ensure_ascii=False))

    async def hang_up(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            await self.task

    def sent(self, action: str) -> list[dict[str, Any]]:
        return [a["params"] for a in self.actions if a["action"] == action]


async def until(check: Any, seconds: float = 10) -> None:
    for _ in range(int(seconds * 20)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not in time")


def test_the_implementation_dials_in_with_the_token(tmp_path: Path) -> None:
    async def go() -> None:
        engine = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
        with engine.begin() as conn:
            cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
        client = OneBotReverseClient("127.0.0.1", 0, TOKEN, min_interval_s=0, timeout_s=5)
        await client.listen()
        bot = OneBotBot(client, Pipeline(engine, community_id=cid, policies=[]),
                        timer_interval_s=0.2)
        stop = asyncio.Event()
        task = asyncio.create_task(bot.run(stop))
        url = f"ws://127.0.0.1:{client.port}/onebot/v11/ws"
        impl = Implementation()
        try:
            with pytest.raises(Exception, match="401"):
                await impl.dial(url)
            with pytest.raises(Exception, match="403"):
                await impl.dial(url, {"Authorization": "Bearer wrong"})
            assert client.rejected == 2
            await impl.dial(url, {"Authorization": f"Bearer {TOKEN}"})
            await asyncio.wait_for(bot.connected.wait(), 10)
            assert [a["action"] for a in impl.actions][:2] == ["get_login_info",
                                                               "get_group_list"]
            assert bot.group_names["100200300"] == "进阶营" and bot.self_id == "10001"
            await impl.push(fixture("event-message-group", message_id=41))
            await until(lambda: bot.handled == 1)
            assert bot.load_cursor() is not None  # saved after the pipeline handled it
            await bot.perform(Send(group=GROUP, reason="r", text="大家好"))
            assert impl.sent("send_group_msg")[-1]["group_id"] == 100200300

            # The implementation restarts and dials again, the token in the query this time.
            await impl.hang_up()
            bot.connected.clear()
            again = Implementation()
            await again.dial(f"{url}?access_token={TOKEN}")
            await asyncio.wait_for(bot.connected.wait(), 10)
            await again.push(fixture("event-message-group", message_id=41))  # re-sent
            await again.push(fixture("event-message-group", message_id=42))
            await until(lambda: bot.handled == 2)  # the re-sent one changed nothing
            await again.hang_up()
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)
            engine.dispose()
        with pytest.raises(OSError):  # stopped: no longer listening
            await connect(url, open_timeout=2)

    asyncio.run(go())

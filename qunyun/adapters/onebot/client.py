"""A OneBot 11 forward-WebSocket connection: qunyun connects to the implementation.

One socket carries both directions (the standard's "正向 WebSocket", the `/` endpoint):
events arrive as JSON frames with `post_type`; an action is sent as
`{"action", "params", "echo"}` and answered by a frame with the same `echo` and
`status` / `retcode` / `data`. The access token goes in `Authorization: Bearer …`
(the standard's "鉴权" section). Actions are spaced by `min_interval_s`: QQ punishes
accounts that post in bursts.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from typing import Any

import orjson
from websockets.asyncio.client import connect
from websockets.asyncio.connection import Connection

log = logging.getLogger("qunyun.bot.onebot")


class OneBotError(Exception):
    """An action the implementation refused (`status: failed`) or never answered."""


class OneBotClient:
    def __init__(self, url: str, access_token: str | None = None, *,
                 timeout_s: float = 30.0, min_interval_s: float = 0.5) -> None:
        self.url = url
        self.access_token = access_token
        self.timeout_s = timeout_s
        self.min_interval_s = min_interval_s
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._ws: Connection | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._echo = itertools.count(1)
        self._reader: asyncio.Task[None] | None = None
        self._last_call = 0.0
        self._spacing = asyncio.Lock()
        self.closed = asyncio.Event()

    async def connect(self) -> None:
        headers = {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}
        self._attach(await connect(self.url, additional_headers=headers, max_size=2**24))

    def _attach(self, ws: Connection) -> None:
        """Use `ws` (dialled here, or accepted by the reverse server) for events and calls."""
        self._ws = ws
        self.closed.clear()
        self._reader = asyncio.create_task(self._read(ws))

    async def _read(self, ws: Connection) -> None:
        try:
            async for frame in ws:
                try:
                    data = orjson.loads(frame)
                except orjson.JSONDecodeError:
                    log.warning("OneBot sent a frame that is not JSON: %.80r", frame)
                    continue
                if not isinstance(data, dict):
                    continue
                echo = data.get("echo")
                if echo is not None and "post_type" not in data:
                    future = self._pending.pop(str(echo), None)
                    if future is not None and not future.done():
                        future.set_result(data)
                    continue
                await self.events.put(data)
        except Exception as exc:
            log.warning("OneBot connection closed: %s", exc)
        finally:
            self.closed.set()
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(OneBotError("连接已断开 / connection closed"))
            self._pending.clear()

    async def call(self, action: str, **params: Any) -> Any:
        """Run an action; its `data`, or OneBotError with the implementation's words."""
        if self._ws is None or self.closed.is_set():
            raise OneBotError("未连接 / not connected")
        async with self._spacing:
            wait = self._last_call + self.min_interval_s - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last_call = time.monotonic()
        echo = str(next(self._echo))
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[echo] = future
        await self._ws.send(orjson.dumps({"action": action, "params": params, "echo": echo})
                            .decode())
        try:
            reply = await asyncio.wait_for(future, timeout=self.timeout_s)
        except TimeoutError:
            self._pending.pop(echo, None)
            raise OneBotError(f"{action}: 没有回应 / no answer in {self.timeout_s:.0f} s") from None
        if reply.get("status") == "failed" or reply.get("retcode") not in (0, 1, None):
            words = reply.get("wording") or reply.get("message") or reply.get("msg") or ""
            raise OneBotError(f"{action}: retcode {reply.get('retcode')} {words}".strip())
        return reply.get("data")

    async def next_event(self) -> dict[str, Any] | None:
        """The next event frame, or None once the connection has closed (and is drained)."""
        if not self.events.empty():
            return self.events.get_nowait()
        getter = asyncio.ensure_future(self.events.get())
        closed = asyncio.ensure_future(self.closed.wait())
        await asyncio.wait({getter, closed}, return_when=asyncio.FIRST_COMPLETED)
        closed.cancel()
        if getter.done():
            return getter.result()
        getter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await getter
        return self.events.get_nowait() if not self.events.empty() else None

    async def shutdown(self) -> None:
        """The bot stops for good (a reverse client also stops listening)."""
        await self.close()

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        self._ws = None

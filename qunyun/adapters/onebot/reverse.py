"""A OneBot 11 reverse-WebSocket connection: the implementation connects to qunyun.

The standard's "反向 WebSocket" (Universal client): NapCat, Lagrange.OneBot or LLOneBot
dial `ws://<qunyun>:<port>/onebot/v11/ws` (any path is accepted) with the headers
`X-Self-ID` and `X-Client-Role: Universal`; events and actions then share that one socket
exactly as on a forward connection, so everything but `connect` is `OneBotClient`'s.
The access token is checked before the upgrade ("鉴权"): `Authorization: Bearer <token>`
(or `Token <token>`), or `?access_token=<token>` in the URL; without it 401, wrong 403.
A newer connection replaces an older one (an implementation that restarted).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from .client import OneBotClient

log = logging.getLogger("qunyun.bot.onebot")


def _offered_token(request: Request) -> str | None:
    auth = request.headers.get("Authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() in ("bearer", "token"):
            return value.strip()
        return auth.strip()
    query = parse_qs(urlsplit(request.path).query)
    values = query.get("access_token")
    return values[0] if values else None


class OneBotReverseClient(OneBotClient):
    """Listens on `host:port`; `connect` waits for the implementation to dial in."""

    def __init__(self, host: str, port: int, access_token: str | None = None, *,
                 timeout_s: float = 30.0, min_interval_s: float = 0.5) -> None:
        super().__init__(f"reverse://{host}:{port}", access_token, timeout_s=timeout_s,
                         min_interval_s=min_interval_s)
        self.host, self.port = host, port
        self._server: Server | None = None
        self._incoming: asyncio.Queue[ServerConnection] = asyncio.Queue()
        self.rejected = 0

    async def listen(self) -> None:
        if self._server is None:
            self._server = await serve(self._handler, self.host, self.port,
                                       process_request=self._check, max_size=2**24)
            if self.port == 0:
                self.port = next(iter(self._server.sockets)).getsockname()[1]
            log.info("waiting for a OneBot implementation on ws://%s:%d/onebot/v11/ws",
                     self.host, self.port)

    def _check(self, conn: ServerConnection, request: Request) -> Response | None:
        if not self.access_token:
            return None
        offered = _offered_token(request)
        if offered is None:
            self.rejected += 1
            return conn.respond(HTTPStatus.UNAUTHORIZED, "access token missing\n")
        if not hmac.compare_digest(offered.encode(), self.access_token.encode()):
            self.rejected += 1
            return conn.respond(HTTPStatus.FORBIDDEN, "wrong access token\n")
        return None

    async def _handler(self, conn: ServerConnection) -> None:
        role = conn.request.headers.get("X-Client-Role") if conn.request else None
        if role and role.lower() not in ("universal", ""):
            # API/Event split sockets are the older two-socket form; qunyun needs both
            # directions on one, as the implementations' Universal mode gives.
            await conn.close(code=1008, reason="use the Universal role")
            return
        await self._incoming.put(conn)
        await conn.wait_closed()  # the connection lives until the bot or the peer ends it

    async def connect(self) -> None:
        await self.listen()
        conn = await self._incoming.get()
        while not self._incoming.empty():  # only the newest of several waiting connections
            with contextlib.suppress(Exception):
                await conn.close()
            conn = self._incoming.get_nowait()
        self._attach(conn)

    async def shutdown(self) -> None:
        await self.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

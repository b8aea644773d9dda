"""A local OneBot 11 implementation for tests: a forward-WebSocket server on 127.0.0.1
that speaks the standard's JSON frames, checks the access token, answers actions from the
fixture files (api-*.json) and records every action frame the adapter sends."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
from http import HTTPStatus
from pathlib import Path
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "onebot-test-token"


def fixture(name: str, **changes: Any) -> dict[str, Any]:
    """A fixture's payload (or an api fixture's data), with top-level fields changed."""
    doc = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    body = copy.deepcopy(doc.get("payload", doc.get("data")))
    if isinstance(body, dict):
        body.update(changes)
    return body  # type: ignore[no-any-return]


class OneBotServer:
    self_id = 10001  # the account the implementation is logged in as (api-get_login_info)

    def __init__(self) -> None:
        self.actions: list[dict[str, Any]] = []
        self.connections: list[ServerConnection] = []
        self.rejected = 0
        self.message_ids = itertools.count(5000)
        self._server: Server | None = None
        self.port = 0
        self.changed = asyncio.Event()
        # Answers that replace a fixture's (e.g. the bot as the group's owner).
        self.answers: dict[str, Any] = {}
        # Actions the implementation refuses (`status: failed`), with its retcode and words:
        # e.g. send_private_msg to someone who is not the account's friend.
        self.refused: dict[str, tuple[int, str]] = {}

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    async def start(self) -> OneBotServer:
        self._server = await serve(self._handler, "127.0.0.1", 0,
                                   process_request=self._check_token)
        self.port = next(iter(self._server.sockets)).getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _check_token(self, conn: ServerConnection, request: Request) -> Response | None:
        # The standard's 鉴权: `Authorization: Bearer <access_token>`; 401 without, 403 wrong.
        auth = request.headers.get("Authorization")
        if auth is None:
            self.rejected += 1
            return conn.respond(HTTPStatus.UNAUTHORIZED, "missing token\n")
        if auth != f"Bearer {TOKEN}":
            self.rejected += 1
            return conn.respond(HTTPStatus.FORBIDDEN, "wrong token\n")
        return None

    async def _handler(self, conn: ServerConnection) -> None:
        self.connections.append(conn)
        try:
            async for frame in conn:
                call = json.loads(frame)
                self.actions.append(call)
                self.changed.set()
                if call["action"] in self.refused:
                    retcode, words = self.refused[call["action"]]
                    await conn.send(json.dumps({"status": "failed", "retcode": retcode,
                                                "data": None, "message": words,
                                                "wording": words, "echo": call["echo"]},
                                               ensure_ascii=False))
                    continue
                await conn.send(json.dumps({"status": "ok", "retcode": 0,
                                            "data": self._answer(call), "echo": call["echo"]}))
        except Exception:
            pass
        finally:
            self.connections.remove(conn)

    def _answer(self, call: dict[str, Any]) -> Any:
        action = call["action"]
        # An answer for one group ("get_group_member_list:100200300") before the action's own.
        per_group = f"{action}:{(call.get('params') or {}).get('group_id')}"
        if per_group in self.answers:
            return copy.deepcopy(self.answers[per_group])
        if action in self.answers:
            return copy.deepcopy(self.answers[action])
        if action in ("send_group_msg", "send_private_msg", "send_msg"):
            return {"message_id": next(self.message_ids)}
        if action in self.answers:
            return copy.deepcopy(self.answers[action])
        if (FIXTURES / f"api-{action}.json").exists():
            data = fixture(f"api-{action}")
            if action == "get_group_member_info":
                data["user_id"] = call["params"].get("user_id")
            return data
        return None

    async def push(self, event: dict[str, Any]) -> None:
        """Send an event frame to every connected client (the implementation's push)."""
        for conn in list(self.connections):
            await conn.send(json.dumps(event, ensure_ascii=False))

    async def wait_connected(self, seconds: float = 10) -> None:
        for _ in range(int(seconds * 20)):
            if self.connections and any(a["action"] == "get_group_list" for a in self.actions):
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the adapter did not connect")

    async def drop(self) -> None:
        """Close every connection, as an implementation that restarts does."""
        for conn in list(self.connections):
            await conn.close()

    def sent(self, action: str) -> list[dict[str, Any]]:
        return [a["params"] for a in self.actions if a["action"] == action]

    def texts(self) -> list[str]:
        """The text of every group message the bot sent (at segments as @qq)."""
        out = []
        for params in self.sent("send_group_msg"):
            out.append("".join(
                s["data"].get("text", "") if s["type"] == "text" else
                f"@{s['data']['qq']}" if s["type"] == "at" else ""
                for s in params["message"]))
        return out

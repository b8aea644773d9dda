"""The Matrix client-server API over httpx: what `MatrixBot` needs, nothing more (I1).

- Every send and redaction carries a transaction id, so a retried request is applied once
  by the homeserver.
- Rate limits (HTTP 429 / M_LIMIT_EXCEEDED) are waited out for `retry_after_ms` and
  retried, a bounded number of times; other errors raise `MatrixError` with the status
  and errcode, which the bot loop logs in one line before it backs off and reconnects.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from .formatting import message_content

log = logging.getLogger("qunyun.bot.matrix")

API = "/_matrix/client/v3"
RATE_LIMIT_RETRIES = 8


class MatrixError(RuntimeError):
    def __init__(self, status: int, errcode: str | None, message: str) -> None:
        super().__init__(f"HTTP {status} {errcode or ''} {message}".strip())
        self.status = status
        self.errcode = errcode


def _q(part: str) -> str:
    return quote(part, safe="")


class HttpMatrixApi:
    """A logged-in Matrix user (access token) on one homeserver."""

    def __init__(self, homeserver: str, access_token: str, *, timeout_s: float = 60.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.homeserver = homeserver.rstrip("/")
        self.http = httpx.AsyncClient(
            base_url=self.homeserver, timeout=httpx.Timeout(timeout_s, connect=5.0),
            headers={"Authorization": f"Bearer {access_token}"}, transport=transport,
        )
        self._txn = itertools.count()
        self._txn_prefix = f"qy{int(time.time() * 1000)}{uuid.uuid4().hex[:6]}"

    async def close(self) -> None:
        await self.http.aclose()

    def _txn_id(self) -> str:
        return f"{self._txn_prefix}.{next(self._txn)}"

    async def request(self, method: str, path: str, *, json_body: Any = None,
                      params: dict[str, Any] | None = None,
                      timeout: float | None = None) -> Any:
        for attempt in itertools.count():
            resp = await self.http.request(
                method, path, json=json_body, params=params,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
            if resp.status_code == 429 and attempt < RATE_LIMIT_RETRIES:
                wait_ms = _retry_after_ms(resp)
                log.info("rate limited on %s %s; retrying in %d ms", method, path, wait_ms)
                await asyncio.sleep(wait_ms / 1000)
                continue
            if resp.status_code >= 400:
                try:
                    body = resp.json()
                except ValueError:
                    body = {}
                raise MatrixError(resp.status_code, body.get("errcode"),
                                  str(body.get("error") or resp.text[:200]))
            return resp.json() if resp.content else {}
        raise AssertionError("unreachable")

    # -- reading -----------------------------------------------------------------------------
    async def whoami(self) -> str:
        return str((await self.request("GET", f"{API}/account/whoami"))["user_id"])

    async def sync(self, since: str | None = None, timeout_ms: int = 0,
                   filter: Any = None) -> dict[str, Any]:
        params: dict[str, Any] = {"timeout": timeout_ms}
        if since:
            params["since"] = since
        if filter is not None:
            params["filter"] = json.dumps(filter, separators=(",", ":"))
        result: dict[str, Any] = await self.request(
            "GET", f"{API}/sync", params=params, timeout=timeout_ms / 1000 + 30)
        return result

    async def messages(self, room_id: str, from_token: str | None = None, direction: str = "b",
                       limit: int = 100, filter: Any = None) -> dict[str, Any]:
        params: dict[str, Any] = {"dir": direction, "limit": limit}
        if from_token:
            params["from"] = from_token
        if filter is not None:
            params["filter"] = json.dumps(filter, separators=(",", ":"))
        result: dict[str, Any] = await self.request(
            "GET", f"{API}/rooms/{_q(room_id)}/messages", params=params)
        return result

    async def joined_rooms(self) -> list[str]:
        found = await self.request("GET", f"{API}/joined_rooms")
        return [str(r) for r in found.get("joined_rooms") or []]

    async def room_state(self, room_id: str) -> list[dict[str, Any]]:
        """The room's current state events (names, members, power levels)."""
        found = await self.request("GET", f"{API}/rooms/{_q(room_id)}/state")
        return list(found) if isinstance(found, list) else []

    async def download(self, mxc: str) -> bytes:
        if not mxc.startswith("mxc://"):
            raise MatrixError(400, None, f"not an mxc URL: {mxc[:80]}")
        server, _, media_id = mxc[len("mxc://"):].partition("/")
        resp = await self.http.get(
            f"/_matrix/client/v1/media/download/{_q(server)}/{_q(media_id)}")
        if resp.status_code >= 400:
            raise MatrixError(resp.status_code, None, "media download failed")
        return resp.content

    # -- acting ------------------------------------------------------------------------------
    async def send_event(self, room_id: str, event_type: str, content: dict[str, Any], *,
                         txn_id: str | None = None) -> str:
        """One event; a `txn_id` the caller fixes makes a repeat of the send (after a crash)
        the same event: the homeserver answers it without posting again (the spec's
        transaction ids, kept per access token)."""
        path = (f"{API}/rooms/{_q(room_id)}/send/{_q(event_type)}/"
                f"{_q(txn_id or self._txn_id())}")
        return str((await self.request("PUT", path, json_body=content))["event_id"])

    async def send_text(self, room_id: str, body: str, mentions: Sequence[str] = (), *,
                        names: Mapping[str, str] | None = None,
                        reply_to: str | None = None, txn_id: str | None = None) -> str:
        """A text message; `mentions` become real mentions (pills for `names`), and
        `reply_to` makes it a reply to that event; `txn_id` as in `send_event`."""
        content = message_content(body, mentions, names, reply_to)
        return await self.send_event(room_id, "m.room.message", content, txn_id=txn_id)

    async def redact(self, room_id: str, event_id: str, reason: str | None = None) -> str:
        path = f"{API}/rooms/{_q(room_id)}/redact/{_q(event_id)}/{_q(self._txn_id())}"
        body = {"reason": reason} if reason else {}
        return str((await self.request("PUT", path, json_body=body)).get("event_id", ""))

    async def kick(self, room_id: str, user_id: str, reason: str | None = None) -> None:
        body: dict[str, Any] = {"user_id": user_id}
        if reason:
            body["reason"] = reason
        await self.request("POST", f"{API}/rooms/{_q(room_id)}/kick", json_body=body)

    async def invite(self, room_id: str, user_id: str) -> None:
        await self.request("POST", f"{API}/rooms/{_q(room_id)}/invite",
                           json_body={"user_id": user_id})

    async def state_event(self, room_id: str, event_type: str, state_key: str = ""
                          ) -> dict[str, Any]:
        """The content of one current state event (e.g. the room's power levels)."""
        path = f"{API}/rooms/{_q(room_id)}/state/{_q(event_type)}"
        if state_key:
            path += f"/{_q(state_key)}"
        return dict(await self.request("GET", path))

    async def set_state(self, room_id: str, event_type: str, content: dict[str, Any],
                        state_key: str = "") -> str:
        """Replace one state event (e.g. the room's power levels); its event id."""
        path = f"{API}/rooms/{_q(room_id)}/state/{_q(event_type)}"
        if state_key:
            path += f"/{_q(state_key)}"
        return str((await self.request("PUT", path, json_body=content)).get("event_id", ""))

    async def join(self, room_id: str) -> Any:
        return await self.request("POST", f"{API}/join/{_q(room_id)}", json_body={})

    async def leave(self, room_id: str) -> None:
        await self.request("POST", f"{API}/rooms/{_q(room_id)}/leave", json_body={})

    async def create_room(self, *, name: str | None = None, invite: Sequence[str] = (),
                          is_direct: bool = False, preset: str = "private_chat",
                          power_users: dict[str, int] | None = None,
                          topic: str | None = None) -> str:
        body: dict[str, Any] = {"preset": preset, "invite": list(invite), "is_direct": is_direct}
        if name:
            body["name"] = name
        if topic:
            body["topic"] = topic
        if power_users:
            body["power_level_content_override"] = {"users": power_users}
        return str((await self.request("POST", f"{API}/createRoom", json_body=body))["room_id"])

    async def create_dm(self, user_id: str, *, name: str | None = None,
                        topic: str | None = None) -> str:
        """A DM room with the member (`is_direct`, so clients list it under people); its
        `name` and `topic` are what the invitation shows instead of "Empty room"."""
        return await self.create_room(invite=[user_id], is_direct=True, name=name, topic=topic,
                                      preset="trusted_private_chat")

    async def set_displayname(self, user_id: str, name: str) -> None:
        await self.request("PUT", f"{API}/profile/{_q(user_id)}/displayname",
                           json_body={"displayname": name})

    async def upload(self, data: bytes, content_type: str, filename: str) -> str:
        resp = await self.http.post("/_matrix/media/v3/upload", content=data,
                                    params={"filename": filename},
                                    headers={"Content-Type": content_type})
        if resp.status_code >= 400:
            raise MatrixError(resp.status_code, None, "upload failed")
        return str(resp.json()["content_uri"])


def _retry_after_ms(resp: httpx.Response) -> int:
    try:
        body = resp.json()
        value = body.get("retry_after_ms")
        if value is not None:
            return max(10, min(int(value), 30_000))
    except ValueError:
        pass
    header = resp.headers.get("Retry-After")
    if header and header.isdigit():
        return min(int(header) * 1000, 30_000)
    return 1000

"""The client's handling of a homeserver's rate limits and errors (a scripted transport;
the real homeserver is exercised in tests/e2e)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from qunyun.adapters.matrix.client import HttpMatrixApi, MatrixError


def test_rate_limited_sends_are_retried_after_the_wait_the_server_asks_for() -> None:
    calls: list[str] = []

    def respond(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if len(calls) < 3:
            return httpx.Response(429, json={"errcode": "M_LIMIT_EXCEEDED",
                                             "retry_after_ms": 20})
        return httpx.Response(200, json={"event_id": "$ok"})

    async def scenario() -> str:
        api = HttpMatrixApi("http://hs.test", "t", transport=httpx.MockTransport(respond))
        try:
            return await api.send_text("!r:hs.test", "你好")
        finally:
            await api.close()

    assert asyncio.run(scenario()) == "$ok"
    assert len(calls) == 3 and len(set(calls)) == 1  # same transaction id every time


def test_other_errors_raise_with_status_and_errcode() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"errcode": "M_FORBIDDEN", "error": "not in room"})

    async def scenario() -> None:
        api = HttpMatrixApi("http://hs.test", "t", transport=httpx.MockTransport(respond))
        try:
            await api.kick("!r:hs.test", "@a:hs.test", "送机票")
        finally:
            await api.close()

    with pytest.raises(MatrixError) as caught:
        asyncio.run(scenario())
    assert caught.value.status == 403 and caught.value.errcode == "M_FORBIDDEN"

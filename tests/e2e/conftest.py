"""A real Synapse homeserver on 127.0.0.1 for end-to-end tests (one per test session/worker).

Synapse comes from .venv-synapse (./dev.sh setup). Without it the e2e tests are skipped
with the reason on a developer machine, and fail in CI, where set-up always installs it.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from qunyun.adapters.matrix.client import HttpMatrixApi
from qunyun.adapters.matrix.homeserver import LocalHomeserver, RegisteredUser, installed


@pytest.fixture(scope="session")
def homeserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHomeserver]:
    if not installed():
        if os.environ.get("CI"):
            raise RuntimeError("Synapse is not installed: ./dev.sh setup installs .venv-synapse")
        pytest.skip("Synapse not installed (./dev.sh setup installs it into .venv-synapse)")
    hs = LocalHomeserver(tmp_path_factory.mktemp("synapse")).start()
    yield hs
    hs.stop()


@dataclass
class Room:
    """A room made by the bot user with one member (alice) in it."""

    hs: LocalHomeserver
    bot: RegisteredUser
    alice: RegisteredUser
    room_id: str

    def api(self, user: RegisteredUser) -> HttpMatrixApi:
        return HttpMatrixApi(self.hs.url, user.access_token)


def unique(name: str) -> str:
    return f"{name}{uuid.uuid4().hex[:8]}"


async def make_room(hs: LocalHomeserver, *, name: str = "测试群",
                    alice_name: str = "小王-杭州-财务") -> Room:
    bot = hs.register(unique("bot"), displayname="群运助手")
    alice = hs.register(unique("alice"), displayname=alice_name)
    api = HttpMatrixApi(hs.url, bot.access_token)
    a = HttpMatrixApi(hs.url, alice.access_token)
    try:
        room_id = await api.create_room(name=name, invite=[alice.user_id])
        await a.join(room_id)
    finally:
        await api.close()
        await a.close()
    return Room(hs, bot, alice, room_id)


@pytest.fixture
def room(homeserver: LocalHomeserver) -> Room:
    return asyncio.run(make_room(homeserver))


async def timeline(api: HttpMatrixApi, room_id: str, limit: int = 200) -> list[dict[str, Any]]:
    """The room's latest events, oldest first, as a member sees them."""
    page = await api.messages(room_id, direction="b", limit=limit)
    return list(reversed(page.get("chunk") or []))

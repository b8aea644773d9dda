"""A real Synapse homeserver on 127.0.0.1 for end-to-end tests (one per test session/worker),
and the camp scene most bot tests start from (`camp_scene`).

Synapse comes from .venv-synapse (./dev.sh setup). Without it the e2e tests are skipped
with the reason on a developer machine, and fail in CI, where set-up always installs it.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from qunyun.adapters.matrix.client import HttpMatrixApi
from qunyun.adapters.matrix.homeserver import LocalHomeserver, RegisteredUser, installed
from qunyun.app import open_database
from qunyun.bot.app import run_matrix_bot
from qunyun.plan.model import Plan
from qunyun.storage.community import communities as community_repo
from tests.policies.test_bot_policies import camp_plan


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


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.3)
    raise AssertionError("the bot did not get there in time")


def scalar(engine: Engine, sql: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def camp_data() -> dict[str, Any]:
    """The camp plan as data for a test to adjust (no admin room: alerts stay out of it)."""
    data = camp_plan().model_dump()
    data["bot"]["admin_room"] = None
    return data


@dataclass
class Member:
    user: RegisteredUser
    api: HttpMatrixApi


@dataclass
class CampScene:
    """A running bot (`run_matrix_bot`, the wiring `qunyun bot` uses) in the room 进阶营,
    where the operator (power 100, an admin to the bot) invited alice and bob, who joined
    and were welcomed. `others` are registered but not yet in the room."""

    engine: Engine
    community_id: int
    plan: Plan
    bot: Member
    operator: Member
    alice: Member
    bob: Member
    main: str
    others: dict[str, Member] = field(default_factory=dict)
    # Stops the running bot and starts another on the same database (`restart`).
    restarter: Callable[[], Awaitable[None]] | None = None

    async def restart(self) -> None:
        """Stop the bot and start it again, as `qunyun bot` run a second time."""
        assert self.restarter is not None
        await self.restarter()

    async def bot_messages(self, room: str | None = None,
                           viewer: Member | None = None) -> list[str]:
        """The bodies of the bot's messages in a room (the group unless said), oldest first,
        as `viewer` (the operator unless said) sees them."""
        events = await timeline((viewer or self.operator).api, room or self.main)
        return [e["content"].get("body", "") for e in events
                if e["sender"] == self.bot.user.user_id and e["type"] == "m.room.message"]

    async def bot_says(self, needle: str, room: str | None = None,
                       viewer: Member | None = None) -> bool:
        return any(needle in body for body in await self.bot_messages(room, viewer))

    async def last_said(self, needle: str) -> str:
        """The bot's latest message in the group that contains `needle`."""
        return next(body for body in reversed(await self.bot_messages()) if needle in body)


# The bot has finished its first sync (what came before it is history, not work).
SYNCED = "SELECT count(*) FROM adapter_state WHERE key LIKE '%since'"


@asynccontextmanager
async def camp_scene(hs: LocalHomeserver, tmp_path: Path, plan: Plan, *,
                     started: str = "SELECT count(*) FROM adapter_state",
                     others: dict[str, str] | None = None) -> AsyncIterator[CampScene]:
    """Start the bot over a new SQLite database, wait until `started` (a count query)
    is at least 1, bring alice and bob in and wait for the welcome; stop the bot and
    close every client on the way out. `others`: more members, {key: display name}."""
    def register(key: str, name: str) -> Member:
        user = hs.register(unique(key), displayname=name)
        return Member(user, HttpMatrixApi(hs.url, user.access_token))

    engine = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="camp", name="camp", now_ms=0)
    bot, operator = register("bot", "群运助手"), register("operator", "运营者")
    alice, bob = register("alice", "小王-杭州-财务"), register("bob", "小周-上海-运营")
    extra = {key: register(key, name) for key, name in (others or {}).items()}
    stop = asyncio.Event()
    runner: asyncio.Task[None] | None = None

    def start_bot() -> asyncio.Task[None]:
        return asyncio.create_task(run_matrix_bot(
            engine, community_id=cid, plan=plan, homeserver=hs.url,
            token=bot.user.access_token, stop=stop, timeout_ms=300))

    async def restart() -> None:
        nonlocal stop, runner
        stop.set()
        if runner is not None:
            await asyncio.wait_for(runner, timeout=30)
        stop = asyncio.Event()
        runner = start_bot()

    try:
        main = await bot.api.create_room(name="进阶营", invite=[operator.user.user_id],
                                         power_users={operator.user.user_id: 100})
        await operator.api.join(main)
        runner = start_bot()

        async def is_started() -> bool:
            return scalar(engine, started) >= 1

        await until(is_started)
        scene = CampScene(engine, cid, plan, bot, operator, alice, bob, main, extra,
                          restarter=restart)
        # two members, as in a real group (a room of two looks like a DM to the bot)
        for member in (alice, bob):
            await operator.api.invite(main, member.user.user_id)
            await member.api.join(main)
        await until(lambda: scene.bot_says("欢迎"))
        yield scene
    finally:
        stop.set()
        if runner is not None:
            await asyncio.wait_for(runner, timeout=30)
        for member in (bot, operator, alice, bob, *extra.values()):
            await member.api.close()

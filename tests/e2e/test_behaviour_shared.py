"""The shared behaviour scenarios (tests/adapters/behaviour.py) through the Matrix adapter
on the real local Synapse: the same steps the OneBot and Telegram adapters pass, read back
as a member's client sees the room."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from qunyun.adapters.matrix.client import HttpMatrixApi
from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.adapters.matrix.runner import CAPABILITIES, MatrixBot
from qunyun.app import open_database
from qunyun.bot.wiring import build_policies, build_scheduler
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.model import Plan
from qunyun.storage.community import communities as community_repo
from tests.adapters.behaviour import (
    ADMIN_SCENARIOS,
    JOIN_SCENARIOS,
    SCENARIOS,
    decide_open_request,
    told_why_before_the_removal,
)
from tests.e2e.conftest import timeline, unique, until
from tests.policies.test_bot_policies import camp_plan


class MatrixScene:
    def __init__(self, hs: LocalHomeserver, tmp: Path) -> None:
        self.hs = hs
        self.tmp = tmp
        self.bot_user = hs.register(unique("bot"), displayname="群运助手")
        self.admin_user = hs.register(unique("admin"), displayname="班主任小林")
        self.alice_user = hs.register(unique("alice"), displayname="随便起的名")
        self.bot_api = HttpMatrixApi(hs.url, self.bot_user.access_token)
        self.admin = HttpMatrixApi(hs.url, self.admin_user.access_token)
        self.alice = HttpMatrixApi(hs.url, self.alice_user.access_token)
        self.task: asyncio.Task[None] | None = None
        self.stop = asyncio.Event()
        self.first_token: str | None = None
        self.threshold: dict[str, object] | None = None
        self.accepts_dms = False
        self.applicant_user = hs.register(unique("applicant"), displayname="小赵")
        self.applicant = HttpMatrixApi(hs.url, self.applicant_user.access_token)

    async def start(self) -> None:
        self.admin_room = await self.bot_api.create_room(name="管理组",
                                                         invite=[self.admin_user.user_id])
        await self.admin.join(self.admin_room)
        self.room = await self.bot_api.create_room(
            name="进阶营", invite=[self.admin_user.user_id, self.alice_user.user_id])
        await self.admin.join(self.room)
        data = camp_plan().model_dump()
        data["bot"]["admins"] = [self.admin_user.user_id]
        data["bot"]["admin_room"] = self.admin_room
        data["onboarding"]["welcome_batch_seconds"] = 1
        if self.threshold is not None:
            data["threshold"] = self.threshold
            # G1 on Matrix: knocking is allowed in the group (room versions 7+).
            await self.bot_api.request(
                "PUT", f"/_matrix/client/v3/rooms/{self.room}/state/m.room.join_rules/",
                json_body={"join_rule": "knock"})
        self.plan = Plan.model_validate(data)
        self.engine = open_database(f"sqlite:///{self.tmp / 'bot.db'}")
        with self.engine.begin() as conn:
            self.cid = community_repo.get_or_create_community(conn, slug="camp", name="camp",
                                                              now_ms=0)
        self.bot = self._bot()
        await self.bot.start()
        await self.bot.sync_once()  # first start: what came before is history
        self.first_token = self.bot.load_token()
        await self.start_bot()

    def _bot(self) -> MatrixBot:
        return MatrixBot(
            self.bot_api, Pipeline(self.engine, community_id=self.cid,
                                   policies=build_policies(self.plan,
                                                           capabilities=CAPABILITIES),
                                   plan=self.plan),
            bot_user_id=self.bot_user.user_id, homeserver=self.hs.url,
            admin_room=self.admin_room,
            scheduler=build_scheduler(self.engine, community_id=self.cid, plan=self.plan,
                                      resolution_s=1))

    async def start_bot(self) -> None:
        self.bot = self._bot()
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.bot.run(self.stop, timeout_ms=300))

    async def stop_bot(self) -> None:
        self.stop.set()
        assert self.task is not None
        await asyncio.wait_for(self.task, 20)

    async def close(self) -> None:
        if self.task is not None and not self.task.done():
            await self.stop_bot()
        for api in (self.bot_api, self.admin, self.alice, self.applicant):
            await api.close()
        self.engine.dispose()

    async def join(self) -> None:
        await self.alice.join(self.room)
        if self.accepts_dms:
            # The questionnaire's DM invitation comes on joining: she accepts it.
            async def dm_invited() -> bool:
                dm = self.bot.dm_rooms.get(self.alice_user.user_id)
                if dm is None:
                    return False
                await self.alice.join(dm)
                return True

            await until(dm_invited)

    async def say(self, text: str) -> str:
        return await self.alice.send_text(self.room, text)

    async def photo(self, png: bytes) -> str:
        mxc = await self.alice.upload(png, "image/png", "qr.png")
        return await self.alice.send_event(self.room, "m.room.message",
                                           {"msgtype": "m.image", "body": "qr.png", "url": mxc})

    async def redeliver(self) -> None:
        # Killed after handling but before saving the sync token: the homeserver sends
        # everything since the first token again.
        await self.stop_bot()
        assert self.first_token is not None
        self.bot.save_token(self.first_token)
        await self.start_bot()

    async def _bot_messages(self) -> list[dict[str, object]]:
        return [e for e in await timeline(self.admin, self.room)
                if e["sender"] == self.bot_user.user_id and e["type"] == "m.room.message"]

    async def bot_said(self, needle: str) -> int:
        return sum(needle in str(e["content"].get("body", ""))  # type: ignore[attr-defined]
                   for e in await self._bot_messages())

    async def mentioned_alice(self, needle: str) -> bool:
        return any(needle in str(e["content"].get("body", ""))  # type: ignore[attr-defined]
                   and self.alice_user.user_id
                   in e["content"].get("m.mentions", {}).get("user_ids", [])  # type: ignore[attr-defined]
                   for e in await self._bot_messages())

    async def deleted(self, message_id: str) -> bool:
        return any(e["event_id"] == message_id and e["content"] == {}
                   for e in await timeline(self.admin, self.room))

    async def removed(self) -> bool:
        states = [e for e in await timeline(self.admin, self.room)
                  if e["type"] == "m.room.member" and e["state_key"] == self.alice_user.user_id]
        return bool(states) and states[-1]["content"]["membership"] == "leave"

    # -- R2/R3 DMs (DmScene) ----------------------------------------------------------------
    async def open_dm(self) -> None:
        # A Matrix bot may write to a member first, by inviting her to a DM; what it sends
        # once she has not accepted waits as the operator's to-do (tests/e2e/test_dm_todos).
        self.accepts_dms = True

    async def dm(self, text: str) -> None:
        """Alice writes in her DM room with the bot (opened by the bot's first DM to her)."""
        async def opened() -> bool:
            return self.alice_user.user_id in self.bot.dm_rooms

        await until(opened)
        room = self.bot.dm_rooms[self.alice_user.user_id]
        await self.alice.join(room)
        await self.alice.send_text(room, text)

    async def admins_room(self) -> list[tuple[str, bool]]:
        return [(str(e["content"].get("body", "")),  # type: ignore[attr-defined]
                 self.admin_user.user_id in e["content"].get(  # type: ignore[attr-defined]
                     "m.mentions", {}).get("user_ids", []))
                for e in await timeline(self.admin, self.admin_room)
                if e["sender"] == self.bot_user.user_id and e["type"] == "m.room.message"]

    async def wire(self) -> list[tuple[str, str]]:
        """The bot's DM messages to alice and her removal from the group, in the
        homeserver's time order (read as the bot and the admin see the rooms)."""
        found: list[tuple[int, str, str]] = []
        dm = self.bot.dm_rooms.get(self.alice_user.user_id)
        if dm is not None:
            found += [(int(e["origin_server_ts"]), "dm", str(e["content"].get("body", "")))
                      for e in await timeline(self.bot_api, dm)
                      if e["sender"] == self.bot_user.user_id
                      and e["type"] == "m.room.message"]
        found += [(int(e["origin_server_ts"]), "kick", "")
                  for e in await timeline(self.admin, self.room)
                  if e["type"] == "m.room.member" and e["state_key"] == self.alice_user.user_id
                  and e["content"].get("membership") == "leave"
                  and e["sender"] == self.bot_user.user_id]
        return [(what, text) for _, what, text in sorted(found, key=lambda f: f[0])]

    async def request_join(self, answer: str) -> None:
        await self.applicant.request("POST", f"/_matrix/client/v3/knock/{self.room}",
                                     json_body={"reason": answer})

    async def answers(self) -> list[tuple[bool, str]]:
        out = []
        for e in await timeline(self.admin, self.room):
            if e["type"] != "m.room.member" or e["state_key"] != self.applicant_user.user_id \
                    or e["sender"] != self.bot_user.user_id:
                continue
            content = e["content"]
            if content["membership"] == "invite":
                out.append((True, ""))
            elif content["membership"] == "leave":
                out.append((False, str(content.get("reason") or "")))
        return out

    async def decide_in_console(self, approve: bool, reason: str) -> None:
        await decide_open_request(self.engine, self.cid, approve, reason)


@pytest.mark.parametrize("name", list(JOIN_SCENARIOS))
def test_join_requests_through_matrix(name: str, homeserver: LocalHomeserver,
                                      tmp_path: Path) -> None:
    threshold, scenario = JOIN_SCENARIOS[name]

    async def go() -> None:
        scene = MatrixScene(homeserver, tmp_path)
        scene.threshold = threshold
        try:
            await scene.start()
            await asyncio.wait_for(scenario(scene), 90)
        finally:
            await scene.close()

    asyncio.run(go())


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_behaviour_through_matrix(name: str, homeserver: LocalHomeserver,
                                  tmp_path: Path) -> None:
    scenario: Callable[[MatrixScene], Awaitable[None]] = SCENARIOS[name]  # type: ignore[assignment]

    async def go() -> None:
        scene = MatrixScene(homeserver, tmp_path)
        try:
            await scene.start()
            await asyncio.wait_for(scenario(scene), 90)
        finally:
            await scene.close()

    asyncio.run(go())


def test_the_removal_is_explained_by_dm_before_the_kick_on_matrix(
        homeserver: LocalHomeserver, tmp_path: Path) -> None:
    """R2/R3 on Synapse: the DM telling alice why and how to appeal is in her DM room
    before her removal from the group (`DM_SCENARIOS`' first; a refused DM on Matrix is
    `tests/adapters/matrix/test_dms.py`)."""

    async def go() -> None:
        scene = MatrixScene(homeserver, tmp_path)
        try:
            await scene.start()
            await asyncio.wait_for(told_why_before_the_removal(scene), 90)  # type: ignore[arg-type]
        finally:
            await scene.close()

    asyncio.run(go())


@pytest.mark.parametrize("console", ["", "https://qunyun.example.org"])
@pytest.mark.parametrize("name", list(ADMIN_SCENARIOS))
def test_the_admins_room_through_matrix(name: str, console: str, homeserver: LocalHomeserver,
                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    """The admins' room on Synapse: an alert @-mentions the plan's admin (m.mentions and a
    pill), a burst pings once; a removal and an appeal are told there (issue 11 walk
    findings 12 and 17), each with a link to its console page when the console's address
    is set (QUNYUN_CONSOLE_URL), none when it is not (bot13)."""
    scenario: Callable[[MatrixScene], Awaitable[None]] = ADMIN_SCENARIOS[name]  # type: ignore[assignment]
    if console:
        monkeypatch.setenv("QUNYUN_CONSOLE_URL", console)
    else:
        monkeypatch.delenv("QUNYUN_CONSOLE_URL", raising=False)

    async def go() -> None:
        scene = MatrixScene(homeserver, tmp_path)
        try:
            await scene.start()
            await asyncio.wait_for(scenario(scene), 120)
        finally:
            await scene.close()

    asyncio.run(go())

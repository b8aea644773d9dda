"""The shared behaviour scenarios (tests/adapters/behaviour.py) through the OneBot 11
adapter, against a local OneBot server on 127.0.0.1 that pushes the fixture events and
records the action frames the bot sends."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from qunyun.adapters.onebot.client import OneBotClient
from qunyun.adapters.onebot.runner import OneBotBot
from qunyun.app import open_database
from qunyun.bot.wiring import build_policies, build_scheduler
from qunyun.capabilities import ONEBOT
from qunyun.pipeline.runner import Pipeline
from qunyun.storage.community import communities as community_repo
from tests.adapters.behaviour import (
    ADMIN_SCENARIOS,
    BOB_ID,
    DM_SCENARIOS,
    JOIN_SCENARIOS,
    SCENARIOS,
    decide_open_request,
    play,
    scene_plan,
    volunteer_accepts_warns_a_member_and_not_an_admin,
    volunteer_plan,
)
from tests.adapters.onebot.server import TOKEN, OneBotServer, fixture

GROUP, ADMIN_GROUP, ALICE, ADMIN = 100200300, 900900900, 20001, 30001
APPLICANT = 20002


@contextlib.contextmanager
def file_server(root: Path) -> Iterator[str]:
    """Image urls as OneBot gives them: plain HTTP, here from a folder on 127.0.0.1."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


class OneBotScene:
    def __init__(self, tmp: Path, files_url: str) -> None:
        self.tmp = tmp
        self.files_url = files_url
        self.server = OneBotServer()
        self.pushed: list[dict[str, Any]] = []
        self.ids = itertools.count(100)
        self.task: asyncio.Task[None] | None = None
        self.stop = asyncio.Event()
        self.threshold: dict[str, object] | None = None
        self.plan_edit: Callable[[dict[str, Any]], None] | None = None
        self.platform, self.alice_id = "qq", str(ALICE)

    async def start(self) -> None:
        await self.server.start()
        self.plan = scene_plan(admin=ADMIN, admin_room=ADMIN_GROUP, threshold=self.threshold,
                               plan_edit=self.plan_edit)
        self.engine = open_database(f"sqlite:///{self.tmp / 'bot.db'}")
        with self.engine.begin() as conn:
            self.cid = community_repo.get_or_create_community(conn, slug="camp", name="camp",
                                                              now_ms=0)
        await self.start_bot()

    async def start_bot(self) -> None:
        client = OneBotClient(self.server.url, TOKEN, min_interval_s=0, timeout_s=5)
        holder: dict[str, OneBotBot] = {}
        pipeline = Pipeline(self.engine, community_id=self.cid, plan=self.plan,
                            policies=build_policies(
                                self.plan,
                                room_admins=lambda g: holder["bot"].moderators(g.group_id),
                                capabilities=ONEBOT))
        self.bot = OneBotBot(client, pipeline, admin_group=str(ADMIN_GROUP),
                             scheduler=build_scheduler(self.engine, community_id=self.cid,
                                                       plan=self.plan, resolution_s=1),
                             timer_interval_s=0.2)
        holder["bot"] = self.bot
        self.stop = asyncio.Event()
        before = len(self.server.actions)
        self.task = asyncio.create_task(self.bot.run(self.stop))
        for _ in range(200):
            if any(a["action"] == "get_group_member_list"
                   for a in self.server.actions[before:]):
                break
            await asyncio.sleep(0.05)
        await asyncio.wait_for(self.bot.connected.wait(), 10)

    async def stop_bot(self) -> None:
        self.stop.set()
        assert self.task is not None
        await asyncio.wait_for(self.task, 10)

    async def close(self) -> None:
        if self.task is not None and not self.task.done():
            await self.stop_bot()
        await self.server.stop()
        self.engine.dispose()

    async def _push(self, event: dict[str, Any]) -> None:
        self.pushed.append(event)
        await self.server.push(event)

    async def join(self) -> None:
        await self._push(fixture("event-notice-group_increase", time=int(time.time()),
                                 sub_type="approve", operator_id=ADMIN, user_id=ALICE))

    async def _message(self, segments: list[dict[str, Any]]) -> str:
        mid = next(self.ids)
        await self._push(fixture("event-message-group", time=int(time.time()), message_id=mid,
                                 user_id=ALICE, message=segments,
                                 sender={"user_id": ALICE, "nickname": "小王", "card": "",
                                         "role": "member"}))
        return str(mid)

    async def say(self, text: str) -> str:
        return await self._message([{"type": "text", "data": {"text": text}}])

    # -- T4 volunteers (VolunteerScene) --------------------------------------------------
    async def open_dm(self) -> None:
        pass  # a QQ bot may write to a group member first

    async def dm(self, text: str) -> None:
        await self._push(fixture("event-message-private", time=int(time.time()),
                                 message_id=next(self.ids), user_id=ALICE,
                                 message=[{"type": "text", "data": {"text": text}}],
                                 raw_message=text))

    # -- R2/R3 DMs (DmScene) ----------------------------------------------------------------
    async def refuse_dms(self) -> None:
        # What NapCat answers for someone who is not the account's friend and takes no
        # temporary chats.
        self.server.refused["send_private_msg"] = (100, "请先添加对方为好友")

    async def wire(self) -> list[tuple[str, str]]:
        out = []
        for call in list(self.server.actions):
            params = call["params"]
            if call["action"] == "send_private_msg" and params["user_id"] == ALICE:
                out.append(("dm", "".join(s["data"].get("text", "") for s in params["message"]
                                          if s["type"] == "text")))
            elif call["action"] == "set_group_kick" and params["user_id"] == ALICE:
                out.append(("kick", ""))
        return out

    async def admins_room(self) -> list[tuple[str, bool]]:
        at_admin = {"type": "at", "data": {"qq": str(ADMIN)}}
        return [("".join(s["data"].get("text", "") for s in p["message"] if s["type"] == "text"),
                 at_admin in p["message"])
                for p in self.server.sent("send_group_msg") if p["group_id"] == ADMIN_GROUP]

    async def bot_dmed_alice(self, needle: str) -> int:
        return sum(needle in "".join(s["data"].get("text", "") for s in p["message"]
                                     if s["type"] == "text")
                   for p in self.server.sent("send_private_msg") if p["user_id"] == ALICE)

    async def member_speaks(self, text: str) -> None:
        await self._push(fixture("event-message-group", time=int(time.time()),
                                 message_id=next(self.ids), user_id=int(BOB_ID),
                                 message=[{"type": "text", "data": {"text": text}}],
                                 sender={"user_id": int(BOB_ID), "nickname": "小周",
                                         "card": "", "role": "member"}))

    async def say_mentioning(self, before: str, who: str, after: str) -> str:
        qq = BOB_ID if who == "member" else str(ADMIN)
        return await self._message([{"type": "text", "data": {"text": before}},
                                    {"type": "at", "data": {"qq": qq}},
                                    {"type": "text", "data": {"text": after}}])

    async def photo(self, png: bytes) -> str:
        name = f"qr{next(self.ids)}.png"
        (self.tmp / name).write_bytes(png)
        return await self._message([{"type": "image", "data": {
            "file": name, "url": f"{self.files_url}/{name}"}}])

    async def redeliver(self) -> None:
        for event in list(self.pushed):
            await self.server.push(event)

    async def bot_said(self, needle: str) -> int:
        return sum(needle in t for t in self.server.texts())

    async def mentioned_alice(self, needle: str) -> bool:
        return any(
            any(s["type"] == "text" and needle in s["data"]["text"] for s in p["message"])
            and {"type": "at", "data": {"qq": str(ALICE)}} in p["message"]
            for p in self.server.sent("send_group_msg"))

    async def deleted(self, message_id: str) -> bool:
        return any(p["message_id"] == int(message_id) for p in self.server.sent("delete_msg"))

    async def removed(self) -> bool:
        return any(p["user_id"] == ALICE and p["group_id"] == GROUP
                   for p in self.server.sent("set_group_kick"))

    async def request_join(self, answer: str) -> None:
        await self._push(fixture("event-request-group", time=int(time.time()), user_id=APPLICANT,
                                 comment=answer, flag=f"req-{next(self.ids)}"))

    async def answers(self) -> list[tuple[bool, str]]:
        return [(p["approve"], p["reason"]) for p in self.server.sent("set_group_add_request")]

    async def decide_in_console(self, approve: bool, reason: str) -> None:
        await decide_open_request(self.engine, self.cid, approve, reason)


@pytest.mark.parametrize("name", list(JOIN_SCENARIOS))
def test_join_requests_through_onebot(name: str, tmp_path: Path) -> None:
    threshold, scenario = JOIN_SCENARIOS[name]

    async def go() -> None:
        scene = OneBotScene(tmp_path, "http://127.0.0.1:9")
        scene.threshold = threshold
        try:
            await scene.start()
            await asyncio.wait_for(scenario(scene), 60)
            flags = {p["flag"] for p in scene.server.sent("set_group_add_request")}
            assert flags <= {e["flag"] for e in scene.pushed}  # the request's own flag
        finally:
            await scene.close()

    asyncio.run(go())


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_behaviour_through_onebot(name: str, tmp_path: Path) -> None:
    scenario: Callable[[OneBotScene], Awaitable[None]] = SCENARIOS[name]  # type: ignore[assignment]

    async def go(files_url: str) -> None:
        scene = OneBotScene(tmp_path, files_url)
        try:
            await scene.start()
            await asyncio.wait_for(scenario(scene), 60)
        finally:
            await scene.close()

    with file_server(tmp_path) as url:
        asyncio.run(go(url))


def test_a_volunteer_accepts_by_dm_and_warns_a_member_not_an_admin_on_qq(
        tmp_path: Path) -> None:
    """T4 on QQ: the console's invitation as a private message, `!接受` in it, `!警告`."""

    scene = OneBotScene(tmp_path, "http://127.0.0.1:9")
    scene.plan_edit = volunteer_plan
    asyncio.run(play(scene, volunteer_accepts_warns_a_member_and_not_an_admin))


@pytest.mark.parametrize("name", list(DM_SCENARIOS))
def test_dms_through_onebot(name: str, tmp_path: Path) -> None:
    """R2/R3 on QQ: the removal explained by private message before the kick; a private
    message QQ refuses is the operator's 待发私信 to-do with the text."""
    scenario: Callable[[OneBotScene], Awaitable[None]] = DM_SCENARIOS[name]  # type: ignore[assignment]

    async def go(files_url: str) -> None:
        await play(OneBotScene(tmp_path, files_url), scenario)

    with file_server(tmp_path) as url:
        asyncio.run(go(url))


@pytest.mark.parametrize("console", ["", "https://qunyun.example.org"])
@pytest.mark.parametrize("name", list(ADMIN_SCENARIOS))
def test_the_admins_group_through_onebot(name: str, console: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The admins' QQ group: an alert @-s the plan's admin (an `at` segment), a burst pings
    once; a removal and an appeal are told there (issue 11 walk findings 12 and 17),
    linked to their console page when the console's address is set (bot13)."""
    scenario: Callable[[OneBotScene], Awaitable[None]] = ADMIN_SCENARIOS[name]  # type: ignore[assignment]
    if console:
        monkeypatch.setenv("QUNYUN_CONSOLE_URL", console)
    else:
        monkeypatch.delenv("QUNYUN_CONSOLE_URL", raising=False)

    async def go(files_url: str) -> None:
        await play(OneBotScene(tmp_path, files_url), scenario, 90)

    with file_server(tmp_path) as url:
        asyncio.run(go(url))

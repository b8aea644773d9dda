"""The Matrix client and the bot loop against a real Synapse: what a user in the room sees."""

from __future__ import annotations

import asyncio
from pathlib import Path

from qunyun.adapters.matrix.client import HttpMatrixApi
from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.adapters.matrix.runner import MatrixBot
from qunyun.app import open_database
from qunyun.effects import Delete, Reply
from qunyun.events import Event, MessagePosted
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.pipeline.runner import Pipeline
from qunyun.storage.community import communities as community_repo
from tests.e2e.conftest import Room, make_room, timeline


def test_client_sends_syncs_redacts_kicks_and_opens_a_dm(homeserver: LocalHomeserver) -> None:
    async def scenario() -> None:
        room = await make_room(homeserver)
        bot, alice = room.api(room.bot), room.api(room.alice)
        try:
            assert await bot.whoami() == room.bot.user_id
            event_id = await alice.send_text(room.room_id, "加微信 vx123 领资料")
            synced = await bot.sync(timeout_ms=0)
            bodies = [e["content"].get("body") for e in
                      synced["rooms"]["join"][room.room_id]["timeline"]["events"]]
            assert "加微信 vx123 领资料" in bodies
            await bot.redact(room.room_id, event_id, "广告")
            seen = {e["event_id"]: e for e in await timeline(alice, room.room_id)}
            assert seen[event_id]["content"] == {}  # redacted for everyone
            dm = await bot.create_dm(room.alice.user_id)
            assert dm.startswith("!")
            await bot.kick(room.room_id, room.alice.user_id, "送机票")
            members = [e for e in await timeline(bot, room.room_id)
                       if e["type"] == "m.room.member" and e["state_key"] == room.alice.user_id]
            assert members[-1]["content"]["membership"] == "leave"
            assert members[-1]["content"].get("reason") == "送机票"
        finally:
            await bot.close()
            await alice.close()

    asyncio.run(scenario())


class EchoAndClean:
    """A test policy: replies to "ping", deletes anything with "广告"."""

    name = "echo"

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if not isinstance(event, MessagePosted):
            return None
        if "广告" in event.text:
            return Verdict.halt(Delete(group=event.group, event_id=event.source_event_id,
                                       member=event.actor, reason="广告", evidence={}))
        if event.text == "ping":
            return Verdict.act(Reply(group=event.group, event_id=event.source_event_id,
                                     text="pong", reason="test", evidence={}))
        return None


def test_bot_loop_delivers_effects_a_member_can_see(homeserver: LocalHomeserver,
                                                    tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="e2e", name="e2e", now_ms=0)

    async def scenario() -> None:
        room: Room = await make_room(homeserver)
        client = HttpMatrixApi(homeserver.url, room.bot.access_token)
        alice = room.api(room.alice)
        bot = MatrixBot(client, Pipeline(engine, community_id=cid, policies=[EchoAndClean()]),
                        bot_user_id=room.bot.user_id, homeserver=homeserver.url)
        try:
            await bot.sync_once()  # first start: history is not work
            ad = await alice.send_text(room.room_id, "广告：低价出售资料")
            await alice.send_text(room.room_id, "ping")
            for _ in range(20):
                if await bot.sync_once(timeout_ms=500) >= 2:
                    break
            events = await timeline(alice, room.room_id)
            by_id = {e["event_id"]: e for e in events}
            assert by_id[ad]["content"] == {}
            replies = [e for e in events if e["sender"] == room.bot.user_id
                       and e["type"] == "m.room.message"]
            assert [e["content"]["body"] for e in replies] == ["pong"]
        finally:
            await client.close()
            await alice.close()

    asyncio.run(scenario())

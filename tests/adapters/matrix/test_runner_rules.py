"""What the Matrix loop tells the policies about people (issue 11): a room's moderators
(power ≥ 50) from its power levels, and who was invited by the bot (nobody's invite)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Engine, text

from qunyun.adapters.matrix.runner import MatrixBot
from qunyun.pipeline.runner import Pipeline
from qunyun.storage.community import communities as community_repo
from tests.adapters.matrix.test_runner import ROOM, Counts, FakeApi


class PowerApi(FakeApi):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    async def state_event(self, room_id: str, event_type: str, state_key: str = ""
                          ) -> dict[str, Any]:
        self.asked.append(event_type)
        return {"users": {"@bot:localhost": 100, "@op:localhost": 100, "@mod:localhost": 50,
                          "@vip:localhost": 10}}

    async def invite(self, room_id: str, user_id: str) -> None: ...


def _bot(engine: Engine, api: FakeApi) -> MatrixBot:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    return MatrixBot(api, Pipeline(engine, community_id=cid, policies=[Counts()]),
                     bot_user_id="@bot:localhost", homeserver="localhost")


def test_moderators_come_from_the_power_levels_read_once_after_a_restart(engine: Engine) -> None:
    api = PowerApi()
    api.push([])
    api.push([{"type": "m.room.power_levels", "state_key": "", "sender": "@op:localhost",
               "event_id": "$pl", "origin_server_ts": 1_770_000_000_000,
               "content": {"users": {"@op:localhost": 100}}}])
    bot = _bot(engine, api)
    asyncio.run(bot.sync_once())  # a restart: no state in the sync, so it asks
    assert bot.moderators(ROOM) == {"@bot:localhost", "@op:localhost", "@mod:localhost"}
    asyncio.run(bot.sync_once())  # a change arrives in the timeline
    assert bot.moderators(ROOM) == {"@op:localhost"}
    assert api.asked == ["m.room.power_levels"]


def test_a_member_the_bot_invited_was_brought_by_nobody(engine: Engine) -> None:
    api = PowerApi()
    api.push([])
    api.push([{"type": "m.room.member", "state_key": "@bob:localhost", "sender": "@bob:localhost",
               "event_id": "$j", "origin_server_ts": 1_770_000_000_000,
               "content": {"membership": "join", "displayname": "小周"},
               "unsigned": {"prev_content": {"membership": "invite"},
                            "prev_sender": "@bot:localhost"}},
              {"type": "m.room.member", "state_key": "@eve:localhost", "sender": "@bot:localhost",
               "event_id": "$k", "origin_server_ts": 1_770_000_001_000,
               "content": {"membership": "leave"},
               "unsigned": {"prev_content": {"membership": "join"}}}])
    bot = _bot(engine, api)
    asyncio.run(bot.sync_once())
    asyncio.run(bot.sync_once())
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT source_event_id, kind, related_member_id FROM events "
                                 "ORDER BY id")).all()
    # the join has no inviter; the bot's removal of eve is in the log (she has left)
    assert [(r[0], r[1]) for r in rows] == [("$j", "join"), ("$k", "leave")]
    assert rows[0][2] is None

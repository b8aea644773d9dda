"""What the Matrix loop tells the policies about people (issue 11): a member the bot
invited was brought by nobody (no invite points, no invite edge), and a member the bot
removed has left."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine, text

from qunyun.adapters.matrix.runner import MatrixBot
from qunyun.pipeline.runner import Pipeline
from qunyun.storage.community import communities as community_repo
from tests.adapters.matrix.test_runner import Counts, FakeApi


def _bot(engine: Engine, api: FakeApi) -> MatrixBot:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    return MatrixBot(api, Pipeline(engine, community_id=cid, policies=[Counts()]),
                     bot_user_id="@bot:localhost", homeserver="localhost")


def test_a_member_the_bot_invited_was_brought_by_nobody(engine: Engine) -> None:
    api = FakeApi()
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

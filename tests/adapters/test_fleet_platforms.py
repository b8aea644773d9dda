"""One process, one database, one community on two platforms (issue 16): a Matrix account
and a Telegram account run side by side under one plan, and each bot acts only in its own
platform's groups. Whichever adapter's clock fires a calendar slot, the post for the
Telegram group is sent once, by the Telegram adapter, and the Matrix adapter never claims,
sends or fails it (and the reverse). A group on a platform the community has no bot on
(imported from a WeChat export) gets no post waiting forever: it fails at once, as an
operator to-do."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from qunyun.adapters.matrix.runner import MatrixBot
from qunyun.adapters.telegram.runner import TelegramBot, make_bot
from qunyun.app import open_database
from qunyun.bot import accounts
from qunyun.bot.wiring import build_policies, build_scheduler
from qunyun.capabilities import MATRIX, TELEGRAM
from qunyun.events import GroupRef
from qunyun.pipeline.runner import Pipeline
from qunyun.policies.base import serving
from qunyun.services import ingest
from qunyun.storage.community import communities as community_repo
from qunyun.storage.tables import audit_log
from tests.adapters.matrix.test_runner import FakeApi
from tests.adapters.telegram.server import TOKEN, BotApiServer
from tests.services.test_schedule import MORNING, START, plan_with

ROOM = GroupRef("matrix", "!camp:localhost", "矩阵群")
CHAT = GroupRef("telegram", "-1001002003", "电报群")
IMPORTED = GroupRef("wechat", "wx-camp", "微信群")  # history only: no bot on WeChat
POSTS = [
    {**MORNING, "id": "mx", "title": "矩阵早安", "group": ROOM.name},
    {**MORNING, "id": "tg", "title": "电报早安", "group": CHAT.name},
    {**MORNING, "id": "wx", "title": "微信早安", "group": IMPORTED.name},
]


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _sends(engine: Engine) -> list[dict[str, Any]]:
    """The calendar's outbox rows: which group, delivered or not, and by which adapter."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                audit_log.c.status, audit_log.c.claimed_by, audit_log.c.group_id, audit_log.c.detail
            )
            .where(audit_log.c.action == "send")
            .order_by(audit_log.c.id)
        ).mappings()
        return [dict(r) for r in rows]


def test_each_adapter_sends_only_its_own_platforms_calendar_posts(tmp_path: Path) -> None:
    async def go() -> None:
        engine = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
        server = BotApiServer().start()
        clock = Clock()
        plan = plan_with(POSTS)
        with engine.begin() as conn:
            cid = community_repo.get_or_create_community(conn, slug="camp", name="camp", now_ms=0)
            gids = {
                g.platform: ingest.ensure_group(conn, community_id=cid, group=g, at_ms=0)
                for g in (ROOM, CHAT, IMPORTED)
            }
            # The community's bots, as `qunyun account-add` stores them.
            accounts.add(
                conn,
                community_id=cid,
                platform="matrix",
                settings={"homeserver": "localhost", "token": "t"},
            )
            accounts.add(
                conn, community_id=cid, platform="telegram", settings={"telegram_token": TOKEN}
            )

        def pipeline(platform: str, capabilities: Any) -> Pipeline:
            return Pipeline(
                engine,
                community_id=cid,
                plan=plan,
                clock=clock,
                policies=build_policies(plan, capabilities=capabilities, serves=serving(platform)),
            )

        def schedule(platform: str) -> Any:
            return build_scheduler(
                engine, community_id=cid, plan=plan, now=START, serves=serving(platform)
            )

        api = FakeApi()
        matrix = MatrixBot(
            api,
            pipeline("matrix", MATRIX),
            bot_user_id="@bot:localhost",
            homeserver="localhost",
            scheduler=schedule("matrix"),
        )
        telegram = TelegramBot(
            make_bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url),
            pipeline("telegram", TELEGRAM),
            scheduler=schedule("telegram"),
        )
        try:
            await telegram.start()

            async def round_of(
                first: MatrixBot | TelegramBot, second: MatrixBot | TelegramBot
            ) -> None:
                for bot in (first, second, first, second):  # each clock and flush, twice
                    await bot.fire_timers()
                    await bot.flush_outbox()

            # Day 1, 08:00 in Shanghai: the Matrix adapter's clock fires the slots first.
            clock.now = START + timedelta(hours=8, seconds=30)
            await matrix.fire_timers()
            assert [room for room, _ in api.sent] == [ROOM.group_id]
            assert server.sent("sendMessage") == []
            waiting = [r for r in _sends(engine) if r["status"] == "pending"]
            assert [r["group_id"] for r in waiting] == [gids["telegram"], gids["wechat"]]
            assert all(r["claimed_by"] is None for r in waiting)  # not claimed by Matrix
            await matrix.flush_outbox()
            assert len(api.sent) == 1 and server.sent("sendMessage") == []
            (todo,) = [r for r in _sends(engine) if r["group_id"] == gids["wechat"]]
            assert todo["status"] == "failed"  # no bot on WeChat: said, not left waiting
            assert "没有连接微信的机器人账号" in todo["detail"]
            await round_of(telegram, matrix)
            assert [int(m["chat_id"]) for m in server.sent("sendMessage")] == [int(CHAT.group_id)]
            assert len(api.sent) == 1

            # Day 2: the Telegram adapter's clock is first; the reverse holds.
            clock.now += timedelta(days=1)
            await telegram.fire_timers()
            assert len(server.sent("sendMessage")) == 2 and len(api.sent) == 1
            await telegram.flush_outbox()
            assert len(api.sent) == 1  # the Matrix post waits for the Matrix adapter
            await round_of(matrix, telegram)
            assert [room for room, _ in api.sent] == [ROOM.group_id] * 2
            assert [int(m["chat_id"]) for m in server.sent("sendMessage")] == [
                int(CHAT.group_id)
            ] * 2

            rows = [r for r in _sends(engine) if r["group_id"] != gids["wechat"]]
            assert [r["status"] for r in rows] == ["done"] * 4  # none failed, none waiting
            owner = {gids["matrix"]: matrix.owner, gids["telegram"]: telegram.owner}
            assert all(r["claimed_by"] == owner[r["group_id"]] for r in rows)
            todos = [r for r in _sends(engine) if r["group_id"] == gids["wechat"]]
            assert [r["status"] for r in todos] == ["failed"] * 2  # one a day, once each
        finally:
            await telegram.bot.shutdown()
            server.stop()
            engine.dispose()

    asyncio.run(go())


def test_the_schedule_leaves_another_platforms_groups_to_their_adapter(tmp_path: Path) -> None:
    """A tick tied to a group (a welcome batch, an entry for one group) is fired by the
    adapter that serves it; an adapter with none of the community's groups fires nothing."""
    engine = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
    plan = plan_with(POSTS)
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="camp", name="camp", now_ms=0)
        ingest.ensure_group(conn, community_id=cid, group=ROOM, at_ms=0)
    at = START + timedelta(hours=8, seconds=30)
    qq = build_scheduler(engine, community_id=cid, plan=plan, now=START, serves=serving("qq"))
    assert qq(at) == []
    ticks = build_scheduler(
        engine, community_id=cid, plan=plan, now=START, serves=serving("matrix")
    )(at)
    assert ticks and all(t.group == ROOM for t in ticks)
    engine.dispose()

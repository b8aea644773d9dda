"""Ordered delivery is the shared core's (I1), so every adapter has it: while a batch's
effects are being sent (a delete, then the warning that follows it), the timer loop's
outbox flush — which runs beside the connection loop — does not send one of them ahead of
its turn; it waits, and then finds them delivered."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine

from qunyun.adapters.contract import AdapterCore
from qunyun.adapters.matrix.runner import MatrixBot
from qunyun.adapters.onebot.runner import OneBotBot
from qunyun.adapters.telegram.runner import TelegramBot
from qunyun.effects import Effect
from qunyun.pipeline.runner import Pipeline
from qunyun.storage.community import communities as community_repo
from tests.factories import GROUP, message
from tests.pipeline.test_dispatcher import DeleteAdverts


class SlowPlatform(AdapterCore):
    """A platform whose every call takes a while, so a flush could overtake."""

    platform = GROUP.platform  # the factory's messages are in its group

    def __init__(self, pipeline: Pipeline) -> None:
        super().__init__(pipeline, cursor_key="test:cursor")
        self.done: list[str] = []

    async def perform(self, effect: Effect) -> str | None:
        await asyncio.sleep(0.05)
        self.done.append(effect.kind)
        return None


def test_a_flush_never_overtakes_a_batch_being_delivered(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    bot = SlowPlatform(Pipeline(engine, community_id=cid, policies=[DeleteAdverts()]))

    async def go() -> int:
        batch = asyncio.create_task(bot.handle_many([message(1, text="加微信 领资料")]))
        await asyncio.sleep(0.01)  # the delete is being sent; the warning waits its turn
        flushed = await bot.flush_outbox()
        await batch
        return flushed

    assert asyncio.run(go()) == 0  # nothing left for the flush to send
    assert bot.done == ["delete", "warn"]


def test_every_adapter_is_on_the_shared_core() -> None:
    for adapter in (MatrixBot, TelegramBot, OneBotBot):
        assert issubclass(adapter, AdapterCore)
        # flush and deliver are the core's, not copies.
        assert adapter.flush_outbox is AdapterCore.flush_outbox
        assert adapter.deliver is AdapterCore.deliver

"""T3 badges on a real Synapse, through `run_matrix_bot` (the wiring `qunyun bot` uses): a
member's first message earns the plan's 破冰 badge, the bot congratulates them in the room,
and `!徽章` shows it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.plan.model import Plan
from tests.e2e.conftest import camp_data, camp_scene, scalar, until


def test_a_badge_is_awarded_announced_and_shown(homeserver: LocalHomeserver,
                                                tmp_path: Path) -> None:
    data = camp_data()
    data["badges"] = [{"key": "first-words", "name": "破冰", "rule": "first_message",
                       "description": "在群里说了第一句话"}]

    async def go() -> None:
        async with camp_scene(homeserver, tmp_path, Plan.model_validate(data)) as scene:
            engine, alice = scene.engine, scene.alice.api
            await alice.send_text(scene.main, "大家好，我是小王，在杭州做财务")
            await until(lambda: scene.bot_says("获得徽章「破冰」"), 60)
            assert scalar(engine, "SELECT count(*) FROM growth_badges WHERE badge = "
                                  "'first-words'") == 1
            assert scalar(engine, "SELECT count(*) FROM events WHERE kind = 'badge'") == 1
            await alice.send_text(scene.main, "!徽章")
            await until(lambda: scene.bot_says("🏅 破冰"))

    asyncio.run(go())

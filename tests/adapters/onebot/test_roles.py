"""T2 tier titles through the OneBot 11 adapter and its local server: where the bot's QQ
account owns the group, the title is set with `set_group_special_title` (and cleared on
take-back); where it is only an admin (QQ lets only the owner), the operator gets a to-do
in the console's queue with the drafted message, and the outbox entry says why."""

from __future__ import annotations

import asyncio
from pathlib import Path

from qunyun.events import GroupRef, UserRef
from tests.adapters.behaviour import delivered, give_role, role_todos, until
from tests.adapters.onebot.server import fixture
from tests.adapters.onebot.test_behaviour import ALICE, GROUP, OneBotScene

QQ_GROUP = GroupRef("qq", str(GROUP), "进阶营")
ALICE_REF = UserRef("qq", str(ALICE), "小王")


async def _joined(scene: OneBotScene) -> None:
    await scene.start()
    await scene.join()
    await until(lambda: scene.bot_said("欢迎加入"))


def test_an_owner_bot_sets_and_clears_the_special_title(tmp_path: Path) -> None:
    async def go() -> None:
        scene = OneBotScene(tmp_path, "http://127.0.0.1:9")
        members = fixture("api-get_group_member_list")
        for m in members:  # the bot's account owns the group; the teacher is an admin
            m["role"] = "owner" if m["user_id"] == scene.server.self_id else "admin"
        scene.server.answers["get_group_member_list"] = members
        try:
            await _joined(scene)
            status, detail = await delivered(scene.engine, give_role(
                scene.engine, scene.cid, QQ_GROUP, ALICE_REF))
            assert status == "done", detail
            status, _ = await delivered(scene.engine, give_role(
                scene.engine, scene.cid, QQ_GROUP, ALICE_REF, give=False))
            assert status == "done"
            assert scene.server.sent("set_group_special_title") == [
                {"group_id": GROUP, "user_id": ALICE, "special_title": "意见领袖",
                 "duration": -1},
                {"group_id": GROUP, "user_id": ALICE, "special_title": "", "duration": -1}]
            assert role_todos(scene.engine) == []
        finally:
            await scene.close()

    asyncio.run(go())


def test_an_admin_bot_leaves_the_title_to_the_owner_as_a_todo(tmp_path: Path) -> None:
    async def go() -> None:
        scene = OneBotScene(tmp_path, "http://127.0.0.1:9")  # the fixture: the bot is admin
        try:
            await _joined(scene)
            status, detail = await delivered(scene.engine, give_role(
                scene.engine, scene.cid, QQ_GROUP, ALICE_REF))
            assert status == "failed" and "需要运营者处理" in detail and "群主" in detail
            assert scene.server.sent("set_group_special_title") == []
            (title, draft), = role_todos(scene.engine)
            assert "小王" in title and "「意见领袖」" in title
            assert "恭喜 小王" in draft  # the message the operator may send
        finally:
            await scene.close()

    asyncio.run(go())

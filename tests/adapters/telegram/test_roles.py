"""T2 tier titles on Telegram, through the adapter and the local Bot API server: a custom
title exists only for admins, and the bot does not make a member an admin for a title, so
the capability is off (the policy leaves a to-do) and an effect that still reaches the
adapter becomes the operator's to-do with the drafted message; no admin call is made."""

from __future__ import annotations

import asyncio
from pathlib import Path

from qunyun.capabilities import TELEGRAM
from qunyun.events import GroupRef, UserRef
from tests.adapters.behaviour import delivered, give_role, role_todos, until
from tests.adapters.telegram.test_behaviour import ALICE, GROUP, TelegramScene


def test_a_title_is_the_operators_todo_and_no_member_is_made_an_admin(
        tmp_path: Path) -> None:
    assert TELEGRAM.member_roles is False

    async def go() -> None:
        scene = TelegramScene(tmp_path)
        try:
            await scene.start()
            await scene.join()
            await until(lambda: scene.bot_said("欢迎加入"))
            alice = UserRef("telegram", str(ALICE), "小王")
            status, detail = await delivered(scene.engine, give_role(
                scene.engine, scene.cid, GroupRef("telegram", str(GROUP), "进阶营"), alice))
            assert status == "failed" and "需要运营者处理" in detail
            (title, draft), = role_todos(scene.engine)
            assert "小王" in title and "「意见领袖」" in title and "恭喜 小王" in draft
            called = {method for method, _ in scene.server.calls}
            assert not called & {"promoteChatMember", "setChatAdministratorCustomTitle"}
        finally:
            await scene.close()

    asyncio.run(go())

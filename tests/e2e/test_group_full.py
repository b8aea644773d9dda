"""G4 on a real Synapse, through `run_matrix_bot`: the plan's `size_cap` is 3; when the
third member is in 「进阶营 1群」 the bot creates 「进阶营 2群」 (the room's moderator
invited as its moderator), records it as a group of the community and posts the notice
with its link in the full room — once: a fourth join opens no third room."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from qunyun.adapters.matrix.client import HttpMatrixApi
from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.app import open_database
from qunyun.bot.app import run_matrix_bot
from qunyun.storage.community import communities as community_repo
from tests.e2e.conftest import timeline, unique
from tests.e2e.test_bot_rules import scalar, until
from tests.policies.test_bot_policies import camp_plan


def test_a_full_room_gets_its_next_room(homeserver: LocalHomeserver, tmp_path: Path) -> None:
    hs = homeserver
    bot_user = hs.register(unique("bot"), displayname="群运助手")
    operator = hs.register(unique("operator"), displayname="运营者")
    users = [hs.register(unique(n), displayname=n) for n in ("alice", "bob", "carol")]
    plan = camp_plan(community__size_cap=3, bot__admin_room=None)
    engine = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="camp", name="camp", now_ms=0)

    async def go() -> None:
        bot = HttpMatrixApi(hs.url, bot_user.access_token)
        op = HttpMatrixApi(hs.url, operator.access_token)
        apis = [HttpMatrixApi(hs.url, u.access_token) for u in users]
        stop = asyncio.Event()
        runner: asyncio.Task[None] | None = None

        async def notices() -> list[str]:
            return [e["content"].get("body", "") for e in await timeline(op, main)
                    if e["sender"] == bot_user.user_id and e["type"] == "m.room.message"
                    and "本群已满" in e["content"].get("body", "")]

        async def one_notice() -> bool:
            return len(await notices()) == 1

        try:
            main = await bot.create_room(name="进阶营 1群", invite=[operator.user_id],
                                         power_users={operator.user_id: 100})
            await op.join(main)
            runner = asyncio.create_task(run_matrix_bot(
                engine, community_id=cid, plan=plan, homeserver=hs.url,
                token=bot_user.access_token, stop=stop, timeout_ms=300))
            await until(lambda: _async(scalar(engine, "SELECT count(*) FROM adapter_state "
                                                      "WHERE key LIKE '%since'") >= 1))
            for user, api in zip(users[:2], apis[:2], strict=True):  # operator + 2 = 3
                await op.invite(main, user.user_id)
                await api.join(main)
            await until(one_notice)
            (body,) = await notices()
            assert "本群已满 3 人" in body and "「进阶营 2群」" in body
            new_room = body.split("https://matrix.to/#/")[1].split()[0]
            assert new_room.startswith("!")
            state = await bot.room_state(new_room)
            names = [e["content"].get("name") for e in state if e["type"] == "m.room.name"]
            assert names == ["进阶营 2群"]
            invited = {e["state_key"] for e in state if e["type"] == "m.room.member"
                       and e["content"].get("membership") == "invite"}
            assert operator.user_id in invited  # the full room's moderator, as moderator
            (levels,) = [e["content"] for e in state if e["type"] == "m.room.power_levels"]
            assert levels["users"][operator.user_id] >= 50
            rules = [e["content"]["join_rule"] for e in state
                     if e["type"] == "m.room.join_rules"]
            assert rules == ["public"]  # newcomers join by the link
            assert scalar(engine, f"SELECT count(*) FROM groups WHERE external_id = "
                                  f"'{new_room}' AND name = '进阶营 2群'") == 1
            # A fourth member gets in anyway (someone let them): no third room.
            await op.invite(main, users[2].user_id)
            await apis[2].join(main)
            await until(lambda: _async(scalar(
                engine, "SELECT count(*) FROM events WHERE kind = 'join'") >= 3))
            await asyncio.sleep(1.5)
            assert len(await notices()) == 1
            with engine.connect() as conn:
                opened = conn.execute(text(
                    "SELECT count(*) FROM audit_log WHERE action = 'open_group'")).scalar()
            assert opened == 1
        finally:
            stop.set()
            if runner is not None:
                await asyncio.wait_for(runner, 30)
            for api in (bot, op, *apis):
                await api.close()

    asyncio.run(go())


async def _async(value: bool) -> bool:
    return value

"""T4 volunteers on a real Synapse, through `run_matrix_bot` (the wiring `qunyun bot` uses):
an operator invites a member (as the console does); the bot sends the invitation by DM
from its outbox; the member answers `!接受 答疑志愿者` in the DM, warns a member in the
group (audited with the volunteer as actor) and is refused against an admin."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from qunyun.adapters.matrix.client import HttpMatrixApi
from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.app import open_database
from qunyun.bot.app import run_matrix_bot
from qunyun.plan.model import Plan
from qunyun.services import lookup
from qunyun.services import volunteers as volunteer_service
from qunyun.storage.community import communities as community_repo
from tests.e2e.conftest import timeline, unique
from tests.e2e.test_bot_rules import scalar, until
from tests.policies.test_bot_policies import camp_plan


def test_a_volunteer_accepts_by_dm_warns_a_member_and_not_an_admin(
        homeserver: LocalHomeserver, tmp_path: Path) -> None:
    hs = homeserver
    bot_user = hs.register(unique("bot"), displayname="群运助手")
    operator = hs.register(unique("operator"), displayname="运营者")
    alice_user = hs.register(unique("alice"), displayname="小王-杭州-财务")
    bob_user = hs.register(unique("bob"), displayname="小周-上海-运营")
    data = camp_plan().model_dump()
    data["bot"]["admin_room"] = None
    data["onboarding"]["form"] = []  # the only DM in this test is the invitation
    data["tier_actions"] = None
    plan = Plan.model_validate(data)
    engine = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="camp", name="camp", now_ms=0)

    async def go() -> None:
        bot = HttpMatrixApi(hs.url, bot_user.access_token)
        op = HttpMatrixApi(hs.url, operator.access_token)
        alice = HttpMatrixApi(hs.url, alice_user.access_token)
        bob = HttpMatrixApi(hs.url, bob_user.access_token)
        stop = asyncio.Event()
        runner: asyncio.Task[None] | None = None

        async def bot_says(needle: str, room: str) -> bool:
            return any(e["sender"] == bot_user.user_id and e["type"] == "m.room.message"
                       and needle in e["content"].get("body", "")
                       for e in await timeline(alice, room))

        try:
            main = await bot.create_room(name="进阶营", invite=[operator.user_id],
                                         power_users={operator.user_id: 100})
            await op.join(main)
            runner = asyncio.create_task(run_matrix_bot(
                engine, community_id=cid, plan=plan, homeserver=hs.url,
                token=bot_user.access_token, stop=stop, timeout_ms=300))

            async def started() -> bool:
                return scalar(engine, "SELECT count(*) FROM adapter_state") >= 1

            await until(started)
            for member, api in ((alice_user, alice), (bob_user, bob)):
                await op.invite(main, member.user_id)
                await api.join(main)
            await until(lambda: bot_says("欢迎", main))
            await alice.send_text(main, "大家好，我是小王，在杭州做财务")

            async def alice_known() -> bool:
                with engine.connect() as conn:
                    return bool(lookup.member_ids_of(conn, community_id=cid, platform="matrix",
                                                     user_ids=[alice_user.user_id]))

            await until(alice_known)
            with engine.begin() as conn:
                (mid,) = lookup.member_ids_of(conn, community_id=cid, platform="matrix",
                                              user_ids=[alice_user.user_id])
                assert volunteer_service.invite_by_operator(
                    conn, community_id=cid, member_id=mid, plan=plan, operator="lin",
                    now_ms=int(time.time() * 1000), role="答疑志愿者")

            # Alice's own view, by incremental syncs (Synapse caches an initial sync a while).
            first = await alice.sync(timeout_ms=0)
            since = [str(first["next_batch"])]
            invites = set((first.get("rooms") or {}).get("invite") or {}) - {main}

            async def dm_invited() -> bool:
                resp = await alice.sync(since=since[0], timeout_ms=0)
                since[0] = str(resp["next_batch"])
                invites.update(set((resp.get("rooms") or {}).get("invite") or {}) - {main})
                return bool(invites)

            await until(dm_invited, 30)
            dm = next(iter(invites))
            await alice.join(dm)
            await until(lambda: bot_says("!接受", dm))
            await alice.send_text(dm, "!接受 答疑志愿者")
            await until(lambda: bot_says("欢迎加入志愿者团队", dm))

            await alice.send_text(main, "!警告 小周 请不要刷屏", mentions=[bob_user.user_id],
                                  names={bob_user.user_id: "小周-上海-运营"})
            await until(lambda: bot_says("小王-杭州-财务 提醒你", main))
            assert scalar(engine, "SELECT count(*) FROM bot_warnings WHERE rule = "
                                  "'volunteer'") == 1
            assert scalar(engine, "SELECT actor FROM audit_log WHERE action = "
                                  "'volunteer.warn'") == "volunteer:小王-杭州-财务"

            await alice.send_text(main, "!警告 运营者 你也刷屏", mentions=[operator.user_id],
                                  names={operator.user_id: "运营者"})
            await until(lambda: bot_says("不能对管理员使用", main))
            assert scalar(engine, "SELECT count(*) FROM bot_warnings WHERE rule = "
                                  "'volunteer'") == 1
        finally:
            stop.set()
            if runner is not None:
                await asyncio.wait_for(runner, timeout=30)
            for api in (bot, op, alice, bob):
                await api.close()

    asyncio.run(go())

"""T4 volunteers on a real Synapse, through `run_matrix_bot` (the wiring `qunyun bot` uses):
an operator invites a member (as the console does); the bot sends the invitation by DM
from its outbox; the member answers `!接受 答疑志愿者` in the DM, warns a member in the
group (audited with the volunteer as actor) and is refused against an admin."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.plan.model import Plan
from qunyun.services import lookup
from qunyun.services import volunteers as volunteer_service
from tests.e2e.conftest import camp_data, camp_scene, scalar, until


def test_a_volunteer_accepts_by_dm_warns_a_member_and_not_an_admin(
        homeserver: LocalHomeserver, tmp_path: Path) -> None:
    data = camp_data()
    data["onboarding"]["form"] = []  # the only DM in this test is the invitation
    data["tier_actions"] = None
    plan = Plan.model_validate(data)

    async def go() -> None:
        async with camp_scene(homeserver, tmp_path, plan) as scene:
            engine, cid, main = scene.engine, scene.community_id, scene.main
            alice, alice_id = scene.alice.api, scene.alice.user.user_id
            bob_id, operator_id = scene.bob.user.user_id, scene.operator.user.user_id
            await alice.send_text(main, "大家好，我是小王，在杭州做财务")

            async def alice_known() -> bool:
                with engine.connect() as conn:
                    return bool(lookup.member_ids_of(conn, community_id=cid, platform="matrix",
                                                     user_ids=[alice_id]))

            await until(alice_known)
            with engine.begin() as conn:
                (mid,) = lookup.member_ids_of(conn, community_id=cid, platform="matrix",
                                              user_ids=[alice_id])
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
            await until(lambda: scene.bot_says("!接受", dm, viewer=scene.alice))
            await alice.send_text(dm, "!接受 答疑志愿者")
            await until(lambda: scene.bot_says("欢迎加入志愿者团队", dm, viewer=scene.alice))

            await alice.send_text(main, "!警告 小周 请不要刷屏", mentions=[bob_id],
                                  names={bob_id: "小周-上海-运营"})
            await until(lambda: scene.bot_says("小王 提醒你"))  # the name part (bot13)
            assert scalar(engine, "SELECT count(*) FROM bot_warnings WHERE rule = "
                                  "'volunteer'") == 1
            assert scalar(engine, "SELECT actor FROM audit_log WHERE action = "
                                  "'volunteer.warn'") == "volunteer:小王-杭州-财务"

            await alice.send_text(main, "!警告 运营者 你也刷屏", mentions=[operator_id],
                                  names={operator_id: "运营者"})
            await until(lambda: scene.bot_says("不能对管理员使用"))
            assert scalar(engine, "SELECT count(*) FROM bot_warnings WHERE rule = "
                                  "'volunteer'") == 1

    asyncio.run(go())

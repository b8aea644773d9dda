"""Issue 11 items 4, 6, 9, 11, 12 on a real Synapse, through `run_matrix_bot` (the wiring
`qunyun bot` uses): the room's moderator (power 100, not in `bot.admins`) is an admin to
the bot, runs the same poll three times without a warning and closes it with a result;
the members she invited earn her no points; `!作业 链接` as the FAQ says is acknowledged,
not deleted; a member removed at the warning limit appeals by DM, the appeal is approved
(as the console does, through the service) and the bot invites them back and tells them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.plan.model import Plan
from qunyun.services import appeals as appeal_service
from qunyun.storage.work import queues as queue_repo
from tests.e2e.conftest import camp_data, camp_scene, scalar, timeline, until


def test_admins_commands_tasks_points_and_an_approved_appeal(homeserver: LocalHomeserver,
                                                             tmp_path: Path) -> None:
    data = camp_data()
    data["bot"]["admins"] = []  # out of the box: nobody listed, the room's moderators count

    async def go() -> None:
        async with camp_scene(homeserver, tmp_path, Plan.model_validate(data),
                              # the sync token saved
                              started="SELECT count(*) FROM adapter_state "
                                      "WHERE key LIKE '%since'") as scene:
            engine, cid, main = scene.engine, scene.community_id, scene.main
            op, alice, bob = scene.operator.api, scene.alice.api, scene.bob.api
            bot_user, bob_user = scene.bot.user, scene.bob.user

            async def bot_says(needle: str, room: str | None = None) -> bool:
                return await scene.bot_says(needle, room,
                                            viewer=None if room is None else scene.bob)

            async def count_says(needle: str) -> int:
                return sum(needle in body for body in await scene.bot_messages())

            # item 11: the operator invited alice and bob (the scene); she is an admin, so
            # those invites earn her no points (asserted below)
            # item 6 + 9: the moderator's three identical polls are three polls, no warning
            for _ in range(3):
                await op.send_text(main, "!发起投票 下次直播讲什么？ | pandas | 可视化")

            async def three_polls() -> bool:
                return await count_says("📊 投票：") == 3

            await until(three_polls)
            await alice.send_text(main, "!投票 1")

            async def vote_answered() -> bool:  # quietly, in her DM (walk12 finding 19)
                return bool(scalar(engine, "SELECT count(*) FROM audit_log "
                                           "WHERE reason = 'A4 vote'"))

            await until(vote_answered)
            assert not await bot_says("已记录")
            await op.send_text(main, "!结束投票")
            # (the two polls the later ones replaced were closed with their results too)
            await until(lambda: bot_says("「pandas」得票最多"))

            async def three_results() -> bool:  # one message a poll, sent one after another
                return await count_says("📊 投票结束") == 3

            await until(three_results)
            assert not await bot_says("警告")
            assert scalar(engine, "SELECT count(*) FROM bot_points WHERE action = 'invite'") == 0
            # item 4: the FAQ's instruction works and is not moderated
            homework = await alice.send_text(main, "!作业 https://github.com/xiaowang/week1")
            await until(lambda: bot_says("作业链接已收到"))
            events = await timeline(op, main)
            assert next(e for e in events if e["event_id"] == homework)["content"] != {}
            # item 12: removed at the limit, appeal by DM, approved, invited back, told
            for i in range(3):
                await bob.send_text(main, f"福利 http://spam.example.com/{i}")

            async def bob_removed() -> bool:
                states = [e for e in await timeline(op, main) if e["type"] == "m.room.member"
                          and e["state_key"] == bob_user.user_id]
                return bool(states) and states[-1]["content"]["membership"] == "leave"

            await until(bob_removed)
            dm = await bob.create_dm(bot_user.user_id)

            async def bot_in_dm() -> bool:
                return any(e["type"] == "m.room.member" and e["state_key"] == bot_user.user_id
                           and e["content"].get("membership") == "join"
                           for e in await timeline(bob, dm))

            await until(bot_in_dm)
            await bob.send_text(dm, "!申诉 我是新同学，不知道不能发链接")
            await until(lambda: bot_says("申诉已提交", dm))
            with engine.connect() as conn:
                (item,) = queue_repo.list_items(conn, community_id=cid, queue="appeal")
            with engine.begin() as conn:
                appeal_service.decide(conn, community_id=cid, item_id=int(item["id"]),
                                      operator="lin", approve=True, reason="新同学，下不为例")

            # Bob's own view, by incremental syncs (Synapse caches an initial sync a while).
            first = await bob.sync(timeout_ms=0)
            since = [str(first["next_batch"])]
            invites: set[str] = set((first.get("rooms") or {}).get("invite") or {})

            async def invited_back() -> bool:
                resp = await bob.sync(since=since[0], timeout_ms=0)
                since[0] = str(resp["next_batch"])
                invites.update((resp.get("rooms") or {}).get("invite") or {})
                return main in invites

            await until(invited_back)
            await bob.join(main)
            assert scalar(engine, "SELECT count(*) FROM bot_warnings WHERE revoked_ms IS NULL "
                                  "AND member_id = " + str(item["member_id"])) == 0

            async def told() -> bool:
                await invited_back()
                for room_id in [*(invites - {main}), dm]:
                    await bob.join(room_id)
                    if await bot_says("申诉已通过", room_id):
                        return True
                return False

            await until(told)
            assert scalar(engine, "SELECT count(*) FROM audit_log WHERE actor = 'operator:lin' "
                                  "AND action IN ('invite', 'dm') AND status = 'done'") == 2

    asyncio.run(go())

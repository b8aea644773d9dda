"""Issue 11 items 4, 6, 9, 11, 12 on a real Synapse, through `run_matrix_bot` (the wiring
`qunyun bot` uses): the room's moderator (power 100, not in `bot.admins`) is an admin to
the bot, runs the same poll three times without a warning and closes it with a result;
the members she invited earn her no points; `!作业 链接` as the FAQ says is acknowledged,
not deleted; a member removed at the warning limit appeals by DM, the appeal is approved
(as the console does, through the service) and the bot invites them back and tells them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from qunyun.adapters.matrix.client import HttpMatrixApi
from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.app import open_database
from qunyun.bot.app import run_matrix_bot
from qunyun.plan.model import Plan
from qunyun.services import appeals as appeal_service
from qunyun.storage.community import communities as community_repo
from qunyun.storage.work import queues as queue_repo
from tests.e2e.conftest import scalar, timeline, unique, until
from tests.policies.test_bot_policies import camp_plan


def test_admins_commands_tasks_points_and_an_approved_appeal(homeserver: LocalHomeserver,
                                                             tmp_path: Path) -> None:
    hs = homeserver
    bot_user = hs.register(unique("bot"), displayname="群运助手")
    operator = hs.register(unique("operator"), displayname="运营者")
    alice_user = hs.register(unique("alice"), displayname="小王-杭州-财务")
    bob_user = hs.register(unique("bob"), displayname="小周-上海-运营")
    data = camp_plan().model_dump()
    data["bot"]["admins"] = []  # out of the box: nobody listed, the room's moderators count
    data["bot"]["admin_room"] = None
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

        async def bot_says(needle: str, room: str | None = None) -> bool:
            return any(e["sender"] == bot_user.user_id and e["type"] == "m.room.message"
                       and needle in e["content"].get("body", "")
                       for e in await timeline(op if room is None else bob, room or main))

        async def count_says(needle: str) -> int:
            return sum(1 for e in await timeline(op, main)
                       if e["sender"] == bot_user.user_id
                       and needle in e["content"].get("body", ""))

        try:
            main = await bot.create_room(name="进阶营", invite=[operator.user_id],
                                         power_users={operator.user_id: 100})
            await op.join(main)
            runner = asyncio.create_task(run_matrix_bot(
                engine, community_id=cid, plan=plan, homeserver=hs.url,
                token=bot_user.access_token, stop=stop, timeout_ms=300))

            async def started() -> bool:
                return scalar(engine, "SELECT count(*) FROM adapter_state WHERE key LIKE '%since'") >= 1  # sync token saved

            await until(started)
            # item 11: the operator invites the first members; she is an admin, no points
            for member, api in ((alice_user, alice), (bob_user, bob)):
                await op.invite(main, member.user_id)
                await api.join(main)
            await until(lambda: bot_says("欢迎"))
            # item 6 + 9: the moderator's three identical polls are three polls, no warning
            for _ in range(3):
                await op.send_text(main, "!发起投票 下次直播讲什么？ | pandas | 可视化")

            async def three_polls() -> bool:
                return await count_says("📊 投票：") == 3

            await until(three_polls)
            await alice.send_text(main, "!投票 1")
            await until(lambda: bot_says("已记录"))
            await op.send_text(main, "!结束投票")
            # (the two polls the later ones replaced were closed with their results too)
            await until(lambda: bot_says("「pandas」得票最多"))
            assert await count_says("📊 投票结束") == 3
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
        finally:
            stop.set()
            if runner is not None:
                await asyncio.wait_for(runner, timeout=30)
            for api in (bot, op, alice, bob):
                await api.close()

    asyncio.run(go())
    engine.dispose()

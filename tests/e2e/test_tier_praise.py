"""T1 on a real Synapse, through `run_matrix_bot` (the wiring `qunyun bot` uses): a member who
brings a friend into the room is promoted to 传播者 by the bot's daily tier pass and praised
in the group, with the numbers behind it.

The operator's 立即重新评定全员等级 (`services.growth.recompute`, which never posts) gives
everyone their first tier; the daily pass is then made due by moving its schedule cursor
back to the last slot, as after a bot restart that missed it (the schedule's catch-up
fires that slot at once), so the test does not wait for 04:30.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text

from qunyun.adapters.matrix.client import HttpMatrixApi
from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.app import open_database
from qunyun.bot.app import run_matrix_bot
from qunyun.domain import recurrence
from qunyun.plan.model import Plan
from qunyun.services import growth as growth_service
from qunyun.storage.community import communities as community_repo
from tests.e2e.conftest import timeline, unique
from tests.e2e.test_bot_rules import scalar, until
from tests.policies.test_bot_policies import camp_plan


def test_a_promotion_to_spreader_is_praised_in_the_group(homeserver: LocalHomeserver,
                                                         tmp_path: Path) -> None:
    hs = homeserver
    bot_user = hs.register(unique("bot"), displayname="群运助手")
    operator = hs.register(unique("operator"), displayname="运营者")
    alice_user = hs.register(unique("alice"), displayname="小王-杭州-财务")
    bob_user = hs.register(unique("bob"), displayname="小周-上海-运营")
    carol_user = hs.register(unique("carol"), displayname="小林-北京-产品")
    data = camp_plan().model_dump()
    data["bot"]["admin_room"] = None
    data["badges"] = []
    data["tiers"]["spreader_min_invites"] = 1
    tz = ZoneInfo(data["bot"]["timezone"])
    # The daily pass an hour ago: the bot's first sync puts its cursor at tomorrow's slot.
    data["growth"]["daily_at"] = (datetime.now(tz) - timedelta(hours=1)).strftime("%H:%M")
    plan = Plan.model_validate(data)
    engine = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="camp", name="camp", now_ms=0)

    async def go() -> None:
        bot = HttpMatrixApi(hs.url, bot_user.access_token)
        op = HttpMatrixApi(hs.url, operator.access_token)
        alice = HttpMatrixApi(hs.url, alice_user.access_token)
        bob = HttpMatrixApi(hs.url, bob_user.access_token)
        carol = HttpMatrixApi(hs.url, carol_user.access_token)
        stop = asyncio.Event()
        runner: asyncio.Task[None] | None = None

        async def bot_says(needle: str) -> bool:
            return any(e["sender"] == bot_user.user_id and e["type"] == "m.room.message"
                       and needle in e["content"].get("body", "")
                       for e in await timeline(op, main))

        try:
            main = await bot.create_room(name="进阶营", invite=[operator.user_id],
                                         power_users={operator.user_id: 100})
            await op.join(main)
            runner = asyncio.create_task(run_matrix_bot(
                engine, community_id=cid, plan=plan, homeserver=hs.url,
                token=bot_user.access_token, stop=stop, timeout_ms=300))

            async def started() -> bool:
                return scalar(engine, "SELECT count(*) FROM schedule_entries "
                                      "WHERE kind = 'growth.tiers'") >= 1

            await until(started)
            for member, api in ((alice_user, alice), (bob_user, bob)):
                await op.invite(main, member.user_id)
                await api.join(main)
            await until(lambda: bot_says("欢迎"))
            await alice.send_text(main, "大家好，我是小王，在杭州做财务")

            async def alice_spoke() -> bool:
                return scalar(engine, "SELECT count(*) FROM events WHERE kind = 'message'") >= 1

            await until(alice_spoke)
            # The operator's "recompute now": first tiers for everyone, nothing posted.
            first = growth_service.recompute(engine, community_id=cid, plan=plan,
                                             as_of=datetime.now(UTC), operator="运营者")
            assert first and all(c.direction == "first" for c in first)
            assert not await bot_says("恭喜")

            # Alice brings Carol in (a member's invite: Synapse records Alice as inviter).
            await alice.invite(main, carol_user.user_id)
            await carol.join(main)

            async def carol_joined() -> bool:  # her join, with Alice as the inviter (the
                # operator invited Alice and Bob: their joins name the operator)
                return scalar(engine, "SELECT count(*) FROM events e JOIN members m ON "
                                      "m.id = e.related_member_id WHERE e.kind = 'join' "
                                      "AND m.display_name = '小王-杭州-财务'") >= 1

            await until(carol_joined)
            with engine.begin() as conn:
                entry_id, rule, entry_tz = conn.execute(text(
                    "SELECT id, rule, tz FROM schedule_entries WHERE kind = 'growth.tiers'")
                ).one()
                now = datetime.now(UTC)
                (slot,) = recurrence.between(rule, entry_tz, now - timedelta(hours=23), now)
                conn.execute(text("UPDATE schedule_entries SET next_ms = :ms WHERE id = :id"),
                             {"ms": int(slot.timestamp() * 1000), "id": entry_id})
            await until(lambda: bot_says("成为本群的「传播者」"), 45)
            praise = next(e["content"]["body"] for e in reversed(await timeline(op, main))
                          if e["sender"] == bot_user.user_id
                          and "传播者" in e["content"].get("body", ""))
            assert "小王-杭州-财务" in praise and "邀请了 1 人入群" in praise, praise
            assert scalar(engine, "SELECT tier FROM growth_tiers t JOIN members m ON "
                                  "m.id = t.member_id WHERE m.display_name = "
                                  "'小王-杭州-财务'") == "spreader"
            assert scalar(engine, "SELECT count(*) FROM events WHERE kind = 'tier'") >= 1
        finally:
            stop.set()
            if runner is not None:
                await asyncio.wait_for(runner, timeout=30)
            for api in (bot, op, alice, bob, carol):
                await api.close()

    asyncio.run(go())

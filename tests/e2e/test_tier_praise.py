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

from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.domain import recurrence
from qunyun.plan.model import Plan
from qunyun.services import growth as growth_service
from tests.e2e.conftest import camp_data, camp_scene, scalar, until


def test_a_promotion_to_spreader_is_praised_in_the_group(homeserver: LocalHomeserver,
                                                         tmp_path: Path) -> None:
    data = camp_data()
    data["badges"] = []
    data["tiers"]["spreader_min_invites"] = 1
    tz = ZoneInfo(data["bot"]["timezone"])
    # The daily pass an hour ago: the bot's first sync puts its cursor at tomorrow's slot.
    data["growth"]["daily_at"] = (datetime.now(tz) - timedelta(hours=1)).strftime("%H:%M")
    plan = Plan.model_validate(data)

    async def go() -> None:
        async with camp_scene(homeserver, tmp_path, plan,
                              started="SELECT count(*) FROM schedule_entries "
                                      "WHERE kind = 'growth.tiers'",
                              others={"carol": "小林-北京-产品"}) as scene:
            engine, cid, main = scene.engine, scene.community_id, scene.main
            alice, carol = scene.alice.api, scene.others["carol"]
            await alice.send_text(main, "大家好，我是小王，在杭州做财务")

            async def alice_spoke() -> bool:
                return scalar(engine, "SELECT count(*) FROM events WHERE kind = 'message'") >= 1

            await until(alice_spoke)
            # The operator's "recompute now": first tiers for everyone, nothing posted.
            first = growth_service.recompute(engine, community_id=cid, plan=plan,
                                             as_of=datetime.now(UTC), operator="运营者")
            assert first and all(c.direction == "first" for c in first)
            assert not await scene.bot_says("恭喜")
            # The operator (power 100, who invited alice and bob) is staff: the bot
            # recorded the room's moderators, and the pass gave them no tier (issue 15).
            op = scene.operator.user.user_id
            assert scalar(engine, "SELECT count(*) FROM group_moderators "
                                  f"WHERE external_id = '{op}'") == 1
            assert scalar(engine, "SELECT count(*) FROM growth_tiers t JOIN identities i "
                                  "ON i.member_id = t.member_id "
                                  f"WHERE i.external_id = '{op}'") == 0

            # Alice brings Carol in (a member's invite: Synapse records Alice as inviter).
            await alice.invite(main, carol.user.user_id)
            await carol.api.join(main)

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
            await until(lambda: scene.bot_says("成为本群的「传播者」"), 45)
            praise = await scene.last_said("传播者")
            assert "@小王 " in praise and "邀请了 1 人入群" in praise, praise
            assert scalar(engine, "SELECT tier FROM growth_tiers t JOIN members m ON "
                                  "m.id = t.member_id WHERE m.display_name = "
                                  "'小王-杭州-财务'") == "spreader"
            assert scalar(engine, "SELECT count(*) FROM events WHERE kind = 'tier'") >= 1

    asyncio.run(go())

"""G4 on a real Synapse, through `run_matrix_bot`: the plan's `size_cap` is 3; when the
third member is in 「进阶营 1群」 the bot creates 「进阶营 2群」 (the room's moderator
invited as its moderator), records it as a group of the community and posts the notice
with its link in the full room — once: a fourth join opens no third room."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from qunyun.adapters.matrix.client import HttpMatrixApi
from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.adapters.matrix.runner import MatrixBot
from qunyun.app import open_database
from qunyun.bot.app import run_matrix_bot
from qunyun.domain.group_matrix import LINK_SLOT
from qunyun.effects import OpenGroup
from qunyun.events import GroupRef
from qunyun.pipeline.runner import Pipeline, utc_now
from qunyun.services import audit
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


class Killed(BaseException):
    """The bot process dying mid-effect: not an error the outbox catches and marks."""


class DyingApi(HttpMatrixApi):
    """The bot's real client, killed right after one call (`after`) has reached Synapse."""

    def __init__(self, url: str, token: str, after: str) -> None:
        super().__init__(url, token)
        self.after = after

    async def create_room(self, **kw: Any) -> str:
        room = await super().create_room(**kw)
        if self.after == "create_room" and kw.get("name") == "进阶营 2群":
            raise Killed
        return room

    async def send_text(self, room_id: str, body: str, *args: Any, **kw: Any) -> str:
        sent = await super().send_text(room_id, body, *args, **kw)
        if self.after == "notice" and "本群已满" in body:
            raise Killed
        return sent


@pytest.mark.parametrize("killed_after", ["create_room", "notice"])
def test_a_bot_killed_while_opening_the_next_room_opens_it_once_on_restart(
        homeserver: LocalHomeserver, tmp_path: Path, killed_after: str) -> None:
    """G4 crash safety: the bot dies after Synapse created 「进阶营 2群」 (or after its notice
    went out) and before the outbox marked the effect done. The restarted bot (another
    process, once the lease ran out) finishes it: still one next room, one notice."""
    hs = homeserver
    bot_user = hs.register(unique("bot"), displayname="群运助手")
    operator = hs.register(unique("operator"), displayname="运营者")
    engine = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="camp", name="camp", now_ms=0)

    def process(api: HttpMatrixApi, *, later_ms: int = 0) -> MatrixBot:
        def clock() -> datetime:  # the lease of the killed process has run out
            return utc_now() + timedelta(milliseconds=later_ms)

        return MatrixBot(api, Pipeline(engine, community_id=cid, policies=[], clock=clock),
                         bot_user_id=bot_user.user_id, homeserver=hs.url,
                         admin_room_name="进阶营管理组")

    async def go() -> None:
        bot = HttpMatrixApi(hs.url, bot_user.access_token)
        op = HttpMatrixApi(hs.url, operator.access_token)
        dying = DyingApi(hs.url, bot_user.access_token, killed_after)
        again = HttpMatrixApi(hs.url, bot_user.access_token)
        try:
            main = await bot.create_room(name="进阶营 1群", invite=[operator.user_id],
                                         power_users={operator.user_id: 100})
            await op.join(main)
            effect = OpenGroup(group=GroupRef("matrix", main, "进阶营 1群"), name="进阶营 2群",
                               text=f"本群已满 3 人，新朋友请加「进阶营 2群」：{LINK_SLOT}",
                               policy="group_matrix", reason="G4 size cap")
            with engine.begin() as conn:
                audit_id = audit.record_operator_effect(conn, effect, community_id=cid,
                                                        operator="test", member_id=None,
                                                        group_id=None)
            first = process(dying)
            await first.start()
            with pytest.raises(Killed):
                await first.flush_outbox()
            assert scalar(engine, f"SELECT status FROM audit_log WHERE id = {audit_id}") \
                == "pending"  # died before marking it

            second = process(again, later_ms=audit.CLAIM_LEASE_MS + 1000)
            await second.start()
            assert await second.flush_outbox() == 1
            assert scalar(engine, f"SELECT status FROM audit_log WHERE id = {audit_id}") \
                == "done"

            named = []
            for room in await bot.joined_rooms():
                state = await bot.room_state(room)
                named += [room for e in state if e["type"] == "m.room.name"
                          and e["content"].get("name") == "进阶营 2群"]
            assert len(named) == 1  # one next room, not a second on restart
            notices = [e["content"]["body"] for e in await timeline(op, main)
                       if e["sender"] == bot_user.user_id and "本群已满" in
                       e["content"].get("body", "")]
            assert len(notices) == 1 and named[0] in notices[0]
            (levels,) = [e["content"] for e in await bot.room_state(named[0])
                         if e["type"] == "m.room.power_levels"]
            assert levels["users"][operator.user_id] >= 50
            assert scalar(engine, f"SELECT count(*) FROM groups WHERE external_id = "
                                  f"'{named[0]}'") == 1
        finally:
            for api in (bot, op, dying, again):
                await api.close()

    asyncio.run(go())


def test_the_next_room_copies_the_template_room(homeserver: LocalHomeserver,
                                               tmp_path: Path) -> None:
    """G4 template on Synapse: the plan's template room 「进阶营 模板」 has a topic, a
    moderator of its own and stricter power rules; the next room of the full room gets
    them (and the full room's moderator), not the template's closed posting."""
    hs = homeserver
    bot_user = hs.register(unique("bot"), displayname="群运助手")
    operator = hs.register(unique("operator"), displayname="运营者")
    coach = hs.register(unique("coach"), displayname="助教")
    engine = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="camp", name="camp", now_ms=0)

    async def go() -> None:
        bot = HttpMatrixApi(hs.url, bot_user.access_token)
        try:
            main = await bot.create_room(name="进阶营 1群", invite=[operator.user_id],
                                         power_users={operator.user_id: 100})
            template = await bot.create_room(name="进阶营 模板", invite=[coach.user_id],
                                             power_users={coach.user_id: 75})
            await bot.set_state(template, "m.room.topic", {"topic": "每周三晚八点直播答疑"})
            levels = await bot.state_event(template, "m.room.power_levels")
            await bot.set_state(template, "m.room.power_levels", {
                **levels, "kick": 75, "events_default": 50,  # the template is closed now
                "events": {**(levels.get("events") or {}), "m.room.topic": 75}})
            effect = OpenGroup(group=GroupRef("matrix", main, "进阶营 1群"), name="进阶营 2群",
                               text=f"本群已满，新朋友请加「进阶营 2群」：{LINK_SLOT}",
                               template_id=template, policy="group_matrix",
                               reason="G4 group full")
            with engine.begin() as conn:
                audit.record_operator_effect(conn, effect, community_id=cid, operator="test",
                                             member_id=None, group_id=None)
            runner = MatrixBot(bot, Pipeline(engine, community_id=cid, policies=[]),
                               bot_user_id=bot_user.user_id, homeserver=hs.url,
                               admin_room_name="进阶营管理组")
            await runner.start()
            assert await runner.flush_outbox() == 1
            (new_room,) = [r for r, n in runner.rooms.names.items() if n == "进阶营 2群"]
            state = {e["type"]: e for e in await bot.room_state(new_room)
                     if e.get("state_key", "") == ""}
            assert state["m.room.topic"]["content"]["topic"] == "每周三晚八点直播答疑"
            copied = state["m.room.power_levels"]["content"]
            assert copied["kick"] == 75 and copied["events"]["m.room.topic"] == 75
            assert copied["users"][coach.user_id] == 75  # the template's moderator
            assert copied["users"][operator.user_id] >= 50  # the full room's
            assert copied.get("events_default", 0) == 0  # newcomers may talk
            invited = {e["state_key"] for e in await bot.room_state(new_room)
                       if e["type"] == "m.room.member"
                       and e["content"].get("membership") == "invite"}
            assert {coach.user_id, operator.user_id} <= invited
        finally:
            await bot.close()

    asyncio.run(go())

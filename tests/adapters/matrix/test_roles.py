"""T2 tier roles on Matrix, through the adapter against a real Synapse on 127.0.0.1 (the
Matrix wire format's local server): a role is a power level in `m.room.power_levels`,
raised on a give and removed on a take-back; the bot never lowers a moderator nor undoes a
level set by hand; where its own level is too low, the operator gets a to-do."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from qunyun.adapters.matrix.client import HttpMatrixApi
from qunyun.adapters.matrix.homeserver import LocalHomeserver, installed
from qunyun.adapters.matrix.runner import MatrixBot
from qunyun.app import open_database
from qunyun.effects import SetRole
from qunyun.events import GroupRef, UserRef
from qunyun.pipeline.runner import Pipeline
from qunyun.services import audit
from qunyun.storage.community import communities as community_repo


@pytest.fixture(scope="module")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHomeserver]:
    if not installed():
        if os.environ.get("CI"):
            raise RuntimeError("Synapse is not installed: ./dev.sh setup installs .venv-synapse")
        pytest.skip("Synapse not installed (./dev.sh setup installs it into .venv-synapse)")
    hs = LocalHomeserver(tmp_path_factory.mktemp("synapse-roles")).start()
    yield hs
    hs.stop()


def _name(stem: str) -> str:
    return f"{stem}{uuid.uuid4().hex[:8]}"


def role(room: str, who: str, *, give: bool = True, level: int = 20) -> SetRole:
    return SetRole(group=GroupRef("matrix", room, "测试群"), member=UserRef("matrix", who, "小王"),
                   role="意见领袖", tier="opinion_leader", level=level, give=give,
                   policy="tier_actions", reason="T2 role given")


def test_a_role_is_a_power_level_given_and_taken_back(synapse: LocalHomeserver,
                                                      tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    bot_user = synapse.register(_name("bot"), displayname="群运助手")
    alice_user = synapse.register(_name("alice"), displayname="小王")
    mod_user = synapse.register(_name("mod"), displayname="班长")

    async def go() -> None:
        client = HttpMatrixApi(synapse.url, bot_user.access_token)
        alice = HttpMatrixApi(synapse.url, alice_user.access_token)
        mod = HttpMatrixApi(synapse.url, mod_user.access_token)
        bot = MatrixBot(client, Pipeline(engine, community_id=cid, policies=[]),
                        bot_user_id=bot_user.user_id, homeserver=synapse.url)
        try:
            room = await client.create_room(name="测试群",
                                            invite=[alice_user.user_id, mod_user.user_id],
                                            power_users={mod_user.user_id: 50})
            await alice.join(room)
            await mod.join(room)

            async def levels() -> dict[str, int]:
                state = await alice.state_event(room, "m.room.power_levels")
                return {k: int(v) for k, v in state["users"].items()}

            said = await bot.perform(role(room, alice_user.user_id))
            assert (await levels())[alice_user.user_id] == 20, said
            # A moderator is never lowered to a role's level, nor removed on a take-back.
            await bot.perform(role(room, mod_user.user_id))
            await bot.perform(role(room, mod_user.user_id, give=False))
            assert (await levels())[mod_user.user_id] == 50
            await bot.perform(role(room, alice_user.user_id, give=False))
            assert alice_user.user_id not in await levels()

            # A room where the bot has no power: the operator's to-do, with the words.
            other = await alice.create_room(name="别的群", invite=[bot_user.user_id])
            await client.join(other)
            with engine.begin() as conn:
                audit_id = audit.record_operator_effect(
                    conn, role(other, alice_user.user_id), community_id=cid,
                    operator="test", member_id=None, group_id=None)
            assert await bot.deliver(audit_id, role(other, alice_user.user_id))
            with engine.connect() as conn:
                status, detail = conn.execute(text(
                    "SELECT status, detail FROM audit_log WHERE id = :i"),
                    {"i": audit_id}).one()
                (title,) = conn.execute(text(
                    "SELECT title FROM work_items WHERE item_key LIKE 'role:%'")).one()
            assert status == "failed" and "权限等级不够" in str(detail)
            assert "小王" in title and "设为 20" in title
        finally:
            for api in (client, alice, mod):
                await api.close()

    asyncio.run(go())

"""R2/R3 DMs through the Matrix adapter (in-memory API; the Synapse suite is end to end):
the member removed at the warning limit is told why and how to appeal in a DM before the
kick, and a DM the homeserver refuses (the DM room cannot be opened with them) is the
operator's 待发私信 to-do with the text, not lost."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine

from qunyun.adapters.matrix.client import MatrixError
from qunyun.adapters.matrix.runner import CAPABILITIES, MatrixBot
from qunyun.bot.wiring import build_policies
from qunyun.pipeline.runner import Pipeline
from qunyun.storage.community import communities as community_repo
from qunyun.storage.work import audit as audit_repo
from tests.adapters.behaviour import dm_todos
from tests.adapters.matrix.test_runner import FakeApi, msg
from tests.policies.test_bot_policies import camp_plan

ALICE = "@alice:localhost"


class WireApi(FakeApi):
    """The fake homeserver, recording DM rooms opened, messages and kicks in call order;
    `refuse_dms` makes opening a DM room fail as Synapse does for an invite it refuses."""

    def __init__(self, *, refuse_dms: bool = False) -> None:
        super().__init__()
        self.wire: list[tuple[str, str, str]] = []
        self.refuse_dms = refuse_dms

    async def create_dm(self, user_id: str, *, name: str | None = None,
                        topic: str | None = None) -> str:
        if self.refuse_dms:
            raise MatrixError(403, "M_FORBIDDEN", "user does not accept invites from you")
        self.wire.append(("create_dm", user_id, ""))
        return "!dm:localhost"

    async def send_text(
        self,
        room_id: str,
        body: str,
        mentions: Sequence[str] = (),
        *,
        names: Mapping[str, str] | None = None,
        reply_to: str | None = None,
        txn_id: str | None = None,
    ) -> str:
        sent = await super().send_text(
            room_id, body, mentions, names=names, reply_to=reply_to, txn_id=txn_id
        )
        self.wire.append(("send", room_id, body))
        return sent

    async def kick(self, room_id: str, user_id: str, reason: str | None = None) -> None:
        self.wire.append(("kick", user_id, reason or ""))


def _three_adverts(engine: Engine, api: WireApi) -> MatrixBot:
    """Alice posts three adverts in the camp's group: the third reaches the warning limit."""
    plan = camp_plan()
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    pipeline = Pipeline(
        engine,
        community_id=cid,
        plan=plan,
        policies=build_policies(plan, capabilities=CAPABILITIES),
    )
    bot = MatrixBot(api, pipeline, bot_user_id="@bot:localhost", homeserver="localhost")
    api.push([])
    api.push(
        [
            msg(1, "福利 https://spam.example.com/x"),
            msg(2, "加微信领资料 vx123"),
            msg(3, "代購正品，價格優惠，私聊我"),
        ]
    )
    asyncio.run(bot.sync_once())
    asyncio.run(bot.sync_once())
    return bot


def test_the_removal_is_explained_by_dm_before_the_kick(engine: Engine) -> None:
    api = WireApi()
    _three_adverts(engine, api)
    assert ("kick", ALICE) in [(kind, target) for kind, target, _ in api.wire]
    told = next(
        i
        for i, (kind, target, body) in enumerate(api.wire)
        if kind == "send" and target == "!dm:localhost" and "被移出" in body
    )
    kicked = api.wire.index(next(w for w in api.wire if w[0] == "kick"))
    assert told < kicked
    assert "!申诉" in api.wire[told][2]
    assert dm_todos(engine) == []


def test_a_dm_the_homeserver_refuses_is_an_operator_todo(engine: Engine) -> None:
    api = WireApi(refuse_dms=True)
    _three_adverts(engine, api)
    assert any(kind == "kick" for kind, _, _ in api.wire)  # the removal still happens
    todos: list[dict[str, Any]] = [
        i for i in dm_todos(engine) if i["detail"]["purpose"] == "R2 removal notice"
    ]
    assert len(todos) == 1
    detail = todos[0]["detail"]
    assert "被移出" in detail["dm_text"] and "!申诉" in detail["dm_text"]
    assert "Matrix 没能和 ta 建立私聊" in detail["undelivered"]
    assert detail["account"] == ALICE and todos[0]["member_id"] is not None
    with engine.connect() as conn:
        dms = [
            r
            for r in audit_repo.entries(conn)
            if r["action"] == "dm" and r["reason"] == "R2 removal notice"
        ]
    assert [r["status"] for r in dms] == ["failed"]
    assert "待发私信" in (dms[0]["detail"] or "")

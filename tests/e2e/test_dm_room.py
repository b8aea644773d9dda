"""The DM room the bot opens, on a real Synapse through `run_matrix_bot` (bot13):

- its invitation says who writes and why — a room name and topic in the plan's language
  instead of "Empty room" or the bot's id — and it is still a DM (`is_direct`);
- a member's own display name in that DM (a per-room name, set in the DM's member state)
  never renames her in the group: the leaderboard, `!积分` and the console keep her group
  name, also after the bot restarts and reads every room's state again (issue 11 walk
  findings 52/62, flow12 on the fake homeserver)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import text

from qunyun.adapters.matrix.homeserver import LocalHomeserver
from qunyun.plan.model import Plan
from tests.e2e.conftest import SYNCED, CampScene, Member, camp_data, camp_scene, until

COMMUNITY = "Python 数据分析进阶营"


def plan() -> Plan:
    data = camp_data()
    data["tier_actions"] = None
    data["onboarding"]["welcome_batch_seconds"] = 1  # the questionnaire's DM comes soon
    return Plan.model_validate(data)


async def dm_invitation(scene: CampScene, member: Member
                        ) -> tuple[str, dict[str, dict[str, Any]]]:
    """The DM room the bot invited `member` to and its invitation's state, by event type
    (and state key), as her client's incremental syncs show it."""
    since: str | None = None
    found: dict[str, list[dict[str, Any]]] = {}

    async def invited() -> bool:
        nonlocal since
        resp = await member.api.sync(since=since, timeout_ms=0)
        since = str(resp["next_batch"])
        for room, invite in ((resp.get("rooms") or {}).get("invite") or {}).items():
            if room != scene.main:
                found[room] = list((invite.get("invite_state") or {}).get("events") or [])
        return bool(found)

    await until(invited)
    ((room, stripped),) = found.items()
    return room, {e["type"] + ("/" + e["state_key"] if e.get("state_key") else ""): e
                  for e in stripped}


def test_the_dm_invitation_says_who_and_why(homeserver: LocalHomeserver,
                                             tmp_path: Path) -> None:
    async def go() -> None:
        async with camp_scene(homeserver, tmp_path, plan(), started=SYNCED) as scene:
            room, state = await dm_invitation(scene, scene.alice)
            assert state["m.room.name"]["content"]["name"] == f"群运助手 · {COMMUNITY}"
            alice_id = scene.alice.user.user_id
            invite = state[f"m.room.member/{alice_id}"]["content"]
            assert invite["membership"] == "invite" and invite["is_direct"] is True
            await scene.alice.api.join(room)
            topic = await scene.alice.api.state_event(room, "m.room.topic")
            assert topic["topic"].startswith(f"「{COMMUNITY}」的群运助手和你的私聊")
            assert "!帮助" in topic["topic"]
            # A DM with a name is still her DM: the questionnaire is asked there, and the
            # console never lists it as a group.
            await until(lambda: _said_anything(scene, room))
            with scene.engine.connect() as conn:
                kinds = conn.execute(text("SELECT kind FROM groups WHERE external_id = :r"),
                                     {"r": room}).scalars().all()
            assert set(kinds) <= {"direct"}, kinds

    asyncio.run(go())


async def _said_anything(scene: CampScene, room: str) -> bool:
    return bool(await scene.bot_messages(room, viewer=scene.alice))


def test_a_name_in_the_dm_does_not_rename_her_in_the_group(homeserver: LocalHomeserver,
                                                            tmp_path: Path) -> None:
    async def go() -> None:
        async with camp_scene(homeserver, tmp_path, plan(), started=SYNCED) as scene:
            alice = scene.alice
            alice_id = alice.user.user_id
            dm, _state = await dm_invitation(scene, alice)
            await alice.api.join(dm)
            await alice.api.send_text(scene.main, "今天学了 pandas 的 groupby，收获很大")
            # Her own name for the DM only (a client's per-room nickname).
            member = await alice.api.state_event(dm, "m.room.member", alice_id)
            await alice.api.set_state(dm, "m.room.member",
                                      {**member, "displayname": "Alice 的私人昵称"}, alice_id)
            await alice.api.send_text(dm, "!积分")

            await until(lambda: points_told(scene, dm, 1))
            await check_names(scene, dm, 2)

            await scene.restart()
            await alice.api.send_text(scene.main, "重启之后我还在学")
            await check_names(scene, dm, 3)

    asyncio.run(go())


async def points_told(scene: CampScene, dm: str, n: int) -> bool:
    """The bot has answered `!积分` in her DM `n` times."""
    said = await scene.bot_messages(dm, viewer=scene.alice)
    return sum("等级「" in b for b in said) >= n


async def check_names(scene: CampScene, dm: str, answers: int) -> None:
    """What members and the console read: her group name (written 「小王」 to members,
    「小王-杭州-财务」 in the console), never the DM's."""
    alice = scene.alice
    before = len([b for b in await scene.bot_messages() if "积分排行" in b])
    await scene.bob.api.send_text(scene.main, "!排行")

    async def ranked() -> bool:
        return len([b for b in await scene.bot_messages() if "积分排行" in b]) > before

    await until(ranked)
    board = await scene.last_said("积分排行")
    assert "小王 — " in board and "Alice" not in board, board
    await alice.api.send_text(dm, "!积分")
    await until(lambda: points_told(scene, dm, answers))
    said = await scene.bot_messages(dm, viewer=alice)
    assert [b for b in said if "等级「" in b][-1].startswith("@小王 积分 ")
    for body in said:
        assert "Alice" not in body, body
    with scene.engine.connect() as conn:
        names = conn.execute(text(
            "SELECT m.display_name FROM members m JOIN identities i ON i.member_id = m.id "
            "WHERE i.external_id = :u"), {"u": alice.user.user_id}).scalars().all()
        history = conn.execute(text(
            "SELECT n.nickname FROM nicknames n JOIN identities i ON i.member_id = n.member_id"
            " WHERE i.external_id = :u"), {"u": alice.user.user_id}).scalars().all()
    assert names == ["小王-杭州-财务"], names
    assert "Alice 的私人昵称" not in history, history

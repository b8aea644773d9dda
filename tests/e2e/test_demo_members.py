"""The local demo's member accounts on a real Synapse (issue 11): the demo makes 张三, 李四
and 王五 with printed passwords, each signs in with that password and joins the community
room; `qunyun demo-member NAME` makes one more — beside a running homeserver, or starting
it for the moment — and what it prints is enough to sign in and join."""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qunyun.adapters.matrix.client import HttpMatrixApi
from qunyun.adapters.matrix.homeserver import LocalHomeserver, installed
from qunyun.bot.app import prepare_local
from qunyun.cli import app

ROOM_NAME = "Python 数据分析进阶营"


@pytest.fixture(autouse=True)
def _synapse() -> None:
    if not installed():
        if os.environ.get("CI"):
            raise RuntimeError("Synapse is not installed: ./dev.sh setup installs .venv-synapse")
        pytest.skip("Synapse not installed (./dev.sh setup installs it into .venv-synapse)")


async def _sign_in_and_join(url: str, user: str, password: str, room_id: str) -> str:
    """As a person in a Matrix client: log in with the password, accept the room's invite;
    returns the display name the room shows for them."""
    hs = LocalHomeserver(Path("/nonexistent"), port=int(url.rsplit(":", 1)[1]))
    token = await asyncio.to_thread(hs.login, user, password)
    api = HttpMatrixApi(url, token)
    try:
        me = await api.whoami()
        await api.join(room_id)
        assert room_id in await api.joined_rooms()
        state = await api.room_state(room_id)
        member = next(e for e in state if e["type"] == "m.room.member" and e["state_key"] == me)
        assert member["content"]["membership"] == "join"
        return str(member["content"].get("displayname") or "")
    finally:
        await api.close()


def _printed(output: str, label: str) -> str:
    found = re.search(rf"{label}: ([A-Za-z0-9._=/-]+)", output)
    assert found, output
    return found.group(1)


def test_demo_members_sign_in_and_join_the_community_room(tmp_path: Path) -> None:
    data = tmp_path / "matrix"
    local = prepare_local(data, room_name=ROOM_NAME)
    try:
        assert [(m.localpart, m.name) for m in local.members] == [
            ("zhangsan", "张三"),
            ("lisi", "李四"),
            ("wangwu", "王五"),
        ]
        assert not local.problems
        url = local.homeserver.url
        names = [
            asyncio.run(_sign_in_and_join(url, m.localpart, m.password, local.room_id))
            for m in local.members
        ]
        assert names == ["张三", "李四", "王五"]

        # One more beside the running homeserver (as while `qunyun up` runs).
        result = CliRunner().invoke(
            app, ["demo-member", "赵六", "--user", "zhaoliu", "--local-dir", str(data)]
        )
        assert result.exit_code == 0, result.output
        assert url in result.output and ROOM_NAME in result.output
        user, password = (
            _printed(result.output, "用户名 user"),
            _printed(result.output, "密码 password"),
        )
        assert user == "zhaoliu"
        assert asyncio.run(_sign_in_and_join(url, user, password, local.room_id)) == "赵六"
    finally:
        local.homeserver.stop()

    # With `qunyun up` stopped, demo-member starts the homeserver for the moment.
    result = CliRunner().invoke(app, ["demo-member", "Sunqi", "--local-dir", str(data)])
    assert result.exit_code == 0, result.output
    password = _printed(result.output, "密码 password")
    state = json.loads((data / "qunyun-local.json").read_text())
    assert [m["localpart"] for m in state["members"]] == [
        "zhangsan",
        "lisi",
        "wangwu",
        "zhaoliu",
        "sunqi",
    ]

    again = prepare_local(data, room_name=ROOM_NAME)  # a restart makes no new members
    try:
        assert [m.localpart for m in again.members] == [
            "zhangsan",
            "lisi",
            "wangwu",
            "zhaoliu",
            "sunqi",
        ]
        assert (
            asyncio.run(_sign_in_and_join(again.homeserver.url, "sunqi", password, again.room_id))
            == "Sunqi"
        )
    finally:
        again.homeserver.stop()

"""The local demo's member accounts: who a newcomer signs in as to try the bot as a member.

`prepare_local` (`qunyun.bot.app`) makes 张三, 李四 and 王五 (`zhangsan`, `lisi`, `wangwu`)
beside the operator, and `qunyun demo-member NAME` makes one more. Each is registered on
the local homeserver with a printed password and invited to the demo room by the bot, so
they join it from a Matrix client (Element) as a real newcomer would: the bot welcomes
them when they accept the invite, not before. They are remembered in the local data
directory's state file with the bot and the operator; nothing here is for a real server.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from qunyun.adapters.matrix.client import HttpMatrixApi, MatrixError
from qunyun.adapters.matrix.homeserver import HomeserverError, LocalHomeserver

# The three members every local demo starts with: (localpart, display name).
DEMO_MEMBERS = (("zhangsan", "张三"), ("lisi", "李四"), ("wangwu", "王五"))
# What Synapse accepts as a user name (the localpart of @name:localhost).
LOCALPART = re.compile(r"^[a-z0-9._=/-]{1,64}$")
STATE_FILE = "qunyun-local.json"
RESERVED = frozenset({"operator", "qunyun-bot"})  # the demo's own accounts


class DemoMemberError(Exception):
    """Why a demo member could not be made, in Chinese, one line (the CLI prints it)."""


@dataclass(frozen=True)
class DemoMember:
    user_id: str
    localpart: str
    name: str
    password: str


@dataclass(frozen=True)
class SignIn:
    """What a person needs to sign in as a demo member and find the room."""

    member: DemoMember
    homeserver: str
    room_id: str
    room_name: str
    created: bool  # False: the member existed already (shown again)


def members_of(state: dict[str, Any]) -> list[DemoMember]:
    return [DemoMember(**m) for m in state.get("members", [])]


def localpart_for(name: str, taken: set[str]) -> str:
    """`name` itself when it is a valid user name (`zhaoliu`), else the next free
    `memberN` (a Chinese name has no Latin spelling to take without a guess)."""
    plain = name.strip().lower()
    if LOCALPART.match(plain):
        return plain
    n = len(taken) + 1
    while f"member{n}" in taken:
        n += 1
    return f"member{n}"


def check_localpart(localpart: str) -> None:
    if not LOCALPART.match(localpart):
        raise DemoMemberError(
            f"用户名「{localpart}」不可用：只能用小写字母、数字和 ._=-/，最多 64 个字符"
        )


def add_member(
    hs: LocalHomeserver, state: dict[str, Any], *, localpart: str, name: str
) -> DemoMember:
    """Register one member on the running local homeserver, invite them to the demo room
    (the bot invites) and remember them in `state` (the caller writes it)."""
    check_localpart(localpart)
    password = secrets.token_urlsafe(9)
    user = hs.register(localpart, password, displayname=name)
    member = DemoMember(user.user_id, localpart, name, password)
    # Remembered before the invite: an invite that fails leaves a member who can still
    # sign in (and be invited by the operator), never one registered and forgotten.
    state.setdefault("members", []).append(asdict(member))
    if state.get("room_id"):
        asyncio.run(_invite(hs.url, state["bot_token"], state["room_id"], member.user_id))
    return member


def add_demo_members(hs: LocalHomeserver, state: dict[str, Any]) -> list[str]:
    """The three demo members, those not made yet (a second start makes none); returns
    what could not be done, one line each (the bot still starts)."""
    made = {m.localpart for m in members_of(state)}
    problems = []
    for localpart, name in DEMO_MEMBERS:
        if localpart in made:
            continue
        try:
            add_member(hs, state, localpart=localpart, name=name)
        except (HomeserverError, MatrixError) as exc:
            problems.append(f"演示成员 {name}（{localpart}）没有建成：{exc}")
    return problems


async def _invite(url: str, bot_token: str, room_id: str, user_id: str) -> None:
    bot = HttpMatrixApi(url, bot_token)
    try:
        await bot.invite(room_id, user_id)
    finally:
        await bot.close()


def demo_member(
    data_dir: Path, name: str, *, localpart: str | None = None, room_name: str
) -> SignIn:
    """`qunyun demo-member NAME`: one more member on the local demo's homeserver (the one
    `qunyun up` runs, or started for the moment and stopped again), or the sign-in of the
    member of that name made before."""
    state_file = data_dir / STATE_FILE
    if not state_file.exists() or not (data_dir / "shared-secret").exists():
        raise DemoMemberError(
            f"{data_dir} 里还没有本机 Matrix 服务器：先运行 ./dev.sh run（或 qunyun up），"
            "它会建好服务器、机器人、运营者和演示群"
        )
    state = json.loads(state_file.read_text())
    name = name.strip()
    if not name:
        raise DemoMemberError("成员名字不能为空")
    known = members_of(state)
    wanted = localpart.strip().lower() if localpart else None
    hs = LocalHomeserver(data_dir, port=state.get("port"))
    url = hs.url
    for member in known:
        if member.name == name and wanted in (None, member.localpart):
            return SignIn(
                member,
                url,
                str(state.get("room_id", "")),
                state.get("room_name") or room_name,
                created=False,
            )
    chosen = wanted or localpart_for(name, {m.localpart for m in known})
    check_localpart(chosen)
    if chosen in RESERVED or chosen in {m.localpart for m in known}:
        raise DemoMemberError(f"用户名「{chosen}」已被占用：用 --user 换一个")
    started = not hs.answering()
    try:
        if started:
            hs.start()  # `qunyun up` is not running: start it for this, stop it after
        else:
            hs.attach()
    except HomeserverError as exc:
        raise DemoMemberError(f"本机 Matrix 服务器没有启动：{exc}") from None
    before = len(known)
    try:
        member = add_member(hs, state, localpart=chosen, name=name)
    except HomeserverError as exc:
        if "M_USER_IN_USE" in str(exc):
            raise DemoMemberError(f"用户名「{chosen}」已被占用：用 --user 换一个") from None
        raise DemoMemberError(f"本机 Matrix 服务器没有建成账号：{exc}") from None
    except MatrixError as exc:
        raise DemoMemberError(
            f"账号「{chosen}」已建好，但没能邀请进演示群（{exc}）：请运营者在 Element 里邀请 ta"
        ) from None
    finally:
        if len(members_of(state)) > before:  # registered: remembered even if the invite failed
            state_file.write_text(json.dumps(state, indent=1))
            state_file.chmod(0o600)
        if started:
            hs.stop()
    return SignIn(
        member,
        url,
        str(state.get("room_id", "")),
        state.get("room_name") or room_name,
        created=True,
    )


# Element's sign-in screen as the README's step 2 words it (walk finding 60: the CLI said
# 「主服务器选「其他」」, the README 「编辑」 — one instruction, Element's current button).
ELEMENT_SIGN_IN = "「登录」→ 主服务器（默认 matrix.org）旁点「编辑」，填上面的服务器地址"


def sign_in_lines(homeserver: str, member: DemoMember, room_name: str) -> list[str]:
    """How to sign in as `member`, in the words the README uses (for `up` and the CLI)."""
    return [
        f"演示成员 demo member「{member.name}」",
        f"  服务器 homeserver: {homeserver}",
        f"  用户名 user: {member.localpart}（完整 ID {member.user_id}）",
        f"  密码 password: {member.password}",
        f"  加入 join: 登录后接受「{room_name}」的邀请 / accept the invite to the room",
    ]

"""G4 group matrix: the next group's name when a group is full, and what the full group
is told; which group a member's attribute routes them to, and what they are told. Pure:
the policies (`policies/group_matrix.py`) decide when, the adapter opens or invites.

The next name continues the full group's number ("Python 训练营 3群" → "Python 训练营 4群",
"答疑群2" → "答疑群3"), or starts one ("进阶营" → "进阶营 2群"); a name another group of
the community already has is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

_NUMBERED = re.compile(r"^(?P<stem>.*?)(?P<n>\d+)(?P<tail>\s*[群班期]?)$")
LINK_SLOT = "{link}"  # where the adapter puts the new group's link in the notice


def next_group_name(name: str, taken: Collection[str]) -> str:
    found = _NUMBERED.match(name.strip())
    if found and found["stem"].strip():
        stem, n, tail = found["stem"], int(found["n"]) + 1, found["tail"]
    else:
        stem, n, tail = f"{name.strip()} ", 2, "群"
    while f"{stem}{n}{tail}" in taken:
        n += 1
    return f"{stem}{n}{tail}"


def full_notice(*, cap: int, next_name: str, where: str = LINK_SLOT) -> str:
    """What the full group is told (and newcomers are pointed to)."""
    return (f"本群已满 {cap} 人，不再接收新成员。新朋友请加入「{next_name}」：{where}\n"
            "已经在群里的朋友不用动。")


def route_for(value: str, routes: Sequence[tuple[Sequence[str], str]]) -> str | None:
    """The group (name) of the first route one of whose words the member's attribute is or
    contains ("会一点 Python" matches 「会一点」), ignoring case and spaces at the ends;
    None when no route matches (the member stays where they are)."""
    said = value.strip().casefold()
    if not said:
        return None
    for words, group in routes:
        if any(w.strip() and w.strip().casefold() in said for w in words):
            return group
    return None


def route_notice(*, name: str, value: str, group: str, invited: bool) -> str:
    """What the member is told in the group they are in (or by DM)."""
    how = ("已经邀请你，接受邀请就能进群" if invited
           else "管理员会拉你进群，也可以直接申请加入")
    return f"@{name} 你的资料是「{value}」，本社群按这一项分群：请加入「{group}」，{how}。"

"""G4 group matrix: the next group's name when a group is full, and what the full group
is told. Pure: the policy (`policies/group_matrix.py`) decides when, the adapter opens it.

The next name continues the full group's number ("Python 训练营 3群" → "Python 训练营 4群",
"答疑群2" → "答疑群3"), or starts one ("进阶营" → "进阶营 2群"); a name another group of
the community already has is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Collection

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

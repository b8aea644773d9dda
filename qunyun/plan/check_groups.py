"""`plan check` findings for G4 routing (`groups`): the attribute routed by must be one the
bot learns (a named group of the nickname pattern or a form question's key), and a word
must not send members to two groups."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from qunyun.plan.findings import Finding
from qunyun.plan.model import Plan


def known_attributes(plan: Plan) -> set[str]:
    """What the bot stores as a member attribute: O3 nickname labels, O2 form answers."""
    keys = {q.key for q in plan.onboarding.form}
    if plan.onboarding.nickname_pattern:
        with contextlib.suppress(re.error):  # a broken pattern has its own finding
            keys |= set(re.compile(plan.onboarding.nickname_pattern).groupindex)
    return keys


def check_groups(plan: Plan) -> Iterator[Finding]:
    g = plan.groups
    if g is None:
        return
    known = known_attributes(plan)
    if g.route_by is not None and g.route_by not in known:
        listed = "、".join(sorted(known)) or "（没有：计划里既没有群昵称格式的命名分组，也没有新人问卷）"
        yield Finding("G4", "groups.route_by",
                      f"按「{g.route_by}」分群，但机器人不会知道成员的这一项：只能按群昵称格式里"
                      f"的命名分组或新人问卷的 key 分群，现有：{listed}",
                      f"routes by {g.route_by!r}, which the bot never learns: use a named group "
                      f"of onboarding.nickname_pattern or a form question key "
                      f"({', '.join(sorted(known)) or 'none'})")
    seen: dict[str, str] = {}
    for i, route in enumerate(g.routes):
        for word in route.match:
            key = word.strip().casefold()
            if not key:
                yield Finding("G4", f"groups.routes.{i}.match", "分群的匹配词不能为空",
                              "a route's word is empty")
            elif key in seen and seen[key] != route.group:
                yield Finding("G4", f"groups.routes.{i}.match",
                              f"「{word}」同时分到「{seen[key]}」和「{route.group}」：只会用第一个",
                              f"{word!r} routes to both {seen[key]!r} and {route.group!r}: "
                              "the first wins")
            else:
                seen.setdefault(key, route.group)

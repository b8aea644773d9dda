"""`!等级` and `!徽章` (T1/T3): a member asks for their level, tier and badges.

Its words live here (as `!复活`'s do in `policies/lifecycle.py`) rather than in the shared
command table; the policy halts on its command, so nothing else answers it.
"""

from __future__ import annotations

from collections.abc import Sequence

from qunyun.effects import Reply
from qunyun.events import Event, MessagePosted
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.plan.model import Level
from qunyun.policies.base import STAFF_NO_POINTS, Setup, name_of
from qunyun.services import badges as badge_service
from qunyun.services import growth as growth_service
from qunyun.services import points as points_service

LEVEL_WORDS = frozenset({"等级", "我的等级", "level"})
BADGE_WORDS = frozenset({"徽章", "我的徽章", "badges"})
BAR = 10  # cells in the progress bar


def progress(levels: Sequence[Level], total: int) -> str:
    """T3: how far into the current level, on the plan's curve, as a bar and a percent
    (empty at the top level)."""
    mins = sorted(level.min_points for level in levels)
    above = [m for m in mins if m > total]
    if not above:
        return ""
    floor = max([m for m in mins if m <= total], default=0)
    share = (total - floor) / (above[0] - floor)
    filled = int(share * BAR)
    return f"\n升级进度 {'▓' * filled}{'░' * (BAR - filled)} {share:.0%}"


class GrowthCommands:
    name = "growth_commands"
    handles = (MessagePosted,)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if not isinstance(event, MessagePosted) or ctx.member_id is None:
            return None
        command = self.setup.command(event)
        if command is None:
            return None
        if command.name.casefold() in BADGE_WORDS:
            return self._badges(event, ctx.community_id, ctx)
        if command.name.casefold() not in LEVEL_WORDS:
            return None
        if self.setup.off_points(event.actor, event.group):  # issue 11 #72
            return Verdict.halt(Reply(group=event.group, event_id=event.source_event_id,
                                      policy=self.name, reason="T3 !等级",
                                      text=f"@{name_of(event.actor)} {STAFF_NO_POINTS}"))
        p = points_service.member_points(ctx.conn, ctx.member_id,
                                         levels=self.setup.plan.points.levels)
        nxt = f"，距「{p.next_level}」还差 {p.to_next} 分" if p.next_level else "（已是最高等级）"
        nxt += progress(self.setup.plan.points.levels, p.total)
        held = growth_service.held(ctx.conn, community_id=ctx.community_id,
                                   member_id=ctx.member_id)
        tier = (f"\n成长层级：「{held['tier_name']}」" if held is not None
                else "\n成长层级：尚未评定（机器人每天评定一次）")
        text = f"@{name_of(event.actor)} 等级「{p.level}」，积分 {p.total}{nxt}{tier}"
        return Verdict.halt(Reply(group=event.group, event_id=event.source_event_id,
                                  policy=self.name, reason="T3 !等级", text=text))

    def _badges(self, event: MessagePosted, community_id: int, ctx: Context) -> Verdict:
        """`!徽章`: the member's badges, and the plan's others with what earns them."""
        assert ctx.member_id is not None
        mine = badge_service.held(ctx.conn, community_id=community_id, member_id=ctx.member_id)
        held = {b["badge"] for b in mine}
        lines = [f"@{name_of(event.actor)} 的徽章："]
        lines += [f"🏅 {b['name']}" for b in mine] or ["还没有徽章"]
        rest = [b for b in self.setup.plan.badges if b.key not in held]
        if rest:
            lines.append("还可以获得：" + "、".join(
                f"「{b.name}」" + (f"（{b.description}）" if b.description else "")
                for b in rest))
        return Verdict.halt(Reply(group=event.group, event_id=event.source_event_id,
                                  policy=self.name, reason="T3 !徽章", text="\n".join(lines)))

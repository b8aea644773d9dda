"""`!等级` (T1/T3): a member asks for their level and the tier the bot holds for them.

Its words live here (as `!复活`'s do in `policies/lifecycle.py`) rather than in the shared
command table; the policy halts on its command, so nothing else answers it.
"""

from __future__ import annotations

from qunyun.effects import Reply
from qunyun.events import Event, MessagePosted
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup, name_of
from qunyun.services import growth as growth_service
from qunyun.services import points as points_service

LEVEL_WORDS = frozenset({"等级", "我的等级", "level"})


class GrowthCommands:
    name = "growth_commands"
    handles = (MessagePosted,)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if not isinstance(event, MessagePosted) or ctx.member_id is None:
            return None
        command = self.setup.command(event)
        if command is None or command.name.casefold() not in LEVEL_WORDS:
            return None
        p = points_service.member_points(ctx.conn, ctx.member_id,
                                         levels=self.setup.plan.points.levels)
        nxt = f"，距「{p.next_level}」还差 {p.to_next} 分" if p.next_level else "（已是最高等级）"
        held = growth_service.held(ctx.conn, community_id=ctx.community_id,
                                   member_id=ctx.member_id)
        tier = (f"\n成长层级：「{held['tier_name']}」" if held is not None
                else "\n成长层级：尚未评定（机器人每天评定一次）")
        text = f"@{name_of(event.actor)} 等级「{p.level}」，积分 {p.total}{nxt}{tier}"
        return Verdict.halt(Reply(group=event.group, event_id=event.source_event_id,
                                  policy=self.name, reason="T3 !等级", text=text))

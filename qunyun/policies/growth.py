"""T1 live tiers in the bot: the daily `growth.tiers` tick recomputes every member's tier.

Each move is stored as the member's held tier (`services.growth.apply`) and written to the
event log as `TierChanged` with the numbers behind it, in the tick's transaction. A
promotion to 传播者 or 意见领袖 is praised in the group when the plan says so
(`growth.praise_promotions`); a demotion is never announced, and a member's first tier
(the bot's first pass over an old group) is not news either. Admins are not praised unless
they are on the boards (`points.include_admins`).
"""

from __future__ import annotations

from qunyun.analytics.tiers import TIER_NAMES
from qunyun.effects import Effect, Send
from qunyun.events import Event, TierChanged, TimerFired
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup, name_of
from qunyun.services import growth as growth_service
from qunyun.services import lookup


class Growth:
    name = "growth"
    handles = (TimerFired,)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if not isinstance(event, TimerFired) or event.timer != growth_service.KIND:
            return None
        plan = self.setup.plan
        rows = growth_service.figures(ctx.conn.engine, community_id=ctx.community_id,
                                      plan=plan, as_of=event.at)
        now_ms = int(event.at.timestamp() * 1000)
        changes = growth_service.apply(ctx.conn, community_id=ctx.community_id, plan=plan,
                                       rows=rows, now_ms=now_ms)
        effects: list[Effect] = []
        for change in changes:
            ctx.recorder.record(ctx.conn, TierChanged(
                source="qunyun:growth",
                source_event_id=f"{event.source_event_id}:{change.member_id}",
                group=event.group, at=event.at, member_id=change.member_id,
                before=change.before, after=change.after, direction=change.direction,
                reason=change.reason, numbers=tuple(sorted(change.numbers.items()))))
            if change.praised and plan.growth.praise_promotions:
                member = lookup.member_ref(ctx.conn, member_id=change.member_id)
                if member is None or not self.setup.on_boards(member, event.group):
                    continue
                effects.append(Send(
                    group=event.group, mentions=(member,), policy=self.name,
                    reason="T1 promotion",
                    evidence={"before": change.before, "after": change.after,
                              "reason": change.reason},
                    text=(f"👏 恭喜 @{name_of(member)} 成为本群的「{TIER_NAMES[change.after]}」！"
                          f"{change.reason}。感谢你为大家做的一切！")))
        return Verdict.act(*effects) if effects else None

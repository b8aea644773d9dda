"""R4 live fake-account signals: patterned nicknames and join bursts go to the review queue
with their evidence. Nobody is removed here unless the plan's `fake_accounts.auto_remove`
says so (then the member is removed with the evidence as the reason)."""

from __future__ import annotations

from qunyun.domain.patterns import search
from qunyun.effects import Effect, Flag, Kick
from qunyun.events import Event, MemberJoined
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup, ms, name_of
from qunyun.policies.moderation import removal_alert
from qunyun.services import lookup, queues


class Suspects:
    name = "suspects"
    handles = (MemberJoined,)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.fake = setup.plan.moderation.fake_accounts

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if not isinstance(event, MemberJoined) or ctx.member_id is None or ctx.group_id is None:
            return None
        if self.setup.is_direct(event.group):
            return None
        name = event.member.display_name or ""
        signals: list[dict[str, object]] = []
        pattern = next((p for p in self.fake.nickname_patterns if name and search(p, name)), None)
        if pattern:
            signals.append({"kind": "nickname", "name": name[:100], "pattern": pattern})
        at = ms(event.at)
        burst = lookup.recent_joins(ctx.conn, group_id=ctx.group_id,
                                    since_ms=at - self.fake.join_burst_seconds * 1000, until_ms=at)
        if len(burst) >= self.fake.join_burst_count:
            signals.append({"kind": "join_burst", "joins": len(burst),
                            "seconds": self.fake.join_burst_seconds})
        if not signals:
            return None
        queues.open_item(ctx.conn, community_id=ctx.community_id, queue="suspect",
                         item_key=f"suspect:{ctx.member_id}",
                         title=f"可疑账号：{name_of(event.member)}",
                         detail={"signals": signals}, member_id=ctx.member_id,
                         group_id=ctx.group_id, at_ms=at)
        effects: list[Effect] = [Flag(group=event.group, member=event.member, queue="suspect",
                                      reason="R4 suspect", evidence={"signals": signals},
                                      policy=self.name)]
        if self.fake.auto_remove and len(signals) >= 2:
            effects.append(Kick(group=event.group, member=event.member, policy=self.name,
                                reason="疑似批量注册的营销账号（计划允许自动移除）",
                                evidence={"signals": signals}))
            effects.append(removal_alert(event.group, event.member, policy=self.name,
                                         member_id=ctx.member_id,
                                         why="疑似批量注册的营销账号（计划允许自动移除）",
                                         told=False))
        return Verdict.act(*effects)

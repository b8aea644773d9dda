"""G4 live: a group that reaches the plan's capacity (`community.size_cap`) gets a next
group. Where the platform lets the bot create groups (`capabilities.create_groups`:
Matrix) the adapter opens it and posts the notice with its link in the full group; where
it does not (Telegram, QQ) the operator gets a to-do in the console (queue `group_todo`)
with the suggested name and the text to post. Once per full group; never on imports."""

from __future__ import annotations

from qunyun.domain.group_matrix import full_notice, next_group_name
from qunyun.effects import OpenGroup
from qunyun.events import Event, MemberJoined
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup, ms
from qunyun.services import group_matrix

NO_LINK = "（新群的群号或邀请链接）"


class GroupCapacity:
    name = "group_matrix"
    handles = (MemberJoined,)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        cap = self.setup.plan.community.size_cap
        if (not isinstance(event, MemberJoined) or cap is None or ctx.dry_run
                or ctx.group_id is None or event.group.kind != "group"):
            return None
        members = group_matrix.members_in(ctx.conn, group_id=ctx.group_id)
        if members < cap:
            return None
        if not group_matrix.claim_full(ctx.conn, community_id=ctx.community_id,
                                       group_id=ctx.group_id, at_ms=ms(event.at)):
            return None  # its next group was opened (or asked for) already
        full_name = event.group.name or self.setup.plan.community.name
        next_name = next_group_name(full_name, group_matrix.names_taken(
            ctx.conn, community_id=ctx.community_id))
        evidence = {"in_group": members, "size_cap": cap, "new_group": next_name}
        if self.setup.capabilities.create_groups:
            return Verdict.act(OpenGroup(group=event.group, name=next_name,
                                         text=full_notice(cap=cap, next_name=next_name),
                                         reason="G4 group full", evidence=evidence,
                                         policy=self.name))
        group_matrix.open_todo(ctx.conn, community_id=ctx.community_id, group_id=ctx.group_id,
                               full_name=full_name, next_name=next_name,
                               text=full_notice(cap=cap, next_name=next_name, where=NO_LINK),
                               members=members, cap=cap, at_ms=ms(event.at))
        return None

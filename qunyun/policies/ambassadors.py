"""T2 推广大使 in the bot: the members an ambassador brings, and `!邀请码`.

- A join naming an accepted ambassador as inviter (their Telegram link is named after
  them; a QQ or Matrix invitation names who sent it) credits them with the member, once,
  and the plan's `ambassadors.points_per_member` (`services.ambassadors.credit_join`).
- `!邀请码 CODE` from a newcomer whose join named nobody credits the code's ambassador
  (within `ambassadors.code_days` of joining); `!邀请码` alone tells an ambassador their
  own code. The invitation itself comes from the tier actions (`do: ambassador`) and its
  answer from `policies.invitations`.
"""

from __future__ import annotations

from qunyun.effects import Effect, Reply
from qunyun.events import Event, MemberJoined, MessagePosted
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup
from qunyun.policies.level_ups import level_up
from qunyun.services import ambassadors as service


class Ambassadors:
    name = "ambassadors"
    handles = (MemberJoined, MessagePosted)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        plan = self.setup.plan
        if service.programme(plan) is None or ctx.member_id is None:
            return None
        if isinstance(event, MemberJoined):
            if event.inviter is not None and not self.setup.is_direct(event.group):
                inviter = ctx.recorder.member_id(ctx.conn, event.inviter)
                points = service.credit_join(
                    ctx.conn, community_id=ctx.community_id, member_id=ctx.member_id,
                    inviter_id=inviter, via=event.via, plan=plan, at=event.at,
                    tz=self.setup.tz, group_id=ctx.group_id, ref=event.source_event_id)
                credited = level_up(self.setup, ctx, member_id=inviter, gained=points or 0,
                                    group=event.group, at=event.at, policy=self.name)
                return Verdict.act(*credited) if credited else None
            return None
        if not isinstance(event, MessagePosted):
            return None
        command = self.setup.command(event)
        if command is None or command.name != "code":
            return None
        code = command.rest.strip()
        up: list[Effect] = []
        if code:
            claim = service.claim_code(ctx.conn, community_id=ctx.community_id,
                                       member_id=ctx.member_id, code=code, plan=plan,
                                       at=event.at, tz=self.setup.tz, group_id=ctx.group_id,
                                       ref=event.source_event_id)
            text = claim.text
            if claim.ambassador_id is not None:  # in a DM: posted in the ambassador's group
                up = level_up(self.setup, ctx, member_id=claim.ambassador_id,
                              gained=claim.points, group=event.group, at=event.at,
                              policy=self.name)
        else:
            own = service.code_of(ctx.conn, community_id=ctx.community_id,
                                  member_id=ctx.member_id)
            text = (f"你的推广大使邀请码：{own}（朋友进群后发 !邀请码 {own}，会记在你名下）"
                    if own else "用法：进群后发 !邀请码 加上邀请你的推广大使给你的邀请码")
        return Verdict.halt(Reply(group=event.group, event_id=event.source_event_id, text=text,
                                  policy=self.name, reason="T2 !code"), *up)

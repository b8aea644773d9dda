"""`!接受` / `!拒绝`: the member's answer to a programme invitation, in the DM only (a
group is public) — the volunteer programme (T4, `services.volunteers`) and the ambassador
programme (T2 推广大使, `services.ambassadors`) share this one flow.

The answer goes to the invitation the member has open. With both open, the word after
the command picks one (`!接受 推广大使`, `!接受 志愿者`, or a volunteer role's name) and
without it the member is asked which. An accepted ambassador is told their code; where
the platform has per-member invite links (`capabilities.invite_links`) their own link
follows (`InviteLink`, in each group of the community they are in), and where the plan
names an ambassador title the operator gets a to-do to give it.
"""

from __future__ import annotations

from qunyun.domain.commands import Command
from qunyun.effects import Effect, InviteLink, Reply
from qunyun.events import Event, MessagePosted
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup, ms, name_of
from qunyun.services import ambassadors as ambassador_service
from qunyun.services import lookup, queues
from qunyun.services import volunteers as volunteer_service

ANSWER = ("accept", "decline")
AMBASSADOR_WORDS = ("推广大使", "大使", "ambassador")
VOLUNTEER_WORDS = ("志愿者", "volunteer")


class Invitations:
    name = "invitations"
    handles = (MessagePosted,)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        plan = self.setup.plan
        if plan.volunteers is None and plan.ambassadors is None:
            return None
        if not isinstance(event, MessagePosted) or ctx.member_id is None:
            return None
        command = self.setup.command(event)
        if command is None or command.name not in ANSWER:
            return None
        if not self.setup.is_direct(event.group):
            return Verdict.halt(self._reply(event, "邀请请在和我的私聊里回复 !接受 或 !拒绝 哦",
                                            f"T4 !{command.name}"))
        return Verdict.halt(*self._answer(command, event, ctx))

    def _reply(self, event: MessagePosted, text: str, reason: str) -> Reply:
        return Reply(group=event.group, event_id=event.source_event_id, text=text,
                     policy=self.name, reason=reason)

    def _answer(self, command: Command, event: MessagePosted, ctx: Context) -> list[Effect]:
        assert ctx.member_id is not None
        plan, cid, now = self.setup.plan, ctx.community_id, ms(event.at)
        accept = command.name == "accept"
        word = command.rest.strip()
        open_volunteer = plan.volunteers is not None and volunteer_service.state_of(
            ctx.conn, community_id=cid, member_id=ctx.member_id) == "invited"
        open_ambassador = plan.ambassadors is not None and ambassador_service.pending(
            ctx.conn, community_id=cid, member_id=ctx.member_id)
        if word in AMBASSADOR_WORDS:
            to_ambassador = True
        elif word in VOLUNTEER_WORDS or volunteer_service.role_named(plan, word) is not None:
            to_ambassador = False
        elif open_volunteer and open_ambassador:
            verb = "接受" if accept else "拒绝"
            return [self._reply(event, (
                "你现在有两份邀请：志愿者和推广大使。请回复 "
                f"!{verb} 志愿者 或 !{verb} 推广大使（也可以两份都{verb}，各回复一次）"),
                "T2 invitation to answer")]
        else:
            # One open invitation; none: the member's programme says so ("you are one").
            to_ambassador = open_ambassador or plan.volunteers is None or (
                not open_volunteer and ambassador_service.code_of(
                    ctx.conn, community_id=cid, member_id=ctx.member_id) is not None)
        if to_ambassador:
            return self._ambassador(accept, event, ctx)
        role = None if word in VOLUNTEER_WORDS else (word or None)
        text = volunteer_service.answer(ctx.conn, community_id=cid, member_id=ctx.member_id,
                                        accept=accept, plan=plan, now_ms=now, role=role)
        return [self._reply(event, text, f"T4 !{command.name}")]

    def _ambassador(self, accept: bool, event: MessagePosted, ctx: Context) -> list[Effect]:
        assert ctx.member_id is not None
        plan, cid, now = self.setup.plan, ctx.community_id, ms(event.at)
        was_open = ambassador_service.pending(ctx.conn, community_id=cid,
                                              member_id=ctx.member_id)
        links = self.setup.capabilities.invite_links
        text = ambassador_service.answer(ctx.conn, community_id=cid, member_id=ctx.member_id,
                                         accept=accept, plan=plan, now_ms=now, links=links)
        effects: list[Effect] = [self._reply(
            event, text, f"T2 ambassador !{'accept' if accept else 'decline'}")]
        if not (accept and was_open):
            return effects
        member = lookup.member_ref(ctx.conn, member_id=ctx.member_id) or event.actor
        if links:
            effects += [InviteLink(group=group, member=member, policy=self.name,
                                   reason="T2 ambassador link",
                                   evidence={"member_id": ctx.member_id})
                        for gid, group in lookup.community_groups(ctx.conn, community_id=cid)
                        if group.platform == member.platform
                        and lookup.membership_active(ctx.conn, group_id=gid,
                                                     member_id=ctx.member_id)]
        a = plan.ambassadors
        if a is not None and a.role:
            name = name_of(member)
            queues.open_item(ctx.conn, community_id=cid, queue="todo",
                             item_key=f"ambassador-title:{ctx.member_id}",
                             title=f"{name} 成为推广大使：请在群里给 ta 加上头衔「{a.role}」",
                             detail={"draft": f"恭喜 {name} 成为「{plan.community.name}」的"
                                              f"推广大使！", "role": a.role},
                             member_id=ctx.member_id, at_ms=now)
        return effects

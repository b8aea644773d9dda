"""G4 live: a group that reaches the plan's capacity (`community.size_cap`) gets a next
group, and newcomers are routed to their group by a member attribute (`GroupRouting`).
A full group: Where the platform lets the bot create groups (`capabilities.create_groups`:
Matrix) the adapter opens it and posts the notice with its link in the full group; where
it does not (Telegram, QQ) the operator gets a to-do in the console (queue `group_todo`)
with the suggested name and the text to post. Once per full group; never on imports."""

from __future__ import annotations

from qunyun.domain.group_matrix import full_notice, next_group_name, route_for, route_notice
from qunyun.effects import Effect, Invite, OpenGroup, Send
from qunyun.events import Event, GroupRef, MemberJoined, MessagePosted, NicknameChanged, UserRef
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup, ms
from qunyun.services import group_matrix, lookup

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
        evidence: dict[str, object] = {"in_group": members, "size_cap": cap,
                                       "new_group": next_name}
        template = self._template(event.group, ctx)
        if template is not None:
            evidence["template"] = template.name or template.group_id
        if self.setup.capabilities.create_groups:
            return Verdict.act(OpenGroup(group=event.group, name=next_name,
                                         text=full_notice(cap=cap, next_name=next_name),
                                         template_id=template.group_id if template else None,
                                         reason="G4 group full", evidence=evidence,
                                         policy=self.name))
        group_matrix.open_todo(ctx.conn, community_id=ctx.community_id, group_id=ctx.group_id,
                               full_name=full_name, next_name=next_name,
                               text=full_notice(cap=cap, next_name=next_name, where=NO_LINK),
                               members=members, cap=cap, at_ms=ms(event.at),
                               template=template.name if template else None)
        return None

    def _template(self, full: GroupRef, ctx: Context) -> GroupRef | None:
        """The plan's template group, where the bot is in it on this platform (else the
        full group is the model, as it is without a template)."""
        groups = self.setup.plan.groups
        if groups is None or groups.template is None or groups.template == full.name:
            return None
        found = group_matrix.group_named(ctx.conn, community_id=ctx.community_id,
                                         platform=full.platform, name=groups.template)
        return found[1] if found else None


class GroupRouting:
    """G4 routing (plan `groups`): once the member's `route_by` attribute is known — from
    their nickname (O3 labels, on a join or a rename) or their form answer (O2, in the DM,
    by `!资料` or a reply) — the first route it matches names their group. Unless they are
    in it already, they are told in the chat they wrote in, and invited where the platform
    lets the bot (`capabilities.invite_member`: Matrix); elsewhere (Telegram, QQ), or when
    the bot is not in that group yet, the operator gets a to-do (queue `group_todo`). Once
    per member and group. Runs after Onboarding, which stores the attribute."""

    name = "group_routing"
    handles = (MemberJoined, NicknameChanged, MessagePosted)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        routing = self.setup.plan.groups
        if routing is None or routing.route_by is None or ctx.dry_run or ctx.member_id is None:
            return None
        if isinstance(event, MessagePosted) and not self._may_answer(event):
            return None  # the hot path: a plain group message carries no new attribute
        member = event.member if isinstance(event, MemberJoined | NicknameChanged) \
            else event.actor if isinstance(event, MessagePosted) else None
        if member is None:
            return None
        value = group_matrix.attribute(ctx.conn, member_id=ctx.member_id, key=routing.route_by)
        target = route_for(value or "", [(r.match, r.group) for r in routing.routes])
        if value is None or target is None or event.group.name == target:
            return None
        found = group_matrix.group_named(ctx.conn, community_id=ctx.community_id,
                                         platform=event.group.platform, name=target)
        if found is not None and lookup.membership_active(
                ctx.conn, group_id=found[0], member_id=ctx.member_id):
            return None
        if not group_matrix.claim_route(ctx.conn, community_id=ctx.community_id,
                                        member_id=ctx.member_id, group=target,
                                        at_ms=ms(event.at)):
            return None
        return self._route(event.group, member, value, target,
                           found[1] if found else None, ctx)

    def _may_answer(self, event: MessagePosted) -> bool:
        command = self.setup.command(event)
        return (self.setup.is_direct(event.group) or event.reply_to is not None
                or (command is not None and command.name == "form"))

    def _route(self, where: GroupRef, member: UserRef, value: str, target: str,
               group: GroupRef | None, ctx: Context) -> Verdict:
        assert ctx.member_id is not None
        invited = group is not None and self.setup.capabilities.invite_member
        routing = self.setup.plan.groups
        evidence = {"route_by": routing.route_by if routing and routing.route_by else "",
                    "route_value": value[:100], "route_group": target}
        name = member.display_name or member.user_id
        effects: list[Effect] = [Send(
            group=where, mentions=(member,) if where.kind == "group" else (),
            text=route_notice(name=name, value=value[:40], group=target, invited=invited),
            reason="G4 routed by attribute", evidence=evidence, policy=self.name)]
        if invited and group is not None:
            effects.append(Invite(group=group, member=member, reason="G4 routed by attribute",
                                  evidence=evidence, policy=self.name))
        else:
            who = f"{name}（{member.user_id}）" if member.display_name else name
            group_matrix.route_todo(ctx.conn, community_id=ctx.community_id,
                                    member_id=ctx.member_id, member=who, value=value[:40],
                                    group=target, exists=group is not None,
                                    at_ms=int(ctx.now.timestamp() * 1000))
        return Verdict.act(*effects)

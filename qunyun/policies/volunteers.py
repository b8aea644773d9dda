"""T4 volunteers in the bot: the daily invitations and retirements, `!接受` / `!拒绝` in the
DM, the volunteers' `!警告` and `!删除`, and the on-duty volunteer's R5 pings.

- The `volunteers.daily` tick retires volunteers silent for `volunteers.inactive_days`
  (thanked by DM), closes invitations unanswered for `answer_days` as declined, and,
  while the plan's target has open seats, invites the most active members by DM
  (`services.volunteers.candidates`). Every DM the bot starts here counts against the
  shared weekly limit (`services.outreach`). Where the platform cannot DM a
  member first (Telegram), the invitation is an operator to-do with the text ready.
- `!接受 [分工]` / `!拒绝` answer the invitation, in the DM only: `policies.invitations`,
  the flow the ambassador programme shares.
- `!警告 @某人 原因` and `!删除` (as a reply to the message) are for volunteers whose role
  has the privilege, and for admins. Never against an admin: the volunteer is told why,
  in Chinese. A warning follows the same rule as moderation's (`warnings.do_warn`: the
  limit removes). Each action is stored and audited with the volunteer as the actor.
- The escalation policy asks `duty_ping` for a DM to the on-duty volunteer, ahead of the
  admins' alert; the volunteer's next message in that group answers it (response time).
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from qunyun.domain.commands import Command
from qunyun.effects import Alert, Delete, DirectMessage, Effect, Reply, Warn
from qunyun.events import Event, GroupRef, MessagePosted, TimerFired, UserRef
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup, ms, name_of
from qunyun.policies.moderation import remove_at_limit
from qunyun.services import lookup, outreach, queues, reach
from qunyun.services import volunteer_duty as duty
from qunyun.services import volunteers as service
from qunyun.services import warnings as warning_service

ACTIONS = ("warn", "delete")
CACHE_MS = 30_000  # how long the live bot trusts its list of volunteers with open pings
ReplyFn = Callable[[str, str], list[Effect]]
NOT_ADMINS = "不能对管理员使用：志愿者的权限只用于普通成员，管理员的问题请私下联系群主。"


class Volunteers:
    name = "volunteers"
    handles = (MessagePosted, TimerFired)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self._pinged: tuple[int, set[int]] = (-1, set())  # (valid until ms, member ids)

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if self.setup.plan.volunteers is None:
            return None
        if isinstance(event, TimerFired):
            return self._daily(event, ctx) if event.timer == service.KIND else None
        if not isinstance(event, MessagePosted) or ctx.member_id is None:
            return None
        command = self.setup.command(event)
        if command is not None and command.name in ACTIONS:
            return Verdict.halt(*self._act(command, event, ctx))
        if command is None and not ctx.dry_run and not self.setup.is_direct(event.group):
            self._maybe_answered(event, ctx)  # (an import has no pings to answer)
        return None

    # -- the daily pass ------------------------------------------------------------------

    def _daily(self, event: TimerFired, ctx: Context) -> Verdict | None:
        plan = self.setup.plan
        v = plan.volunteers
        assert v is not None
        now = ms(event.at)
        cid = ctx.community_id
        effects: list[Effect] = []
        for member_id in service.inactive(ctx.conn, community_id=cid, plan=plan, now_ms=now):
            row = next(r for r in service.roster(ctx.conn, community_id=cid)
                       if int(r["member_id"]) == member_id)
            service.retire(ctx.conn, community_id=cid, member_id=member_id, by="bot",
                           reason=f"{v.inactive_days} 天没有发言，自动卸任", now_ms=now)
            route = reach.dm_route(ctx.conn, community_id=cid, member_id=member_id,
                                   prefer=event.group, serves=self.setup.serves)
            if isinstance(route, str):
                queues.open_item(ctx.conn, community_id=cid, queue="todo",
                                 item_key=f"volunteer-thanks:{member_id}:{now}",
                                 title=f"{row['name'] or '志愿者'}：自动卸任，请亲自致谢（"
                                       f"{reach.unreachable_text(route)}）",
                                 detail={"draft": service.thanks_text(
                                     plan, name=row["name"], role=row["role"]),
                                     "why": reach.unreachable_text(route)},
                                 member_id=member_id, at_ms=now)
                continue
            if route is not None and outreach.take_dm(ctx.conn, community_id=cid,
                                                      member_id=member_id, plan=plan,
                                                      kind="thanks", now_ms=now):
                effects.append(DirectMessage(
                    group=route.group, member=route.member, policy=self.name,
                    reason="T4 volunteer retired (inactive)",
                    evidence={"inactive_days": v.inactive_days},
                    text=service.thanks_text(plan, name=row["name"], role=row["role"])))
        service.expire_unanswered(ctx.conn, community_id=cid, plan=plan, now_ms=now)
        seats = service.open_seats(ctx.conn, community_id=cid, plan=plan)
        if v.auto_invite and seats > 0:
            effects += self.invite_best(event, ctx, seats=seats)
        return Verdict.act(*effects) if effects else None

    def invite_best(self, event: TimerFired, ctx: Context, *, seats: int,
                    only: set[int] | None = None) -> list[Effect]:
        """Invite up to `seats` of the most active members (of `only`, when given)."""
        plan = self.setup.plan
        cid = ctx.community_id
        rows = service.figures(ctx.conn, community_id=cid, plan=plan, now_ms=ms(event.at))
        if only is not None:
            rows = [r for r in rows if int(r["member_id"]) in only]
        # Issue 11 #68: only members a bot of the community can reach are asked (never an
        # imported Telegram history under a Matrix bot).
        reachable = reach.reachable_ids(ctx.conn, community_id=cid,
                                        member_ids=[int(r["member_id"]) for r in rows],
                                        serves=self.setup.serves)
        rows = [r for r in rows if int(r["member_id"]) in reachable]
        exclude = service.taken(ctx.conn, community_id=cid) | self._admin_members(event, ctx)
        now = ms(event.at)
        effects: list[Effect] = []
        for c in service.candidates(rows, plan=plan, exclude=exclude, limit=len(rows)):
            if len(effects) >= seats:
                break
            route = reach.dm_route(ctx.conn, community_id=cid, member_id=c.member_id,
                                   prefer=event.group, serves=self.setup.serves)
            if not isinstance(route, reach.Route):
                continue
            member = route.member
            if not can_dm(self.setup, route.group):
                # The platform cannot DM a member first (Telegram): the operator sends it.
                text = service.invite(ctx.conn, community_id=cid, member_id=c.member_id,
                                      plan=plan, by="bot", why=c.why, now_ms=now)
                queues.open_item(ctx.conn, community_id=cid, queue="todo",
                                 item_key=f"volunteer:{c.member_id}",
                                 title=f"{name_of(member)}：请私信邀请 ta 做志愿者",
                                 detail={"draft": text, "why": c.why}, member_id=c.member_id,
                                 at_ms=now)
                seats -= 1
                continue
            if not outreach.take_dm(ctx.conn, community_id=cid, member_id=c.member_id,
                                    plan=plan, kind="volunteer_invite", now_ms=now):
                continue  # over the weekly DM limit: perhaps another day
            text = service.invite(ctx.conn, community_id=cid, member_id=c.member_id, plan=plan,
                                  by="bot", why=c.why, now_ms=now)
            effects.append(DirectMessage(group=route.group, member=member, policy=self.name,
                                         reason="T4 volunteer invitation",
                                         evidence={"why": c.why, "tier": c.tier}, text=text))
        return effects

    def _admin_members(self, event: Event, ctx: Context) -> set[int]:
        group = event.group
        ids = self.setup.admin_ids(group)
        if not ids:
            return set()
        return lookup.member_ids_of(ctx.conn, community_id=ctx.community_id,
                                    platform=group.platform, user_ids=ids)

    # -- privileged actions --------------------------------------------------------------

    def _act(self, command: Command, event: MessagePosted, ctx: Context) -> list[Effect]:
        assert ctx.member_id is not None
        privilege = "warn" if command.name == "warn" else "delete_messages"
        admin = self.setup.is_admin(event.actor, event.group)
        granted = service.privileges(ctx.conn, community_id=ctx.community_id,
                                     member_id=ctx.member_id, plan=self.setup.plan)

        def reply(text: str, why: str) -> list[Effect]:
            return [Reply(group=event.group, event_id=event.source_event_id, text=text,
                          policy=self.name, reason=why,
                          evidence={"command": command.name, "actor": name_of(event.actor)})]

        if self.setup.is_direct(event.group):
            return reply("请在群里使用这个命令。", "T4 command in a DM")
        if not admin and privilege not in granted:
            word = "警告" if command.name == "warn" else "删除"
            return reply(f"只有有「{word}」权限的志愿者或管理员可以使用这个命令。",
                         "T4 refused: no privilege")
        if command.name == "warn":
            return self._warn(command, event, ctx, admin=admin, reply=reply)
        return self._delete(event, ctx, admin=admin, reply=reply)

    def _warn(self, command: Command, event: MessagePosted, ctx: Context, *, admin: bool,
              reply: ReplyFn) -> list[Effect]:
        assert ctx.member_id is not None
        if not event.mentions:
            return reply("用法：!警告 @某人 原因", "T4 !warn usage")
        target_id = event.mentions[0]
        if self.setup.is_admin_id(target_id, event.group):
            return reply(NOT_ADMINS, "T4 refused: the target is an admin")
        found = lookup.member_ids_of(ctx.conn, community_id=ctx.community_id,
                                     platform=event.group.platform, user_ids=[target_id])
        if not found:
            return reply("找不到这位成员，请 @ 群里的成员。", "T4 !warn unknown member")
        member_id = min(found)
        if member_id == ctx.member_id:
            return reply("不能警告自己哦。", "T4 !warn self")
        target = lookup.member_ref(ctx.conn, member_id=member_id) or UserRef(
            event.group.platform, target_id, None)
        words = [w for w in command.rest.split() if not w.startswith("@")
                 and w not in (target.display_name, target_id)]
        why = " ".join(words)[:200] or "违反群规"
        by = name_of(event.actor)
        m = self.setup.plan.moderation
        evidence = {"by": by, "event": event.source_event_id, "volunteer": not admin}
        result = warning_service.do_warn(
            ctx.conn, community_id=ctx.community_id, member_id=member_id,
            group_id=ctx.group_id, rule="volunteer" if not admin else "admin", reason=why,
            evidence=evidence, at_ms=ms(event.at), expiry_days=m.warning_expiry_days,
            limit=m.warn_limit, event_id=event.source_event_id)
        if not admin:
            service.record_action(ctx.conn, community_id=ctx.community_id,
                                  volunteer_id=ctx.member_id, volunteer_name=by, action="warn",
                                  target_member_id=member_id, group_id=ctx.group_id,
                                  reason=f"警告 {name_of(target)}：{why}", at_ms=ms(event.at),
                                  evidence={"count": result.count})
        effects: list[Effect] = [Warn(
            group=event.group, member=target, count=result.count, limit=result.limit,
            policy=self.name, reason="T4 volunteer warning", evidence={**evidence, "reason": why},
            text=(f"@{name_of(target)} {by} 提醒你：{why}。这是第 {result.count} 次警告（共 "
                  f"{result.limit} 次将被移出群）。发送 !规则 查看群规，"
                  "有异议可发送 !申诉 说明。"))]
        if result.remove:
            effects += remove_at_limit(self.setup, ctx, event, target, member_id,
                                       limit=result.limit, reason=why, policy=self.name,
                                       evidence={**evidence, "warnings": result.count})
        return effects

    def _delete(self, event: MessagePosted, ctx: Context, *, admin: bool,
                reply: ReplyFn) -> list[Effect]:
        assert ctx.member_id is not None
        if not event.reply_to:
            return reply("用法：回复要删除的那条消息，发送 !删除", "T4 !delete usage")
        author = ctx.message_author(source=event.source, source_event_id=event.reply_to)
        target = lookup.member_ref(ctx.conn, member_id=author) if author is not None else None
        if target is not None and self.setup.is_admin(target, event.group):
            return reply(NOT_ADMINS, "T4 refused: the target is an admin")
        by = name_of(event.actor)
        if not admin:
            service.record_action(ctx.conn, community_id=ctx.community_id,
                                  volunteer_id=ctx.member_id, volunteer_name=by,
                                  action="delete", target_member_id=author,
                                  group_id=ctx.group_id,
                                  reason=f"删除了 {name_of(target)} 的一条消息",
                                  at_ms=ms(event.at), evidence={"message_ref": event.reply_to})
        return [Delete(group=event.group, event_id=event.reply_to, member=target,
                       policy=self.name, reason="T4 volunteer delete",
                       evidence={"by": by, "event": event.source_event_id})]

    # -- duty ----------------------------------------------------------------------------

    def _maybe_answered(self, event: MessagePosted, ctx: Context) -> None:
        assert ctx.member_id is not None
        now = ms(event.at)
        if ctx.memory is not None:  # the live bot: a cached list, not a query per message
            until, members = self._pinged
            if now > until:
                members = duty.open_ping_members(ctx.conn, community_id=ctx.community_id)
                self._pinged = (now + CACHE_MS, members)
            if ctx.member_id not in members:
                return
        if duty.answered(ctx.conn, community_id=ctx.community_id, member_id=ctx.member_id,
                            name=name_of(event.actor), group_id=ctx.group_id, at_ms=now):
            self._pinged = (-1, set())


def can_dm(setup: Setup, group: GroupRef | None = None) -> bool:
    """Whether the bot may start a DM with a member who never wrote to it (through
    `group`'s platform, when given: another platform's bot may send it)."""
    caps = setup.capabilities_for(group) if group is not None else setup.capabilities
    return caps.direct_message and caps.dm_without_start


def duty_ping(setup: Setup, event: MessagePosted, ctx: Context, alert: Alert,
              item_key: str) -> Effect | None:
    """R5: a DM to today's on-duty volunteer about `alert` (None: nobody on duty, or they
    are the one asking). Duty pings are not counted against the weekly DM limit."""
    plan = setup.plan
    if plan.volunteers is None or not setup.capabilities.direct_message:
        return None
    day = event.at.astimezone(ZoneInfo(setup.tz)).date()
    on = duty.on_duty(ctx.conn, community_id=ctx.community_id, plan=plan, day=day)
    if on is None or on == ctx.member_id:
        return None
    member = lookup.member_ref(ctx.conn, member_id=on)
    if member is None:
        return None
    duty.ping(ctx.conn, community_id=ctx.community_id, member_id=on, item_key=item_key,
                 group_id=ctx.group_id, at_ms=ms(event.at))
    where = f"（群：{event.group.name}）" if event.group.name else ""
    reply = f"\n建议回复：{alert.suggested_reply}" if alert.suggested_reply else ""
    return DirectMessage(
        group=event.group, member=member, policy="escalation",
        reason="R5 on-duty volunteer pinged", evidence={"item": item_key},
        text=f"【今日值班】{alert.text}{where}{reply}\n你在群里回复后会记为已响应，谢谢！")



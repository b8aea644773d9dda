"""E1 elimination sweep and E2 revival in the bot: notices, removals, `!复活`, re-admission.

Ticks from the durable schedule drive it: `elimination.sweep`
once per slot of the plan's `sweep_cron` notices the candidates (a DM each, a group
announcement if the plan says so, a summary in the admin room); `elimination.due`
decides the cases whose notice period is over (removal with the reason and how to come
back); `revival.due` invites back the members whose application an operator approved.
A removed member hands in the plan's revival task by DM (`!复活 链接`, or `!作业 链接`,
which this policy takes before `Commands` when the sender has a removal to come back
from) and, with `auto_readmit`, is invited back at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from qunyun.effects import Alert, DirectMessage, Effect, Invite, Kick, Reply, Send
from qunyun.events import Event, GroupRef, MessagePosted, TimerFired
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup, ms, name_of
from qunyun.services import elimination as service
from qunyun.services import lookup, queues
from qunyun.services.schedule import tick_of

SWEEP_TIMER = service.SWEEP
DUE_TIMER = service.DUE
REVIVAL_TIMER = service.REVIVAL_DUE
REVIVE_WORDS = frozenset({"复活", "revive", "回群"})
# A member removed for breaking the rules asks to come back: revival (a task, a renewal)
# is for members eliminated for inactivity; theirs is an appeal an admin decides.
APPEAL_ONLY = ("你是因违反群规被移出的，交作业或续费不能自动回群。如有异议，发送 !申诉 加上你的理由"
               "（例如：!申诉 我发的是课程资料链接），管理员复核通过后会撤销警告并重新邀请你。")


def _date(now_ms: int, tz: str) -> str:
    at = datetime.fromtimestamp(now_ms / 1000, tz=UTC).astimezone(ZoneInfo(tz))
    return f"{at.month} 月 {at.day} 日 {at:%H:%M}"


def _group_name(group: GroupRef) -> str:
    return group.name or "本群"


class Elimination:
    """E1: the sweep's notices and, after the notice period, the removals."""

    name = "elimination"
    handles = (TimerFired,)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if not isinstance(event, TimerFired):
            return None
        if event.timer == SWEEP_TIMER:
            tick = tick_of(event)
            if tick is None:
                return None
            slot = tick.slot_at.astimezone(ZoneInfo(self.setup.tz)).isoformat(
                timespec="minutes")
            effects = self._sweep(ctx, slot, ms(event.at))
        elif event.timer == DUE_TIMER:
            effects = self._due(ctx, ms(event.at))
        else:
            return None
        return Verdict.act(*effects) if effects else None

    def _sweep(self, ctx: Context, slot: str, now: int) -> list[Effect]:
        plan = self.setup.plan
        rule = plan.elimination
        if rule is None or not rule.enabled:
            return []
        effects: list[Effect] = []
        noticed: list[str] = []
        how = service.how_to_return(plan)
        for gid, group in lookup.community_groups(ctx.conn, community_id=ctx.community_id):
            if self.setup.is_direct(group):
                continue
            refs = {}
            for row in service.group_candidates(ctx.conn, community_id=ctx.community_id,
                                                group_id=gid, plan=plan, now_ms=now):
                ref = lookup.member_ref(ctx.conn, member_id=row.member_id)
                if ref is not None:
                    refs[row.member_id] = ref
            notices = service.sweep(ctx.conn, community_id=ctx.community_id, group_id=gid,
                                    plan=plan, now_ms=now, sweep_key=slot,
                                    title_of={m: name_of(r) for m, r in refs.items()})
            mentioned = []
            for n in notices:
                member = refs.get(n.member_id)
                if member is None:
                    continue
                when = _date(n.remove_after_ms, self.setup.tz)
                keep = ("" if rule.auto_remove else "（管理员确认后才会移出）")
                effects.append(DirectMessage(
                    group=group, member=member, policy=self.name, reason="E1 notice",
                    evidence={"rule": n.reason, "case": n.case_id, "sweep": slot},
                    text=(f"【淘汰提醒】你在「{_group_name(group)}」{n.reason}。按群规，"
                          f"{when} 后将被移出群聊{keep}。在此之前积极发言、参与活动即可保留；"
                          f"有特殊情况请联系管理员。\n{how}")))
                mentioned.append(member)
                noticed.append(f"{name_of(member)}（{n.reason}）")
            if rule.announce_in_group and mentioned:
                effects.append(Send(
                    group=group, mentions=tuple(mentioned), policy=self.name,
                    reason="E1 notice", evidence={"sweep": slot, "count": len(mentioned)},
                    text=("【淘汰提醒】以下成员" + "、".join(f"@{name_of(m)}" for m in mentioned)
                          + " 符合群规中的淘汰条件，"
                          + f"{rule.notice_days or 0} 天内积极参与即可保留。")))
        if noticed:
            first_group = next(iter(lookup.community_groups(ctx.conn,
                                                            community_id=ctx.community_id)))[1]
            then = ("提醒期满后自动移出（可在工作队列豁免）" if rule.auto_remove
                    else "提醒期满后需在工作队列「淘汰候选」确认移出或豁免")
            effects.append(Alert(
                group=first_group, policy=self.name, reason="E1 sweep",
                page="queues?queue=elimination",
                evidence={"sweep": slot, "count": len(noticed)},
                text=(f"淘汰检查：{len(noticed)} 人已收到提醒，提醒期 {rule.notice_days or 0} 天，"
                      f"{then}。\n" + "\n".join(noticed[:30]))))
        return effects

    def _due(self, ctx: Context, now: int) -> list[Effect]:
        plan = self.setup.plan
        effects: list[Effect] = []
        removed: list[str] = []
        how = service.how_to_return(plan)
        for d in service.decide_due(ctx.conn, community_id=ctx.community_id, plan=plan,
                                    now_ms=now):
            member = lookup.member_ref(ctx.conn, member_id=d.member_id)
            group = lookup.group_ref(ctx.conn, group_id=d.group_id)
            if member is None or group is None:
                continue
            evidence = {"case": d.case_id, "rule": d.reason}
            if d.kind == "cancelled":
                effects.append(DirectMessage(
                    group=group, member=member, policy=self.name, reason="E1 cancelled",
                    evidence=evidence,
                    text=f"你在「{_group_name(group)}」已恢复活跃，淘汰提醒已取消，欢迎继续参与！"))
            elif d.kind == "remove":
                effects.append(DirectMessage(
                    group=group, member=member, policy=self.name, reason="E1 removal",
                    evidence=evidence,
                    text=(f"你已被移出「{_group_name(group)}」，原因：{d.reason}"
                          f"（提醒期已满）。你的积分和记录都会保留。\n{how}")))
                effects.append(Kick(group=group, member=member, policy=self.name,
                                    reason=f"E1 淘汰：{d.reason}", evidence=evidence))
                removed.append(f"{name_of(member)}（{d.reason}）")
        if removed:
            effects.append(Alert(
                group=effects[-1].group, policy=self.name, reason="E1 removal",
                evidence={"count": len(removed)},
                text=f"淘汰：已移出 {len(removed)} 人。\n" + "\n".join(removed[:30])))
        return effects


class Revival:
    """E2: `!复活` applications and re-admission after approval or met criteria."""

    name = "revival"
    handles = (MessagePosted, TimerFired)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if isinstance(event, TimerFired):
            if event.timer != REVIVAL_TIMER:
                return None
            effects = self._approved(ctx, ms(event.at))
            return Verdict.act(*effects) if effects else None
        if not isinstance(event, MessagePosted) or ctx.member_id is None:
            return None
        command = self.setup.command(event)
        if command is None:
            return None
        task = service.revival_task(self.setup.plan)
        handed_in = (command.name == "task" and task is not None
                     and self.setup.is_direct(event.group)
                     and service.removed_case(ctx.conn, community_id=ctx.community_id,
                                              member_id=ctx.member_id) is not None)
        if not handed_in and command.name.casefold() not in REVIVE_WORDS:
            return None
        who = name_of(event.actor)
        outcome = service.apply(ctx.conn, community_id=ctx.community_id,
                                member_id=ctx.member_id, text=command.rest,
                                plan=self.setup.plan, now_ms=ms(event.at), name=who,
                                handed_in=handed_in, ref=event.source_event_id)
        reply = Reply(group=event.group, event_id=event.source_event_id, policy=self.name,
                      reason="E2 revival", text="")
        if outcome.kind == "none" or outcome.case is None:
            return Verdict.halt(_with(reply, "没有找到你被移出的记录，不需要复活 ✓"))
        if outcome.kind == "appeal_only":
            return Verdict.halt(_with(reply, APPEAL_ONLY))
        if outcome.kind == "needs_link":
            return Verdict.halt(_with(reply, f"请附上任务「{task}」的作业链接，"
                                             "例如：!复活 https://…"))
        group = lookup.group_ref(ctx.conn, group_id=int(outcome.case["group_id"]))
        if group is None:
            return Verdict.halt(_with(reply, "原来的群已不存在，请联系管理员"))
        case_id = outcome.case["id"]
        # The console page each alert links to: the member, back in; else the application.
        member_page = f"members/{ctx.member_id}"
        item = queues.item_by_key(ctx.conn, community_id=ctx.community_id, queue="revival",
                                  item_key=f"revival:{case_id}")
        item_page = f"queues/{item['id']}" if item is not None else "queues?queue=revival"
        if outcome.kind == "readmit" and outcome.how == "task":
            evidence = {"case": case_id, "task": task, "link": outcome.link}
            return Verdict.halt(
                Invite(group=group, member=event.actor, policy=self.name,
                       reason="E2 revival: task", evidence=evidence),
                _with(reply, f"任务「{task}」已收到 ✓ {self._back(group)}"),
                Alert(group=group, policy=self.name, reason="E2 revival", evidence=evidence,
                      page=member_page,
                      text=(f"{who} 交了复活任务「{task}」：{outcome.link}，"
                            "已自动邀请回群。")))
        if outcome.kind == "readmit":
            return Verdict.halt(
                Invite(group=group, member=event.actor, policy=self.name,
                       reason="E2 revival: referrals", evidence={"case": case_id}),
                _with(reply, f"已满足回群条件，{self._back(group)}"),
                Alert(group=group, policy=self.name, reason="E2 revival", page=member_page,
                      text=f"{who} 已满足复活条件（邀请人数），已自动邀请回群。"))
        if outcome.link is not None:
            return Verdict.halt(
                _with(reply, f"任务「{task}」已收到 ✓ 管理员确认后会邀请你回群。"),
                Alert(group=group, policy=self.name, reason="E2 application",
                      evidence={"case": case_id, "task": task, "link": outcome.link},
                      page=item_page,
                      text=(f"{who} 交了复活任务「{task}」：{outcome.link}"
                            f"（曾因“{outcome.case['reason']}”被移出）。"
                            "请在工作队列「复活申请」确认。")))
        return Verdict.halt(
            _with(reply, "回群申请已提交 ✓ 管理员审核通过后会邀请你回群。"),
            Alert(group=group, policy=self.name, reason="E2 application", page=item_page,
                  text=(f"{who} 申请回群（曾因“{outcome.case['reason']}”被移出）："
                        f"{command.rest[:200] or '（未填写说明）'}。"
                        "请在工作队列「复活申请」处理。")))

    def _back(self, group: GroupRef) -> str:
        """How the member gets back in, by what the platform can do (`Invite` is a direct
        invitation, a one-use link by DM, or the operator's to-do)."""
        caps = self.setup.capabilities
        if caps.invite_member:
            return f"已邀请你回到「{_group_name(group)}」，欢迎回来！"
        if caps.invite_links:
            return f"回到「{_group_name(group)}」的进群链接马上私信给你，欢迎回来！"
        return f"管理员会尽快把「{_group_name(group)}」的进群方式发给你，欢迎回来！"

    def _approved(self, ctx: Context, now: int) -> list[Effect]:
        effects: list[Effect] = []
        for case in service.readmit_approved(ctx.conn, community_id=ctx.community_id,
                                             now_ms=now):
            member = lookup.member_ref(ctx.conn, member_id=int(case["member_id"]))
            group = lookup.group_ref(ctx.conn, group_id=int(case["group_id"]))
            if member is None or group is None:
                continue
            effects.append(Invite(group=group, member=member, policy=self.name,
                                  reason="E2 revival: approved", evidence={"case": case["id"]}))
            effects.append(DirectMessage(
                group=group, member=member, policy=self.name, reason="E2 revival",
                evidence={"case": case["id"]},
                text=f"你的回群申请已通过 ✓ {self._back(group)}"))
        return effects


def _with(reply: Reply, text: str) -> Reply:
    return Reply(group=reply.group, event_id=reply.event_id, policy=reply.policy,
                 reason=reply.reason, text=text)

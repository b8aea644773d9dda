"""A1 campaign SOPs (e.g. the 7-day newcomer camp) and the tasks posts set (T3).

A newcomer is enrolled in the plan's join-relative campaigns when they join; each due
campaign day (a schedule tick) is posted in the group with an @-mention for a member's
own camp, or to the community's groups for a start-dated campaign. `!完成 <任务>` marks
a posted task done and awards its points once.
"""

from __future__ import annotations

from qunyun.effects import Effect, Reply, Send
from qunyun.events import Event, MemberJoined, MessagePosted, TimerFired
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup, ms, name_of
from qunyun.policies.level_ups import level_up
from qunyun.services import calendar as calendar_service
from qunyun.services import campaigns, lookup
from qunyun.services import schedule as schedule_service

DONE_WORDS = frozenset({"完成", "done", "交作业"})


class Campaigns:
    name = "campaigns"
    handles = (MemberJoined, TimerFired, MessagePosted)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.joins = any(c.relative_to == "join" for c in setup.plan.calendar.campaigns)
        self.tasks = any(p.task for p in setup.plan.calendar.posts) or any(
            d.task for c in setup.plan.calendar.campaigns for d in c.days)

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if isinstance(event, MemberJoined):
            if self.joins and ctx.member_id is not None and ctx.group_id is not None \
                    and not self.setup.is_direct(event.group):
                campaigns.enroll(ctx.conn, community_id=ctx.community_id, plan=self.setup.plan,
                                 member_id=ctx.member_id, group_id=ctx.group_id,
                                 joined_ms=ms(event.at))
            return None
        if isinstance(event, TimerFired):
            return self._day(event, ctx) if event.timer == campaigns.KIND else None
        if isinstance(event, MessagePosted) and self.tasks and ctx.member_id is not None:
            command = self.setup.command(event)
            if command is not None and command.name.casefold() in DONE_WORDS:
                result = campaigns.complete_task(
                    ctx.conn, community_id=ctx.community_id, plan=self.setup.plan,
                    member_id=ctx.member_id, group_id=ctx.group_id, name=command.rest,
                    at=event.at, ref=event.source_event_id)
                return Verdict.halt(Reply(
                    group=event.group, event_id=event.source_event_id,
                    text=f"@{name_of(event.actor)} {result.text}", policy=self.name,
                    reason="T3 任务完成" if result.ok else "T3 任务",
                    evidence={"task": command.rest[:40]}),
                    *level_up(self.setup, ctx, member_id=ctx.member_id, gained=result.points,
                              group=event.group, at=event.at, policy=self.name))
        return None

    def _day(self, event: TimerFired, ctx: Context) -> Verdict | None:
        tick = schedule_service.tick_of(event)
        if tick is None:
            return None
        plan = self.setup.plan
        found = campaigns.find_day(plan, tick.payload)
        if found is None:
            schedule_service.mark_slot(ctx.conn, tick=tick, status=schedule_service.STATUS_FAILED,
                                       detail="计划里已没有这个活动日")
            return None
        campaign, day = found
        groups = lookup.postable_groups(ctx.conn, community_id=ctx.community_id)
        if "member" not in tick.payload:
            groups = calendar_service.target_groups(groups, None, plan.bot.admin_room)
        member = None
        if "member" in tick.payload:
            member_id = int(tick.payload["member"])
            entry_group = next((g for g in groups if g[1] == event.group), None)
            if entry_group is None or not campaigns.still_in_group(
                    ctx.conn, member_id=member_id, group_id=entry_group[0]):
                schedule_service.mark_slot(ctx.conn, tick=tick,
                                           status=schedule_service.STATUS_SKIPPED,
                                           detail="成员已不在群里")
                return None
            member = lookup.member_ref(ctx.conn, member_id=member_id)
            groups = [entry_group]
        effects: list[Effect] = []
        for gid, ref in groups:
            if self.setup.is_direct(ref):
                continue
            values = calendar_service.variables(
                ctx.conn, community_id=ctx.community_id, group_id=gid,
                group_name=ref.name or plan.community.name, at_ms=tick.slot_ms,
                tz=plan.bot.timezone, checkin_campaigns=[c.name for c in plan.checkins],
                events=plan.event_occurrences())
            if member is not None:
                values["member"] = name_of(member)
            text = calendar_service.compose(day.text, image=day.image, link=day.link,
                                            values=values) + campaigns.task_line(day.task)
            if member is not None:
                text = f"@{name_of(member)} {text}"
            title = f"{campaign.name} 第{day.day}天"
            evidence = {"entry": tick.entry_id, "slot_ms": tick.slot_ms, "key": tick.key,
                        "campaign": campaign.id, "day": day.day, "late": tick.late}
            if self.setup.capabilities_for(ref).post_in_group:
                effects.append(Send(group=ref, text=text, policy=self.name, evidence=evidence,
                                    mentions=(member,) if member else (),
                                    reason=f"营期「{title}」" + ("（补发）" if tick.late else "")))
            else:
                calendar_service.owner_todo(ctx.conn, community_id=ctx.community_id,
                                            group_id=gid, title=title, text=text,
                                            key=tick.key, at_ms=tick.slot_ms)
        return Verdict.act(*effects) if effects else None

"""A1: a due calendar post is posted into its groups — or, where the platform cannot
post into a group, handed to the group owner as a to-do with the text ready.

The schedule ledger (wired first) has already recorded the slot; this policy only turns
the tick into the message. The text is rendered at the slot (variables from the
community's state then), so a post sent late after downtime still says the slot's date.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from qunyun.effects import Effect, Send
from qunyun.events import Event, TimerFired
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup
from qunyun.services import calendar as calendar_service
from qunyun.services import campaigns, lookup
from qunyun.services import schedule as schedule_service


class CalendarPosts:
    name = "calendar"
    handles = (TimerFired,)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if not isinstance(event, TimerFired) or event.timer != calendar_service.POST:
            return None
        tick = schedule_service.tick_of(event)
        if tick is None:
            return None
        plan = self.setup.plan
        post = calendar_service.content_of(plan, tick.payload)
        if post is None:
            schedule_service.mark_slot(ctx.conn, tick=tick, status=schedule_service.STATUS_FAILED,
                                       detail="计划里已没有这条日历帖")
            return None
        tz = plan.bot.timezone
        local_day = datetime.fromtimestamp(tick.slot_ms / 1000, tz=UTC).astimezone(ZoneInfo(tz))
        if local_day.date() in post.skip:
            schedule_service.mark_slot(ctx.conn, tick=tick, status=schedule_service.STATUS_SKIPPED,
                                       detail="计划跳过这一天")
            return None
        groups = calendar_service.target_groups(
            lookup.postable_groups(ctx.conn, community_id=ctx.community_id), post.group,
            plan.bot.admin_room)
        groups = [(gid, ref) for gid, ref in groups if not self.setup.is_direct(ref)]
        if not groups:
            schedule_service.mark_slot(ctx.conn, tick=tick, status=schedule_service.STATUS_FAILED,
                                       detail=f"没有可发的群（{post.group or '全部群'}）")
            return None
        title = post.title
        checkins = [c.name for c in plan.checkins]
        effects: list[Effect] = []
        for gid, ref in groups:
            values = calendar_service.variables(
                ctx.conn, community_id=ctx.community_id, group_id=gid,
                group_name=ref.name or plan.community.name, at_ms=tick.slot_ms, tz=tz,
                checkin_campaigns=checkins, events=plan.event_occurrences())
            text = calendar_service.compose(post.text, image=post.image, link=post.link,
                                            values=values) + campaigns.task_line(post.task)
            evidence = {"entry": tick.entry_id, "slot_ms": tick.slot_ms,
                        "post": str(tick.payload.get("post", "")),
                        "late": tick.late, "key": tick.key}
            reason = f"日历帖「{title}」" + ("（补发）" if tick.late else "")
            if self.setup.capabilities_for(ref).post_in_group:
                effects.append(Send(group=ref, text=text, policy=self.name, evidence=evidence,
                                    reason=reason))
            else:
                calendar_service.owner_todo(ctx.conn, community_id=ctx.community_id,
                                            group_id=gid, title=title, text=text,
                                            key=tick.key, at_ms=tick.slot_ms)
        return Verdict.act(*effects) if effects else None

"""T3 badges in the bot: award the plan's badges as events arrive and in the daily pass.

A member's own message, check-in or event sign-in is a chance to meet a rule, so each
`MessagePosted`, `ReactionAdded` and `MemberJoined` checks the member the event is about
(the author; the reacted message's author and the reactor; the inviter of a joiner);
admins earn none (`services.staff.off_growth`, unless `points.include_admins`). The daily
growth tick (`growth.tiers`) checks every member, which backfills a badge added to the
plan after members already met it. Each award is stored (`services.badges`), written to
the log as `BadgeAwarded`, and — when the badge says `announce` and the member is on the
boards — congratulated in the group.
"""

from __future__ import annotations

from qunyun.effects import Effect, Send
from qunyun.events import (
    BadgeAwarded,
    Event,
    MemberJoined,
    MessagePosted,
    ReactionAdded,
    TimerFired,
)
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup, name_of
from qunyun.services import badges as badge_service
from qunyun.services import growth as growth_service
from qunyun.services import lookup
from qunyun.services import staff as staff_service


class Badges:
    name = "badges"
    handles = (MessagePosted, ReactionAdded, MemberJoined, TimerFired)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    def _who(self, event: Event, ctx: Context) -> list[int] | None:
        if isinstance(event, TimerFired):
            if event.timer != growth_service.KIND:
                return None
            staff = staff_service.off_growth(ctx.conn, community_id=ctx.community_id,
                                             plan=self.setup.plan)
            return [m for m in badge_service.all_members(ctx.conn, community_id=ctx.community_id)
                    if m not in staff]
        if isinstance(event, MemberJoined):
            if event.inviter is None or not self.setup.on_boards(event.inviter, event.group):
                return None
            found = lookup.member_ids_of(ctx.conn, community_id=ctx.community_id,
                                         platform=event.inviter.platform,
                                         user_ids=[event.inviter.user_id])
            return sorted(found) or None
        who = [ctx.member_id] if ctx.member_id is not None and (
            not isinstance(event, MessagePosted | ReactionAdded)
            or self.setup.on_boards(event.actor, event.group)) else []
        if isinstance(event, ReactionAdded):
            # A reaction is news for the reacted message's author too (`answered_questions`,
            # `reactions_received`), whoever reacted.
            author = lookup.message_author(ctx.conn, source=event.source,
                                           source_event_id=event.target_event_id,
                                           community_id=ctx.community_id)
            if author is not None and author not in who and author not in \
                    staff_service.off_growth(ctx.conn, community_id=ctx.community_id,
                                             plan=self.setup.plan):
                who.append(author)
        return who or None  # admins earn no badges (`services.staff`), unless the plan says

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        plan = self.setup.plan
        if not plan.badges:
            return None
        who = self._who(event, ctx)
        if not who:
            return None
        now_ms = int(event.at.timestamp() * 1000)
        awarded = badge_service.evaluate(ctx.conn, community_id=ctx.community_id, plan=plan,
                                         member_ids=who, now_ms=now_ms)
        effects: list[Effect] = []
        for a in awarded:
            ctx.recorder.record(ctx.conn, BadgeAwarded(
                source="qunyun:badges",
                source_event_id=f"{event.source_event_id}:{a.member_id}:{a.badge.key}",
                group=event.group, at=event.at, member_id=a.member_id, badge=a.badge.key,
                name=a.badge.name, rule=a.badge.rule))
            if not a.badge.announce or self.setup.is_direct(event.group):
                continue  # quiet badges, and awards set off in a DM, are not posted
            member = lookup.member_ref(ctx.conn, member_id=a.member_id)
            if member is None or not self.setup.on_boards(member, event.group):
                continue
            why = f"（{a.badge.description}）" if a.badge.description else ""
            effects.append(Send(
                group=event.group, mentions=(member,), policy=self.name,
                reason="T3 badge awarded", evidence={"badge": a.badge.key, "rule": a.badge.rule},
                text=f"🏅 恭喜 @{name_of(member)} 获得徽章「{a.badge.name}」{why}！"))
        return Verdict.act(*effects) if effects else None

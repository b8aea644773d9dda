"""T3 points per action and level-ups; participation and contribution ledgers kept apart (T5).

A message earns its author participation points (daily cap from the plan) when it is
发言 (`policies.chatter`: not a command to the bot, not a check-in); a reply or a
reaction earns the *author of the message answered* contribution points — content that
others respond to is what the seeds call contribution. Inviting someone who joins earns
the inviter contribution points. Crossing a level threshold is announced in the group
(`policies/level_ups.py`, once per level).

Admins (`bot.admins` and, by default, the room's moderators) earn nothing unless the plan
sets `points.include_admins`: whoever sets a group up invites its first members, and
should not top the leaderboard or be congratulated for it.
"""

from __future__ import annotations

from qunyun.effects import Effect
from qunyun.events import Event, MemberJoined, MessagePosted, ReactionAdded, UserRef
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup
from qunyun.policies.level_ups import level_up
from qunyun.services import lookup
from qunyun.services import points as points_service
from qunyun.services.points import Award


class Scoring:
    name = "scoring"
    handles = (MessagePosted, ReactionAdded, MemberJoined)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if ctx.member_id is None or self.setup.is_direct(event.group):
            return None
        effects: list[Effect] = []
        if isinstance(event, MessagePosted):
            if not self.setup.chatter.counts(event.text):
                # Asking the bot (`!积分`) or checking in (its own points) is not 发言: the
                # same rule as the report's member numbers (`policies.chatter`).
                return None
            if self._scores(event.actor, event):
                effects += self._award(event, ctx, ctx.member_id, "message")
            if event.reply_to:
                author = ctx.message_author(source=event.source,
                                            source_event_id=event.reply_to)
                if author is not None and author != ctx.member_id \
                        and self._scores_member(author, event, ctx):
                    effects += self._award(event, ctx, author, "reply_received")
        elif isinstance(event, ReactionAdded):
            author = ctx.message_author(source=event.source,
                                        source_event_id=event.target_event_id)
            if author is not None and author != ctx.member_id \
                    and self._scores_member(author, event, ctx):
                effects += self._award(event, ctx, author, "reaction_received")
        elif isinstance(event, MemberJoined) and event.inviter is not None \
                and self._scores(event.inviter, event):
            inviter = ctx.recorder.member_id(ctx.conn, event.inviter)
            if inviter != ctx.member_id:
                effects += self._award(event, ctx, inviter, "invite")
        return Verdict.act(*effects) if effects else None

    def _scores(self, user: UserRef | None, event: Event) -> bool:
        return self.setup.on_boards(user, event.group)

    def _scores_member(self, member_id: int, event: Event, ctx: Context) -> bool:
        if self.setup.plan.points.include_admins or not self.setup.admin_ids(event.group):
            return True
        return self._scores(lookup.member_ref(ctx.conn, member_id=member_id), event)

    def _award(self, event: Event, ctx: Context, member_id: int, action: str) -> list[Effect]:
        got: Award | None = points_service.award(
            ctx.conn, community_id=ctx.community_id, member_id=member_id, group_id=ctx.group_id,
            action=action, rules=self.setup.plan.points, at=event.at, tz=self.setup.tz,
            ref=event.source_event_id, memory=ctx.memory)
        if got is None:
            return []
        return level_up(self.setup, ctx, member_id=member_id, gained=got.points,
                        total=got.total_after, group=event.group, at=event.at,
                        policy=self.name)

"""T2 the tier playbook as automation: after the daily tier pass, each member who entered a
tier gets the plan's action for it, and each new onlooker is introduced to a buddy.

`tier_actions.actions` names, per tier, one of: `dm` (a private word from the bot),
`praise` (a public thank-you in the group; promotions only, and not where T1's own praise
already speaks), `volunteer` (an invitation to the volunteer programme, T4), `ambassador`
(an invitation to the ambassador programme, 推广大使: `services.ambassadors`), `todo` (an
operator to-do in the console's queue, with `text` as the drafted message) or `none`.
Actions follow promotions and first assessments of members who joined in the last week
(the bot's first pass over an old group is not news); a demotion gets only a `todo` for
the operator, never a post or a bot DM. With `tier_actions.buddy`, a newcomer still an onlooker is
introduced by DM to a member of the active tiers (accepted volunteers first, the least
asked first), and the buddy is told. Where the platform cannot DM a member first
(Telegram), a `dm` or `volunteer` action becomes a `todo` with the text ready and there
are no buddy DMs; an `ambassador` invitation is stored all the same (the member's
`!接受` to the operator's message then works) and its text is the to-do's draft. Every
DM goes through the shared weekly limit (`services.outreach`); every action is audited
(the dispatcher records each effect; a to-do is a queue item). A tier's `role` (a title,
on Matrix a power level) is given on promotion and taken back silently on demotion
(`services.tier_roles`); where the platform cannot (Telegram), it is an operator to-do
with a drafted message.
"""

from __future__ import annotations

from typing import Any

from qunyun.analytics.tiers import TIER_ACTIONS, TIER_NAMES, TIERS
from qunyun.effects import DirectMessage, Effect, Send
from qunyun.events import Event, TimerFired, UserRef
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.plan.model import TierAction
from qunyun.policies.base import Setup, ms, name_of
from qunyun.policies.volunteers import can_dm
from qunyun.services import ambassadors as ambassador_service
from qunyun.services import growth as growth_service
from qunyun.services import lookup, outreach, queues, reach, tier_roles
from qunyun.services import staff as staff_service
from qunyun.services import volunteers as volunteer_service
from qunyun.storage.growth import tiers as held_repo

NEW_MS = 7 * 86_400_000  # a first assessment counts as news for members this new
BUDDY_TIERS = ("opinion_leader", "co_opinion_leader", "spreader", "active")
DEFAULT_DM = {
    "onlooker": ("你好 {name}，欢迎来到「{community}」！不用急着发言，先看看大家在聊什么；"
                 "想认识大家时发一段自我介绍就好，有问题随时私信我。"),
    "participant": ("你好 {name}！最近常看到你在群里发言，谢谢你的参与。想聊什么话题、"
                    "需要什么资料，都可以告诉我或管理员。"),
}
GENERIC_DM = "你好 {name}！谢谢你在「{community}」的参与，有什么想法随时告诉我们。"


class TierActions:
    name = "tier_actions"
    handles = (TimerFired,)

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        plan = self.setup.plan
        if plan.tier_actions is None or not isinstance(event, TimerFired) \
                or event.timer != growth_service.KIND:
            return None
        now = ms(event.at)
        changes = outreach.tier_changes_at(ctx.conn, community_id=ctx.community_id, at_ms=now)
        joined = outreach.first_joined(ctx.conn, member_ids=[int(c["member_id"])
                                                              for c in changes])
        staff = staff_service.off_growth(ctx.conn, community_id=ctx.community_id, plan=plan)
        admins = self._admins(event, ctx) | staff
        ambassador_service.expire_unanswered(ctx.conn, community_id=ctx.community_id,
                                             plan=plan, now_ms=now)
        effects: list[Effect] = []
        moved: set[int] = set()
        for change in changes:
            member_id = int(change["member_id"])
            moved.add(member_id)
            if member_id in admins or change["direction"] not in (
                    "first", "promotion", "demotion"):
                continue
            new = joined.get(member_id, 0) >= now - NEW_MS
            if change["direction"] == "first" and not new:
                # The bot's first pass over an old group is not news; a role is silent.
                effects += self._roles(change, event, ctx)
                continue
            action = plan.tier_actions.actions.get(change["after"])
            if action is not None:
                effects += self._act(action, change, event, ctx, admins)
            effects += self._roles(change, event, ctx)
            if plan.tier_actions.buddy and change["after"] == "onlooker" and new \
                    and change["direction"] == "first" and can_dm(self.setup):
                effects += self._buddy(member_id, event, ctx, admins)
        # Members who already held a tier when its role entered the plan get it now.
        effects += [e for _gid, e in tier_roles.backfill(
            ctx.conn, community_id=ctx.community_id, plan=plan, skip=moved | admins,
            member_roles=self.setup.capabilities.member_roles, at_ms=now, staff=staff)]
        return Verdict.act(*effects) if effects else None

    def _admins(self, event: Event, ctx: Context) -> set[int]:
        ids = self.setup.admin_ids(event.group)
        return lookup.member_ids_of(ctx.conn, community_id=ctx.community_id,
                                    platform=event.group.platform, user_ids=ids) if ids else set()

    def _text(self, action: TierAction, tier: str, member: UserRef) -> str:
        template = action.text or DEFAULT_DM.get(tier, GENERIC_DM)
        return template.replace("{name}", name_of(member)).replace(
            "{community}", self.setup.plan.community.name).replace("{tier}", TIER_NAMES[tier])

    def _act(self, action: TierAction, change: dict[str, Any], event: TimerFired,
             ctx: Context, admins: set[int]) -> list[Effect]:
        plan = self.setup.plan
        member_id, tier, direction = int(change["member_id"]), str(change["after"]), \
            str(change["direction"])
        member = lookup.member_ref(ctx.conn, member_id=member_id)
        if member is None or action.do == "none":
            return []
        if direction == "demotion" and action.do != "todo":
            return []  # a demotion is never announced, nor a reason for a bot DM
        now = ms(event.at)
        evidence = {"tier": tier, "direction": direction, "why": change["reason"]}
        if action.do == "ambassador":
            return self._ambassador(member_id, member, change, event, ctx, evidence)
        group, unreachable = event.group, None
        if action.do in ("dm", "volunteer"):
            # Issue 11 #68: the DM goes through the member's own platform; a member no bot
            # of the community can reach (an imported Telegram history) is the operator's.
            route = reach.dm_route(ctx.conn, community_id=ctx.community_id,
                                   member_id=member_id, prefer=event.group,
                                   serves=self.setup.serves)
            if isinstance(route, reach.Route):
                group = route.group
            elif isinstance(route, str):
                unreachable = reach.unreachable_text(route)
            if unreachable is not None or not can_dm(self.setup, group):
                action = TierAction(do="todo", text=action.text)  # the operator sends it
        if action.do == "todo":
            draft = self._text(action, tier, member)
            title = f"{name_of(member)} 成为「{TIER_NAMES[tier]}」：{TIER_ACTIONS[tier]}"
            if unreachable is not None:
                title += f"（{unreachable}，请亲自联系）"
            detail: dict[str, Any] = {
                "tier": tier, "action": TIER_ACTIONS[tier], "draft": draft, "count": 1,
                "members": [{"member_id": member_id, "name": name_of(member)}]}
            if unreachable is not None:
                detail["why"] = unreachable
            queues.open_item(ctx.conn, community_id=ctx.community_id, queue="todo",
                             item_key=f"tier:{member_id}:{tier}:{now}", title=title,
                             detail=detail, member_id=member_id, at_ms=now)
            return []
        if action.do == "praise":
            praised_by_t1 = plan.growth.praise_promotions and tier in growth_service.PRAISED
            if direction != "promotion" or praised_by_t1 \
                    or TIERS.index(tier) > TIERS.index("participant"):
                return []
            text = (action.text and self._text(action, tier, member)) or (
                f"👏 感谢 @{name_of(member)} 最近的积极参与，成为本群的「{TIER_NAMES[tier]}」！")
            return [Send(group=event.group, mentions=(member,), text=text, policy=self.name,
                         reason="T2 public praise", evidence=evidence)]
        if action.do == "volunteer":
            if direction == "demotion" or plan.volunteers is None:
                return []
            cid = ctx.community_id
            if member_id in volunteer_service.taken(ctx.conn, community_id=cid) \
                    or volunteer_service.open_seats(ctx.conn, community_id=cid, plan=plan) <= 0:
                return []
            if not outreach.take_dm(ctx.conn, community_id=cid, member_id=member_id, plan=plan,
                                    kind="volunteer_invite", now_ms=now):
                return []
            text = volunteer_service.invite(ctx.conn, community_id=cid, member_id=member_id,
                                            plan=plan, by="bot", why=str(change["reason"]),
                                            now_ms=now)
            return [DirectMessage(group=group, member=member, text=text, policy=self.name,
                                  reason="T2 volunteer invitation", evidence=evidence)]
        # dm
        if not outreach.take_dm(ctx.conn, community_id=ctx.community_id, member_id=member_id,
                                plan=plan, kind="tier_dm", now_ms=now):
            return []
        return [DirectMessage(group=group, member=member, policy=self.name,
                              text=self._text(action, tier, member), reason="T2 tier DM",
                              evidence=evidence)]

    def _ambassador(self, member_id: int, member: UserRef, change: dict[str, Any],
                    event: TimerFired, ctx: Context, evidence: dict[str, Any]) -> list[Effect]:
        """The ambassador programme's invitation (推广大使), while it has seats; by DM within
        the weekly limit, or, where the bot cannot DM first, an operator to-do."""
        plan, cid, now = self.setup.plan, ctx.community_id, ms(event.at)
        if ambassador_service.programme(plan) is None \
                or member_id in ambassador_service.taken(ctx.conn, community_id=cid) \
                or ambassador_service.open_seats(ctx.conn, community_id=cid, plan=plan) <= 0:
            return []
        why = f"成为「{TIER_NAMES[str(change['after'])]}」：{change['reason']}"
        if not can_dm(self.setup):
            text = ambassador_service.invite(ctx.conn, community_id=cid, member_id=member_id,
                                             plan=plan, by="bot", why=why, now_ms=now)
            queues.open_item(ctx.conn, community_id=cid, queue="todo",
                             item_key=f"ambassador:{member_id}",
                             title=f"{name_of(member)}：请私信邀请 ta 做推广大使",
                             detail={"draft": text, "why": why, "count": 1,
                                     "members": [{"member_id": member_id,
                                                  "name": name_of(member)}]},
                             member_id=member_id, at_ms=now)
            return []
        if not outreach.take_dm(ctx.conn, community_id=cid, member_id=member_id, plan=plan,
                                kind="ambassador_invite", now_ms=now):
            return []  # over the weekly DM limit: not invited (perhaps at the next move)
        text = ambassador_service.invite(ctx.conn, community_id=cid, member_id=member_id,
                                         plan=plan, by="bot", why=why, now_ms=now)
        return [DirectMessage(group=event.group, member=member, text=text, policy=self.name,
                              reason="T2 ambassador invitation", evidence=evidence)]

    def _roles(self, change: dict[str, Any], event: TimerFired, ctx: Context) -> list[Effect]:
        """The tier's role or title: given on promotion, taken back silently on demotion
        (`services.tier_roles`), in every group of the community the member is in; where
        the platform cannot, an operator to-do."""
        return [e for _gid, e in tier_roles.effects_for(
            ctx.conn, community_id=ctx.community_id, plan=self.setup.plan,
            member_id=int(change["member_id"]), after=str(change["after"]),
            direction=str(change["direction"]), why=str(change["reason"]),
            member_roles=self.setup.capabilities.member_roles, at_ms=ms(event.at))]

    def _buddy(self, member_id: int, event: TimerFired, ctx: Context,
               admins: set[int]) -> list[Effect]:
        plan = self.setup.plan
        cid = ctx.community_id
        if outreach.buddy_of(ctx.conn, community_id=cid, member_id=member_id) is not None:
            return []
        held = held_repo.held_of(ctx.conn, community_id=cid)
        volunteers = volunteer_service.accepted(ctx.conn, community_id=cid)
        pool = [m for m, h in held.items() if h["tier"] in BUDDY_TIERS
                and m not in admins and m != member_id]
        # Only members the bot that writes to the newcomer can DM (issue 11 #68).
        here = reach.reachable_ids(ctx.conn, community_id=cid, member_ids=[*pool, member_id],
                                   serves=self.setup.serves)
        if member_id not in here:
            return []
        platforms = reach.member_platforms(ctx.conn, member_ids=[*pool, member_id])
        pool = [m for m in pool if m in here and platforms.get(m) == platforms.get(member_id)]
        pool.sort(key=lambda m: (m not in volunteers, TIERS.index(held[m]["tier"]), m))
        now = ms(event.at)
        allowed = [m for m in pool if outreach.may_dm(ctx.conn, community_id=cid, member_id=m,
                                                      plan=plan, now_ms=now)]
        buddy_id = outreach.pick_buddy(ctx.conn, community_id=cid, candidates=allowed)
        newcomer = lookup.member_ref(ctx.conn, member_id=member_id)
        buddy = lookup.member_ref(ctx.conn, member_id=buddy_id) if buddy_id is not None else None
        if buddy is None or newcomer is None or buddy_id is None \
                or not outreach.may_dm(ctx.conn, community_id=cid, member_id=member_id,
                                       plan=plan, now_ms=now):
            return []
        route = reach.dm_route(ctx.conn, community_id=cid, member_id=member_id,
                               prefer=event.group, serves=self.setup.serves)
        if not isinstance(route, reach.Route):
            return []
        group = route.group
        for who, kind in ((member_id, "buddy"), (buddy_id, "buddy")):
            outreach.take_dm(ctx.conn, community_id=cid, member_id=who, plan=plan, kind=kind,
                             now_ms=now)
        outreach.pair(ctx.conn, community_id=cid, member_id=member_id, buddy_member_id=buddy_id,
                      now_ms=now)
        community = plan.community.name
        evidence = {"newcomer": member_id, "buddy": buddy_id}
        both = tuple(n for n in (newcomer.display_name, buddy.display_name) if n)
        return [
            DirectMessage(group=group, member=newcomer, policy=self.name,
                          reason="T2 buddy introduced", evidence=evidence, named=both,
                          text=(f"你好 {name_of(newcomer)}！欢迎来到「{community}」。给你介绍一位"
                                f"热心的群友：{name_of(buddy)}，有不懂的可以先问 ta，"
                                "也欢迎在群里发一段自我介绍 😊")),
            DirectMessage(group=group, member=buddy, policy=self.name,
                          reason="T2 buddy asked", evidence=evidence, named=both,
                          text=(f"你好 {name_of(buddy)}！新同学 {name_of(newcomer)} 刚加入「"
                                f"{community}」，还没怎么说话。方便的话在群里 @ta 打个招呼、"
                                "带 ta 熟悉一下吗？谢谢你！")),
        ]

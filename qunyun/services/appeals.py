"""Appeals (R3): an operator's decision on a member's `!申诉`, and what follows from it.

Approving withdraws the warnings the appeal is about (recorded on the item when the member
appealed: the live warnings, or those that got them removed), re-invites a member who was
removed from a group for them (or by the sweep, when the appeal is about that removal),
marks that removal revived, and tells the member. Rejecting tells the member why, in
the operator's words. The messages and the invitation are effects put in the outbox
(`audit.record_operator_effect`): the running bot delivers them, as it does its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from qunyun.effects import DirectMessage, Effect, Invite, Send
from qunyun.events import GroupRef, UserRef
from qunyun.pipeline.addressing import address
from qunyun.services import audit, elimination, lookup, plans, queues
from qunyun.services import warnings as warning_service
from qunyun.storage.bot import warnings as warning_repo
from qunyun.storage.lifecycle import cases as case_repo
from qunyun.storage.work import queues as queue_repo


@dataclass
class Decision:
    item: dict[str, Any]
    revoked: list[int] = field(default_factory=list)  # warning ids withdrawn
    reinvited: list[str] = field(default_factory=list)  # group names (or ids)
    effects: list[Effect] = field(default_factory=list)
    group_ids: list[int | None] = field(default_factory=list)  # one per effect

    def add(self, effect: Effect, group_id: int | None) -> None:
        self.effects.append(effect)
        self.group_ids.append(group_id)


# The group line for an appeal made in the group: where to find the answer.
TOLD_BY_DM = "你的申诉已处理，结果已私信你（在和我的私聊里；收到私聊邀请请先接受）。"


class ReasonNeeded(ValueError):
    """A rejection without a reason: the member is told why (issue 11 walk13 finding 44:
    「原因：管理员没有写明原因」 answered an appeal with nothing)."""


def decide(
    conn: Connection, *, community_id: int, item_id: int, operator: str, approve: bool,
    reason: str, now_ms: int | None = None,
) -> Decision:
    """Approve or reject an open appeal as `operator` (audited). Raises QueueError for an
    item that is not an open appeal of this community: a decision is acted on once;
    ReasonNeeded for a rejection with no reason (nothing is changed)."""
    if not approve and not reason.strip():
        raise ReasonNeeded("驳回申诉需要写明理由 / a rejection needs a reason")
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    item = queue_repo.get_item(conn, item_id=item_id)
    if item is None or item["community_id"] != community_id or item["queue"] != "appeal":
        raise queues.QueueError(f"no appeal {item_id} in this community")
    if item["status"] != "open":
        raise queues.QueueError(f"appeal {item_id} was already decided")
    resolved = queues.resolve_item(conn, community_id=community_id, item_id=item_id,
                                   operator=operator,
                                   status="approved" if approve else "dismissed", reason=reason)
    decision = Decision(resolved)
    member_id = item["member_id"]
    if member_id is None:
        return decision
    member = lookup.member_ref(conn, member_id=int(member_id))
    appeal_group = (lookup.group_ref(conn, group_id=int(item["group_id"]))
                    if item["group_id"] is not None else None)
    if approve:
        rows = _warnings_of(conn, item, member_id=int(member_id), now_ms=now)
        why = f"申诉通过：{reason}" if reason else "申诉通过"
        for row in rows:
            try:
                warning_service.revoke_warning(conn, community_id=community_id,
                                               warning_id=int(row["id"]), operator=operator,
                                               reason=why, now_ms=now)
            except warning_service.WarningError:
                continue  # withdrawn already (by hand in the console): nothing to undo
            decision.revoked.append(int(row["id"]))
        removal = (item.get("detail") or {}).get("case")
        removed_from = [int(c["group_id"]) for c in [case_repo.get(conn, case_id=int(removal))]
                        if c is not None and c["member_id"] == member_id] if removal else []
        if member is not None:
            for group_id in dict.fromkeys([*(int(r["group_id"]) for r in rows
                                             if r["group_id"] is not None), *removed_from]):
                group = lookup.group_ref(conn, group_id=group_id)
                if group is None or lookup.membership_active(
                        conn, group_id=group_id, member_id=int(member_id)) is not False:
                    continue  # still in the group (or never was): no invitation needed
                # The removal is over: `!复活` no longer offers a way back (issue 11).
                elimination.revive_after_appeal(conn, community_id=community_id,
                                                member_id=int(member_id), group_id=group_id,
                                                now_ms=now)
                decision.add(Invite(group=group, member=member, policy="appeal",
                                    reason="R3 appeal approved: invite back",
                                    evidence={"item": item_id}), group_id)
                decision.reinvited.append(group.name or group.group_id)
    if member is not None:
        # The answer goes where the member appealed from (a DM for a removed member).
        where, where_id = appeal_group, item["group_id"]
        if where is None and decision.effects:
            where, where_id = decision.effects[0].group, decision.group_ids[0]
        if where is not None:
            decision.add(_tell(member, where, decision, approve=approve, reason=reason,
                               item_id=item_id), where_id)
        if appeal_group is not None and appeal_group.kind == "group" \
                and lookup.membership_active(conn, group_id=int(item["group_id"]),
                                             member_id=int(member_id)) is not False:
            # Appealed in the group: a DM they never opened (or a DM invitation not yet
            # accepted) would leave them waiting with no word. One line where they asked,
            # the result itself staying private (walk finding 66).
            _text, plan = plans.stored_plan(conn, community_id=community_id)
            pattern = plan.onboarding.nickname_pattern if plan is not None else None
            said = address(Send(group=appeal_group, mentions=(member,), policy="appeal",
                                reason="R3 appeal answered", evidence={"item": item_id},
                                text=f"@{member.display_name or member.user_id} {TOLD_BY_DM}"),
                           None, pattern)  # as the bot's own posts name them
            decision.add(said, int(item["group_id"]))
    for effect, effect_group in zip(decision.effects, decision.group_ids, strict=True):
        audit.record_operator_effect(conn, effect, community_id=community_id,
                                     operator=operator, member_id=int(member_id),
                                     group_id=effect_group, at_ms=now)
    return decision


def _warnings_of(conn: Connection, item: dict[str, Any], *, member_id: int, now_ms: int
                 ) -> list[dict[str, Any]]:
    """The warnings named on the appeal; an appeal recorded before they were named is
    about what `appealable` finds now."""
    ids = (item.get("detail") or {}).get("warnings")
    if ids is None:
        return warning_service.appealable(conn, member_id=member_id, now_ms=now_ms)
    rows = [warning_repo.get(conn, warning_id=int(i)) for i in ids]
    return [r for r in rows if r is not None and r["member_id"] == member_id]


def _tell(member: UserRef, group: GroupRef, decision: Decision, *, approve: bool, reason: str,
          item_id: int) -> DirectMessage:
    if approve:
        parts = ["你的申诉已通过 ✓"]
        if decision.revoked:
            parts.append(f"已撤销 {len(decision.revoked)} 次警告，不再计入。")
        if decision.reinvited:
            rooms = "、".join(f"「{n}」" for n in decision.reinvited)
            parts.append(f"已重新邀请你回到{rooms}，接受邀请即可回群。")
        if reason:
            parts.append(f"管理员说明：{reason}")
        # Chinese sentences end in 。 and need no space between them (issue 11).
        text = parts[0] + (" " + "".join(parts[1:]) if parts[1:] else "")
    else:
        text = (f"你的申诉未通过。原因：{reason.strip().rstrip('。.')}。"
                "如有新的情况，可以再次发送 !申诉 说明。")
    return DirectMessage(group=group, member=member, text=text, policy="appeal",
                         reason="R3 appeal approved" if approve else "R3 appeal rejected",
                         evidence={"item": item_id, "revoked": list(decision.revoked)})


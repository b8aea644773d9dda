"""T2 roles: the role or title the plan names for a tier, given on promotion and taken
back silently on demotion.

The plan's `tier_actions.actions.<tier>.role` (and `role_level`, the Matrix power level
that stands for it) is what a member of that tier holds. After the daily tier pass,
`moves` says, for one tier change, what to take back and what to give: a promotion into a
tier with a role gives it (replacing one given for another tier); a promotion into a tier
without one keeps what the member has; a demotion takes back the role of the tier left and
gives the new tier's role if it has one. Nothing is announced: a role change is never a
post. What the bot gave is kept (`storage/growth/roles.py`) so it takes back only its own.

Where the platform cannot (Telegram: `capabilities.member_roles` off; QQ when the bot is
not the group's owner, said by the adapter), the change is an operator to-do with the
member's name, the title and a drafted message for a give (`todo`), audited like the
bot's own attempts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from qunyun.analytics.tiers import TIER_NAMES
from qunyun.effects import SetRole
from qunyun.plan.model import Plan
from qunyun.services import queues
from qunyun.storage.growth import roles as repo
from qunyun.storage.work import audit as audit_repo


@dataclass(frozen=True, slots=True)
class Role:
    tier: str
    role: str
    level: int


def of_tier(plan: Plan, tier: str) -> Role | None:
    """The role the plan gives members of `tier`, if any."""
    actions = plan.tier_actions.actions if plan.tier_actions else {}
    action = actions.get(tier)  # type: ignore[call-overload]
    if action is None or not action.role:
        return None
    return Role(tier, action.role, action.role_level)


def given(conn: Connection, *, community_id: int, member_id: int) -> Role | None:
    row = repo.given(conn, community_id=community_id, member_id=member_id)
    return Role(str(row["tier"]), str(row["role"]), int(row["level"])) if row else None


def moves(had: Role | None, *, plan: Plan, after: str,
          direction: str) -> tuple[Role | None, Role | None]:
    """(to take back, to give) for a member whose tier moved to `after`."""
    wanted = of_tier(plan, after)
    # A demotion leaves the old tier's role behind; a promotion into a tier without a
    # role keeps the one held.
    target = wanted if direction == "demotion" or wanted is not None else had
    same = had is not None and target is not None and (had.role, had.level) == (
        target.role, target.level)
    if same:
        if had is not None and target is not None and had.tier != target.tier:
            return None, target  # the same title, now for the new tier: only the record
        return None, None
    return had, target


def record_given(conn: Connection, *, community_id: int, member_id: int, role: Role,
                 at_ms: int, by_operator: bool = False) -> None:
    repo.put(conn, community_id=community_id, member_id=member_id, tier=role.tier,
             role=role.role, level=role.level, at_ms=at_ms, by_operator=by_operator)


def record_taken(conn: Connection, *, community_id: int, member_id: int) -> None:
    repo.drop(conn, community_id=community_id, member_id=member_id)


def draft(plan: Plan, role: Role, name: str) -> str:
    """What the operator may tell the member when giving the title by hand."""
    return (f"恭喜 {name} 成为「{plan.community.name}」的「{TIER_NAMES[role.tier]}」！"
            f"群里为你加上了「{role.role}」头衔，谢谢你为大家做的一切。")


def todo(conn: Connection, *, community_id: int, member_id: int, name: str, plan: Plan,
         role: Role, give: bool, why: str, at_ms: int, group_id: int | None = None) -> None:
    """An operator to-do to give or take back the title by hand (audited)."""
    if give:
        title = (f"{name} 成为「{TIER_NAMES[role.tier]}」：请在群里给 ta 加上头衔"
                 f"「{role.role}」（{why}）")
        detail: dict[str, Any] = {"tier": role.tier, "granted_role": role.role,
                                  "give": True, "draft": draft(plan, role, name)}
    else:
        title = (f"{name} 已不是「{TIER_NAMES[role.tier]}」：请悄悄收回 ta 的头衔"
                 f"「{role.role}」，不必告知（{why}）")
        detail = {"tier": role.tier, "granted_role": role.role, "give": False}
    detail["members"] = [{"member_id": member_id, "name": name}]
    queues.open_item(conn, community_id=community_id, queue="todo",
                     item_key=f"role:{member_id}:{role.role}:{'give' if give else 'take'}"
                              f":{at_ms}", title=title, detail=detail, member_id=member_id,
                     group_id=group_id, at_ms=at_ms)
    audit_repo.record(conn, entry={
        "at_ms": at_ms, "community_id": community_id, "group_id": group_id,
        "member_id": member_id, "actor": "policy:tier_actions", "action": "role",
        "reason": "T2 role given" if give else "T2 role taken back",
        "evidence": {"tier": role.tier, "granted_role": role.role, "level": role.level},
        "status": "failed", "detail": f"需要运营者处理：{title}"})


def effects_for(conn: Connection, *, community_id: int, plan: Plan, member_id: int,
                after: str | None, direction: str, why: str, member_roles: bool, at_ms: int,
                reason: str | None = None) -> list[tuple[int, SetRole]]:
    """What a tier move (a daily pass's, an operator's lock, a backfill) does to the
    member's role: the record kept, and a `SetRole` per group of the community the member
    is in, with the group's id; where the platform cannot (`member_roles` off), operator
    to-dos instead (audited here) and no effect. `reason` overrides the effects' audit
    reason (the backfill's). `after` None: the member holds no tier any more (made an
    admin), so a role the bot gave is taken back."""
    from qunyun.services import lookup

    had = given(conn, community_id=community_id, member_id=member_id)
    take, give = (had, None) if after is None else moves(had, plan=plan, after=after,
                                                         direction=direction)
    member = lookup.member_ref(conn, member_id=member_id)
    if member is None or (take is None and give is None):
        return []
    if give is not None:
        record_given(conn, community_id=community_id, member_id=member_id, role=give,
                     at_ms=at_ms, by_operator=not member_roles)
    else:
        record_taken(conn, community_id=community_id, member_id=member_id)
    name = member.display_name or member.user_id
    if not member_roles:
        for role, giving in ((take, False), (give, True)):
            if role is not None:
                todo(conn, community_id=community_id, member_id=member_id, name=name,
                     plan=plan, role=role, give=giving, why=why, at_ms=at_ms)
        return []
    groups = [(gid, g) for gid, g in lookup.community_groups(conn, community_id=community_id)
              if g.platform == member.platform
              and lookup.membership_active(conn, group_id=gid, member_id=member_id)]
    out: list[tuple[int, SetRole]] = []
    for gid, group in groups:
        for role, giving in ((take, False), (give, True)):
            if role is None:
                continue
            out.append((gid, SetRole(
                group=group, member=member, role=role.role, tier=role.tier, level=role.level,
                give=giving, policy="tier_actions",
                reason=reason or ("T2 role given" if giving else "T2 role taken back"),
                evidence={"tier": role.tier, "granted_role": role.role, "level": role.level,
                          "reason": why})))
    return out


BACKFILL_WHY = "计划为该等级新增或修改了头衔，按当前等级补发"
STAFF_WHY = "已是管理员，不再保留成长等级头衔"


def backfill(conn: Connection, *, community_id: int, plan: Plan, skip: set[int],
             member_roles: bool, at_ms: int,
             staff: set[int] | None = None) -> list[tuple[int, SetRole]]:
    """The daily pass's catch-up (a role added to the plan, or renamed, after members
    reached the tier): every member holding a tier whose plan role they do not hold gets
    it, and a role the plan no longer names for the tier they hold is taken back; `staff`
    (made admins since, `services.staff`) lose a role the bot gave them. Silent like
    every role change; audited (the effects, or the to-dos)."""
    from qunyun.storage.growth import tiers as held_repo

    all_given = repo.given_of(conn, community_id=community_id)
    if not all_given and not any(a.role for a in (
            plan.tier_actions.actions.values() if plan.tier_actions else ())):
        return []  # no roles in the plan and none given: nothing to look at
    out: list[tuple[int, SetRole]] = []
    for member_id in sorted((staff or set()) & set(all_given)):
        out += effects_for(conn, community_id=community_id, plan=plan, member_id=member_id,
                           after=None, direction="staff", why=STAFF_WHY,
                           member_roles=member_roles, at_ms=at_ms)
    for member_id, h in sorted(held_repo.held_of(conn, community_id=community_id).items()):
        if member_id in skip:
            continue
        tier = str(h["tier"])
        wanted = of_tier(plan, tier)
        row = all_given.get(member_id)
        had = Role(str(row["tier"]), str(row["role"]), int(row["level"])) if row else None
        if had is None and wanted is not None:
            direction = "promotion"  # give the tier's role
        elif had is not None and had.tier == tier and (
                wanted is None or (had.role, had.level) != (wanted.role, wanted.level)):
            direction = "demotion"  # take back (and give the renamed one, if any)
        else:
            continue
        out += effects_for(conn, community_id=community_id, plan=plan, member_id=member_id,
                           after=tier, direction=direction, why=BACKFILL_WHY,
                           member_roles=member_roles, at_ms=at_ms,
                           reason="T2 role backfilled")
    return out


def platform_refused(conn: Connection, *, community_id: int, effect: SetRole,
                     message: str, plan: Plan | None) -> None:
    """The adapter could not set the role (QQ: the bot is not the group's owner): the
    operator's to-do, with the adapter's words and the drafted message."""
    from qunyun.services import lookup

    ids = lookup.member_ids_of(conn, community_id=community_id,
                               platform=effect.member.platform,
                               user_ids=[effect.member.user_id])
    member_id = next(iter(ids), None)
    tier = effect.tier
    name = effect.member.display_name or effect.member.user_id
    role = Role(tier, effect.role, effect.level)
    detail: dict[str, Any] = {"tier": tier, "granted_role": effect.role, "give": effect.give,
                              "members": [{"member_id": member_id, "name": name}]}
    if effect.give and plan is not None and tier in TIER_NAMES:
        detail["draft"] = draft(plan, role, name)
        if member_id is not None:
            record_given(conn, community_id=community_id, member_id=member_id, role=role,
                         at_ms=int(time.time() * 1000), by_operator=True)
    queues.open_item(conn, community_id=community_id, queue="todo",
                     item_key=f"role:{member_id}:{effect.role}:"
                              f"{'give' if effect.give else 'take'}:{effect.group.group_id}",
                     title=message, detail=detail, member_id=member_id,
                     at_ms=int(time.time() * 1000))


def of_member(conn: Connection, *, community_id: int, member_id: int) -> dict[str, Any] | None:
    """Member 360: the role the bot gave (or asked the operator to give), with its tier
    and the member's platform (a Matrix role is a power level)."""
    from qunyun.services import lookup

    row = repo.given(conn, community_id=community_id, member_id=member_id)
    if row is None:
        return None
    ref = lookup.member_ref(conn, member_id=member_id)
    return {**row, "platform": ref.platform if ref else None}

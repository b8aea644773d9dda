"""Level-ups (T3): a member whose points just crossed a level, congratulated once per level,
whatever raised the points — a message, a reply or reaction received, an invitation, a
self-introduction, a check-in, homework, a calendar task, an ambassador's newcomer,
`!加分`, or a grant in the console.

- A level is announced when the points just gained cross its threshold and no level as
  high was announced to the member before (`bot_level_marks`): a member who falls below
  it (a deduction, decay) and climbs back is not congratulated again. Two levels crossed
  at once are one announcement, of the higher.
- The points it shows are the member's when the event is done (`settle`): one message can
  credit the same member twice — a self-introduction's points, then its 发言 point; an
  ambassador's newcomer, then the invitation — and the congratulation must not read one
  short of what `!积分` says right after (issue 11 walk13). Two levels reached by one
  event's credits are one announcement too, of the higher.
- Where: in the group the points were earned in (the plan's `bot.announce_level_up`, "in
  the group"); for points earned in a DM or given in the console, the group the member is
  in now (`home_group`) on a platform a bot of the community serves.
- A console grant tells the member as `!加分` does, in that group (`tell_grant`), through
  the bot's outbox as the operator's effect; the console says where, or why nobody was
  told (left every group, or only imported from a platform no bot serves).

Only the live bot and the console award points (an import records history, no points), so
imported members are never congratulated for their history. Admins earn no points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import Connection

from qunyun.domain.levels import standing
from qunyun.domain.patterns import name_part
from qunyun.effects import Effect, Send
from qunyun.events import GroupRef, UserRef
from qunyun.plan.model import Level, Plan, Points
from qunyun.services import audit, lookup, reach
from qunyun.services.boards import Granted, grant_text
from qunyun.storage.bot import lookup as bot_lookup
from qunyun.storage.bot import points as points_repo

REASON = "T3 level up"


@dataclass(frozen=True, slots=True)
class LevelUp:
    member_id: int
    level: str  # the level reached
    previous: str
    total: int  # points (participation + contribution) now


def reached(conn: Connection, *, community_id: int, member_id: int, levels: Sequence[Level],
            gained: int, at_ms: int, total: int | None = None) -> LevelUp | None:
    """The level the member reached with the `gained` points just written to the ledger,
    when it is one to announce (see the module docstring); recorded as announced. `total`:
    the member's points now, when the caller has them (a message's award: no query)."""
    if gained <= 0:
        return None
    ordered = sorted(levels or Points().levels, key=lambda lv: lv.min_points)
    if total is None:
        total = sum(points_repo.totals(conn, member_id=member_id))
    before, after = standing(ordered, total - gained).level, standing(ordered, total).level
    if before == after:
        return None
    top = [lv for lv in ordered if lv.min_points <= total][-1]
    if not points_repo.raise_level_mark(conn, community_id=community_id, member_id=member_id,
                                        min_points=top.min_points, level=top.name,
                                        at_ms=at_ms):
        return None
    return LevelUp(member_id, after, before, total)


def congratulation(name: str, up: LevelUp) -> str:
    return f"🎉 恭喜 @{name} 升级为「{up.level}」（{up.total} 分）！"


def announcement(member: UserRef, up: LevelUp, group: GroupRef, *, policy: str) -> Send:
    """The post in the group, @-mentioning the member, audited as about them."""
    return Send(group=group, mentions=(member,), policy=policy, reason=REASON,
                text=congratulation(member.display_name or member.user_id, up),
                evidence={"from": up.previous, "to": up.level, "points": up.total,
                          "member_id": up.member_id})


def settle(conn: Connection, effects: Sequence[tuple[str, Effect]]
           ) -> list[tuple[str, Effect]]:
    """One event's effects (policy, effect) with its level-ups as the member reads them
    when every policy has credited: each shows the member's points now, and of two for one
    member (two credits, two levels) only the later — the higher, since a level is
    announced only above the last — is kept, saying the level before the first."""
    ups = {i for i, (_p, e) in enumerate(effects)
           if isinstance(e, Send) and e.reason == REASON and "member_id" in e.evidence}
    if not ups:
        return list(effects)  # nearly every event: nothing to look up
    last: dict[int, int] = {}
    first_from: dict[int, object] = {}
    for i in sorted(ups):
        member_id = int(effects[i][1].evidence["member_id"])
        last[member_id] = i
        first_from.setdefault(member_id, effects[i][1].evidence.get("from"))
    settled: list[tuple[str, Effect]] = []
    for i, (policy, effect) in enumerate(effects):
        if i not in ups:
            settled.append((policy, effect))
            continue
        assert isinstance(effect, Send)
        member_id = int(effect.evidence["member_id"])
        if last[member_id] != i:
            continue  # a higher level for the same member follows
        total = sum(points_repo.totals(conn, member_id=member_id))
        up = LevelUp(member_id, str(effect.evidence["to"]), str(first_from[member_id]), total)
        member = effect.mentions[0]
        settled.append((policy, replace(
            effect, text=congratulation(member.display_name or member.user_id, up),
            evidence={**effect.evidence, "from": up.previous, "points": total})))
    return settled


def home_group(conn: Connection, *, community_id: int, member_id: int
               ) -> tuple[int, GroupRef] | str | None:
    """The group to tell the member in: the one they joined last among the groups they are
    in on their own platform. The member's platform (a str) when no bot of the community
    serves it; None when they are in no group now."""
    platform = bot_lookup.member_platforms(conn, member_ids=[member_id]).get(member_id)
    if platform is None:
        return None
    rows = [r for r in bot_lookup.current_groups(conn, member_id=member_id)
            if r["platform"] == platform]
    if not rows:
        return None
    if reach.botless_platforms(conn, community_id=community_id, platforms=[platform]):
        return platform
    row = rows[0]
    return int(row["id"]), GroupRef(platform, str(row["external_id"]), row["name"])


@dataclass(frozen=True, slots=True)
class Told:
    """What became of a console grant's notice: `where` the group's name when it was
    queued; else `why` nobody was told — `no_group` (in no group now) or the member's
    platform no bot serves (`platform`) — for the console to word."""

    where: str | None = None
    why: str | None = None
    platform: str | None = None
    level: str | None = None  # the level the grant reached, announced with it


def tell_grant(conn: Connection, *, community_id: int, granted: Granted, plan: Plan,
               operator: str, at_ms: int) -> Told:
    """Queue the member's notice of a console grant (and the level it reached) in their
    group, as the operator's effects in the bot's outbox."""
    member = lookup.member_ref(conn, member_id=granted.member_id)
    home = home_group(conn, community_id=community_id, member_id=granted.member_id) \
        if member is not None else None
    if member is None or home is None:
        return Told(why="no_group")
    if isinstance(home, str):
        return Told(why="platform", platform=home)
    group_id, group = home
    # Written as the bot writes members in the group (O3: the name part of the nickname);
    # the pipeline's addressing pass does not see an operator's effects.
    short = name_part(plan.onboarding.nickname_pattern, member.display_name or "") \
        if plan.onboarding.nickname_pattern and member.display_name else None
    shown = replace(member, display_name=short) if short else member
    name = shown.display_name or "群友"
    effects: list[Effect] = [Send(
        group=group, mentions=(shown,), policy="boards",
        reason=f"T3 {'grant' if granted.points > 0 else 'deduct'}",
        evidence={"member_id": granted.member_id, "points": granted.points,
                  "ledger": granted.ledger, "reason": granted.reason},
        text=grant_text(name, granted, f"运营者 {operator}"))]
    up = reached(conn, community_id=community_id, member_id=granted.member_id,
                 levels=plan.points.levels, gained=granted.points, at_ms=at_ms) \
        if plan.bot.announce_level_up else None
    if up is not None:
        effects.append(announcement(shown, up, group, policy="boards"))
    for effect in effects:
        audit.record_operator_effect(conn, effect, community_id=community_id,
                                     operator=operator, member_id=granted.member_id,
                                     group_id=group_id, at_ms=at_ms)
    return Told(where=group.name or "群里", level=up.level if up else None)

"""T1 live tiers: recompute every member's tier, move the held tier with hysteresis, lock.

Once a day (the schedule's `growth.tiers` entry, see `job_kinds`) and on demand from the
console, the bot computes each current member's tier with the report's own definitions
(`analytics.tiers.live`: `member_stats` + `assign`, and the same at the relaxed bar), then
`domain.tier_moves.decide` says whether the held tier moves: promotions at once,
demotions only below the relaxed bar and after the grace period, locked tiers never.
Held tiers and their history live in `storage/growth`; the policy also writes each move
to the event log as `TierChanged`.

The figures are computed in an analytics child process, as the weekly report is
(`services.analytics_child` says why: the bot's pipeline and the console have the database
open). The child sees committed data only, which is what a daily pass should see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from qunyun.analytics.tiers import TIER_NAMES, TIERS, tier_config
from qunyun.domain import recurrence, tier_moves
from qunyun.plan.model import Plan
from qunyun.services import analytics_child, audit
from qunyun.services.schedule import EntrySpec, JobKind
from qunyun.storage.growth import tiers as repo

KIND = "growth.tiers"  # the schedule's job kind and the TimerFired it emits
PRAISED = ("spreader", "opinion_leader")  # T1: promotions to these may be praised
TIER_CHOICES = {tier: TIER_NAMES[tier] for tier in TIERS}  # what an operator may lock
DIRECTION_NAMES = {"first": "首次评定", "promotion": "升级", "demotion": "降级",
                   "lock": "运营锁定", "unlock": "解除锁定", "staff": "管理员不参与分层"}
# Why an admin's held tier was dropped (`services.staff`: admins are staff).
STAFF_REASON = "管理员不参与分层和积分"


def job_kinds() -> list[JobKind]:
    return [JobKind(KIND, from_plan=plan_entries)]


def plan_entries(plan: Plan) -> list[EntrySpec]:
    """One daily entry at `growth.daily_at` (local time); none when growth is off."""
    if not plan.growth.enabled:
        return []
    rule = recurrence.rule_text(at=plan.growth.daily_at, every="day", start=date(2026, 1, 1))
    return [EntrySpec(kind=KIND, key="daily", rule=rule, title="每日成长等级评定",
                      catch_up_minutes=24 * 60)]


@dataclass(frozen=True, slots=True)
class Change:
    member_id: int
    name: str | None
    before: str | None
    after: str
    direction: str  # first | promotion | demotion
    reason: str
    numbers: dict[str, str]

    @property
    def praised(self) -> bool:
        return self.direction == "promotion" and self.after in PRAISED


def figures(engine: Engine, *, community_id: int, plan: Plan, as_of: datetime
            ) -> list[dict[str, Any]]:
    """Every current member's strict and relaxed tier and the numbers behind them."""
    url = engine.url.render_as_string(hide_password=False)
    return analytics_child.run(_figures_in_child, url, community_id,
                               plan.model_dump(mode="json"), as_of)


def _figures_in_child(url: str, community_id: int, plan_data: dict[str, Any],
                      as_of: datetime) -> list[dict[str, Any]]:
    from zoneinfo import ZoneInfo

    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from qunyun.analytics import tiers
    from qunyun.analytics.log import EventLog
    from qunyun.policies.chatter import Chatter
    from qunyun.services import staff as staff_service
    from qunyun.storage.events import frames

    plan = Plan.model_validate(plan_data)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            staff = staff_service.off_growth(conn, community_id=community_id, plan=plan)
        with frames.Reader(engine) as reader:
            log = EventLog.load(reader, community_id=community_id,
                                tz=ZoneInfo(plan.bot.timezone), as_of=as_of)
            rows = tiers.live(log, tier_config(plan), keep=plan.growth.keep, staff=staff,
                              chatter=Chatter.of(plan))
        # Staff hold no tier: `apply` drops one they held (an admin made after it).
        return rows + [{"member_id": m, "staff": True} for m in sorted(staff)]
    finally:
        engine.dispose()


def apply(conn: Connection, *, community_id: int, plan: Plan, rows: list[dict[str, Any]],
          now_ms: int) -> list[Change]:
    """Move held tiers per `tier_moves.decide`; store them and their history."""
    held = repo.held_of(conn, community_id=community_id)
    out = []
    for row in rows:
        member_id = int(row["member_id"])
        h = held.get(member_id)
        if row.get("staff"):
            if h is not None:
                repo.drop(conn, community_id=community_id, member_id=member_id)
                repo.add_change(conn, community_id=community_id, member_id=member_id,
                                before=h["tier"], after=h["tier"], direction="staff",
                                at_ms=now_ms, reason=STAFF_REASON)
            continue
        current = (tier_moves.Held(h["tier"], h["promoted_at_ms"], bool(h["locked"]))
                   if h else None)
        move = tier_moves.decide(current, strict=row["strict"], relaxed=row["relaxed"],
                                 now_ms=now_ms, grace_days=plan.growth.grace_days)
        if move is None:
            continue
        promoted = now_ms if move.direction == "promotion" else (
            h["promoted_at_ms"] if h else None)
        repo.put(conn, community_id=community_id, member_id=member_id, tier=move.after,
                 since_ms=now_ms, promoted_at_ms=promoted, locked=False, locked_by=None)
        why = row["reason"]
        if move.direction == "demotion":
            why += f"；低于「{TIER_NAMES[move.before or move.after]}」标准的 {plan.growth.keep:.0%}"
        repo.add_change(conn, community_id=community_id, member_id=member_id,
                        before=move.before, after=move.after, direction=move.direction,
                        at_ms=now_ms, reason=why)
        numbers = {k: str(row[k]) for k in ("window_messages", "active_days", "invited",
                                             "onion", "strict", "relaxed")}
        out.append(Change(member_id, row.get("name"), move.before, move.after,
                          move.direction, why, numbers))
    return out


def recompute(engine: Engine, *, community_id: int, plan: Plan, as_of: datetime,
              operator: str | None = None) -> list[Change]:
    """The console's "recompute now": figures, then moves, in one transaction (audited).
    The console never posts in the group, so nothing is praised from here; tier titles
    follow the moves (through the bot's outbox), as they do a lock."""
    rows = figures(engine, community_id=community_id, plan=plan, as_of=as_of)
    now_ms = int(as_of.timestamp() * 1000)
    with engine.begin() as conn:
        changes = apply(conn, community_id=community_id, plan=plan, rows=rows, now_ms=now_ms)
        for change in changes:
            # Titles follow these moves now (the daily pass's tier actions never see them).
            _operator_roles(conn, community_id=community_id, plan=plan,
                            member_id=change.member_id, after=change.after,
                            direction=change.direction, why=change.reason,
                            operator=operator or "console", now_ms=now_ms)
        if operator is not None:
            audit.record_operator_action(
                conn, community_id=community_id, operator=operator, action="growth.recompute",
                reason="手动重新评定成长等级", evidence={"changes": len(changes)})
    return changes


def lock(conn: Connection, *, community_id: int, member_id: int, tier: str | None,
         operator: str, now_ms: int, plan: Plan | None = None) -> None:
    """An operator locks a member at `tier` (None: unlock; the next pass decides again).
    With the plan, the tier's role moves as a daily pass's move would (`_lock_roles`)."""
    if tier is not None and tier not in TIERS:
        raise ValueError(f"不认识的等级「{tier}」")
    h = repo.held_one(conn, community_id=community_id, member_id=member_id)
    before = h["tier"] if h else None
    if tier is None:
        if h is None or not h["locked"]:
            return
        repo.put(conn, community_id=community_id, member_id=member_id, tier=h["tier"],
                 since_ms=h["since_ms"], promoted_at_ms=h["promoted_at_ms"], locked=False,
                 locked_by=None)
        after, direction, why = h["tier"], "unlock", f"{operator} 解除了等级锁定"
    else:
        repo.put(conn, community_id=community_id, member_id=member_id, tier=tier,
                 since_ms=now_ms, promoted_at_ms=h["promoted_at_ms"] if h else None,
                 locked=True, locked_by=operator)
        after, direction = tier, "lock"
        why = f"{operator} 将等级锁定为「{TIER_NAMES[tier]}」"
    repo.add_change(conn, community_id=community_id, member_id=member_id, before=before,
                    after=after, direction=direction, at_ms=now_ms, reason=why, by=operator)
    audit.record_operator_action(conn, community_id=community_id, operator=operator,
                                 action=f"growth.{direction}", reason=why, member_id=member_id,
                                 evidence={"before": before, "after": after})
    if plan is not None and direction == "lock" and before != after:
        _operator_roles(conn, community_id=community_id, plan=plan, member_id=member_id,
                        after=after, why=why, operator=operator, now_ms=now_ms,
                        direction="first" if before is None else (
                            "promotion" if TIERS.index(after) < TIERS.index(before)
                            else "demotion"))


def _operator_roles(conn: Connection, *, community_id: int, plan: Plan, member_id: int,
                    after: str, direction: str, why: str, operator: str,
                    now_ms: int) -> None:
    """T2 roles follow a move an operator made (a lock, a recompute from the console) as
    they follow the daily pass's: up gives the tier's role, down takes the old one back
    silently (and gives the new tier's). The effects go to the bot's outbox as the
    operator's; where the platform cannot set roles, to-dos."""
    from qunyun.capabilities import of_platform
    from qunyun.services import lookup, staff, tier_roles

    if member_id in staff.off_growth(conn, community_id=community_id, plan=plan):
        return  # staff hold no tier role (`services.staff`)
    member = lookup.member_ref(conn, member_id=member_id)
    if member is None:
        return
    for group_id, effect in tier_roles.effects_for(
            conn, community_id=community_id, plan=plan, member_id=member_id, after=after,
            direction=direction, why=why, at_ms=now_ms,
            member_roles=of_platform(member.platform).member_roles):
        audit.record_operator_effect(conn, effect, community_id=community_id,
                                     operator=operator, member_id=member_id,
                                     group_id=group_id, at_ms=now_ms)


def held(conn: Connection, *, community_id: int, member_id: int) -> dict[str, Any] | None:
    """The member's held tier with its Chinese name, or None before the first pass."""
    h = repo.held_one(conn, community_id=community_id, member_id=member_id)
    if h is None:
        return None
    return {**h, "tier_name": TIER_NAMES.get(h["tier"], h["tier"])}


def history(conn: Connection, *, member_id: int) -> list[dict[str, Any]]:
    """The member's tier moves, newest first, in the operator's words."""
    return [{**r, "before_name": TIER_NAMES.get(r["before"] or "", ""),
             "after_name": TIER_NAMES.get(r["after"], r["after"]),
             "direction_name": DIRECTION_NAMES.get(r["direction"], r["direction"])}
            for r in repo.history(conn, member_id=member_id)]

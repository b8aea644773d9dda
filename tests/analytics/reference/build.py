"""`build_report`: the whole community report as one JSON-ready dict (schema in
docs/report-schema.md; bump SCHEMA_VERSION on any incompatible change).

Read-only: it loads the event log once (`EventLog.load`) and every section is computed
column-wise from those frames. The CLI (`qunyun report`), the HTML renderer and the
console all use this one function, so they always show the same numbers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import Engine, text

from qunyun.plan.model import Plan
from qunyun.policies.chatter import Chatter
from tests.analytics.reference import activity, elimination, health, invites, suspects, tiers
from tests.analytics.reference.log import EventLog

SCHEMA_VERSION = 1


def build_report(engine: Engine, *, community_id: int, plan: Plan | None,
                 as_of: datetime | None = None, tz: str | None = None,
                 community_name: str | None = None) -> dict[str, Any]:
    zone = ZoneInfo(tz or (plan.bot.timezone if plan is not None else "Asia/Shanghai"))
    log = EventLog.load(engine, community_id=community_id, tz=zone, as_of=as_of)
    effective = plan if plan is not None else _defaults_plan(community_name)
    cfg = tiers.tier_config(plan)

    # Issue 15: staff (the plan's admins and the groups' recorded moderators) are off the
    # tiers; they stay in the member list with their numbers and no tier.
    admins = _admins(engine, log, community_id, plan)
    off = set() if plan is not None and plan.points.include_admins else admins
    everyone = tiers.member_stats(log, cfg.window_days, Chatter.of(effective))
    stats = tiers.assign(everyone.filter(~pl.col("member_id").is_in(sorted(off))), cfg)
    community_scope = activity.Scope.of(log, None)
    current = community_scope.current_members
    member_rows = _members(log, stats, cfg, current)
    inside = set(current.to_list())
    for r in everyone.filter(pl.col("member_id").is_in(sorted(off))).iter_rows(named=True):
        member_rows.append({**_numbers(log, r, inside), "staff": True, "tier": None})
    member_rows.sort(key=lambda m: m["id"])
    tier_of = {m["id"]: m["tier"] for m in member_rows if m["tier"]}

    groups = []
    group_heads = [{"id": group_id, "platform": platform, "external_id": external_id,
                    "name": name} for group_id, platform, external_id, name in
                   log.groups.iter_rows()]
    for head in group_heads:
        groups.append(_scope_section(log, activity.Scope.of(log, head["id"]), effective, tier_of,
                                     head))
    community_head = {"id": community_id, "name": community_name}
    if len(groups) == 1:
        # One group holds every event and membership: its numbers are the community's.
        community = {**community_head, **{k: v for k, v in groups[0].items()
                                          if k not in group_heads[0]}}
    else:
        community = _scope_section(log, community_scope, effective, tier_of, community_head)

    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "as_of": log.as_of.astimezone(zone).isoformat(timespec="seconds"),
        "timezone": str(zone),
        "plan": plan.community.name if plan is not None else None,
        "tier_thresholds": cfg.model_dump(),
        "community": community,
        "groups": groups,
        "members": member_rows,
        "todo": tiers.todo(member_rows),
        "elimination": elimination.candidates(log, plan, everyone, current, admins),
        "suspects": suspects.find(log, effective),
        "invites": invites.invites(log),
    }


def _admins(engine: Engine, log: EventLog, community_id: int, plan: Plan | None) -> set[int]:
    """The plan's `bot.admins` (any platform) and every recorded moderator of a community
    group (on that group's platform), read straight from the tables."""
    listed = set(plan.bot.admins) if plan is not None else set()
    found = set(log.identities.filter(pl.col("external_id").is_in(sorted(listed)))["member_id"])
    if plan is None or plan.bot.moderators_are_admins:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT i.member_id FROM group_moderators m JOIN groups g ON g.id = m.group_id "
                "JOIN identities i ON i.community_id = g.community_id "
                "AND i.platform = g.platform AND i.external_id = m.external_id "
                "WHERE g.community_id = :c AND g.kind = 'group'"), {"c": community_id})
            found |= {int(r[0]) for r in rows}
            conn.invalidate()  # SQLite: keep no idle pooled connection holding locks
    return found


def _defaults_plan(name: str | None) -> Plan:
    """Without a plan the report still runs, on the documented defaults."""
    return Plan.model_validate({"community": {"name": name or "community", "slug": "community",
                                              "platform": "telegram"}})


def _scope_section(log: EventLog, scope: activity.Scope, plan: Plan, tier_of: dict[int, str],
                   head: dict[str, Any]) -> dict[str, Any]:
    totals = activity.totals(log, scope)
    weekly = activity.weekly(log, scope)
    history = [w["messages"] for w in weekly]
    score = health.score(log, scope, totals, plan.health, history)
    dying = health.dying(log, score, plan.health, history, scope)
    inside = scope.current_members.to_list()
    tier_counts = {t: 0 for t in tiers.TIERS}
    for mid in inside:
        tier = tier_of.get(mid)
        if tier:
            tier_counts[tier] += 1
    return {
        **head,
        **totals,
        "health": {
            **score,
            **health.agree(health.stage(log, scope, totals, plan.health), dying),
            "dying": dying,
        },
        "daily": activity.daily(log, scope),
        "weekly": weekly,
        "heatmap": activity.heatmap(scope),
        "cohorts": activity.cohorts(log, scope),
        "time_to_first_message": activity.time_to_first_message(scope),
        "tiers": tier_counts,
    }


def _numbers(log: EventLog, r: dict[str, Any], inside: set[int]) -> dict[str, Any]:
    return {"id": r["member_id"], "name": r["name"], "in_community": r["member_id"] in inside,
            "messages": r["messages"], "window_messages": r["window_messages"],
            "active_days": r["active_days"], "first_seen": log.iso(r["first_seen_ms"]),
            "last_seen": log.iso(r["last_seen_ms"]), "last_message": log.iso(r["last_message_ms"]),
            "invited": r["invited"], "replies_received": r["replies_received"],
            "reactions_received": r["reactions_received"], "red_packets": r["red_packets"]}


def _members(log: EventLog, stats: pl.DataFrame, cfg: Any,
             current: pl.Series) -> list[dict[str, Any]]:
    inside = set(current.to_list())
    rows = []
    for r in stats.sort("member_id").iter_rows(named=True):
        rows.append({
            "id": r["member_id"],
            "name": r["name"],
            "in_community": r["member_id"] in inside,
            "messages": r["messages"],
            "window_messages": r["window_messages"],
            "active_days": r["active_days"],
            "first_seen": log.iso(r["first_seen_ms"]),
            "last_seen": log.iso(r["last_seen_ms"]),
            "last_message": log.iso(r["last_message_ms"]),
            "staff": False,
            "tier": r["tier"],
            "tier_name": tiers.TIER_NAMES[r["tier"]],
            "tier_reason": tiers.reason(r, cfg),
            # T5 core-user measures, kept apart from the tier.
            "invited": r["invited"],
            "replies_received": r["replies_received"],
            "reactions_received": r["reactions_received"],
            "red_packets": r["red_packets"],
        })
    return rows

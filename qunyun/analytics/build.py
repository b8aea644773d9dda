"""`build_report`: the whole community report as one JSON-ready dict (schema in
docs/report-schema.md; bump SCHEMA_VERSION on any incompatible change).

Read-only: it loads the event log once (`EventLog.load`, through one snapshot of the
database held while the report is built) and every section is computed column-wise from
those frames (H3's `drivers`, a few window queries, after). The CLI (`qunyun report`), the
HTML renderer and the console all use this one function, so they always show the same
numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import Engine

from qunyun.analytics import (
    activity,
    drivers,
    elimination,
    health,
    invites,
    suspects,
    tiers,
)
from qunyun.analytics.log import CHUNK_IDS, TEXT_CHUNK_ROWS, EventLog
from qunyun.domain.deleted_accounts import DELETED_NAME
from qunyun.plan.model import Plan
from qunyun.policies.chatter import Chatter
from qunyun.storage.events import frames

SCHEMA_VERSION = 1


def build_report(engine: Engine, *, community_id: int, plan: Plan | None,
                 as_of: datetime | None = None, tz: str | None = None,
                 community_name: str | None = None, chunk_ids: int = CHUNK_IDS,
                 text_chunk_rows: int = TEXT_CHUNK_ROWS,
                 held: pl.DataFrame | None = None) -> dict[str, Any]:
    """`chunk_ids` and `text_chunk_rows` only change how the log is read (memory against
    round trips), never a number: tests pass tiny chunks to prove it. `held` is the
    community's whole log as an import in this process wrote it (`frames.HeldLog`): its
    events are then not read back from the database."""
    zone = ZoneInfo(tz or (plan.bot.timezone if plan is not None else "Asia/Shanghai"))
    staff = _staff(engine, community_id, plan)
    imported = _imported(engine, community_id)
    with frames.Reader(engine, held=held) as reader:
        log = EventLog.load(reader, community_id=community_id, tz=zone, as_of=as_of,
                            chunk_ids=chunk_ids, text_chunk_rows=text_chunk_rows)
        report = _build(log, community_id=community_id, plan=plan, zone=zone,
                        community_name=community_name, staff=staff, imported=imported)
        as_of_ms = int(log.as_of.timestamp() * 1000)
        iso = log.iso
    if plan is not None and (report["elimination"].get("criteria") or {}).get(
            "onboarding_incomplete"):
        _onboarding_candidates(engine, report, community_id=community_id, plan=plan,
                               as_of_ms=as_of_ms, admins=staff.admins, iso=iso)
    # H3 is a handful of indexed window queries over the bot's own posts, polls and events,
    # not the frames: run after the snapshot is released.
    with engine.connect() as conn:
        report["drivers"] = drivers.section(conn, community_id=community_id,
                                            until_ms=as_of_ms + 1, tz=str(zone))
    return report


@dataclass(frozen=True)
class Staff:
    """`services.staff`'s answer for this report: who is kept off the growth measures
    (`off_growth`) and who are admins at all (never elimination candidates)."""

    off_growth: frozenset[int] = frozenset()
    admins: frozenset[int] = frozenset()


def _onboarding_candidates(engine: Engine, report: dict[str, Any], *, community_id: int,
                           plan: Plan, as_of_ms: int, admins: frozenset[int],
                           iso: Callable[[int], str | None]) -> None:
    """E1's second rule: the bot's onboarding rows past their deadline with steps missing
    (a handful of indexed rows, read after the log's snapshot is released)."""
    from qunyun.services.onboarding import missing_steps
    from qunyun.storage.bot import onboarding as onboarding_repo

    with engine.connect() as conn:
        rows = onboarding_repo.overdue(conn, community_id=community_id, now_ms=as_of_ms)
    overdue = [{**r, "missing": missing_steps(r, plan.onboarding)} for r in rows]
    overdue = [r for r in overdue if r["missing"]]
    members = report.get("members") or []
    elimination.with_onboarding(
        report["elimination"], overdue,
        current={int(m["id"]) for m in members if m.get("in_community")},
        admins=admins, names={int(m["id"]): m.get("name") for m in members}, iso=iso)


def _staff(engine: Engine, community_id: int, plan: Plan | None) -> Staff:
    from qunyun.services import staff as staff_service

    with engine.connect() as conn:
        found = Staff(
            frozenset(staff_service.off_growth(conn, community_id=community_id, plan=plan)),
            frozenset(staff_service.admins(conn, community_id=community_id, plan=plan)))
        # Closed for real, not kept in the pool: on SQLite the analytics reader's close
        # would drop this process's file locks under an idle pooled connection.
        conn.invalidate()
    return found


def _imported(engine: Engine, community_id: int) -> frozenset[int]:
    """The groups that are only imported history (no bot runs them): the report names
    them as the console does (`report.words.group_names`)."""
    from qunyun.storage.community.imported import imported_groups

    with engine.connect() as conn:
        found = frozenset(imported_groups(conn, community_id=community_id))
        conn.invalidate()  # as in `_staff`: no pooled SQLite connection under the reader
    return found


def _build(log: EventLog, *, community_id: int, plan: Plan | None, zone: ZoneInfo,
           community_name: str | None, staff: Staff | None = None,
           imported: frozenset[int] = frozenset()) -> dict[str, Any]:
    effective = plan if plan is not None else _defaults_plan(community_name)
    cfg = tiers.tier_config(plan)
    staff = staff or Staff()

    # The members' message counts are 发言 only, by the bot's own rule (`policies.chatter`).
    everyone = tiers.member_stats(log, cfg.window_days, Chatter.of(effective))
    # Staff run the group: off the tiers, the tier chart and the to-do list (T1/T2),
    # core users (T5) and volunteer candidates (T4), unless `points.include_admins`.
    stats = tiers.assign(tiers.without_staff(everyone, staff.off_growth), cfg)
    community_scope = activity.Scope.of(log, None)
    current = community_scope.current_members
    member_rows = _members(log, stats, cfg, current) + _staff_rows(
        log, everyone.filter(pl.col("member_id").is_in(sorted(staff.off_growth))), current)
    # The member list is people who were in a group: the bot's own account (recorded
    # because it removed someone) and accounts seen only in a DM are nobody's members, so
    # the list's length is `members_ever` (issue 11 walk finding 24).
    if community_scope.ever_members is not None:
        ever = set(community_scope.ever_members.to_list())
        member_rows = [m for m in member_rows if m["id"] in ever]
    member_rows.sort(key=lambda m: m["id"])
    tier_of = {m["id"]: m["tier"] for m in member_rows if m["tier"]}

    groups = []
    group_heads = [{"id": group_id, "platform": platform, "external_id": external_id,
                    "name": name, "imported": group_id in imported}
                   for group_id, platform, external_id, name in log.groups.iter_rows()]
    # Once a bot runs one of the community's groups, a history imported from elsewhere (the
    # chat the community left) is not warned, and the community is warned from its live
    # groups only: the console said "not warned" beside a warning raised from that history
    # (issue 11 walk13 #19, #35). A community that is only an export is warned as before.
    live = [h["id"] for h in group_heads if not h["imported"]]
    hold = bool(live) and len(live) < len(group_heads)
    for head in group_heads:
        groups.append(_scope_section(log, activity.Scope.of(log, head["id"]), effective, tier_of,
                                     head, hold_dying=hold and head["imported"]))
    community_head = {"id": community_id, "name": community_name}
    if len(groups) == 1:
        # One group holds every event and membership: its numbers are the community's.
        community = {**community_head, **{k: v for k, v in groups[0].items()
                                          if k not in group_heads[0]}}
    else:
        community = _scope_section(
            log, community_scope, effective, tier_of, community_head,
            dying_from=_groups_scope(log, live, community_scope) if hold else None)

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
        "elimination": elimination.candidates(log, plan, everyone, current,
                                              admins=staff.admins),
        "suspects": suspects.find(log, effective, admins=staff.admins),
        "invites": invites.invites(log),
    }


def _defaults_plan(name: str | None) -> Plan:
    """Without a plan the report still runs, on the documented defaults."""
    return Plan.model_validate({"community": {"name": name or "community", "slug": "community",
                                              "platform": "telegram"}})


def _groups_scope(log: EventLog, group_ids: list[int],
                  community: activity.Scope) -> activity.Scope:
    """The community's live groups together (only their dying warning is read from it)."""
    mine = pl.col("group_id").is_in(group_ids)
    return activity.Scope(events=log.events.filter(mine), messages=log.messages.filter(mine),
                          recent=log.recent.filter(mine),
                          current_members=community.current_members)


def _dying(log: EventLog, scope: activity.Scope, plan: Plan) -> dict[str, Any]:
    totals = activity.totals(log, scope)
    history = [w["messages"] for w in activity.weekly(log, scope)]
    return health.dying(log, health.score(log, scope, totals, plan.health, history),
                        plan.health, history, scope)


def _scope_section(log: EventLog, scope: activity.Scope, plan: Plan, tier_of: dict[int, str],
                   head: dict[str, Any], *, hold_dying: bool = False,
                   dying_from: activity.Scope | None = None) -> dict[str, Any]:
    """`hold_dying`: an imported history beside a live group, never warned (`held`, with
    what its trend would have said kept); `dying_from`: the scope the warning is judged on
    (`live_only`: the community's live groups, its history left out)."""
    totals = activity.totals(log, scope)
    weekly = activity.weekly(log, scope)
    history = [w["messages"] for w in weekly]
    score = health.score(log, scope, totals, plan.health, history)
    dying = health.dying(log, score, plan.health, history, scope)
    if hold_dying:
        dying = {**dying, "warning": False, "held": "imported_history",
                 "history_warning": dying["warning"]}
    elif dying_from is not None:
        dying = {**_dying(log, dying_from, plan), "live_only": True}
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
        # Current members the tiers leave out (admins, unless the plan tiers them): the
        # tier chart's people plus these are `member_count` (issue 11 walk finding 34).
        "untiered_members": len(inside) - sum(tier_counts.values()),
    }


# Words, not the plan's keys (issue 11 #33): who counts as an admin and why they are left out.
STAFF_REASON = "管理员（计划里列出的管理员或群管理员）不参与分层、积分、徽章和排行"
STAFF_REASON_EN = ("an admin (listed in the plan or a group moderator): not tiered, scored, "
                   "badged or ranked")


def _staff_rows(log: EventLog, stats: pl.DataFrame, current: pl.Series) -> list[dict[str, Any]]:
    """Staff in the member list, with their numbers and no tier (`staff: true`)."""
    inside = set(current.to_list())
    rows = []
    for r in stats.iter_rows(named=True):
        rows.append({**_member_numbers(log, r, inside), "staff": True, "tier": None,
                     "tier_name": "管理员", "tier_reason": STAFF_REASON,
                     "tier_reason_en": STAFF_REASON_EN})
    return rows


def _member_numbers(log: EventLog, r: dict[str, Any], inside: set[int]) -> dict[str, Any]:
    return {
        "id": r["member_id"],
        "name": r["name"],
        # No name in the export: a deleted account, or a sender it leaves unnamed.
        "placeholder_author": not (r["name"] or "").strip() or r["name"] == DELETED_NAME,
        "in_community": r["member_id"] in inside,
        "messages": r["messages"],
        "window_messages": r["window_messages"],
        "active_days": r["active_days"],
        "first_seen": log.iso(r["first_seen_ms"]),
        "last_seen": log.iso(r["last_seen_ms"]),
        "last_message": log.iso(r["last_message_ms"]),
        # T5 core-user measures, kept apart from the tier.
        "invited": r["invited"],
        "replies_received": r["replies_received"],
        "reactions_received": r["reactions_received"],
        "red_packets": r["red_packets"],
    }


def _members(log: EventLog, stats: pl.DataFrame, cfg: Any,
             current: pl.Series) -> list[dict[str, Any]]:
    inside = set(current.to_list())
    rows = []
    for r in stats.sort("member_id").iter_rows(named=True):
        rows.append({
            **_member_numbers(log, r, inside),
            "staff": False,
            "tier": r["tier"],
            "tier_name": tiers.TIER_NAMES[r["tier"]],
            "tier_reason": tiers.reason(r, cfg),
            "tier_reason_en": tiers.reason(r, cfg, "en"),  # the English console's
        })
    return rows

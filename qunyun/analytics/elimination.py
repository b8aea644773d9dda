"""E1 elimination candidates under the plan's criteria, as of the report date (E3: for review).

The criterion from history is silence: a member still in the community whose last
message (or, if they never spoke, whose join) is older than `elimination.silent_days`
(calendar days on the community clock, as E1's sweep counts them: `days_silent`). With
`elimination.onboarding_incomplete`, the members whose newcomer tasks were still missing at
their deadline (the bot's onboarding rows: `with_onboarding`) are candidates too, as the
rules document announces (issue 11 #50): one definition of who is up for removal.
Admins (the plan's and the groups' moderators) are never candidates. With a notice period
the member is warned first; the date they could be removed is given so the operator can
exempt them in time.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import timedelta
from typing import Any

import polars as pl

from qunyun.analytics.log import EventLog
from qunyun.domain.elimination import days_silent
from qunyun.plan.model import Plan


def candidates(log: EventLog, plan: Plan | None, stats: pl.DataFrame,
               current: pl.Series, admins: Collection[int] = ()) -> dict[str, Any]:
    """`admins`: every admin's member id (`services.staff.admins`: the plan's
    `bot.admins` and the groups' recorded moderators), never a candidate."""
    rule = plan.elimination if plan is not None else None
    if rule is None or not rule.enabled or not (rule.silent_days or rule.onboarding_incomplete):
        return {"criteria": None, "members": [],
                "note": "计划未设置淘汰规则（长期未发言或新人任务未完成）"}
    notice = rule.notice_days or 0
    criteria = {"silent_days": rule.silent_days, "notice_days": notice,
                "auto_remove": rule.auto_remove,
                "onboarding_incomplete": rule.onboarding_incomplete,
                "onboarding_hours": plan.onboarding.deadline_hours if plan else None}
    note = ("计划允许自动移除" if rule.auto_remove
            else "需要运营者在控制台的工作队列里确认后才会移除：可在名单中豁免")
    if not rule.silent_days:
        return {"criteria": criteria, "members": [], "note": note}
    # A day wider than the rule: `days_silent` counts calendar days, which can be one more
    # than the whole 24-hour spans; the loop below keeps exactly those it names.
    cutoff = log.since_ms(rule.silent_days - 1)
    listed = set(plan.bot.admins) if plan is not None else set()
    admin_ids = pl.concat([
        log.identities.filter(pl.col("external_id").is_in(sorted(listed)))["member_id"],
        pl.Series("member_id", sorted(admins), dtype=log.identities["member_id"].dtype)])
    joined = log.memberships.group_by("member_id").agg(joined_ms=pl.col("joined_ms").min())
    rows = stats.join(joined, on="member_id", how="left").filter(
        pl.col("member_id").is_in(current.implode())
        & ~pl.col("member_id").is_in(admin_ids.implode())
        & (pl.coalesce("last_message_ms", "joined_ms", "first_seen_ms") <= cutoff)
    ).sort(pl.coalesce("last_message_ms", "joined_ms", "first_seen_ms"))
    remove_on = (log.today + timedelta(days=notice)).isoformat()
    members = []
    for r in rows.iter_rows(named=True):
        last = r["last_message_ms"]
        since = last or r["joined_ms"] or r["first_seen_ms"]
        days = days_silent(since, log.as_of_ms, log.tz)
        if days < rule.silent_days:
            continue
        why = (f"已 {days} 天未发言（最后发言 {log.iso(last)[:10]}）" if last  # type: ignore[index]
               else f"入群 {days} 天从未发言")
        members.append({"member_id": r["member_id"], "name": r["name"], "reason": why,
                        "silent_days": days, "remove_on": remove_on})
    return {"criteria": criteria, "members": members, "note": note}


STEP_NAMES = {"nickname": "改群昵称", "intro": "自我介绍", "form": "回答新人问卷"}


def with_onboarding(section: dict[str, Any], overdue: list[dict[str, Any]], *,
                    current: Collection[int], admins: Collection[int], names: dict[int, Any],
                    iso: Callable[[int], str | None]) -> None:
    """Add the members whose newcomer tasks were missing at their deadline (`overdue`:
    member_id, group_id, deadline_ms, missing) to `section`, when the plan's rule says so;
    a member already listed for silence keeps that line. Current members only, never an
    admin."""
    criteria = section.get("criteria") or {}
    if not criteria.get("onboarding_incomplete"):
        return
    members: list[dict[str, Any]] = section["members"]
    listed = {m["member_id"] for m in members}
    hours = criteria.get("onboarding_hours")
    for row in overdue:
        mid = int(row["member_id"])
        if mid in listed or mid not in current or mid in admins:
            continue
        listed.add(mid)
        missing = "、".join(STEP_NAMES.get(s, s) for s in row["missing"])
        members.append({
            "member_id": mid, "name": names.get(mid), "rule": "onboarding",
            "group_id": int(row["group_id"]),
            "reason": f"入群 {hours:g} 小时内未完成新人任务（还差：{missing}；期限 "
                      f"{(iso(int(row['deadline_ms'])) or '')[:16].replace('T', ' ')}）"})

"""E1 elimination candidates under the plan's criteria, as of the report date (E3: for review).

Today's criterion from history is silence: a member still in the community whose last
message (or, if they never spoke, whose join) is older than `elimination.silent_days`.
Admins listed in the plan are never candidates. With a notice period the member is warned
first; the date they could be removed is given so the operator can exempt them in time.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl

from qunyun.domain.elimination import days_silent
from qunyun.plan.model import Plan
from tests.analytics.reference.log import EventLog


def candidates(log: EventLog, plan: Plan | None, stats: pl.DataFrame,
               current: pl.Series, staff: set[int]) -> dict[str, Any]:
    rule = plan.elimination if plan is not None else None
    if rule is None or not rule.enabled or not (rule.silent_days or rule.onboarding_incomplete):
        return {"criteria": None, "members": [],
                "note": "计划未设置淘汰规则（长期未发言或新人任务未完成）"}
    criteria = {"silent_days": rule.silent_days, "notice_days": rule.notice_days or 0,
                "auto_remove": rule.auto_remove,
                "onboarding_incomplete": rule.onboarding_incomplete,
                "onboarding_hours": plan.onboarding.deadline_hours if plan else None}
    note = ("计划允许自动移除" if rule.auto_remove
            else "需要运营者在控制台的工作队列里确认后才会移除：可在名单中豁免")
    if not rule.silent_days:
        # The onboarding rule's candidates come from the bot's state, not the log: the
        # reference (a log-only computation) lists none.
        return {"criteria": criteria, "members": [], "note": note}
    cutoff = log.since_ms(rule.silent_days - 1)  # calendar days (issue 11): see below
    admins = set(plan.bot.admins) if plan is not None else set()
    admin_ids = pl.Series(sorted(staff | set(
        log.identities.filter(pl.col("external_id").is_in(sorted(admins)))["member_id"])),
        dtype=log.identities["member_id"].dtype)
    joined = log.memberships.group_by("member_id").agg(joined_ms=pl.col("joined_ms").min())
    rows = stats.join(joined, on="member_id", how="left").filter(
        pl.col("member_id").is_in(current.implode())
        & ~pl.col("member_id").is_in(admin_ids.implode())
        & (pl.coalesce("last_message_ms", "joined_ms", "first_seen_ms") <= cutoff)
    ).sort(pl.coalesce("last_message_ms", "joined_ms", "first_seen_ms"))
    notice = rule.notice_days or 0
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

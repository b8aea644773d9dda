"""H1 activity of one scope (a group, or the whole community): totals, daily and weekly
series, the hour x weekday heatmap, retention cohorts by join week, time to first message.

A "message" is a user-authored message; service lines (joins, leaves, pins…) are events
of other kinds and never count as messages. "Active" means sent at least one message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from tests.analytics.reference.log import EventLog, monday

COHORT_WEEKS = 8


@dataclass
class Scope:
    """The slice of the log one section of the report describes."""

    events: pl.DataFrame
    messages: pl.DataFrame
    current_members: pl.Series  # member ids in the scope at as_of

    @classmethod
    def of(cls, log: EventLog, group_id: int | None) -> Scope:
        events = log.events if group_id is None else log.events.filter(
            pl.col("group_id") == group_id)
        messages = log.messages if group_id is None else log.messages.filter(
            pl.col("group_id") == group_id)
        return cls(events=events, messages=messages,
                   current_members=current_members(log, group_id))


def current_members(log: EventLog, group_id: int | None) -> pl.Series:
    """Who is in the scope at as_of: an open membership, or anyone seen there who never left."""
    ms = log.memberships if group_id is None else log.memberships.filter(
        pl.col("group_id") == group_id)
    left = ms.filter(pl.col("active") == 0).select("group_id", "member_id")
    seen = (log.events if group_id is None else log.events.filter(pl.col("group_id") == group_id)) \
        .filter(pl.col("member_id").is_not_null()).select("group_id", "member_id").unique()
    inside = pl.concat([ms.filter(pl.col("active") == 1).select("group_id", "member_id"),
                        seen.join(left, on=["group_id", "member_id"], how="anti")])
    return inside.get_column("member_id").unique()


def totals(log: EventLog, scope: Scope) -> dict[str, Any]:
    ev = scope.events
    kinds = ev.group_by("kind").len()
    by_kind = dict(zip(kinds["kind"].to_list(), kinds["len"].to_list(), strict=True))
    member_count = scope.current_members.len()
    # Issue 11: active = current members who wrote (the reference follows the meaning).
    inside = scope.messages.filter(pl.col("member_id").is_in(scope.current_members.implode()))
    active_30 = inside.filter(pl.col("ts_ms") > log.since_ms(30))["member_id"].n_unique()
    active_7 = inside.filter(pl.col("ts_ms") > log.since_ms(7))["member_id"].n_unique()
    return {
        "messages": scope.messages.height,
        "senders": scope.messages["member_id"].n_unique(),
        "joins": int(by_kind.get("join", 0)),
        "leaves": int(by_kind.get("leave", 0)),
        "reactions": int(by_kind.get("reaction", 0)),
        "recalls": int(by_kind.get("recall", 0)),
        "red_packets": int(by_kind.get("redpacket", 0)),
        "first_event": log.iso(ev["ts_ms"].min()) if ev.height else None,  # type: ignore[arg-type]
        "last_event": log.iso(ev["ts_ms"].max()) if ev.height else None,  # type: ignore[arg-type]
        "member_count": member_count,
        "active_7d": active_7,
        "active_30d": active_30,
        "active_ratio": round(active_30 / member_count, 4) if member_count else 0.0,
    }


def daily(log: EventLog, scope: Scope) -> list[dict[str, Any]]:
    """One row per local day from the first event to as_of, zero-filled."""
    if scope.events.height == 0:
        return []
    start = scope.events["day"].min()
    days = pl.DataFrame({"day": pl.date_range(start, log.today, "1d", eager=True)})  # type: ignore[arg-type]
    msg = scope.messages.group_by("day").agg(
        messages=pl.len(), active=pl.col("member_id").n_unique())
    moves = scope.events.filter(pl.col("kind").is_in(["join", "leave"])) \
        .group_by("day").agg(joins=(pl.col("kind") == "join").sum(),
                             leaves=(pl.col("kind") == "leave").sum())
    out = days.join(msg, on="day", how="left").join(moves, on="day", how="left").fill_null(0)
    return [
        {"date": d.isoformat(), "messages": m, "active": a, "joins": j, "leaves": lv}
        for d, m, a, j, lv in out.select("day", "messages", "active", "joins", "leaves").iter_rows()
    ]


def weekly(log: EventLog, scope: Scope) -> list[dict[str, Any]]:
    if scope.events.height == 0:
        return []
    start = scope.events["week"].min()
    weeks = pl.DataFrame({"week": pl.date_range(start, monday(log.today), "1w", eager=True)})  # type: ignore[arg-type]
    msg = scope.messages.group_by("week").agg(
        messages=pl.len(), active=pl.col("member_id").n_unique())
    moves = scope.events.filter(pl.col("kind").is_in(["join", "leave"])) \
        .group_by("week").agg(joins=(pl.col("kind") == "join").sum(),
                              leaves=(pl.col("kind") == "leave").sum())
    out = weeks.join(msg, on="week", how="left").join(moves, on="week", how="left").fill_null(0)
    return [
        {"week": w.isoformat(), "messages": m, "active": a, "joins": j, "leaves": lv}
        for w, m, a, j, lv in out.select("week", "messages", "active", "joins", "leaves")
        .iter_rows()
    ]


def heatmap(scope: Scope) -> list[list[int]]:
    """[weekday 0=Mon..6, hour 0..23, messages] for every non-empty cell (ECharts heatmap)."""
    cells = scope.messages.group_by("weekday", "hour").len().sort("weekday", "hour")
    return [[int(w) - 1, int(h), int(n)] for w, h, n in cells.iter_rows()]


def cohorts(log: EventLog, scope: Scope) -> list[dict[str, Any]]:
    """Retention by join week: of those who joined in week W, the share who sent a message
    in week W+k (k = 0..7). Only members with a recorded join are in a cohort."""
    joins = scope.events.filter(pl.col("kind") == "join").group_by("member_id") \
        .agg(cohort=pl.col("week").min())
    if joins.height == 0:
        return []
    posted = scope.messages.select("member_id", "week").unique()
    weeks = posted.join(joins, on="member_id").with_columns(
        k=((pl.col("week") - pl.col("cohort")).dt.total_days() // 7)
    ).filter((pl.col("k") >= 0) & (pl.col("k") < COHORT_WEEKS))
    retained = weeks.group_by("cohort", "k").agg(n=pl.col("member_id").n_unique())
    sizes = joins.group_by("cohort").len().sort("cohort")
    by_key = {(c, k): n for c, k, n in retained.iter_rows()}
    last_week = monday(log.today)
    out = []
    for cohort, size in sizes.iter_rows():
        observable = min(COHORT_WEEKS, (last_week - cohort).days // 7 + 1)
        out.append({
            "week": cohort.isoformat(),
            "size": size,
            "retained": [round(by_key.get((cohort, k), 0) / size, 4) for k in range(observable)],
        })
    return out


def time_to_first_message(scope: Scope) -> dict[str, Any]:
    """Hours from a member's first recorded join to their first message after it."""
    joins = scope.events.filter(pl.col("kind") == "join").group_by("member_id") \
        .agg(joined=pl.col("ts_ms").min())
    first = scope.messages.group_by("member_id").agg(first=pl.col("ts_ms").min())
    both = joins.join(first, on="member_id", how="left")
    spoke = both.filter(pl.col("first") >= pl.col("joined")) \
        .with_columns(hours=(pl.col("first") - pl.col("joined")) / 3_600_000)
    hours = spoke["hours"]
    return {
        "joined": joins.height,
        "spoke": spoke.height,
        "never_spoke": joins.height - spoke.height,
        "median_hours": round(float(hours.median()), 1) if spoke.height else None,  # type: ignore[arg-type]
        "p90_hours": round(float(hours.quantile(0.9)), 1) if spoke.height else None,  # type: ignore[arg-type]
        "within_24h": int((hours <= 24).sum()),
    }


def weekly_messages(log: EventLog, scope: Scope, weeks: int) -> list[int]:
    """Messages in each of the last `weeks` 7-day windows ending at as_of (oldest first)."""
    end = log.as_of_ms
    span = 7 * 86_400_000
    start = end - weeks * span
    recent = scope.messages.filter(pl.col("ts_ms") > start).select(
        ((pl.col("ts_ms") - start - 1) // span).alias("slot"))
    counts = recent.group_by("slot").len()
    by_slot = dict(counts.iter_rows())
    return [int(by_slot.get(i, 0)) for i in range(weeks)]


def own_weekly_messages(log: EventLog, scope: Scope, weeks: int) -> tuple[list[int], date]:
    """Issue 11: the scope's own weekly series, whole local days ending with its last
    message's day, never today while it is going (the reference follows the meaning)."""
    if scope.messages.height == 0:
        return [0] * weeks, log.today
    last_day: date = scope.messages["day"].max()  # type: ignore[assignment]
    last_day = min(last_day, log.today - timedelta(days=1))
    first_day = last_day - timedelta(days=7 * weeks - 1)
    counts = [0] * weeks
    for day in scope.messages.filter(pl.col("day") >= first_day)["day"].to_list():
        if day <= last_day:
            counts[(day - first_day).days // 7] += 1
    return counts, last_day


def span_days(scope: Scope) -> int:
    if scope.events.height == 0:
        return 0
    first, last = scope.events["ts_ms"].min(), scope.events["ts_ms"].max()
    return int(timedelta(milliseconds=int(last) - int(first)).days) + 1  # type: ignore[arg-type]

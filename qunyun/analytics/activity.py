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

from qunyun.analytics.log import EventLog, monday
from qunyun.domain.deleted_accounts import DELETED_NAME

COHORT_WEEKS = 8


@dataclass
class Scope:
    """The slice of the log one section of the report describes."""

    events: pl.DataFrame
    messages: pl.DataFrame
    current_members: pl.Series  # member ids in the scope at as_of
    recent: pl.DataFrame  # the scope's part of `EventLog.recent` (texts and reply ids)
    ever_members: pl.Series | None = None  # member ids ever in the scope (see `headcount`)

    @classmethod
    def of(cls, log: EventLog, group_id: int | None) -> Scope:
        if group_id is None or _only_group(log, group_id):
            # The whole log (or a community of one group): no copy of ten million rows.
            current, ever = people(log, None)
            return cls(events=log.events, messages=log.messages, recent=log.recent,
                       current_members=current, ever_members=ever)
        mine = pl.col("group_id") == group_id
        current, ever = people(log, group_id)
        return cls(events=log.events.filter(mine), messages=log.messages.filter(mine),
                   recent=log.recent.filter(mine), current_members=current, ever_members=ever)


def _only_group(log: EventLog, group_id: int) -> bool:
    ids = log.groups["group_id"]
    return ids.len() == 1 and int(ids[0]) == group_id


def current_members(log: EventLog, group_id: int | None) -> pl.Series:
    """Who is in the scope at as_of: an open membership, or anyone seen there who never left."""
    return people(log, group_id)[0]


def people(log: EventLog, group_id: int | None) -> tuple[pl.Series, pl.Series]:
    """(current, ever): who is in the scope at as_of (an open membership, or anyone seen
    there who never left) and who was ever in it (a membership, open or closed, or seen
    there). The one definition of 成员 (issue 11 walk findings 24 and 34): people, not
    join events; the bot's own account is never one (its membership is not recorded, and
    removing someone is not being seen); admins are members like anyone in the room.
    Someone is a member of the community while they are in any of its groups."""
    ms = log.memberships if group_id is None else log.memberships.filter(
        pl.col("group_id") == group_id)
    left = ms.filter(pl.col("active") == 0).select("group_id", "member_id")
    # Lazy: only the two columns are read (an eager filter copies every column first).
    seen = log.events.lazy().select("group_id", "member_id").filter(
        pl.col("member_id").is_not_null() if group_id is None
        else pl.col("member_id").is_not_null() & (pl.col("group_id") == group_id),
    ).unique().collect(engine="streaming")
    inside = pl.concat([ms.filter(pl.col("active") == 1).select("group_id", "member_id"),
                        seen.join(left, on=["group_id", "member_id"], how="anti")])
    current = inside.get_column("member_id").unique()
    ever = pl.concat([ms.get_column("member_id"), seen.get_column("member_id")]).unique()
    return current, ever


def headcount(scope: Scope) -> dict[str, int]:
    """The scope's people: `member_count` (in it now), `members_ever` (ever in it) and
    `members_left` (were in it, are not now), so 累计 = 当前 + 已离开 always. The console's
    cards and the report read these; `joins` / `leaves` count events (a re-join is a second
    join, a removal is a leave), never people."""
    current = scope.current_members.len()
    ever = scope.ever_members.len() if scope.ever_members is not None else current
    return {"member_count": current, "members_ever": ever, "members_left": ever - current}


def placeholder_name(name: pl.Expr) -> pl.Expr:
    """True where the export gave the account no name, or named it a deleted account
    (the importers store those as `DELETED_NAME`, each its own member)."""
    return name.is_null() | (name.str.strip_chars() == "") | (name == DELETED_NAME)


def totals(log: EventLog, scope: Scope) -> dict[str, Any]:
    ev = scope.events
    kinds = ev.lazy().select("kind").group_by("kind").len().collect(engine="streaming")
    by_kind = dict(zip(kinds["kind"].to_list(), kinds["len"].to_list(), strict=True))
    heads = headcount(scope)
    member_count = heads["member_count"]
    # Active = current members who wrote (issue 11): the ratio's numerator and denominator
    # are the same people, so it agrees with the tiers (everyone not an onlooker wrote in
    # the tier window) instead of counting members who have since left.
    inside = scope.messages.filter(pl.col("member_id").is_in(scope.current_members.implode()))
    active_30 = inside.filter(pl.col("ts_ms") > log.since_ms(30))["member_id"].n_unique()
    active_7 = inside.filter(pl.col("ts_ms") > log.since_ms(7))["member_id"].n_unique()
    # Placeholder authors: accounts the export names no one (a deleted Telegram account's
    # `from: null`, QQ's empty nickname). They spoke, so they count above; the report says
    # how much of the talk is theirs, since no one can be thanked or asked by that name.
    placeholder = scope.messages.filter(pl.col("member_id").is_in(
        log.members.filter(placeholder_name(pl.col("name")))["member_id"].implode()))
    return {
        "messages": scope.messages.height,
        "senders": scope.messages["member_id"].n_unique(),
        "placeholder_messages": placeholder.height,
        "placeholder_senders": placeholder["member_id"].n_unique(),
        "joins": int(by_kind.get("join", 0)),
        "leaves": int(by_kind.get("leave", 0)),
        "reactions": int(by_kind.get("reaction", 0)),
        "recalls": int(by_kind.get("recall", 0)),
        "red_packets": int(by_kind.get("redpacket", 0)),
        "first_event": log.iso(ev["ts_ms"].min()) if ev.height else None,  # type: ignore[arg-type]
        "last_event": log.iso(ev["ts_ms"].max()) if ev.height else None,  # type: ignore[arg-type]
        **heads,
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
    msg, moves = _per(scope, "day")
    out = days.join(msg, on="day", how="left").join(moves, on="day", how="left").fill_null(0)
    return [
        {"date": d.isoformat(), "messages": m, "active": a, "joins": j, "leaves": lv}
        for d, m, a, j, lv in out.select("day", "messages", "active", "joins", "leaves").iter_rows()
    ]


def _per(scope: Scope, period: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Messages and active members, joins and leaves per `period` ("day" or "week").

    Lazy and streamed, so only the columns read are touched and the group-by runs in
    bounded memory (an eager group-by over ten million rows holds several copies)."""
    msg = scope.messages.lazy().select(period, "member_id").group_by(period).agg(
        messages=pl.len(), active=pl.col("member_id").n_unique()).collect(engine="streaming")
    moves = scope.events.lazy().select(period, "kind") \
        .filter(pl.col("kind").is_in(["join", "leave"])) \
        .group_by(period).agg(joins=(pl.col("kind") == "join").sum(),
                              leaves=(pl.col("kind") == "leave").sum()).collect(engine="streaming")
    return msg, moves


def weekly(log: EventLog, scope: Scope) -> list[dict[str, Any]]:
    if scope.events.height == 0:
        return []
    start = scope.events["week"].min()
    weeks = pl.DataFrame({"week": pl.date_range(start, monday(log.today), "1w", eager=True)})  # type: ignore[arg-type]
    msg, moves = _per(scope, "week")
    out = weeks.join(msg, on="week", how="left").join(moves, on="week", how="left").fill_null(0)
    return [
        {"week": w.isoformat(), "messages": m, "active": a, "joins": j, "leaves": lv}
        for w, m, a, j, lv in out.select("week", "messages", "active", "joins", "leaves")
        .iter_rows()
    ]


def heatmap(scope: Scope) -> list[list[int]]:
    """[weekday 0=Mon..6, hour 0..23, messages] for every non-empty cell (ECharts heatmap)."""
    cells = scope.messages.lazy().select("weekday", "hour").group_by("weekday", "hour").len() \
        .sort("weekday", "hour").collect(engine="streaming")
    return [[int(w) - 1, int(h), int(n)] for w, h, n in cells.iter_rows()]


def cohorts(log: EventLog, scope: Scope) -> list[dict[str, Any]]:
    """Retention by join week: of those who joined in week W, the share who sent a message
    in week W+k (k = 0..7). Only members with a recorded join are in a cohort."""
    joins = scope.events.filter(pl.col("kind") == "join").group_by("member_id") \
        .agg(cohort=pl.col("week").min())
    if joins.height == 0:
        return []
    posted = scope.messages.lazy().select("member_id", "week").unique() \
        .collect(engine="streaming")
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
    first = scope.messages.lazy().select("member_id", "ts_ms").group_by("member_id") \
        .agg(first=pl.col("ts_ms").min()).collect(engine="streaming")
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
    """Messages in each of the last `weeks` 7-day windows of the scope's own series: windows
    of whole local days ending with the last whole day the scope has messages on (oldest
    first), and that day. Unlike `weekly_messages`, nothing outside the scope moves them:
    another group's later messages (which move as_of) do not shift this group's trend
    (issue 11). Today is left out while it is still going: a dozen messages this morning
    moved a 20,000-message group's projected date by two weeks within an hour."""
    if scope.messages.height == 0:
        return [0] * weeks, log.today
    last_day: date = scope.messages["day"].max()  # type: ignore[assignment]
    last_day = min(last_day, log.today - timedelta(days=1))
    first_day = last_day - timedelta(days=7 * weeks - 1)
    slots = scope.messages.filter(pl.col("day") >= first_day, pl.col("day") <= last_day).select(
        ((pl.col("day") - pl.lit(first_day)).dt.total_days() // 7).alias("slot"))
    by_slot = dict(slots.group_by("slot").len().iter_rows())
    return [int(by_slot.get(i, 0)) for i in range(weeks)], last_day


def span_days(scope: Scope) -> int:
    if scope.events.height == 0:
        return 0
    first, last = scope.events["ts_ms"].min(), scope.events["ts_ms"].max()
    return int(timedelta(milliseconds=int(last) - int(first)).days) + 1  # type: ignore[arg-type]

"""H2 health: a 0-100 score, the seed 002 lifecycle stage the evidence supports, and the
early "dying" (热寂) warning with its reason in words and a projected date.

Seed 002's seven stages: gathered (聚集) → talking (强烈沟通) → common goal (共同目标) →
innovating (不断创新) → roles and management (分工和管理) → profitable (盈利) →
commercialized (商业化). A chat export shows evidence for the first five only; the last
two need revenue data and are never claimed from messages.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import polars as pl

from qunyun.plan.model import Health
from tests.analytics.reference.activity import Scope, own_weekly_messages, weekly_messages
from tests.analytics.reference.log import EventLog

STAGES = {
    "gathered": "聚集",
    "talking": "强烈沟通",
    "common_goal": "共同目标",
    "innovating": "不断创新",
    "roles": "分工和管理",
}
TREND_WEEKS = 8
CHECKIN_WORDS = ("打卡", "签到", "check-in", "checkin")


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def score(log: EventLog, scope: Scope, totals: dict[str, Any], cfg: Health,
          history: list[int] | None = None) -> dict[str, Any]:
    """Weighted components, each 0..1, kept in the output so the score can be explained."""
    weeks = weekly_messages(log, scope, TREND_WEEKS)
    full = history or weeks
    peak = max((sum(full[i:i + 4]) for i in range(max(1, len(full) - 3))), default=0)
    recent, earlier = sum(weeks[4:]), sum(weeks[:4])
    per_day_14 = sum(weeks[-2:]) / 14
    floor = max(cfg.floor_messages_per_day, 0.1)
    msgs30 = scope.messages.filter(pl.col("ts_ms") > log.since_ms(30))
    top5 = int(msgs30.group_by("member_id").len().sort("len", descending=True).head(5)["len"].sum())
    components: dict[str, float | None] = {
        # Twice the plan's floor of messages per day counts as fully lively.
        "activity": _clamp(per_day_14 / (2 * floor)),
        # Three times the floor active ratio counts as full participation.
        "participation": _clamp(totals["active_ratio"] / max(3 * cfg.floor_active_ratio, 0.01)),
        # Last four weeks against the four before: equal → 0.5, +50% or more → 1.
        "trend": _clamp(recent / earlier - 0.5) if earlier else (1.0 if recent else 0.0),
        # The last four weeks against the best four weeks ever: heat death shows here first.
        "momentum": _clamp(recent / peak) if peak else 0.0,
        "newcomers": _newcomer_engagement(log, scope),
        # A group where five people write everything is a broadcast, not a community.
        "diversity": _clamp(1 - top5 / msgs30.height) if msgs30.height else 0.0,
    }
    weights = {"activity": 25, "participation": 20, "trend": 15, "momentum": 15, "newcomers": 15,
               "diversity": 10}
    # A component with nothing to measure (no one joined 1–8 weeks ago) is None, shown as
    # "—", and left out: the score is the weighted mean of the others (issue 11 walk 37).
    counted = {k: w for k, w in weights.items() if components[k] is not None}
    value = sum(float(components[k] or 0) * w for k, w in counted.items()) / sum(counted.values())
    return {
        "score": round(100 * value),
        "components": {k: None if v is None else round(v, 3) for k, v in components.items()},
        "weights": weights,
        "weekly_messages": weeks,
        "messages_per_day_14d": round(per_day_14, 2),
    }


def _newcomer_engagement(log: EventLog, scope: Scope) -> float | None:
    """Of those who joined 7-56 days ago, the share who have said anything since."""
    lo, hi = log.since_ms(56), log.since_ms(7)
    joined = scope.events.filter((pl.col("kind") == "join") & (pl.col("ts_ms") > lo)
                                 & (pl.col("ts_ms") <= hi))["member_id"].unique()
    if joined.len() == 0:
        return None  # no recent newcomers: nothing to measure, not a made-up 50 %
    spoke = scope.messages.filter(pl.col("member_id").is_in(joined.implode()))["member_id"]
    return spoke.n_unique() / joined.len()


def stage(log: EventLog, scope: Scope, totals: dict[str, Any], cfg: Health) -> dict[str, str]:
    """The highest seed 002 stage whose evidence is present, with the evidence in words."""
    # Issue 11: the stage is judged on the last four weeks (the group as it is now); the
    # reference follows that change of meaning, not only the old code.
    last8 = scope.messages.filter(pl.col("ts_ms") > log.since_ms(28))
    per_day = last8.height / 28
    daily_senders = last8.group_by("day").agg(n=pl.col("member_id").n_unique())["n"]
    median_senders = float(daily_senders.median() or 0) if daily_senders.len() else 0.0  # type: ignore[arg-type]
    weekly_regulars = last8.group_by("member_id").agg(w=pl.col("week").n_unique()) \
        .filter(pl.col("w") >= 4).height
    checkin_people = last8.filter(
        pl.col("text").str.contains("|".join(CHECKIN_WORDS), literal=False).fill_null(False)
    )["member_id"].n_unique()
    replied = last8.filter(pl.col("ref_id").is_not_null())
    targets = last8.select(pl.col("source_event_id").alias("ref_id"),
                           pl.col("member_id").alias("author"))
    answered_authors = replied.join(targets, on="ref_id").filter(
        pl.col("author") != pl.col("member_id"))["author"].n_unique()
    removals = scope.events.filter((pl.col("kind") == "leave") & pl.col("related_member_id")
                                   .is_not_null() & (pl.col("ts_ms") > log.since_ms(90)))
    moderators = removals["related_member_id"].n_unique()
    inviters = scope.events.filter((pl.col("kind") == "join") & pl.col("related_member_id")
                                   .is_not_null())["related_member_id"].n_unique()

    reached, why = "gathered", f"{totals['member_count']} 人在群内"
    if per_day >= cfg.floor_messages_per_day and median_senders >= 3:
        reached, why = "talking", (f"近8周日均 {per_day:.1f} 条消息，每天中位 "
                                   f"{median_senders:.0f} 人发言")
        if weekly_regulars >= 5 or checkin_people >= 5:
            reached, why = "common_goal", (f"{weekly_regulars} 人在近8周里至少4周发言，"
                                           f"{checkin_people} 人参与打卡")
            if answered_authors >= max(5, int(0.2 * max(totals["active_30d"], 1))):
                reached, why = "innovating", f"{answered_authors} 位成员发的内容得到他人回复"
                if moderators >= 1 and inviters >= 3:
                    reached, why = "roles", (f"{moderators} 位管理者在处理违规，"
                                             f"{inviters} 位成员在拉新")
    return {"stage": reached, "stage_name": STAGES[reached], "stage_reason": why,
            "note": "盈利、商业化两个阶段需要收入数据，聊天记录不足以判断"}


def agree(stage_out: dict[str, Any], dying_out: dict[str, Any]) -> dict[str, Any]:
    """Issue 11: while the dying warning is on (or would be, for an imported history not
    warned beside a live group), or the last four weeks are 80 % or more below the best
    four (walk13), the stage is "declining" (the stage reached kept as `stage_reached`)."""
    if stage_out.get("stage") is None:
        return stage_out
    if not (dying_out.get("warning") or dying_out.get("history_warning")
            or (dying_out.get("down_from_peak") or 0) >= 0.8):
        return stage_out
    return {**stage_out, "stage": "declining", "stage_name": "热寂",
            "stage_reached": stage_out["stage"]}


def dying(log: EventLog, health: dict[str, Any], cfg: Health,
          history: list[int] | None = None, scope: Scope | None = None) -> dict[str, Any]:
    """Early warning: decay of weekly messages, from the peak and projected to the floor;
    issue 11: on the scope's own series, projected from its own last day."""
    weeks: list[int] = health["weekly_messages"]
    anchor = log.today
    silent_days = 0
    quiet = weeks[-1] == 0
    spoke_today = False
    if scope is not None and scope.messages.height:
        silent_days = (log.today - scope.messages["day"].max()).days  # type: ignore[operator]
        quiet, spoke_today = silent_days >= 7, silent_days == 0
        weeks, anchor = own_weekly_messages(log, scope, 8)
    floor_week = cfg.floor_messages_per_day * 7
    out: dict[str, Any] = {"warning": False, "reason": "", "projected_below_floor": None,
                           "weekly_change": None, "down_from_peak": None,
                           "trend_weeks": 8, "silent_days": None}
    if scope is not None and scope.events.height and \
            log.as_of_ms - int(scope.events["ts_ms"].min()) < 14 * 86_400_000:  # type: ignore[arg-type]
        out.update(young=True)  # issue 11: too new to judge a trend
        return out
    if quiet and sum(weeks) > 0:
        out.update(warning=True, silent_days=max(silent_days, 7))
        return out
    if sum(weeks[-2:]) < 2 * floor_week and (sum(weeks) > 0 or spoke_today):
        out.update(warning=True, below_floor_per_day=round(sum(weeks[-2:]) / 14, 1))
        return out
    points = [(i, math.log(c + 1)) for i, c in enumerate(weeks)]
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0
    out["weekly_change"] = round(math.exp(slope) - 1, 4)
    recent = sum(weeks[-4:])
    full = history or []
    peak = max((sum(full[i:i + 4]) for i in range(max(1, len(full) - 3))), default=0)
    drop = 1 - recent / peak if peak else 0.0
    out["down_from_peak"] = round(max(drop, 0.0), 4)
    if slope >= 0:
        return out
    now_level = math.exp(my + slope * (n - 1 - mx))
    weeks_left = math.log(max(floor_week, 1) / now_level) / slope if now_level > floor_week else 0
    when = anchor + timedelta(days=round(7 * weeks_left))
    out["projected_below_floor"] = when.isoformat()
    if weeks_left * 7 <= 90 or drop >= 0.5:
        out.update(warning=True)
    return out

"""H2 health: a 0-100 score, the seed 002 lifecycle stage the evidence supports, and the
early "dying" (热寂) warning with its reason in words and a projected date.

Seed 002's seven stages: gathered (聚集) → talking (强烈沟通) → common goal (共同目标) →
innovating (不断创新) → roles and management (分工和管理) → profitable (盈利) →
commercialized (商业化). A chat export shows evidence for the first five only; the last
two need revenue data and are never claimed from messages.

The score and the stage describe the group as it is now (issue 11): the stage is judged on
the last four weeks, not on evidence from a livelier past, and a scope with no events at
all has no score and no stage (shown as "—"), not a score made of neutral defaults.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import polars as pl

from qunyun.analytics.activity import Scope, own_weekly_messages, weekly_messages
from qunyun.analytics.log import EventLog
from qunyun.plan.model import Health

STAGES = {
    "gathered": "聚集",
    "talking": "强烈沟通",
    "common_goal": "共同目标",
    "innovating": "不断创新",
    "roles": "分工和管理",
    # Not one of seed 002's stages: a group whose activity is falling away (the dying
    # warning is on) is in decline whatever stage it once reached (issue 11).
    "declining": "热寂",  # the playbook's word (H2 "heat death"), as the warning
}
NOTE = "盈利、商业化两个阶段需要收入数据，聊天记录不足以判断"
NOTE_EN = "the profitable and commercialized stages need revenue data; chats cannot show them"
TREND_WEEKS = 8
STAGE_DAYS = 28  # the stage is what the last four weeks show
YOUNG_DAYS = 14  # less history than this: no dying warning (nothing to judge a trend on)
# The last four weeks this far below the best four: a collapse, in decline even when steady
# since. Settling after a launch burst is normal (the warning's "half the peak" is for a
# group still falling); keeping under a fifth of it is not.
COLLAPSED = 0.8
DAY_MS = 86_400_000
CHECKIN_WORDS = ("打卡", "签到", "check-in", "checkin")


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def score(log: EventLog, scope: Scope, totals: dict[str, Any], cfg: Health,
          history: list[int] | None = None) -> dict[str, Any]:
    """Weighted components, each 0..1, kept in the output so the score can be explained.
    None (no score) for a scope with no events: there is nothing to judge."""
    weeks = weekly_messages(log, scope, TREND_WEEKS)
    if scope.events.height == 0:
        return {"score": None, "components": {}, "weights": {}, "weekly_messages": weeks,
                "messages_per_day_14d": 0.0}
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


def stage(log: EventLog, scope: Scope, totals: dict[str, Any], cfg: Health
          ) -> dict[str, str | None]:
    """The highest seed 002 stage whose evidence the last four weeks show, in words."""
    if scope.events.height == 0:
        return {"stage": None, "stage_name": None, "stage_reason": "还没有任何记录",
                "stage_reason_en": "nothing recorded yet", "note": NOTE, "note_en": NOTE_EN}
    # `recent` holds the texts and reply ids of the last RECENT_DAYS (more than STAGE_DAYS).
    last8 = scope.recent.filter(pl.col("ts_ms") > log.since_ms(STAGE_DAYS))
    per_day = last8.height / STAGE_DAYS
    daily_senders = last8.group_by("day").agg(n=pl.col("member_id").n_unique())["n"]
    median_senders = float(daily_senders.median() or 0) if daily_senders.len() else 0.0  # type: ignore[arg-type]
    weekly_regulars = last8.group_by("member_id").agg(w=pl.col("week").n_unique()) \
        .filter(pl.col("w") >= 3).height
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

    reached = "gathered"
    why = f"{totals['member_count']} 人在群内"
    why_en = f"{totals['member_count']} members in the group"
    if per_day >= cfg.floor_messages_per_day and median_senders >= 3:
        reached = "talking"
        why = f"近4周日均 {per_day:.1f} 条消息，每天中位 {median_senders:.0f} 人发言"
        why_en = (f"{per_day:.1f} messages a day over the last 4 weeks, a median of "
                  f"{median_senders:.0f} people writing each day")
        if weekly_regulars >= 5 or checkin_people >= 5:
            reached = "common_goal"
            why = f"{weekly_regulars} 人在近4周里至少3周发言，{checkin_people} 人参与打卡"
            why_en = (f"{weekly_regulars} people wrote in at least 3 of the last 4 weeks, "
                      f"{checkin_people} took part in check-ins")
            if answered_authors >= max(5, int(0.2 * max(totals["active_30d"], 1))):
                reached = "innovating"
                why = f"近4周 {answered_authors} 位成员发的内容得到他人回复"
                why_en = (f"{answered_authors} members got replies from others to what they "
                          "wrote in the last 4 weeks")
                if moderators >= 1 and inviters >= 3:
                    reached = "roles"
                    why = f"{moderators} 位管理者在处理违规，{inviters} 位成员在拉新"
                    why_en = (f"{moderators} moderators handle violations, {inviters} members "
                              "bring in new people")
    return {"stage": reached, "stage_name": STAGES[reached], "stage_reason": why,
            "stage_reason_en": why_en, "note": NOTE, "note_en": NOTE_EN}


def agree(stage_out: dict[str, Any], dying_out: dict[str, Any]) -> dict[str, Any]:
    """The stage and the dying warning describe the same group (issue 11): a group is in
    decline (热寂, the playbook's "heat death") while its own trend says so — the warning is
    on, or would be for an imported history that is not warned beside a live group
    (`history_warning`) — or when its last four weeks are under a fifth of its best four
    (`down_from_peak` ≥ `COLLAPSED`), however steady it is since: 「不断创新」 beside 「比高峰期
    少了 87%」 read as a contradiction (issue 11 walk13). The stage its last four weeks still
    show is kept as `stage_reached` and named in the reason."""
    if stage_out.get("stage") is None:
        return stage_out
    drop = float(dying_out.get("down_from_peak") or 0.0)
    if dying_out.get("warning"):
        why = "活跃度在下降（见热寂预警）"
        why_en = "activity is falling away (see the dying warning)"
    elif dying_out.get("history_warning"):
        why, why_en = ("活跃度在下降（导入的历史记录，不作预警）",
                       "activity is falling away (imported history, not warned)")
    elif drop >= COLLAPSED:
        why = f"近4周消息比高峰期少了 {drop:.0%}"
        why_en = f"the last 4 weeks had {drop:.0%} fewer messages than the peak"
    else:
        return stage_out
    reached = str(stage_out["stage"])
    return {**stage_out, "stage": "declining", "stage_name": STAGES["declining"],
            "stage_reached": reached,
            "stage_reason": (f"{why}；近4周仍有的表现："
                             f"{STAGES[reached]}——{stage_out['stage_reason']}"),
            "stage_reason_en": (f"{why_en}; the last 4 weeks still show "
                                f"{reached.replace('_', ' ')}: {stage_out['stage_reason_en']}")}


def dying(log: EventLog, health: dict[str, Any], cfg: Health,
          history: list[int] | None = None, scope: Scope | None = None) -> dict[str, Any]:
    """Early warning: decay of weekly messages, from the peak and projected to the floor.

    `history` is every week's message count (oldest first). A group is flagged while it
    still has time: when the last 8 weeks' trend crosses the plan's floor within 90 days,
    or when it has lost half its peak activity and is still falling.

    With `scope`, the trend is the scope's own series (`own_weekly_messages`: whole days
    ending with its last message, today left out while it is going) and the projection
    starts from that day, so another group's activity, or this morning's, never moves this
    group's date (issue 11); silence is judged apart, from the day of its last message.
    """
    weeks: list[int] = health["weekly_messages"]
    anchor = log.today
    silent_days = 0
    quiet = weeks[-1] == 0
    spoke_today = False  # messages only in today's partial day still count as activity
    if scope is not None and scope.messages.height:
        last_day: date = scope.messages["day"].max()  # type: ignore[assignment]
        silent_days = (log.today - last_day).days
        quiet = silent_days >= 7
        spoke_today = silent_days == 0
        weeks, anchor = own_weekly_messages(log, scope, TREND_WEEKS)
    floor_week = cfg.floor_messages_per_day * 7
    out: dict[str, Any] = {"warning": False, "reason": "活跃度平稳", "projected_below_floor": None,
                           "weekly_change": None, "down_from_peak": None,
                           "trend_weeks": TREND_WEEKS, "silent_days": None}
    if scope is not None and scope.events.height and \
            log.as_of_ms - int(scope.events["ts_ms"].min()) < YOUNG_DAYS * DAY_MS:  # type: ignore[arg-type]
        # A group days old has no trend yet: two weeks of messages divided over a day of
        # life read as "below the floor" and called a new group dying (issue 11).
        out.update(young=True, reason=f"记录不足 {YOUNG_DAYS} 天，还不能判断活跃趋势")
        return out
    if quiet and sum(weeks) > 0:
        out.update(warning=True, silent_days=max(silent_days, 7),
                   reason="最近7天没有任何消息：群已沉寂（热寂）")
        return out
    if sum(weeks[-2:]) < 2 * floor_week and (sum(weeks) > 0 or spoke_today):
        out.update(warning=True, reason=(
            f"近两周日均 {sum(weeks[-2:]) / 14:.1f} 条，已低于计划下限 "
            f"{cfg.floor_messages_per_day:g} 条/天"), below_floor_per_day=round(
                sum(weeks[-2:]) / 14, 1))
        return out
    # Log-linear fit of the last 8 weeks: a steady percentage decline is how groups die.
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
    soon = weeks_left * 7 <= 90
    if soon or drop >= 0.5:
        parts = []
        if drop >= 0.5:
            parts.append(f"近4周消息比高峰期少了 {drop:.0%}")
        parts.append(f"按本群近 {TREND_WEEKS} 周的消息趋势（每周约 {math.exp(slope) - 1:+.0%}）"
                     f"推算，约在 {when.isoformat()} 跌破计划下限 "
                     f"{cfg.floor_messages_per_day:g} 条/天")
        out.update(warning=True, reason="，".join(parts))
    return out

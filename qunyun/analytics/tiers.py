"""T1 six tiers, T5 core-user measures and the T2 tier to-do list, per member.

Thresholds come from the plan's `tiers` section (defaults documented in the README):
- opinion leader / co-opinion leader: GrimoireLab's onion over the trailing window —
  rank members by messages; those who together write the first 80% are the core
  (opinion leaders), up to 95% the regulars (co-opinion leaders). Both must also meet
  the "active" bar so a burst on one day does not make a leader.
- spreader: brought at least `spreader_min_invites` members (all time, T5/G2).
- active: `active_min_messages` messages on `active_min_days` distinct days (Discourse-
  style "days visited" rather than raw volume).
- participant: at least `participant_min_messages` message in the window.
- onlooker: in the group, silent in the window.
The window is a trailing one (default 30 days) rather than Orbit's monthly decay: an
operator can check "20 messages on 4 days in the last 30 days" by hand; a decayed score
cannot be explained in a sentence. "The last 30 days" is the last 30 calendar days in the
community's time zone, today included (`domain.periods.trailing_days`): a member who spoke
every day has 30 active days, never 31 (a 30×24 h span touches 31 local days).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

import polars as pl

from qunyun.analytics.chatter import counted_messages
from qunyun.analytics.log import EventLog
from qunyun.domain.periods import trailing_days
from qunyun.plan.model import Plan, Tiers
from qunyun.policies.chatter import Chatter

TIERS = ("opinion_leader", "co_opinion_leader", "spreader", "active", "participant", "onlooker")
TIER_NAMES = {
    "opinion_leader": "意见领袖",
    "co_opinion_leader": "副意见领袖",
    "spreader": "传播者",
    "active": "活跃者",
    "participant": "参与者",
    "onlooker": "旁观者",
}
# The English console's names and actions (the report itself is Chinese).
TIER_NAMES_EN = {
    "opinion_leader": "opinion leader",
    "co_opinion_leader": "co-opinion leader",
    "spreader": "spreader",
    "active": "active member",
    "participant": "participant",
    "onlooker": "onlooker",
}
# T2: what the seeds prescribe for each tier (seed 002/003), as the operator's next step.
TIER_ACTIONS = {
    "opinion_leader": "私下维护关系，邀请共同策划话题与活动，给予管理或嘉宾身份",
    "co_opinion_leader": "公开认可其分享，邀请输出干货、担任志愿者或小组长",
    "spreader": "公开表扬并给予特权与邀请奖励，鼓励继续拉新",
    "active": "邀请成为社群大使，组织或主持线下活动",
    "participant": "一对一私聊，了解需求，引导参与话题和打卡",
    "onlooker": "安抚与关怀：私信欢迎、推送有价值内容、邀请自我介绍",
}
TIER_ACTIONS_EN = {
    "opinion_leader": ("keep in touch privately, invite them to co-plan topics and events, "
                       "give them a moderator or guest role"),
    "co_opinion_leader": ("thank them publicly for what they share, invite them to write "
                          "guides, volunteer or lead a small group"),
    "spreader": "praise them publicly, give privileges and invite rewards, encourage more invites",
    "active": "invite them to be community ambassadors, to organise or host offline events",
    "participant": "talk one to one, learn what they need, draw them into topics and check-ins",
    "onlooker": ("reassure and care: a welcome DM, send useful content, invite them to "
                 "introduce themselves"),
}


def member_stats(log: EventLog, window_days: int, chatter: Chatter | None = None
                 ) -> pl.DataFrame:
    """One row per member with every number a tier or a core measure is based on. With
    `chatter` (the plan's rule of what is 发言), commands to the bot and check-ins are
    not messages here, as they earn no 发言 points in the bot."""
    msgs = counted_messages(log, chatter)
    # The last `window_days` local calendar days, today included (the log ends at as_of).
    first_day = trailing_days(log.today, window_days)[0]
    # Lazy, so only the columns each aggregation reads are touched: an eager filter of
    # the log copies every column of ten million rows first.
    authored = msgs.lazy().select("member_id", "ts_ms", "day").group_by("member_id").agg(
        messages=pl.len(),
        window_messages=(pl.col("day") >= first_day).sum(),
        active_days=pl.col("day").filter(pl.col("day") >= first_day).n_unique(),
        last_message_ms=pl.col("ts_ms").max(),
        first_message_ms=pl.col("ts_ms").min(),
    ).collect(engine="streaming")
    seen = log.events.lazy().select("member_id", "ts_ms") \
        .filter(pl.col("member_id").is_not_null()).group_by("member_id").agg(
            first_seen_ms=pl.col("ts_ms").min(), last_seen_ms=pl.col("ts_ms").max(),
        ).collect(engine="streaming")

    # T5 "creates content that gets replies/reactions": responses from someone else.
    # `responses` pairs each event referring to a message with that message's author.
    others = log.responses.filter(pl.col("author") != pl.col("member_id"))
    replies = others.filter((pl.col("kind") == "message") & pl.col("member_id").is_not_null()) \
        .group_by("author").agg(replies_received=pl.len())
    reactions = others.filter(pl.col("kind") == "reaction") \
        .group_by("author").agg(reactions_received=pl.len())
    # T5 "brings members": distinct people whose join names this member as the inviter.
    invites = log.events.filter((pl.col("kind") == "join")
                                & pl.col("related_member_id").is_not_null()
                                & (pl.col("related_member_id") != pl.col("member_id"))) \
        .group_by(pl.col("related_member_id").alias("member_id")) \
        .agg(invited=pl.col("member_id").n_unique())
    red = log.events.filter(pl.col("kind") == "redpacket").group_by("member_id") \
        .agg(red_packets=pl.len())

    base = log.members.select("member_id", "name")
    stats = (
        base.join(seen, on="member_id", how="left")
        .join(authored, on="member_id", how="left")
        .join(replies.rename({"author": "member_id"}), on="member_id", how="left")
        .join(reactions.rename({"author": "member_id"}), on="member_id", how="left")
        .join(invites, on="member_id", how="left")
        .join(red, on="member_id", how="left")
        .with_columns(pl.col("messages", "window_messages", "active_days", "replies_received",
                             "reactions_received", "invited", "red_packets").fill_null(0))
    )
    return stats


def _onion(stats: pl.DataFrame) -> pl.DataFrame:
    """Cumulative share of window messages, biggest writers first (GrimoireLab's onion)."""
    total = stats["window_messages"].sum()
    ranked = stats.sort(["window_messages", "member_id"], descending=[True, False])
    if not total:
        return ranked.with_columns(onion=pl.lit(1.0))
    # The share *before* a member is added decides their layer, so the member who crosses
    # 80% is still core (as in GrimoireLab).
    return ranked.with_columns(
        onion=(pl.col("window_messages").cum_sum() - pl.col("window_messages")) / total)


def assign(stats: pl.DataFrame, cfg: Tiers) -> pl.DataFrame:
    active = (pl.col("window_messages") >= cfg.active_min_messages) & (
        pl.col("active_days") >= cfg.active_min_days)
    wrote = pl.col("window_messages") > 0
    core = wrote & active & (pl.col("onion") < cfg.opinion_leader_share)
    regular = wrote & active & (pl.col("onion") < cfg.co_opinion_leader_share)
    tier = (
        pl.when(core).then(pl.lit(TIERS[0]))
        .when(regular).then(pl.lit(TIERS[1]))
        .when(pl.col("invited") >= cfg.spreader_min_invites).then(pl.lit(TIERS[2]))
        .when(active).then(pl.lit(TIERS[3]))
        .when(pl.col("window_messages") >= cfg.participant_min_messages).then(pl.lit(TIERS[4]))
        .otherwise(pl.lit(TIERS[5]))
    )
    return _onion(stats).with_columns(tier=tier)


def reason(row: dict[str, Any], cfg: Tiers, lang: str = "zh") -> str:
    """The numbers that put a member in their tier, in the operator's words."""
    if lang == "en":
        return _reason_en(row, cfg)
    window = f"近{cfg.window_days}天"
    said = f"{window}发言 {row['window_messages']} 条、{row['active_days']} 天有发言"
    tier = row["tier"]
    if tier == "opinion_leader":
        return (f"{said}；与其他头部成员合计贡献前 {cfg.opinion_leader_share:.0%} 的消息"
                f"（其之前累计 {row['onion']:.0%}）")
    if tier == "co_opinion_leader":
        return (f"{said}；位于消息贡献的 {cfg.opinion_leader_share:.0%}–"
                f"{cfg.co_opinion_leader_share:.0%} 层")
    if tier == "spreader":
        return f"邀请了 {row['invited']} 人入群（≥{cfg.spreader_min_invites}）；{said}"
    if tier == "active":
        return (f"{said}（≥{cfg.active_min_messages} 条且 ≥{cfg.active_min_days} 天）")
    if tier == "participant":
        # What was reached first (a promotion from onlooker reads right), then the next bar.
        return (f"{said}，达到参与者标准（≥{cfg.participant_min_messages} 条），"
                f"未达活跃标准（{cfg.active_min_messages} 条 / {cfg.active_min_days} 天）")
    return f"{window}没有发言"


def _reason_en(row: dict[str, Any], cfg: Tiers) -> str:
    window = f"in the last {cfg.window_days} days"
    m, d = int(row["window_messages"]), int(row["active_days"])
    said = (f"{m} message{'' if m == 1 else 's'} on {d} day{'' if d == 1 else 's'} "
            f"{window}")
    tier = row["tier"]
    if tier == "opinion_leader":
        return (f"{said}; with the other top writers, wrote the first "
                f"{cfg.opinion_leader_share:.0%} of the messages ({row['onion']:.0%} before them)")
    if tier == "co_opinion_leader":
        return (f"{said}; in the {cfg.opinion_leader_share:.0%}–"
                f"{cfg.co_opinion_leader_share:.0%} layer of the messages")
    if tier == "spreader":
        return f"brought {row['invited']} members (≥{cfg.spreader_min_invites}); {said}"
    if tier == "active":
        return f"{said} (≥{cfg.active_min_messages} messages on ≥{cfg.active_min_days} days)"
    if tier == "participant":
        return (f"{said}, reached the participant bar (≥{cfg.participant_min_messages} "
                f"messages), below the active bar ({cfg.active_min_messages} messages on "
                f"{cfg.active_min_days} days)")
    return f"no messages {window}"


def relaxed(cfg: Tiers, keep: float = 0.9) -> Tiers:
    """The bar a member must miss to lose a tier (T1 hysteresis, `domain.tier_moves`): every
    minimum count at `keep` of itself, and the onion's layers widened by the same factor."""
    def at_least(n: int) -> int:
        return max(1, math.ceil(n * keep))

    return cfg.model_copy(update={
        "opinion_leader_share": min(1.0, cfg.opinion_leader_share / keep),
        "co_opinion_leader_share": min(1.0, cfg.co_opinion_leader_share / keep),
        "spreader_min_invites": at_least(cfg.spreader_min_invites),
        "active_min_messages": at_least(cfg.active_min_messages),
        "active_min_days": at_least(cfg.active_min_days),
        "participant_min_messages": at_least(cfg.participant_min_messages),
    })


def tier_config(plan: Plan | None) -> Tiers:
    return plan.tiers if plan is not None and plan.tiers is not None else Tiers()


def todo(members: list[dict[str, Any]], limit: int = 200) -> list[dict[str, Any]]:
    """T2: per tier, the prescribed action and the current members it applies to."""
    out = []
    for tier in TIERS:
        subset = [m for m in members if m["tier"] == tier and m["in_community"]]
        subset.sort(key=lambda m: (-m["window_messages"], -m["messages"], m["id"]))
        out.append({
            "tier": tier,
            "tier_name": TIER_NAMES[tier],
            "action": TIER_ACTIONS[tier],
            "action_en": TIER_ACTIONS_EN[tier],
            "count": len(subset),
            "members": [{"id": m["id"], "name": m["name"]} for m in subset[:limit]],
        })
    return out


def without_staff(stats: pl.DataFrame, staff: Collection[int]) -> pl.DataFrame:
    """The members who are tiered: staff (`services.staff.off_growth`) run the group and
    are neither counted nor ranked, so their messages do not shift the onion either."""
    if not staff:
        return stats
    return stats.filter(~pl.col("member_id").is_in(sorted(staff)))


def live(log: EventLog, cfg: Tiers, keep: float = 0.9,
         staff: Collection[int] = (), chatter: Chatter | None = None) -> list[dict[str, Any]]:
    """T1 in the bot: for every current member but staff, the tier the report gives today
    (`strict`), the tier the relaxed bar still grants (`relaxed`, for hysteresis) and the
    numbers behind it. The same `member_stats`, `without_staff` and `assign` as the
    report: one definition."""
    stats = without_staff(member_stats(log, cfg.window_days, chatter), staff)
    strict = assign(stats, cfg)
    loose = assign(stats, relaxed(cfg, keep)).select("member_id", relaxed_tier=pl.col("tier"))
    current = log.memberships.filter(pl.col("active").cast(pl.Boolean)).select("member_id").unique()
    rows = strict.join(loose, on="member_id", how="left").join(current, on="member_id")
    out = []
    for row in rows.sort("member_id").iter_rows(named=True):
        loose_tier = row["relaxed_tier"] or row["tier"]
        # The relaxed bar is never below the strict one (a wider onion can only lift).
        if TIERS.index(loose_tier) > TIERS.index(row["tier"]):
            loose_tier = row["tier"]
        out.append({
            "member_id": int(row["member_id"]), "name": row["name"], "strict": row["tier"],
            "relaxed": loose_tier, "reason": reason(row, cfg),
            "window_messages": int(row["window_messages"]),
            "active_days": int(row["active_days"]), "invited": int(row["invited"]),
            "onion": round(float(row["onion"]), 4),
        })
    return out

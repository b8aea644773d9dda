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
cannot be explained in a sentence.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl

from qunyun.plan.model import Plan, Tiers
from qunyun.policies.chatter import Chatter
from tests.analytics.reference.log import EventLog

TIERS = ("opinion_leader", "co_opinion_leader", "spreader", "active", "participant", "onlooker")
TIER_NAMES = {
    "opinion_leader": "意见领袖",
    "co_opinion_leader": "副意见领袖",
    "spreader": "传播者",
    "active": "活跃者",
    "participant": "参与者",
    "onlooker": "旁观者",
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


def member_stats(log: EventLog, window_days: int, chatter: Chatter | None = None
                 ) -> pl.DataFrame:
    """One row per member with every number a tier or a core measure is based on; with
    `chatter`, only the messages that are 发言 (every text tested, no prefilter)."""
    msgs = log.messages
    if chatter is not None and msgs.height:
        msgs = msgs.filter(pl.Series([chatter.counts(t) for t in msgs["text"].to_list()],
                                     dtype=pl.Boolean))
    # A message someone else recalled (a moderator, the bot: no member) is not the
    # author's participation; the author's own 撤回 is (walk13 finding 54).
    recalls = log.events.filter((pl.col("kind") == "recall") & pl.col("ref_id").is_not_null()) \
        .select("group_id", "ref_id", pl.col("member_id").alias("by"))
    deleted = msgs.join(recalls, left_on=["group_id", "source_event_id"],
                        right_on=["group_id", "ref_id"]) \
        .filter(pl.col("by").is_null() | (pl.col("by") != pl.col("member_id")))
    said = msgs.join(deleted.select("group_id", "member_id", "ts_ms").unique(),
                     on=["group_id", "member_id", "ts_ms"], how="anti")
    first_day = log.today - timedelta(days=window_days - 1)  # 30 local days, today included
    authored = said.group_by("member_id").agg(
        messages=pl.len(),
        window_messages=(pl.col("day") >= first_day).sum(),
        active_days=pl.col("day").filter(pl.col("day") >= first_day).n_unique(),
        last_message_ms=pl.col("ts_ms").max(),
        first_message_ms=pl.col("ts_ms").min(),
    )
    seen = log.events.filter(pl.col("member_id").is_not_null()).group_by("member_id").agg(
        first_seen_ms=pl.col("ts_ms").min(), last_seen_ms=pl.col("ts_ms").max())

    # T5 "creates content that gets replies/reactions": responses from someone else.
    targets = msgs.select("group_id", pl.col("source_event_id").alias("ref_id"),
                          pl.col("member_id").alias("author"))
    replies = msgs.filter(pl.col("ref_id").is_not_null()) \
        .select("group_id", "ref_id", "member_id").join(targets, on=["group_id", "ref_id"]) \
        .filter(pl.col("author") != pl.col("member_id")) \
        .group_by("author").agg(replies_received=pl.len())
    reactions = log.events.filter((pl.col("kind") == "reaction") & pl.col("ref_id").is_not_null()) \
        .select("group_id", "ref_id", "member_id").join(targets, on=["group_id", "ref_id"]) \
        .filter(pl.col("author") != pl.col("member_id")) \
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


def reason(row: dict[str, Any], cfg: Tiers) -> str:
    """The numbers that put a member in their tier, in the operator's words."""
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
        return (f"{said}，达到参与者标准（≥{cfg.participant_min_messages} 条），"
                f"未达活跃标准（{cfg.active_min_messages} 条 / {cfg.active_min_days} 天）")
    return f"{window}没有发言"


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
            "count": len(subset),
            "members": [{"id": m["id"], "name": m["name"]} for m in subset[:limit]],
        })
    return out

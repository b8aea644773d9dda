"""R4 fake-account and spam suspects from history, each with the evidence behind it.

Signals (a suspect has one or more; nothing here removes anyone, the list is for review):
- `join_burst`: joined in a burst (≥ N joins within T seconds in one group) and never spoke;
- `nickname`: the display name matches one of the plan's patterns (RE2, so an operator's
  pattern cannot hang the report);
- `ads`: messages with a link the plan does not allow (`AllowedLinks.forbidden`, the bot's
  rule, asked per message) or the plan's ad keywords (`KeywordSet`, the bot's rule);
- `same_text`: the same text (≥ min_chars) sent by several accounts on one day, making up
  at least half of the member's messages (a spam wave; `COPY_SHARE`);
- `red_packet_first`: first to grab most red packets (a grabbing bot).
Ad keywords are matched in both scripts: each keyword is expanded to its Simplified and
Traditional forms (OpenCC) and the text is matched column-wise, case-insensitively —
folding a million messages one by one would cost more than the rest of the report.
"""

from __future__ import annotations

from typing import Any

import opencc
import polars as pl

from qunyun.domain.patterns import search
from qunyun.plan.links import AllowedLinks
from qunyun.plan.model import Plan
from qunyun.policies.matching import KeywordSet
from tests.analytics.reference.log import EventLog

EXAMPLES = 3  # example texts kept per signal
MAX_SUSPECTS = 500
COPY_SHARE = 0.5  # share of a member's messages that is one shared text


def _variants(keywords: list[str]) -> list[str]:
    s2t, t2s = opencc.OpenCC("s2t"), opencc.OpenCC("t2s")
    out = set()
    for word in keywords:
        if word.strip():
            out.update({word, s2t.convert(word), t2s.convert(word)})
    return sorted(out)


def _short(text: str | None, limit: int = 80) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


def find(log: EventLog, plan: Plan) -> list[dict[str, Any]]:
    signals: dict[int, list[dict[str, Any]]] = {}

    def add(member_id: int, kind: str, label: str, evidence: dict[str, Any]) -> None:
        signals.setdefault(member_id, []).append(
            {"kind": kind, "label": label, "evidence": evidence})

    fake = plan.moderation.fake_accounts
    spoke = log.messages["member_id"].unique()
    for member_id, evidence in join_bursts(log, fake.join_burst_count, fake.join_burst_seconds,
                                           spoke):
        add(member_id, "join_burst", "批量入群且从未发言", evidence)

    for member_id, name in log.members.select("member_id", "name").iter_rows():
        for pattern in fake.nickname_patterns:
            if name and search(pattern, name):
                add(member_id, "nickname", "昵称符合可疑模式", {"name": name, "pattern": pattern})
                break

    ad_words = plan.moderation.ad_keywords.keywords if plan.moderation.ad_keywords.enabled else []
    # The bot's own per-message keyword rule (issue 11: one list, matched one way; the
    # report vectorises it).
    keywords = KeywordSet(ad_words)
    is_ad = pl.col("text").map_elements(
        lambda text: keywords.find(text) is not None, return_dtype=pl.Boolean,
        skip_nulls=True).fill_null(False) if keywords else pl.lit(False)
    if plan.moderation.links.enabled:
        # The bot's own per-message rule, one text at a time (the report vectorises it).
        links = AllowedLinks.of(plan)
        is_ad = is_ad | pl.col("text").map_elements(
            lambda text: links.forbidden(text) is not None, return_dtype=pl.Boolean,
            skip_nulls=True).fill_null(False)
    ads = log.messages.filter(is_ad)
    per_member = ads.group_by("member_id").agg(
        n=pl.len(), examples=pl.col("text").unique(maintain_order=True).head(EXAMPLES))
    for member_id, n, examples in per_member.iter_rows():
        add(member_id, "ads", "发广告/链接/加好友二维码",
            {"messages": n, "examples": [_short(t) for t in examples]})

    repeat = plan.moderation.repeat
    long_texts = log.messages.filter(pl.col("text").str.len_chars() >= repeat.min_chars)
    # A spam wave: the same text from several accounts on one day. A popular question
    # asked by many people over months is not one.
    waves = long_texts.group_by("text", "day").agg(accounts=pl.col("member_id").n_unique()) \
        .filter(pl.col("accounts") >= repeat.accounts)
    totals = log.messages.group_by("member_id").agg(total=pl.len())
    copied = long_texts.join(waves, on=["text", "day"]).group_by("member_id", "text") \
        .agg(n=pl.len(), accounts=pl.col("accounts").max()) \
        .join(totals, on="member_id").filter(pl.col("n") >= COPY_SHARE * pl.col("total"))
    for member_id, text, n, accounts, total in copied.select(
            "member_id", "text", "n", "accounts", "total").iter_rows():
        add(member_id, "same_text", "与多个账号同日发送相同内容，且至少占其发言的一半",
            {"text": _short(text), "accounts": accounts, "messages": n, "of_messages": total})

    packets = log.events.filter((pl.col("kind") == "redpacket") & pl.col("ref_id").is_not_null())
    if packets.height:
        total = packets["ref_id"].n_unique()
        firsts = packets.sort("ts_ms").group_by("ref_id", maintain_order=True).first() \
            .group_by("member_id").len()
        for member_id, n in firsts.filter((pl.col("len") >= 3) & (pl.col("len") >= 0.5 * total)) \
                .iter_rows():
            add(member_id, "red_packet_first", "几乎每个红包都第一个抢到",
                {"first_grabs": n, "red_packets": total})

    names = dict(log.members.select("member_id", "name").iter_rows())
    ranked = sorted(signals.items(), key=lambda item: (-len(item[1]), item[0]))
    out = [
        {"member_id": mid, "name": names.get(mid), "signals": sigs, "score": len(sigs)}
        for mid, sigs in ranked
    ]
    return out[:MAX_SUSPECTS]


def join_bursts(log: EventLog, count: int, seconds: int,
                spoke: pl.Series) -> list[tuple[int, dict[str, Any]]]:
    """Members inside a window of `seconds` holding ≥ `count` joins, who never spoke."""
    joins = log.events.filter(pl.col("kind") == "join").select("group_id", "member_id", "ts_ms") \
        .sort("group_id", "ts_ms") \
        .with_columns(t=pl.from_epoch(pl.col("ts_ms"), time_unit="ms"))
    if joins.height < count:
        return []
    dense = joins.rolling(index_column="t", period=f"{seconds}s", group_by="group_id") \
        .agg(n=pl.len(), ts_ms=pl.col("ts_ms").last()).filter(pl.col("n") >= count)
    # Merge the dense windows into bursts (few rows: a loop over them is fine).
    bursts: dict[int, list[list[int]]] = {}
    for group_id, _t, _n, end in dense.select("group_id", "t", "n", "ts_ms").iter_rows():
        spans = bursts.setdefault(group_id, [])
        start = end - seconds * 1000
        if spans and start <= spans[-1][1]:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    out: list[tuple[int, dict[str, Any]]] = []
    silent = joins.filter(~pl.col("member_id").is_in(spoke.implode()))
    for group_id, spans in bursts.items():
        in_group = silent.filter(pl.col("group_id") == group_id)
        for start, end in spans:
            hit = in_group.filter((pl.col("ts_ms") >= start) & (pl.col("ts_ms") <= end))
            size = joins.filter((pl.col("group_id") == group_id) & (pl.col("ts_ms") >= start)
                                & (pl.col("ts_ms") <= end)).height
            evidence = {"group_id": group_id, "burst_start": log.iso(start),
                        "burst_end": log.iso(end), "joins_in_burst": size,
                        "silent_in_burst": hit.height}
            out.extend((mid, evidence) for mid in hit["member_id"].unique().to_list())
    return out

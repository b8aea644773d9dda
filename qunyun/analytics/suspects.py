"""R4 fake-account and spam suspects from history, each with the evidence behind it.

Signals (a suspect has one or more; nothing here removes anyone, the list is for review):
- `join_burst`: joined in a burst (≥ N joins within T seconds in one group) and never spoke;
- `nickname`: the display name matches one of the plan's patterns (RE2, so an operator's
  pattern cannot hang the report);
- `ads`: messages with a link the plan does not allow (`plan.links`, the bot's rule: each
  link's host and path against `moderation.links.allow`, not the text around it), QR-code/
  add-me phrases or the plan's ad keywords;
- `same_text`: the same text (≥ min_chars) sent by several accounts on one day, making up
  most of the member's messages (a spam wave);
- `red_packet_first`: first to grab most red packets (a grabbing bot).
A message that is one of the plan's own instructions (`plan.instructions`: a command the
bot knows or the plan tells members to type, 「!作业 链接」) is neither an advert nor part
of a spam wave — the same rule the bot moderates by.
Ad keywords are matched in both scripts: each keyword is expanded to its Simplified and
Traditional forms (OpenCC) and the text is matched column-wise, case-insensitively —
folding a million messages one by one would cost more than the rest of the report.
The texts are scanned in chunks of whole local days (`EventLog.text_chunks`), so the
report's memory does not grow with the size of the history's texts.
"""

from __future__ import annotations

import re
from typing import Any

import opencc
import polars as pl

from qunyun.analytics.log import EventLog
from qunyun.domain.patterns import search
from qunyun.plan.instructions import Instructions
from qunyun.plan.links import LINK_LITERALS, AllowedLinks
from qunyun.plan.model import Plan

# Matched against lower-cased text. Links are not here: whether a link is an advert is the
# plan's allow-list rule (`plan.links`), the one the bot moderates by.
QR = r"(?:二维码|二維碼|扫码|掃碼|扫一扫|掃一掃|加微信|加v|加vx|vx|薇信|威信)"
EXAMPLES = 3  # example texts kept per signal
MAX_SUSPECTS = 500
COPY_SHARE = 0.5  # share of a member's messages that is one shared text


# OpenCC's Traditional (s2t) and Simplified (t2s) forms of the default ad keywords
# (`plan.model.KeywordPolicy`), so a report on the defaults does not load OpenCC's
# dictionaries (0.1-0.3 s of a report's start); tests/analytics/test_suspects_variants.py
# holds the table equal to OpenCC's output.
KNOWN_VARIANTS: dict[str, tuple[str, str]] = {
    "加微信": ("加微信", "加微信"), "加V": ("加V", "加V"), "私聊我": ("私聊我", "私聊我"),
    "代理": ("代理", "代理"), "招代理": ("招代理", "招代理"), "兼职日结": ("兼職日結", "兼职日结"),
    "刷单": ("刷單", "刷单"), "返利": ("返利", "返利"), "优惠券": ("優惠券", "优惠券"),
    "免费领取": ("免費領取", "免费领取"), "扫码": ("掃碼", "扫码"), "二维码": ("二維碼", "二维码"),
    "点击链接": ("點擊鏈接", "点击链接"), "低价出售": ("低價出售", "低价出售"),
    "贷款": ("貸款", "贷款"), "博彩": ("博彩", "博彩"),
}


def _variants(keywords: list[str]) -> list[str]:
    out = set()
    converters: tuple[opencc.OpenCC, opencc.OpenCC] | None = None
    for word in keywords:
        if not word.strip():
            continue
        known = KNOWN_VARIANTS.get(word)
        if known is None:
            if converters is None:
                converters = opencc.OpenCC("s2t"), opencc.OpenCC("t2s")
            known = converters[0].convert(word), converters[1].convert(word)
        out.update({word, *known})
    return sorted(out)


AD_WORDS_PER_PATTERN = 400  # keeps each regex far inside Polars' 10 MB compiled limit


def ad_patterns(keywords: list[str]) -> list[str]:
    """The advert regexes besides links: QR talk with the first keywords, then the rest in
    chunks, so no plan's keyword list can exceed the regex engine's size limit (plan
    check bounds the list too; this keeps the report working whatever it is given)."""
    words = [re.escape(w.lower()) for w in _variants(keywords)]
    chunks = [words[i:i + AD_WORDS_PER_PATTERN]
              for i in range(0, len(words), AD_WORDS_PER_PATTERN)] or [[]]
    first = "|".join(p for p in (QR.lower(), "|".join(chunks[0])) if p)
    return [first] + ["|".join(c) for c in chunks[1:]]


# A character outside ASCII that lower-casing changes ("Ä", "İ", the Kelvin sign …): in a
# text with one, the lower-cased text can hold a literal the text itself does not.
CASED_BEYOND_ASCII = r"[\p{Changes_When_Lowercased}--\x00-\x7F]"


def ad_literals(keywords: list[str]) -> list[str]:
    """What at least one of which every match of `ad_patterns(keywords)` contains, lower
    case: the links' literals, the QR phrases and every keyword variant."""
    qr = QR.lower().removeprefix("(?:").removesuffix(")").split("|")
    return sorted({*LINK_LITERALS, *qr, *(w.lower() for w in _variants(keywords))})


def may_match(literals: list[str], column: str = "text") -> pl.Expr:
    """True for every text an advert pattern can match (see `_scan_texts`)."""
    return (pl.col(column).str.contains_any(literals, ascii_case_insensitive=True)
            | pl.col(column).str.contains(CASED_BEYOND_ASCII)).fill_null(False)


def advert(patterns: list[str], links: AllowedLinks | None) -> pl.Expr:
    """True for a text an advert pattern matches or holding a link `links` forbids."""
    lowered = pl.col("text").str.to_lowercase()
    is_ad = pl.lit(False)
    for pattern in patterns:  # several, so no keyword list outgrows the regex size limit
        is_ad = is_ad | lowered.str.contains(pattern).fill_null(False)
    return is_ad if links is None else is_ad | links.forbidden_expr()


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
    links = AllowedLinks.of(plan) if plan.moderation.links.enabled else None
    ads, copies = _scan_texts(log, ad_patterns(ad_words), links, plan.moderation.repeat,
                              literals=ad_literals(ad_words),
                              instructions=Instructions.of(plan))
    for member_id, n, examples in ads.iter_rows():
        add(member_id, "ads", "发广告/链接/加好友二维码",
            {"messages": n, "examples": [_short(t) for t in examples]})

    totals = log.messages.lazy().select("member_id").group_by("member_id") \
        .agg(total=pl.len()).collect(engine="streaming")
    copied = copies.join(totals, on="member_id") \
        .filter(pl.col("n") >= COPY_SHARE * pl.col("total")).sort("member_id", "text")
    for member_id, text, n, accounts, total in copied.select(
            "member_id", "text", "n", "accounts", "total").iter_rows():
        add(member_id, "same_text", "与多个账号同日发送相同内容，且占其发言的大部分",
            {"text": _short(text), "accounts": accounts, "messages": n, "of_messages": total})

    packets = log.packets
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


def _without_instructions(chunk: pl.DataFrame, instructions: Instructions) -> pl.DataFrame:
    """The chunk without the messages that are the plan's own instructions. Only texts
    that start with a command prefix (one vectorised test) are parsed, one by one, with
    the bot's own parser: few messages are commands."""
    if not instructions.prefixes:
        return chunk
    head = pl.col("text").str.strip_chars_start()
    led = chunk.filter(pl.any_horizontal(head.str.starts_with(p).fill_null(False)
                                         for p in instructions.prefixes))
    if not led.height:
        return chunk
    told = [row_id for row_id, text in led.select("id", "text").iter_rows()
            if instructions.is_instruction(text)]
    return chunk.filter(~pl.col("id").is_in(told)) if told else chunk


def _scan_texts(log: EventLog, patterns: list[str], links: AllowedLinks | None,
                repeat: Any, literals: list[str] | None = None,
                instructions: Instructions | None = None,
                ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Adverts and spam waves over every text, one chunk of whole days at a time.

    Returns (member_id, n, examples) for adverts — examples are the member's first ones
    in log order — and (member_id, text, n, accounts) for texts a member sent inside a
    wave: the same text (≥ min_chars) from ≥ `repeat.accounts` accounts on one day. A wave
    lies within one day, so each chunk finds its own; counts add up across chunks.
    A text with a link `links` forbids is an advert too (None: links are not judged).
    The plan's `instructions` are left out of both before anything is counted.
    """
    is_ad = advert(patterns, links)
    # Lower-casing every text and running the regexes is most of the scan; a text holding
    # none of the literals every match contains (ASCII letters in any case) and no
    # character beyond ASCII that lower-casing changes cannot match, so only the texts
    # that pass this one multi-literal search (Aho-Corasick) are lower-cased and matched.
    candidate = pl.lit(True) if literals is None else may_match(literals)
    # Texts kept across chunks (a few examples, the texts of waves) are cast to a
    # categorical: a string column taken from a chunk would keep the chunk's whole text
    # buffer alive; the categorical holds each distinct text once. Running totals are
    # merged after every chunk, so they hold one row per (member, text), not per chunk.
    owned = pl.col("text").cast(pl.Categorical)
    counts = pl.DataFrame(schema={"member_id": pl.Int32, "n": pl.UInt32})
    heads = pl.DataFrame(schema={"id": pl.Int64, "member_id": pl.Int32,
                                 "text": pl.Categorical})
    copies = pl.DataFrame(schema={"member_id": pl.Int32, "text": pl.Categorical,
                                  "n": pl.UInt32, "accounts": pl.UInt32})
    for chunk in log.text_chunks():
        if instructions is not None:
            chunk = _without_instructions(chunk, instructions)
        ads = chunk.filter(candidate).filter(is_ad)
        counts = pl.concat([counts, ads.group_by("member_id").agg(n=pl.len())]) \
            .group_by("member_id").agg(pl.col("n").sum())
        heads = pl.concat([heads, ads.select("id", "member_id", owned)]).sort("id") \
            .group_by("member_id", maintain_order=True).head(EXAMPLES) \
            .select("id", "member_id", "text")
        long_texts = chunk.filter(pl.col("text").str.len_chars() >= repeat.min_chars) \
            .select("member_id", "text", "day")
        # A spam wave: the same text from several accounts on one day. A popular question
        # asked by many people over months is not one.
        waves = long_texts.group_by("text", "day").agg(accounts=pl.col("member_id").n_unique()) \
            .filter(pl.col("accounts") >= repeat.accounts)
        found = long_texts.join(waves, on=["text", "day"]).group_by("member_id", "text") \
            .agg(n=pl.len(), accounts=pl.col("accounts").max()).with_columns(owned)
        copies = pl.concat([copies, found]).group_by("member_id", "text") \
            .agg(pl.col("n").sum(), pl.col("accounts").max())
    examples = heads.sort("id").group_by("member_id", maintain_order=True) \
        .agg(examples=pl.col("text").cast(pl.String).head(EXAMPLES))
    ads = counts.join(examples, on="member_id").select("member_id", "n", "examples") \
        .sort("member_id")
    copied = copies.with_columns(pl.col("text").cast(pl.String))
    return ads, copied

"""R4 fake-account and spam suspects from history, each with the evidence behind it.

Signals (a suspect has one or more; nothing here removes anyone, the list is for review):
- `join_burst`: joined in a burst (≥ N joins within T seconds in one group) and never spoke;
- `nickname`: the display name matches one of the plan's patterns (RE2, so an operator's
  pattern cannot hang the report);
- `ads`: messages with a link the plan does not allow (`plan.links`, the bot's rule: each
  link's host and path against `moderation.links.allow`, not the text around it) or one of
  the plan's ad keywords (`moderation.ad_keywords`, the bot's list — its defaults hold the
  add-me and QR-code phrases, 二维码 / 扫码 / VX / 薇信 …; the report has none of its own);
- `same_text`: the same text (≥ min_chars) sent by several accounts on one day, making up
  at least half of the member's messages (a spam wave; `COPY_SHARE`);
- `red_packet_first`: first to grab most red packets (a grabbing bot).
A message that is one of the plan's own instructions (`plan.instructions`: a command the
bot knows or the plan tells members to type, 「!作业 链接」) is neither an advert nor part
of a spam wave — the same rule the bot moderates by.
Ad keywords are matched as the bot matches them (`policies.matching.squeeze`): in the text
without white space and punctuation (「加 微-信」), NFKC-folded (ＶＸ), lower case, in both
scripts (each keyword also in its Traditional form, OpenCC) — column-wise: folding a
million messages one by one would cost more than the rest of the report. Admins are judged
as the bot judges them: `rules.admins_exempt` leaves their messages out, a rule's own
`admins_exempt` (links, ad keywords, repeats) leaves them out of that rule (tests/
analytics/test_suspects_keywords.py holds the bot's and the report's verdicts equal).
The texts are scanned in chunks of whole local days (`EventLog.text_chunks`), so the
report's memory does not grow with the size of the history's texts.
"""

from __future__ import annotations

import re
from typing import Any

import opencc
import polars as pl

from qunyun.analytics.log import EventLog
from qunyun.domain.links import LINK_LITERALS
from qunyun.domain.patterns import search
from qunyun.plan.instructions import Instructions
from qunyun.plan.links import AllowedLinks
from qunyun.plan.model import Plan

EXAMPLES = 3  # example texts kept per signal
MAX_SUSPECTS = 500
COPY_SHARE = 0.5  # share of a member's messages that is one shared text

# What `policies.matching.squeeze` removes before the bot looks for a keyword (「加 微-信」
# reads 加微信): white space, punctuation, symbols, underscores.
NOISE = r"[\W_]+"
# Characters NFKC or lower-casing fold in chat: letters beyond ASCII that lower-casing
# changes ("Ä", the Kelvin sign), full-width letters and digits (ＶＸ, ｖｘ８), letter-like
# and enclosed alphanumerics, CJK compatibility forms (full-width punctuation, which every
# Chinese text holds, is noise and left out).
FOLDED_BEYOND_ASCII = (r"[\p{Changes_When_Lowercased}--\x00-\x7F]"
                       r"|[\x{2100}-\x{214F}\x{2460}-\x{24FF}\x{3250}-\x{33FF}"
                       r"\x{F900}-\x{FAFF}\x{FF10}-\x{FF19}\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A}"
                       r"\x{1D400}-\x{1D7FF}]")
# Every character `NOISE` matches is outside Han and ASCII letters and digits: this class
# holds at least every gap the bot reads past, in a far smaller regex than `NOISE`'s.
_GAP = r"[^\p{Han}A-Za-z0-9]+"
GROUPS_PER_PATTERN = 2_000  # keeps each regex far inside Polars' compiled-size limit


# The bot's form (`squeeze`: Simplified, NFKC, case-folded, no noise) and OpenCC's
# Traditional form of it, for the default ad keywords (`plan.model.KeywordPolicy`), so a
# report on the defaults does not load OpenCC's dictionaries (0.1-0.3 s of a report's
# start); tests/analytics/test_suspects_variants.py holds the table equal to OpenCC's.
KNOWN_VARIANTS: dict[str, tuple[str, str]] = {
    "加微信": ("加微信", "加微信"), "加V": ("加v", "加v"), "加VX": ("加vx", "加vx"),
    "VX": ("vx", "vx"), "薇信": ("薇信", "薇信"), "威信": ("威信", "威信"),
    "私聊我": ("私聊我", "私聊我"), "代理": ("代理", "代理"), "招代理": ("招代理", "招代理"),
    "兼职日结": ("兼职日结", "兼職日結"), "刷单": ("刷单", "刷單"), "返利": ("返利", "返利"),
    "优惠券": ("优惠券", "優惠券"), "免费领取": ("免费领取", "免費領取"), "扫码": ("扫码", "掃碼"),
    "扫一扫": ("扫一扫", "掃一掃"), "二维码": ("二维码", "二維碼"),
    "点击链接": ("点击链接", "點擊鏈接"), "低价出售": ("低价出售", "低價出售"),
    "贷款": ("贷款", "貸款"), "博彩": ("博彩", "博彩"),
}


def ad_words(keywords: list[str]) -> list[str]:
    """What the report looks for in a squeezed, folded text: each keyword as the bot
    matches it (`policies.matching.squeeze`) and its Traditional form, lower case. The
    plan's ad keywords are the one list; the report has no advert phrases of its own."""
    out: set[str] = set()
    s2t = None
    for word in keywords:
        known = KNOWN_VARIANTS.get(word)
        if known is None:
            from qunyun.policies.matching import squeeze

            if s2t is None:
                s2t = opencc.OpenCC("s2t")
            folded = squeeze(word)
            known = (folded, s2t.convert(folded))
        out.update(w.lower() for w in known if w)
    return sorted(out)


def _squeezed(column: str = "text") -> pl.Expr:
    return pl.col(column).str.replace_all(NOISE, "")


def _chars(chars: set[str]) -> str:
    """A regex class of `chars`, each ASCII letter in both cases."""
    both = {c for ch in chars for c in ({ch.lower(), ch.upper()} if ch.isascii() else {ch})}
    return "[" + "".join(re.escape(c) for c in sorted(both)) + "]"


def _gapped(words: list[str]) -> list[str]:
    """Regexes for two neighbouring characters of a keyword with noise between them
    (「加 微」, 「V-X」): a text the bot reads a keyword in, but that does not hold it as
    written, holds one of these (or a character folding changes). Grouped by the first
    character, and with `_GAP` for the noise, so a plan's whole list fits one regex."""
    after: dict[str, set[str]] = {}
    for w in words:
        for k in range(len(w) - 1):
            after.setdefault(w[k], set()).add(w[k + 1])
    groups = [f"{_chars({first})}{_GAP}{_chars(nexts)}"
              for first, nexts in sorted(after.items())]
    return ["|".join(groups[k:k + GROUPS_PER_PATTERN])
            for k in range(0, len(groups), GROUPS_PER_PATTERN)]


def may_match(words: list[str], column: str = "text") -> pl.Expr:
    """True for every text `advert` can find an advert in — a cheap pass over the raw text
    (no text is copied), so only these few are squeezed and folded: the text holds a
    link's literal, a keyword as written (ASCII case aside), two neighbouring characters of
    one with noise between (`_gapped`) or a character folding changes."""
    raw = pl.col(column)
    # One multi-literal search (Aho-Corasick), then as few regex passes as there are.
    maybe = raw.str.contains_any(sorted({*LINK_LITERALS, *words}), ascii_case_insensitive=True)
    if words:
        gapped = _gapped(words)
        for pattern in [f"{FOLDED_BEYOND_ASCII}|{p}" for p in gapped[:1]] + gapped[1:] \
                or [FOLDED_BEYOND_ASCII]:
            maybe = maybe | raw.str.contains(pattern)
    return maybe.fill_null(False)


def _exempt(expr: pl.Expr, members: frozenset[int]) -> pl.Expr:
    return expr & ~pl.col("member_id").is_in(sorted(members)) if members else expr


def advert(words: list[str], links: AllowedLinks | None, *,
           keywords_exempt: frozenset[int] = frozenset(),
           links_exempt: frozenset[int] = frozenset()) -> pl.Expr:
    """True for a text holding an ad keyword (matched as the bot does: the text squeezed,
    NFKC-folded, lower case) or a link `links` forbids — except where the sender is one
    the plan exempts from that rule (`*_exempt`: admins under `admins_exempt`)."""
    is_ad = pl.lit(False)
    if words:
        folded = _squeezed().str.normalize("NFKC").str.to_lowercase()
        is_ad = _exempt(folded.str.contains_any(words).fill_null(False), keywords_exempt)
    if links is None:
        return is_ad
    return is_ad | _exempt(links.forbidden_expr(), links_exempt)


def _short(text: str | None, limit: int = 80) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


def find(log: EventLog, plan: Plan, admins: frozenset[int] = frozenset()
         ) -> list[dict[str, Any]]:
    """The suspects; `admins` (member ids, `services.staff.admins`) are judged as the bot
    judges them under the plan's `admins_exempt` switches."""
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

    m = plan.moderation
    words = ad_words(m.ad_keywords.keywords) if m.ad_keywords.enabled else []
    links = AllowedLinks.of(plan) if m.links.enabled else None
    # R3 as the bot applies it: `rules.admins_exempt` spares admins every rule; a rule's
    # own `admins_exempt` spares them that rule.
    everything = admins if plan.rules and plan.rules.admins_exempt else frozenset()
    is_ad = advert(words, links,
                   keywords_exempt=admins if m.ad_keywords.admins_exempt else frozenset(),
                   links_exempt=admins if m.links.admins_exempt else frozenset())
    ads, copies = _scan_texts(log, is_ad, m.repeat, candidate=may_match(words),
                              instructions=Instructions.of(plan),
                              exempt=everything | (admins if m.repeat.admins_exempt
                                                   else frozenset()),
                              exempt_all=everything)
    for member_id, n, examples in ads.iter_rows():
        add(member_id, "ads", "发广告/链接/加好友二维码",
            {"messages": n, "examples": [_short(t) for t in examples]})

    totals = log.messages.lazy().select("member_id").group_by("member_id") \
        .agg(total=pl.len()).collect(engine="streaming")
    copied = copies.join(totals, on="member_id") \
        .filter(pl.col("n") >= COPY_SHARE * pl.col("total")).sort("member_id", "text")
    for member_id, text, n, accounts, total in copied.select(
            "member_id", "text", "n", "accounts", "total").iter_rows():
        add(member_id, "same_text", "与多个账号同日发送相同内容，且至少占其发言的一半",
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


def _scan_texts(log: EventLog, is_ad: pl.Expr, repeat: Any, *,
                candidate: pl.Expr | None = None, instructions: Instructions | None = None,
                exempt: frozenset[int] = frozenset(), exempt_all: frozenset[int] = frozenset(),
                ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Adverts and spam waves over every text, one chunk of whole days at a time.

    Returns (member_id, n, examples) for adverts — examples are the member's first
    distinct ones in log order — and (member_id, text, n, accounts) for texts a member sent inside a
    wave: the same text (≥ min_chars) from ≥ `repeat.accounts` accounts on one day. A wave
    lies within one day, so each chunk finds its own; counts add up across chunks.
    `is_ad` is `advert(…)`; `candidate` (`may_match(…)`) passes at least every text it
    is true for. The plan's `instructions` are left out of both before anything is
    counted; `exempt_all` members' texts are left out of both, `exempt` ones' of waves.
    """
    # Lower-casing every text and running the regexes is most of the scan; a text holding
    # none of the literals every match contains (ASCII letters in any case) and no
    # character beyond ASCII that lower-casing changes cannot match, so only the texts
    # that pass this one multi-literal search (Aho-Corasick) are lower-cased and matched.
    candidate = pl.lit(True) if candidate is None else candidate
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
        if exempt_all:
            chunk = chunk.filter(~pl.col("member_id").is_in(sorted(exempt_all)))
        ads = chunk.filter(candidate).filter(is_ad)
        counts = pl.concat([counts, ads.group_by("member_id").agg(n=pl.len())]) \
            .group_by("member_id").agg(pl.col("n").sum())
        # Distinct examples (issue 11 walk 38): the same advert posted twice is one.
        heads = pl.concat([heads, ads.select("id", "member_id", owned)]).sort("id") \
            .unique(["member_id", "text"], keep="first", maintain_order=True) \
            .group_by("member_id", maintain_order=True).head(EXAMPLES) \
            .select("id", "member_id", "text")
        waved = chunk.filter(~pl.col("member_id").is_in(sorted(exempt))) if exempt else chunk
        long_texts = waved.filter(pl.col("text").str.len_chars() >= repeat.min_chars) \
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

"""The log's messages that are not 发言 (`policies.chatter`): commands to the bot and
check-ins, left out of the member numbers (tiers, 近30天消息, 全部消息) as the bot leaves
them out of 发言 points (issue 11 walk13 finding 26).

The texts are not in the frames, so one SQL prefilter reads only the messages that start
with a command prefix or hold a check-in keyword (Simplified or Traditional); the rule
itself runs on those few, one by one, with the bot's own parser and keyword folding.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import polars as pl

from qunyun.analytics.log import EventLog
from qunyun.policies.chatter import Chatter
from qunyun.storage.events import frames

KEYS = ("group_id", "member_id", "ts_ms")


@cache
def _traditional(word: str) -> str:
    """`word` in Traditional script. OpenCC's Simplified-to-Traditional dictionaries take
    ~40 ms to load: loaded only by a plan with check-in keywords (issue 12)."""
    return str(_s2t().convert(word))


@cache
def _s2t() -> Any:
    import opencc

    return opencc.OpenCC("s2t")


def uncounted(log: EventLog, chatter: Chatter) -> pl.DataFrame:
    """(group_id, member_id, ts_ms) of every authored message that is not 发言."""
    empty = pl.DataFrame(schema={"group_id": pl.Int32, "member_id": pl.Int32,
                                 "ts_ms": pl.Int64})
    if log.reader is None or log.messages.height == 0:
        return empty
    words = list(dict.fromkeys(
        w for word in chatter.checkin_words for w in (word, _traditional(word))))
    found = frames.led_or_holding(log.reader, community_id=log.community_id,
                                  prefixes=chatter.instructions.prefixes, words=words,
                                  until_ms=log.as_of_ms)
    if not found.height:
        return empty
    said = pl.Series([chatter.counts(text) for text in found["text"].to_list()],
                     dtype=pl.Boolean)
    return found.filter(~said).select(*KEYS).unique()


def counted_messages(log: EventLog, chatter: Chatter | None) -> pl.DataFrame:
    """`log.messages` without the ones that are not 发言: a message someone else deleted
    (an advert a moderator or the bot recalled: not participation, walk13 finding 54; the
    author's own 撤回 still means they spoke) and, with `chatter`, commands and check-ins.
    Matched on (group, author, ms): a member's command and a real message in the same
    millisecond would both go, which a person typing does not do."""
    msgs = log.messages
    if log.recalled is not None and log.recalled.height:
        msgs = msgs.join(log.recalled.select(
            pl.col("group_id").cast(msgs["group_id"].dtype),
            pl.col("member_id").cast(msgs["member_id"].dtype), "ts_ms"),
            on=list(KEYS), how="anti", maintain_order="left")
    if chatter is None:
        return msgs
    skip = uncounted(log, chatter)
    if not skip.height:
        return msgs
    return msgs.join(skip, on=list(KEYS), how="anti", maintain_order="left")

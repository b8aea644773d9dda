"""The event log as Polars frames, prepared once for every analysis of one report.

`EventLog.load` reads a community's log column-wise (`qunyun.storage.events.frames`) and
adds the local calendar columns every analysis needs (day, ISO week, hour, weekday in the
report's time zone). Everything downstream is columnar: no Python loop runs over events.

What is held in memory is chosen by what the sections need, so the frames of a log of
ten million events take a few hundred megabytes (the report's peak is higher: see
BENCHMARKS.md):
- `events` / `messages`: every event, but only its small columns (no text, no reply ids);
  `kind` as a categorical; `events` is the messages followed by the other events, each
  kind in log order, sharing the messages' buffers;
- `responses`: one row per event that refers to an authored message (a reply, a
  reaction…) and that message's author, resolved while the log is read, so no message id
  (a string) of the whole history is held after the load; `packets`: the red-packet
  grabs with the packet's id;
- `recent`: the last `RECENT_DAYS` of messages with their texts and ids (the lifecycle
  stage reads check-ins and answered posts over eight weeks);
- the texts of the whole history are read only in chunks of whole local days
  (`text_chunks`), for the sections that scan them (adverts, spam waves).
The log is read through one `frames.Reader`, open for as long as the report is built.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from qunyun.storage.events import frames

DAY_MS = 86_400_000
RECENT_DAYS = 56  # the longest look-back over texts and reply ids (health.stage: 8 weeks)
CHUNK_IDS = 500_000  # event ids per read of the compact log
TEXT_CHUNK_ROWS = 100_000  # messages per chunk of texts (whole days; one big day is one chunk)


@dataclass
class EventLog:
    events: pl.DataFrame  # group_id, member_id, kind, ts_ms, related_member_id + calendar:
    #                       day (Date), week (Date, Monday), hour, weekday (1=Mon)
    messages: pl.DataFrame  # events of kind "message" with an author
    responses: pl.DataFrame  # kind, member_id, author: an event referring to an authored
    #                          message (one row per message it matches) and its author
    packets: pl.DataFrame  # member_id, ts_ms, ref_id: red-packet grabs (ref_id: the packet)
    recent: pl.DataFrame  # messages of the last RECENT_DAYS, calendar, text, ref_id,
    #                       source_event_id
    members: pl.DataFrame  # member_id, name, first_seen_ms, last_seen_ms
    memberships: pl.DataFrame  # group_id, member_id, joined_ms, left_ms, active
    groups: pl.DataFrame  # group_id, platform, external_id, name
    identities: pl.DataFrame  # member_id, platform, external_id
    tz: ZoneInfo
    as_of: datetime  # aware; the report describes the community at this moment
    reader: frames.Reader | None = None
    # group_id, member_id, ts_ms of authored messages someone else recalled (a moderator's
    # or the bot's deletion, walk13 #54): not participation.
    recalled: pl.DataFrame | None = None
    community_id: int = 0
    text_chunk_rows: int = TEXT_CHUNK_ROWS

    @property
    def as_of_ms(self) -> int:
        return int(self.as_of.timestamp() * 1000)

    @property
    def today(self) -> date:
        return self.as_of.astimezone(self.tz).date()

    def local_date(self, ts_ms: int) -> date:
        return datetime.fromtimestamp(ts_ms / 1000, tz=UTC).astimezone(self.tz).date()

    def iso(self, ts_ms: int | None) -> str | None:
        if ts_ms is None:
            return None
        return datetime.fromtimestamp(ts_ms / 1000, tz=UTC).astimezone(self.tz).isoformat()

    def since_ms(self, days: int) -> int:
        return self.as_of_ms - days * DAY_MS

    @classmethod
    def load(cls, reader: frames.Reader, *, community_id: int, tz: ZoneInfo,
             as_of: datetime | None = None, chunk_ids: int = CHUNK_IDS,
             text_chunk_rows: int = TEXT_CHUNK_ROWS) -> EventLog:
        until = int(as_of.timestamp() * 1000) if as_of is not None else None
        refs = frames.references(reader, community_id=community_id, until_ms=until)
        # Each distinct (group, referred id) gets an integer code; a chunk's authored
        # messages are matched against the codes as the chunk is read, and only (code,
        # author) pairs are kept. Keeping the matched message ids instead (strings) would
        # keep every chunk's whole Arrow batch alive: at ten million events, ~1 GB.
        codes = refs.select("group_id", "ref_id").drop_nulls().unique() \
            .with_row_index("code")
        refs = refs.join(codes, on=["group_id", "ref_id"], how="left", maintain_order="left")
        parts: list[pl.DataFrame] = []
        message_parts: list[pl.DataFrame] = []
        # Recalls by someone other than the author (a moderator, the bot: no member): the
        # author's own 撤回 (WhatsApp's "This message was deleted") still means they spoke.
        recall_refs = refs.filter(pl.col("kind") == "recall").select(
            "group_id", "ref_id", pl.col("member_id").alias("by")).drop_nulls(["ref_id"])
        recalled_parts: list[pl.DataFrame] = []
        target_parts: list[pl.DataFrame] = []
        authored = (pl.col("kind") == "message") & pl.col("member_id").is_not_null()
        # Each chunk is compacted (and given its calendar) on its own: no step ever holds
        # a second full-size copy of the log.
        for chunk in frames.event_chunks(reader, community_id=community_id, until_ms=until,
                                         chunk_ids=chunk_ids):
            target_parts.append(chunk.filter(authored).select(
                "group_id", pl.col("source_event_id").alias("ref_id"),
                pl.col("member_id").alias("author"), "ts_ms",
            ).join(codes, on=["group_id", "ref_id"]).select("code", "author", "ts_ms"))
            if recall_refs.height:
                recalled_parts.append(chunk.filter(authored).select(
                    "group_id", pl.col("source_event_id").alias("ref_id"), "member_id", "ts_ms",
                ).join(recall_refs, on=["group_id", "ref_id"])
                    .filter(pl.col("by").is_null() | (pl.col("by") != pl.col("member_id")))
                    .select("group_id", "member_id", "ts_ms").unique())
            part = with_calendar(chunk.select(
                "group_id", "member_id", pl.col("kind").cast(pl.Categorical), "ts_ms",
                "related_member_id"), tz)
            del chunk
            message_parts.append(part.filter(authored))
            parts.append(part.filter(~authored))
        # `events` is the authored messages followed by every other event, sharing the
        # messages' buffers with `messages` (a concatenation without rechunking copies
        # nothing). Each kind keeps its log order; no section reads order across kinds.
        empty = with_calendar(pl.DataFrame(
            schema={"group_id": pl.Int32, "member_id": pl.Int32, "kind": pl.Categorical,
                    "ts_ms": pl.Int64, "related_member_id": pl.Int32}), tz)
        messages = pl.concat(message_parts, rechunk=False) if message_parts else empty
        events = pl.concat([*message_parts, *parts], rechunk=False) if parts else empty
        del parts, message_parts
        if as_of is None:
            # An imported history is described as of its last event, not as of today:
            # otherwise every old export would look dead.
            latest = events["ts_ms"].max() if events.height else None
            as_of = (datetime.fromtimestamp(int(latest) / 1000, tz=UTC)  # type: ignore[arg-type]
                     if latest is not None else datetime.now(tz=UTC))
        cutoff = int(as_of.timestamp() * 1000)
        in_time = pl.col("ts_ms") <= cutoff
        if events.height and int(events["ts_ms"].max()) > cutoff:  # type: ignore[arg-type]
            # Only when the float round trip of as_of fell a millisecond short.
            events, messages = events.filter(in_time), messages.filter(in_time)
        del codes
        targets = pl.concat(target_parts) if target_parts else pl.DataFrame(schema={
            "code": pl.UInt32, "author": pl.Int32, "ts_ms": pl.Int64})
        del target_parts
        refs = refs.filter(in_time)
        responses = refs.filter(pl.col("code").is_not_null()).select(
            pl.col("kind").cast(pl.Categorical), "member_id", "code",
        ).join(targets.filter(in_time).drop("ts_ms"), on="code").drop("code")
        packets = refs.filter(pl.col("kind") == "redpacket").select("member_id", "ts_ms",
                                                                    "ref_id")
        del refs, targets
        groups = frames.groups(reader, community_id=community_id)
        since = int(as_of.timestamp() * 1000) - RECENT_DAYS * DAY_MS
        recent = with_calendar(frames.messages_between(
            reader, community_id=community_id, group_ids=groups["group_id"].to_list(),
            start_ms=since + 1, end_ms=cutoff, with_refs=True), tz)
        return cls(
            events=events,
            messages=messages,
            responses=responses,
            packets=packets,
            recent=recent,
            members=frames.members(reader, community_id=community_id),
            memberships=frames.memberships(reader, community_id=community_id),
            groups=groups,
            identities=frames.identities(reader, community_id=community_id),
            tz=tz,
            as_of=as_of,
            reader=reader,
            recalled=pl.concat(recalled_parts) if recalled_parts else None,
            community_id=community_id,
            text_chunk_rows=text_chunk_rows,
        )

    def text_chunks(self) -> Iterator[pl.DataFrame]:
        """Every authored message up to as_of with its text and local `day`, in chunks of
        whole local days (so anything grouped by day is complete within one chunk):
        id, group_id, member_id, ts_ms, text, day."""
        if self.reader is None or self.messages.height == 0:
            return
        days = self.messages.lazy().select("day", "ts_ms").group_by("day").agg(
            n=pl.len(), lo=pl.col("ts_ms").min(), hi=pl.col("ts_ms").max()).sort("day") \
            .collect(engine="streaming")
        group_ids = self.groups["group_id"].to_list()
        start: int | None = None
        rows = 0
        spans: list[tuple[int, int]] = []
        for _day, n, lo, hi in days.iter_rows():
            if start is None:
                start = lo
            rows += n
            if rows >= self.text_chunk_rows:
                spans.append((start, hi))
                start, rows = None, 0
        if start is not None:
            spans.append((start, int(days["hi"][-1])))
        for lo, hi in spans:
            chunk = frames.messages_between(self.reader, community_id=self.community_id,
                                            group_ids=group_ids, start_ms=lo, end_ms=hi)
            yield chunk.with_columns(day=_local(self.tz).dt.date())


def _local(tz: ZoneInfo) -> pl.Expr:
    return pl.from_epoch(pl.col("ts_ms"), time_unit="ms").dt.replace_time_zone("UTC") \
        .dt.convert_time_zone(str(tz))


def with_calendar(events: pl.DataFrame, tz: ZoneInfo) -> pl.DataFrame:
    local = _local(tz)
    return events.with_columns(
        day=local.dt.date(),
        hour=local.dt.hour(),
        weekday=local.dt.weekday(),
    ).with_columns(week=pl.col("day") - pl.duration(days=pl.col("weekday") - 1))


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())

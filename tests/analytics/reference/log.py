"""The event log as Polars frames, prepared once for every analysis of one report.

`EventLog.load` reads a community's events, members, memberships and groups column-wise
(`qunyun.storage.frames`) and adds the local calendar columns every analysis needs
(day, ISO week, hour, weekday in the report's time zone). Everything downstream is
columnar: no Python loop runs over events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import Engine

from qunyun.storage.events import frames

DAY_MS = 86_400_000


@dataclass
class EventLog:
    events: pl.DataFrame  # + local: day (Date), week (Date, Monday), hour, weekday (1=Mon)
    messages: pl.DataFrame  # events of kind "message" with an author
    members: pl.DataFrame  # member_id, name, first_seen_ms, last_seen_ms
    memberships: pl.DataFrame  # group_id, member_id, joined_ms, left_ms, active
    groups: pl.DataFrame  # group_id, platform, external_id, name
    identities: pl.DataFrame  # member_id, platform, external_id
    tz: ZoneInfo
    as_of: datetime  # aware; the report describes the community at this moment

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
    def load(cls, engine: Engine, *, community_id: int, tz: ZoneInfo,
             as_of: datetime | None = None) -> EventLog:
        raw = frames.events(engine, community_id=community_id)
        if as_of is None:
            # An imported history is described as of its last event, not as of today:
            # otherwise every old export would look dead.
            latest = raw["ts_ms"].max() if raw.height else None
            as_of = (datetime.fromtimestamp(int(latest) / 1000, tz=UTC)  # type: ignore[arg-type]
                     if latest is not None else datetime.now(tz=UTC))
        cutoff = int(as_of.timestamp() * 1000)
        events = with_calendar(raw.filter(pl.col("ts_ms") <= cutoff), tz)
        messages = events.filter((pl.col("kind") == "message") & pl.col("member_id").is_not_null())
        return cls(
            events=events,
            messages=messages,
            members=frames.members(engine, community_id=community_id),
            memberships=frames.memberships(engine, community_id=community_id),
            groups=frames.groups(engine, community_id=community_id),
            identities=frames.identities(engine, community_id=community_id),
            tz=tz,
            as_of=as_of,
        )


def with_calendar(events: pl.DataFrame, tz: ZoneInfo) -> pl.DataFrame:
    local = pl.from_epoch(pl.col("ts_ms"), time_unit="ms").dt.replace_time_zone("UTC") \
        .dt.convert_time_zone(str(tz))
    return events.with_columns(
        day=local.dt.date(),
        hour=local.dt.hour(),
        weekday=local.dt.weekday(),
    ).with_columns(week=pl.col("day") - pl.duration(days=pl.col("weekday") - 1))


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())

"""The tier window (T1) is the last 30 calendar days in the community's time zone, today
included: a member who spoke every day has 30 active days in the last 30 days, never 31 —
in the report and in its reference implementation alike (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from qunyun.analytics import build_report
from qunyun.events import Event, MessagePosted
from qunyun.services.importing import import_events
from qunyun.storage.community import communities as community_repo
from tests.analytics import reference
from tests.factories import GROUP, user

ZONE = "Asia/Shanghai"
# Noon local: a 30×24 h span back from here reaches the evening of a 31st local day.
AS_OF = datetime(2026, 6, 30, 12, 0, tzinfo=ZoneInfo(ZONE))


def every_day(days: int) -> list[Event]:
    """One member speaking every morning and every late evening for `days` days up to
    AS_OF (today's evening has not come yet)."""
    events: list[Event] = []
    for back in range(days):
        day = (AS_OF - timedelta(days=back)).date()
        for hour in (9, 23):
            at = datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(ZONE))
            if at <= AS_OF:
                events.append(MessagePosted(
                    source="t", source_event_id=f"m{back}-{hour}", group=GROUP, at=at,
                    actor=user(1, "天天来"), text=f"第 {back} 天的打卡"))
    return events


def test_a_member_active_every_day_has_at_most_30_active_days(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    import_events(engine, community_id=cid, events=every_day(40))
    for build in (build_report, reference.build_report):
        report = build(engine, community_id=cid, plan=None, as_of=AS_OF, tz=ZONE,
                       community_name="c")
        member = next(m for m in report["members"] if m["name"] == "天天来")
        assert member["active_days"] == 30, build.__module__
        # Today's morning and both messages of each of the 29 days before it.
        assert member["window_messages"] == 1 + 29 * 2, build.__module__
        assert "近30天发言 59 条、30 天有发言" in member["tier_reason"]


def test_a_deleted_message_is_not_participation(engine: Engine) -> None:
    """Issue 11 walk13 #54: a member whose three adverts the bot deleted had 「近30天消息 4」
    for one real sentence. A message the bot (no member) or a moderator deleted does not
    count toward the tier; the author's own 撤回 does (they spoke)."""
    from qunyun.events import MessageRecalled

    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="c", name="c", now_ms=0)
    at = AS_OF - timedelta(hours=2)
    said = [MessagePosted(source="t", source_event_id=f"a{i}", group=GROUP,
                          at=at + timedelta(minutes=i), actor=user(2, "小广告"),
                          text="加V领资料" if i else "大家好")
            for i in range(4)]
    deleted = [MessageRecalled(source="t", source_event_id=f"r{i}", group=GROUP,
                               at=at + timedelta(minutes=i, seconds=1),
                               actor=None if i < 3 else user(9, "版主"),
                               target_event_id=f"a{i}") for i in range(1, 4)]
    own = [MessagePosted(source="t", source_event_id="own", group=GROUP,
                         at=at + timedelta(minutes=9), actor=user(3, "手快"), text="发错了"),
           MessageRecalled(source="t", source_event_id="own-r", group=GROUP,
                           at=at + timedelta(minutes=10), actor=user(3, "手快"),
                           target_event_id="own")]
    import_events(engine, community_id=cid, events=[*said, *deleted, *own])
    report = build_report(engine, community_id=cid, plan=None, as_of=AS_OF, tz=ZONE,
                          community_name="c")
    member = next(m for m in report["members"] if m["name"] == "小广告")
    assert member["window_messages"] == 1
    assert "近30天发言 1 条" in member["tier_reason"]
    quick = next(m for m in report["members"] if m["name"] == "手快")
    assert quick["window_messages"] == 1  # their own recall: they spoke

"""A mute an admin gave on the platform (QQ `group_ban`) is on the member's 360 page, in
words and in the page's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from qunyun.events import MUTED_UNTIL_LIFTED, GroupRef, MemberMuted, UserRef
from qunyun.services.importing import import_events
from tests.web.seed import Seeded

Make = Callable[..., TestClient]


def test_a_platform_mute_and_its_lift_read_as_words(make_client: Make, seeded: Seeded,
                                                    engine: Engine) -> None:
    group = GroupRef("onebot", "100200300", "进阶营")
    member = UserRef("onebot", "20001", "小王")
    admin = UserRef("onebot", "30001", "班主任小林")
    at = datetime(2026, 11, 30, 12, tzinfo=UTC)
    import_events(engine, community_id=seeded.community_id, events=[
        MemberMuted(source="onebot:1", source_event_id="ban-1", group=group, at=at,
                    member=member, by=admin, seconds=600),
        MemberMuted(source="onebot:1", source_event_id="ban-2", group=group,
                    at=at.replace(hour=13), member=member, by=admin, seconds=0)])
    with engine.connect() as conn:
        mid = conn.execute(text("SELECT member_id FROM events WHERE source_event_id = 'ban-1'")
                           ).scalar_one()
    client = make_client("viewer")
    page = client.get(f"/c/python-camp/members/{mid}").text
    assert "禁言 10 分钟" in page and "解除禁言" in page and "seconds" not in page
    client.cookies.set("qunyun_lang", "en")
    page = client.get(f"/c/python-camp/members/{mid}").text
    assert "muted for 10 minutes" in page and "mute lifted" in page


def test_a_mute_with_no_end_reads_as_such(make_client: Make, seeded: Seeded,
                                           engine: Engine) -> None:
    """Telegram's restriction "for ever" and Matrix's mute (a power level) set no end: the
    page says so, not 「禁言 366 天」."""
    group = GroupRef("telegram", "-1001002003", "进阶营")
    member = UserRef("telegram", "20001", "小王")
    import_events(engine, community_id=seeded.community_id, events=[
        MemberMuted(source="telegram:1", source_event_id="cm-1", group=group,
                    at=datetime(2026, 11, 30, 12, tzinfo=UTC), member=member,
                    by=UserRef("telegram", "30001", "班主任小林"), seconds=MUTED_UNTIL_LIFTED)])
    with engine.connect() as conn:
        mid = conn.execute(text("SELECT member_id FROM events WHERE source_event_id = 'cm-1'")
                           ).scalar_one()
    client = make_client("viewer")
    page = client.get(f"/c/python-camp/members/{mid}").text
    assert "禁言（未设结束时间）" in page and "366" not in page
    client.cookies.set("qunyun_lang", "en")
    assert "muted until lifted" in client.get(f"/c/python-camp/members/{mid}").text

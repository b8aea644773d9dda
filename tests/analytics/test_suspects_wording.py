"""Report suspects say what the numbers show (issue 11 #46): a shared text making up 1 of a
member's 2 messages is "at least half", never "the majority"."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from qunyun.analytics import build_report
from qunyun.events import Event, MessagePosted
from qunyun.report.words import signal_sentence
from qunyun.storage.community import communities as community_repo
from tests.analytics.test_report import GROUP, import_events
from tests.factories import T0, user

WAVE = "限时优惠课程大礼包今天免费领取啦"


def test_half_of_a_members_messages_is_called_half_not_most(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(conn, slug="s", name="s", now_ms=0)
    events: list[Event] = [
        MessagePosted(source="t", source_event_id=f"w{who}", group=GROUP,
                      at=T0 + timedelta(hours=who), actor=user(who), text=WAVE)
        for who in (1, 2, 3)]
    events.append(MessagePosted(source="t", source_event_id="own", group=GROUP,
                                at=T0 + timedelta(hours=5), actor=user(1),
                                text="大家好，我是来学 Python 的"))
    import_events(engine, community_id=cid, events=events)
    report = build_report(engine, community_id=cid, plan=None, tz="UTC",
                          as_of=T0 + timedelta(days=1))
    signals = {s["name"]: s["signals"] for s in report["suspects"]}
    [copied] = [sig for sig in signals[user(1).display_name] if sig["kind"] == "same_text"]
    assert copied["evidence"]["messages"] == 1 and copied["evidence"]["of_messages"] == 2
    assert "大部分" not in copied["label"] and "至少占其发言的一半" in copied["label"]
    assert "占其 2 条发言中的 1 条" in signal_sentence(copied)

"""Small builders for events in tests (not fixtures of real people: invented names)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from qunyun.events import GroupRef, MemberJoined, MemberLeft, MessagePosted, UserRef

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
GROUP = GroupRef("matrix", "!room:localhost", "测试群")


def user(n: int, name: str | None = None) -> UserRef:
    return UserRef("matrix", f"@u{n}:localhost", name or f"用户{n}")


def message(i: int, who: int = 1, text: str = "大家好", *, minutes: int | None = None,
            source: str = "test") -> MessagePosted:
    return MessagePosted(
        source=source, source_event_id=f"m{i}", group=GROUP,
        at=T0 + timedelta(minutes=i if minutes is None else minutes), actor=user(who), text=text,
    )


def join(i: int, who: int, inviter: int | None = None, *, source: str = "test") -> MemberJoined:
    return MemberJoined(
        source=source, source_event_id=f"j{i}", group=GROUP, at=T0 + timedelta(minutes=i),
        member=user(who), inviter=user(inviter) if inviter else None,
        via="invite" if inviter else "link",
    )


def leave(i: int, who: int, *, source: str = "test") -> MemberLeft:
    return MemberLeft(source=source, source_event_id=f"l{i}", group=GROUP,
                      at=T0 + timedelta(minutes=i), member=user(who))

"""The translation half of the adapter contract (I1), written once: the platform-neutral
cases every adapter's raw updates must become, whatever the platform calls them.

Each adapter gives a `Translator` (in `tests/adapters/<platform>/conformance.py`): its
roles (the group, the member, the admin, the messages referred to, in its own ids) and,
per case, its documented payload (a fixture file named after the documentation section
it follows) turned into qunyun events by its own code. `CHECKS` says what each case must
give, in qunyun's terms only; `tests/adapters/test_conformance.py` runs every case through
every adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from qunyun.events import (
    Event,
    MemberJoined,
    MemberLeft,
    MemberMuted,
    MessagePosted,
    NicknameChanged,
    ReactionAdded,
)

OLD_NAME, NEW_NAME = "小王", "小王-杭州-财务"  # the rename every platform's fixture shows


@dataclass(frozen=True)
class Roles:
    """Who and what the cases are about, in the platform's ids."""

    group: str
    member: str  # the member the cases are about (alice)
    admin: str  # the admin who invites, removes, mutes, is mentioned and reacts
    replied_to: str  # the message the reply answers
    reacted_to: str  # the message the admin reacts to


class Translator(Protocol):
    platform: str
    roles: Roles

    def events(self, case: str) -> Sequence[Event]:
        """The case's payload through the adapter's own code: the events it becomes."""
        ...


E = TypeVar("E", bound=Event)


def _one(events: Sequence[Event], kind: type[E]) -> E:
    found = [e for e in events if isinstance(e, kind)]
    assert len(found) == 1, f"expected one {kind.__name__}, got {events!r}"
    return found[0]


def _in_group(event: Event, t: Translator) -> None:
    assert event.group.platform == t.platform and event.group.group_id == t.roles.group
    assert event.group.kind == "group"
    assert event.source_event_id  # what makes a re-delivery the same event


def message(events: Sequence[Event], t: Translator) -> None:
    posted = _one(events, MessagePosted)
    _in_group(posted, t)
    assert posted.actor.user_id == t.roles.member and posted.actor.display_name
    assert posted.text and not posted.edited


def reply(events: Sequence[Event], t: Translator) -> None:
    posted = _one(events, MessagePosted)
    _in_group(posted, t)
    assert posted.actor.user_id == t.roles.member
    assert posted.reply_to == t.roles.replied_to


def mention(events: Sequence[Event], t: Translator) -> None:
    posted = _one(events, MessagePosted)
    _in_group(posted, t)
    assert t.roles.admin in posted.mentions


def join(events: Sequence[Event], t: Translator) -> None:
    joined = _one(events, MemberJoined)
    _in_group(joined, t)
    assert joined.member.user_id == t.roles.member


def leave(events: Sequence[Event], t: Translator) -> None:
    left = _one(events, MemberLeft)
    _in_group(left, t)
    assert left.member.user_id == t.roles.member and left.removed_by is None


def kick(events: Sequence[Event], t: Translator) -> None:
    left = _one(events, MemberLeft)
    _in_group(left, t)
    assert left.member.user_id == t.roles.member
    assert left.removed_by is not None and left.removed_by.user_id == t.roles.admin


def rename(events: Sequence[Event], t: Translator) -> None:
    renamed = _one(events, NicknameChanged)
    _in_group(renamed, t)
    assert renamed.member.user_id == t.roles.member
    assert (renamed.old, renamed.new) == (OLD_NAME, NEW_NAME)
    assert renamed.member.display_name == NEW_NAME


def reaction(events: Sequence[Event], t: Translator) -> None:
    reacted = _one(events, ReactionAdded)
    _in_group(reacted, t)
    assert reacted.actor.user_id == t.roles.admin
    assert reacted.target_event_id == t.roles.reacted_to and reacted.key


def mute(events: Sequence[Event], t: Translator) -> None:
    muted = _one(events, MemberMuted)
    _in_group(muted, t)
    assert muted.member.user_id == t.roles.member
    assert muted.by is not None and muted.by.user_id == t.roles.admin
    assert muted.seconds > 0  # muted, not lifted


CHECKS: dict[str, Callable[[Sequence[Event], Translator], None]] = {
    "message": message, "reply": reply, "mention": mention, "join": join, "leave": leave,
    "kick": kick, "rename": rename, "reaction": reaction, "mute": mute,
}

"""QQ's side of the shared translation cases (tests/adapters/conformance.py): each case's
OneBot 11 event, a fixture named after the standard's section (or, for what the standard
lacks, the implementation's document), through `translate`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qunyun.adapters.onebot.translate import translate
from qunyun.events import Event
from tests.adapters.conformance import Roles
from tests.adapters.onebot.server import fixture

# case → (fixture, top-level fields changed: the same section's other sub_type)
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "message": ("event-message-group", {}),
    "reply": ("event-message-group-segments", {}),
    "mention": ("event-message-group-segments", {}),
    "join": ("event-notice-group_increase", {}),
    # 群成员减少 sub_type leave: the standard puts the member as its own operator.
    "leave": ("event-notice-group_decrease", {"sub_type": "leave", "operator_id": 20001}),
    "kick": ("event-notice-group_decrease", {}),
    "rename": ("event-notice-group_card", {}),
    "reaction": ("event-notice-group_msg_emoji_like", {}),
    "mute": ("event-notice-group_ban", {}),
}


class OneBotTranslator:
    platform = "qq"
    roles = Roles(group="100200300", member="20001", admin="30001", replied_to="1",
                  reacted_to="1")

    def events(self, case: str) -> Sequence[Event]:
        name, changes = CASES[case]
        event = translate(fixture(name, **changes), source="onebot:10001",
                          group_names={"100200300": "进阶营"}, names={"30001": "班主任小林"})
        return [event] if event is not None else []

"""Matrix's side of the shared translation cases (tests/adapters/conformance.py): each case's
client-server event, a fixture named after the spec's section, through `translate`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qunyun.adapters.matrix.translate import translate
from qunyun.events import Event, GroupRef
from tests.adapters.conformance import Roles

FIXTURES = Path(__file__).parent / "fixtures"
ROOM = GroupRef("matrix", "!room:localhost", "进阶营")

CASES = {  # case → fixture (its "doc" line names the section of the spec)
    "message": "m.room.message-m.text",
    "reply": "m.room.message-m.text-reply-mentions",
    "mention": "m.room.message-m.text-reply-mentions",
    "join": "m.room.member-invite-join",
    "leave": "m.room.member-leave",
    "kick": "m.room.member-kick",
    "rename": "m.room.member-displayname",
    "reaction": "m.reaction",
    "mute": "m.room.power_levels-users-mute",  # Element's mute: a level below events_default
}


def payload(name: str) -> dict[str, Any]:
    doc = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return doc["payload"]  # type: ignore[no-any-return]


class MatrixTranslator:
    platform = "matrix"
    roles = Roles(group=ROOM.group_id, member="@alice:localhost", admin="@lin:localhost",
                  replied_to="$m1", reacted_to="$m2")

    def events(self, case: str) -> Sequence[Event]:
        event = translate(payload(CASES[case]), room=ROOM, source="matrix:localhost",
                          names={"@lin:localhost": "班主任小林", "@alice:localhost": "小王"})
        return [event] if event is not None else []

"""What the bot knows about its Matrix rooms: names, members' display names, moderators,
and what each room is — a community group, a DM with one member, or the admins' room.

Learned from state events (sync, and `/rooms/{id}/state` read again on every start, so
display names and room names survive a restart instead of falling back to localparts).
Which rooms are DMs cannot be read back from state reliably (the `is_direct` flag lives
on the invite, and the join replaces it), so the DMs and the admin room are also kept in
the database (`adapter_state`) and loaded on start: a DM is never a group, whenever it
was opened.
"""

from __future__ import annotations

import json
from collections import ChainMap
from collections.abc import Mapping, Sequence
from typing import Any

MODERATOR_LEVEL = 50  # Matrix's "moderator" power level


class RoomDirectory:
    def __init__(self, bot_user_id: str) -> None:
        self.bot_user_id = bot_user_id
        self.names: dict[str, str] = {}
        self.display_names: dict[str, str] = {}  # the latest name seen anywhere
        # Matrix names are per room (a group nickname "李四-北京-老师" vs the global "Li"
        # a DM shows): a room's own names come first, so a DM never renames a member.
        self.room_display: dict[str, dict[str, str]] = {}
        self.direct: dict[str, str] = {}  # DM room → the member it is with
        self.admin_room: str | None = None
        self.joined: dict[str, set[str]] = {}
        self.present: dict[str, set[str]] = {}  # joined or invited

        self.moderators: dict[str, set[str]] = {}
        self.changed = False  # `direct` or `admin_room` differ from what was saved

    # -- persistence -----------------------------------------------------------------------
    def dump(self) -> str:
        return json.dumps({"direct": self.direct, "admin": self.admin_room},
                          ensure_ascii=False, sort_keys=True)

    def load(self, saved: str | None) -> None:
        if not saved:
            return
        data = json.loads(saved)
        self.direct.update({str(k): str(v) for k, v in (data.get("direct") or {}).items()})
        self.admin_room = data.get("admin") or self.admin_room

    # -- learning ----------------------------------------------------------------------------
    def learn(self, room_id: str, raw_events: Sequence[Mapping[str, Any]]) -> None:
        for raw in raw_events:
            kind = raw.get("type")
            content = raw.get("content") or {}
            if kind == "m.room.name" and content.get("name"):
                self.names[room_id] = str(content["name"])
            elif kind == "m.room.member":
                self._member(room_id, raw, content)
            elif kind == "m.room.power_levels":
                users = content.get("users") or {}
                self.moderators[room_id] = {
                    str(u) for u, level in users.items()
                    if isinstance(level, int) and level >= MODERATOR_LEVEL
                    and u != self.bot_user_id}

    def _member(self, room_id: str, raw: Mapping[str, Any], content: Mapping[str, Any]) -> None:
        user = str(raw.get("state_key", ""))
        membership = content.get("membership")
        if content.get("displayname") and membership in ("join", "invite"):
            self.display_names[user] = str(content["displayname"])
            self.room_display.setdefault(room_id, {})[user] = str(content["displayname"])
        present = self.present.setdefault(room_id, set())
        if membership in ("join", "invite"):
            present.add(user)
        else:
            present.discard(user)
        members = self.joined.setdefault(room_id, set())
        if membership == "join":
            members.add(user)
            if room_id in self.direct and len(members - {self.bot_user_id}) > 1:
                # A third person joined: it is a group after all (a nameless room the
                # start-up guess took for a DM), from now on.
                del self.direct[room_id]
                self.changed = True
        else:
            members.discard(user)
        if content.get("is_direct") is True and membership == "invite":
            # The bot invited a member to a DM, or a member invited the bot to one.
            other = str(raw.get("sender", "")) if user == self.bot_user_id else user
            if other and other != self.bot_user_id:
                self.mark_direct(room_id, other)

    def mark_direct(self, room_id: str, user_id: str) -> None:
        if self.direct.get(room_id) != user_id and room_id != self.admin_room:
            self.direct[room_id] = user_id
            self.changed = True

    def set_admin_room(self, room_id: str) -> None:
        if self.admin_room != room_id:
            self.admin_room = room_id
            self.direct.pop(room_id, None)
            self.changed = True

    def guess_direct(self, room_id: str) -> None:
        """A room with no name and only the bot and one member is a DM (as every Matrix
        client shows it): covers DMs opened before the bot remembered them."""
        if room_id in self.direct or room_id == self.admin_room or room_id in self.names:
            return
        others = self.joined.get(room_id, set()) - {self.bot_user_id}
        if len(others) == 1 and self.bot_user_id in self.joined.get(room_id, set()):
            self.mark_direct(room_id, next(iter(others)))

    # -- asking ------------------------------------------------------------------------------
    def kind(self, room_id: str) -> str:
        if room_id == self.admin_room:
            return "admin"
        return "direct" if room_id in self.direct else "group"

    def names_in(self, room_id: str) -> Mapping[str, str]:
        """The member's current name for an event in this room: one name per member,
        whatever room the event or the reply is in. A Matrix name is per room (「李四-上海-
        财务」 in the group, the global 「李四」 her DM shows), and the community knows her by
        her group name: a group's own names come first, then the other groups', and only
        then what a DM or the admins' room shows — so the DM and the group call her the
        same, however the names were learned (state read on start, or events; issue 11
        walk findings 52/62)."""
        groups = [self.room_display[r] for r in self.room_display
                  if r != room_id and self.kind(r) == "group"]
        own = self.room_display.get(room_id, {})
        if self.kind(room_id) == "group":
            return ChainMap(own, *groups, self.display_names)
        return ChainMap(*groups, own, self.display_names)

    def dm_with(self, user_id: str) -> str | None:
        """The member's DM they are in (joined, or invited and not yet answered)."""
        room, state = self.dm_state(user_id)
        return room if state in ("open", "invited") else None

    def dm_state(self, user_id: str) -> tuple[str | None, str | None]:
        """The member's DM with the bot and where it stands: "open" (both in it, or not
        known otherwise), "invited" (the member has not accepted the bot's invitation),
        "left" (the member turned it down or left); (None, None): there is none. A DM
        the member opened again wins over one they left."""
        best: tuple[str | None, str | None] = (None, None)
        rank = {"open": 3, "invited": 2, "left": 1}
        for room, user in self.direct.items():
            if user != user_id:
                continue
            state = self._dm_state(room, user_id)
            if best[1] is None or rank[state] > rank[best[1]]:
                best = (room, state)
        return best

    def _dm_state(self, room: str, user_id: str) -> str:
        if room not in self.present:
            return "open"  # nothing learned about it: the homeserver decides
        if user_id in self.joined.get(room, set()):
            return "open"
        return "invited" if user_id in self.present[room] else "left"

    def open_dms(self) -> dict[str, str]:
        """DM room → member, for the DMs both the bot and the member have joined."""
        return {room: user for room, user in self.direct.items()
                if {user, self.bot_user_id} <= self.joined.get(room, set())}

    def opened_dm(self, room_id: str, user_id: str) -> None:
        """The bot created a DM and invited the member to it."""
        self.mark_direct(room_id, user_id)
        self.present[room_id] = {self.bot_user_id, user_id}
        self.joined[room_id] = {self.bot_user_id}

    def find_by_name(self, name: str) -> str | None:
        return next((room for room, n in self.names.items()
                     if n == name and room not in self.direct), None)

    def group_moderators(self) -> set[str]:
        """Everyone with moderator power in a community group (admins to invite)."""
        found: set[str] = set()
        for room_id, users in self.moderators.items():
            if self.kind(room_id) == "group":
                found |= users
        return found

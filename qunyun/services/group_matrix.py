"""G4 live: what the group-capacity policy needs — a group's head count, the names taken,
"this full group was handled" once (whatever the restarts or processes), and the
operator's to-do where the platform does not let the bot create groups."""

from __future__ import annotations

from sqlalchemy import Connection

from qunyun.services import queues
from qunyun.storage.bot import adapter_state
from qunyun.storage.bot import lookup as bot_lookup

QUEUE = "group_todo"


def members_in(conn: Connection, *, group_id: int) -> int:
    return bot_lookup.active_member_count(conn, group_id=group_id)


def names_taken(conn: Connection, *, community_id: int) -> set[str]:
    return bot_lookup.group_names(conn, community_id=community_id)


def claim_full(conn: Connection, *, community_id: int, group_id: int, at_ms: int) -> bool:
    """True the first time a group is found full: its next group is opened (or asked for)
    once; a later join into the same full group does not open a third."""
    key = f"g4:full:{community_id}:{group_id}"
    mine = str(at_ms)
    return adapter_state.claim(conn, key=key, value=mine, now_ms=at_ms) == mine


def open_todo(conn: Connection, *, community_id: int, group_id: int, full_name: str,
              next_name: str, text: str, members: int, cap: int, at_ms: int) -> int:
    """The operator creates the group by hand: the name to give it and the text to post in
    the full group (with the new group's number or link where it says so)."""
    item_id, _created = queues.open_item(
        conn, community_id=community_id, queue=QUEUE, item_key=f"g4:{group_id}",
        title=f"新开群「{next_name}」：「{full_name}」已满 {members}/{cap} 人",
        detail={"new_group": next_name, "full_group": full_name, "in_group": members,
                "size_cap": cap, "text": text},
        group_id=group_id, at_ms=at_ms)
    return item_id

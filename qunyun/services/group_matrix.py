"""G4 live: what the group-capacity policy needs — a group's head count, the names taken,
"this full group was handled" once (whatever the restarts or processes), and the
operator's to-do where the platform does not let the bot create groups; what routing
needs — a member's attribute, the group of a name, "this member was routed there" once,
and the to-do where the bot cannot bring them in."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from qunyun.events import GroupRef
from qunyun.services import lookup, queues
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
              next_name: str, text: str, members: int, cap: int, at_ms: int,
              template: str | None = None) -> int:
    """The operator creates the group by hand: the name to give it, the group whose
    settings to copy (the plan's template), and the text to post in the full group (with
    the new group's number or link where it says so)."""
    copy = (f"，照「{template}」设置群公告、管理员和入群方式" if template else "")
    item_id, _created = queues.open_item(
        conn, community_id=community_id, queue=QUEUE, item_key=f"g4:{group_id}",
        title=f"新开群「{next_name}」：「{full_name}」已满 {members}/{cap} 人{copy}",
        detail={"new_group": next_name, "full_group": full_name, "in_group": members,
                "size_cap": cap, "text": text, **({"template": template} if template else {})},
        group_id=group_id, at_ms=at_ms)
    return item_id


def attribute(conn: Connection, *, member_id: int, key: str) -> str | None:
    """The member's attribute (a nickname label or a form answer) as text, if set."""
    from qunyun.storage.community import members as member_repo

    value: Any = member_repo.attributes_of(conn, member_id=member_id).get(key)
    text = str(value).strip() if value is not None else ""
    return text or None


def group_named(conn: Connection, *, community_id: int, platform: str,
                name: str) -> tuple[int, GroupRef] | None:
    """The community's group of that name on the platform (the bot is in it), if any."""
    for group_id, ref in lookup.community_groups(conn, community_id=community_id):
        if ref.platform == platform and ref.name == name:
            return group_id, ref
    return None


def claim_route(conn: Connection, *, community_id: int, member_id: int, group: str,
                at_ms: int) -> bool:
    """True the first time this member is routed to this group: told (and invited) once,
    however often their nickname or answers come again."""
    key = f"g4:route:{community_id}:{member_id}:{group}"
    mine = str(at_ms)
    return adapter_state.claim(conn, key=key, value=mine, now_ms=at_ms) == mine


def route_todo(conn: Connection, *, community_id: int, member_id: int, member: str,
               value: str, group: str, exists: bool, at_ms: int) -> int:
    """The operator brings the member into their group by hand (the platform does not let
    the bot invite them), or first creates that group and adds the bot to it."""
    title = (f"把 {member} 拉进「{group}」（资料：{value}）" if exists
             else f"分群「{group}」还没有（机器人不在这个群）：请建群并把机器人拉进去，"
                  f"再把 {member} 拉进去（资料：{value}）")
    item_id, _created = queues.open_item(
        conn, community_id=community_id, queue=QUEUE, item_key=f"g4:route:{member_id}:{group}",
        title=title, detail={"routed_member": member, "route_group": group,
                            "route_value": value, "route_group_exists": exists},
        member_id=member_id, at_ms=at_ms)
    return item_id

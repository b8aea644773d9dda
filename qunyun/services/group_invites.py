"""Rooms the bot was invited to by someone who may not add groups (issue 11 #58).

Any member of a Matrix homeserver can invite the bot into a room of her own; joining every
invite would make her room a community group (a health score, the welcome, the schedule's
posts) that nobody approved. The adapter joins at once only a DM, a room it already knows,
and an invitation from an admin (the plan's `bot.admins`, or a moderator of a community
room). Any other invitation waits in the console's 「新群待确认」 queue (`group_invite`):
approved, the bot joins the room and it becomes a community group; declined, the bot turns
the invitation down. The adapter carries out each decision once (`decisions`).
"""

from __future__ import annotations

from sqlalchemy import Connection

from qunyun.services import queues
from qunyun.storage.work import queues as queue_repo

QUEUE = "group_invite"


def wait(conn: Connection, *, community_id: int, platform: str, room_id: str,
         name: str | None, inviter: str | None, inviter_name: str | None,
         at_ms: int) -> int:
    """File the invitation for an operator's decision (once per room); returns the item."""
    who = inviter_name or inviter or "有人"
    where = name or room_id
    item_id, _new = queues.open_item(
        conn, community_id=community_id, queue=QUEUE, item_key=f"{platform}:{room_id}",
        title=f"{who} 邀请机器人进「{where}」", at_ms=at_ms,
        detail={"platform": platform, "room": room_id, "name": name, "inviter": inviter,
                "inviter_name": inviter_name})
    return item_id


def decisions(conn: Connection, *, community_id: int,
              platform: str) -> list[tuple[int, str, bool]]:
    """(item id, room id, approved) of every decided invitation on `platform`."""
    out: list[tuple[int, str, bool]] = []
    for status, approved in (("approved", True), ("dismissed", False)):
        for item in queue_repo.list_items(conn, community_id=community_id, queue=QUEUE,
                                          status=status, limit=100):
            detail = item.get("detail") or {}
            if detail.get("platform") == platform and detail.get("room"):
                out.append((int(item["id"]), str(detail["room"]), approved))
    return out
